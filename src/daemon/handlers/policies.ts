import { AppError } from '../../core/errors';
import { claudeAnswer } from '../../core/hooks/claude';
import { redactText } from '../../core/policies/redact';
import { secretMatches } from '../../core/secrets';
import type { DaemonContext, HandlerContext } from '../context';
import type { Handlers } from '../router';

export const SESSION_HEADER = 'x-codepiper-session';
export const SECRET_HEADER = 'x-codepiper-secret';

function header(ctx: HandlerContext, name: string): string | undefined {
  const value = ctx.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function defaultAction(daemon: DaemonContext): 'ask' | 'deny' {
  return daemon.config.policies?.defaultAction ?? 'ask';
}

/** Policies, policy sets, the audit log, and the Claude Code hook endpoint. */
export const policyHandlers = {
  'policies.list': ({ sessionId }, { daemon }) => ({
    policies: daemon.policies.listPolicies({ sessionId: sessionId === undefined ? undefined : daemon.sessions.resolve(sessionId).id }),
  }),
  'policies.create': (input, { daemon }) =>
    daemon.policies.createPolicy({ ...input, sessionId: input.sessionId === null ? null : daemon.sessions.resolve(input.sessionId).id }),
  'policies.get': ({ id }, { daemon }) => daemon.policies.getPolicy(id),
  'policies.update': ({ id, ...changes }, { daemon }) =>
    daemon.policies.updatePolicy(id, {
      ...changes,
      ...(typeof changes.sessionId === 'string' ? { sessionId: daemon.sessions.resolve(changes.sessionId).id } : {}),
    }),
  'policies.delete': ({ id }, { daemon }) => daemon.policies.deletePolicy(id),

  'policySets.list': (_input, { daemon }) => ({ policySets: daemon.policies.listSets() }),
  'policySets.create': (input, { daemon }) => daemon.policies.createSet(input),
  'policySets.get': ({ id }, { daemon }) => daemon.policies.getSet(id),
  'policySets.update': ({ id, ...changes }, { daemon }) => daemon.policies.updateSet(id, changes),
  'policySets.delete': ({ id }, { daemon }) => daemon.policies.deleteSet(id),
  'policySets.addPolicy': ({ id, policyId }, { daemon }) => daemon.policies.addToSet(id, policyId),
  'policySets.removePolicy': ({ id, policyId }, { daemon }) => daemon.policies.removeFromSet(id, policyId),

  'sessions.policySets': ({ id }, { daemon }) => ({ policySets: daemon.policies.sessionSets(daemon.sessions.resolve(id).id) }),
  'sessions.addPolicySet': ({ id, setId }, { daemon }) => ({ policySets: daemon.policies.attachSet(daemon.sessions.resolve(id).id, setId) }),
  'sessions.removePolicySet': ({ id, setId }, { daemon }) => ({ policySets: daemon.policies.detachSet(daemon.sessions.resolve(id).id, setId) }),
  'sessions.effectivePolicies': ({ id }, { daemon }) => {
    const session = daemon.sessions.resolve(id);
    return { defaultAction: defaultAction(daemon), dangerousMode: session.dangerousMode, rules: daemon.policies.effective(session.id) };
  },
  'sessions.policy': ({ id }, { daemon }) => ({ policy: daemon.policies.sessionPolicy(daemon.sessions.resolve(id).id) }),
  'sessions.setPolicy': ({ id, ...input }, { daemon }) => ({ policy: daemon.policies.putSessionPolicy(daemon.sessions.resolve(id).id, input) }),

  'policyDecisions.list': ({ sessionId, limit, offset }, { daemon }) =>
    daemon.policies.decisions({ sessionId: sessionId === undefined ? undefined : daemon.sessions.resolve(sessionId).id, limit, offset }),

  'hooks.claude': (payload, ctx) => {
    const { daemon } = ctx;
    if (!secretMatches(header(ctx, SECRET_HEADER), daemon.secrets.hookSecret)) {
      throw new AppError('HOOK_UNAUTHORIZED', 'missing or wrong hook secret (x-codepiper-secret)');
    }
    const sessionId = header(ctx, SESSION_HEADER);
    if (!sessionId) throw new AppError('USAGE', `a hook request names its session in ${SESSION_HEADER}`);
    if (typeof payload.invalidPayload === 'string' || typeof payload.hook_event_name !== 'string') {
      daemon.sessions.recordBadHook(sessionId, {
        reason: typeof payload.invalidPayload === 'string' ? 'not a JSON object' : 'no hook_event_name',
        sample: redactText(String(payload.invalidPayload ?? JSON.stringify(payload)).slice(0, 500)),
      });
      return { output: null };
    }
    const event = payload.hook_event_name;
    // A permission box only shows if policy leaves the question open: its state waits for the decision.
    const record = daemon.sessions.applyHookEvent(sessionId, payload, { deferState: event === 'PermissionRequest' });
    if (event !== 'PreToolUse' && event !== 'PermissionRequest') return { output: null };
    const toolInput = payload.tool_input;
    const decision = daemon.policies.decide({
      sessionId: record.id,
      event,
      tool: typeof payload.tool_name === 'string' ? payload.tool_name : 'unknown',
      args: toolInput && typeof toolInput === 'object' && !Array.isArray(toolInput) ? (toolInput as Record<string, unknown>) : {},
      cwd: typeof payload.cwd === 'string' ? payload.cwd : record.cwd,
      dangerousMode: record.dangerousMode,
    });
    const explicit = decision.matched !== null || record.dangerousMode || decision.decision === 'deny';
    const output = claudeAnswer(event, { ...decision, explicit });
    if (event === 'PermissionRequest') daemon.sessions.applyHookState(record.id, output ? 'running' : 'needs_permission');
    return { output };
  },

  'hooks.status': ({ all }, { daemon }) => ({
    command: daemon.hookCommand,
    sessions: daemon.sessions
      .list({ provider: 'claude-code' })
      .filter((session) => all || (session.state !== 'stopped' && session.state !== 'crashed'))
      .map((session) => {
        const overlay = daemon.sessions.hookOverlay(session.id);
        return { sessionId: session.id, state: session.state, settingsFile: overlay.file, installed: overlay.installed, events: overlay.installed ? daemon.hookEvents : [] };
      }),
  }),
} satisfies Pick<
  Handlers,
  | 'policies.list' | 'policies.create' | 'policies.get' | 'policies.update' | 'policies.delete'
  | 'policySets.list' | 'policySets.create' | 'policySets.get' | 'policySets.update' | 'policySets.delete' | 'policySets.addPolicy' | 'policySets.removePolicy'
  | 'sessions.policySets' | 'sessions.addPolicySet' | 'sessions.removePolicySet' | 'sessions.effectivePolicies' | 'sessions.policy' | 'sessions.setPolicy'
  | 'policyDecisions.list' | 'hooks.claude' | 'hooks.status'
>;
