import { HOOK_DEADLINE_HEADER, HOOK_SECRET_HEADER, HOOK_SESSION_HEADER } from '../../core/api/headers';
import type { DaemonContext, HandlerContext } from '../context';
import type { Handlers } from '../router';


function header(ctx: HandlerContext, name: string): string | undefined {
  const value = ctx.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The hook caller's deadline header as epoch milliseconds; anything else is no deadline. */
function deadline(value: string | undefined): number | undefined {
  const ms = value === undefined ? NaN : Number(value);
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined;
}

function defaultAction(daemon: DaemonContext): 'ask' | 'deny' {
  return daemon.core.config.policies?.defaultAction ?? 'ask';
}

/** Policies, policy sets, the audit log, and the Claude Code hook endpoint. */
export const policyHandlers = {
  'policies.list': ({ sessionId }, { daemon }) => ({
    policies: daemon.core.policies.listPolicies({ sessionId: sessionId === undefined ? undefined : daemon.core.sessions.resolve(sessionId).id }),
  }),
  'policies.create': (input, { daemon }) =>
    daemon.core.policies.createPolicy({ ...input, sessionId: input.sessionId === null ? null : daemon.core.sessions.resolve(input.sessionId).id }),
  'policies.get': ({ id }, { daemon }) => daemon.core.policies.getPolicy(id),
  'policies.update': ({ id, ...changes }, { daemon }) =>
    daemon.core.policies.updatePolicy(id, {
      ...changes,
      ...(typeof changes.sessionId === 'string' ? { sessionId: daemon.core.sessions.resolve(changes.sessionId).id } : {}),
    }),
  'policies.delete': ({ id }, { daemon }) => daemon.core.policies.deletePolicy(id),

  'policySets.list': (_input, { daemon }) => ({ policySets: daemon.core.policies.listSets() }),
  'policySets.create': (input, { daemon }) => daemon.core.policies.createSet(input),
  'policySets.get': ({ id }, { daemon }) => daemon.core.policies.getSet(id),
  'policySets.update': ({ id, ...changes }, { daemon }) => daemon.core.policies.updateSet(id, changes),
  'policySets.delete': ({ id }, { daemon }) => daemon.core.policies.deleteSet(id),
  'policySets.addPolicy': ({ id, policyId }, { daemon }) => daemon.core.policies.addToSet(id, policyId),
  'policySets.removePolicy': ({ id, policyId }, { daemon }) => daemon.core.policies.removeFromSet(id, policyId),

  'sessions.policySets': ({ id }, { daemon }) => ({ policySets: daemon.core.policies.sessionSets(daemon.core.sessions.resolve(id).id) }),
  'sessions.addPolicySet': ({ id, setId }, { daemon }) => ({ policySets: daemon.core.policies.attachSet(daemon.core.sessions.resolve(id).id, setId) }),
  'sessions.removePolicySet': ({ id, setId }, { daemon }) => ({ policySets: daemon.core.policies.detachSet(daemon.core.sessions.resolve(id).id, setId) }),
  'sessions.effectivePolicies': ({ id }, { daemon }) => {
    const session = daemon.core.sessions.resolve(id);
    return { defaultAction: defaultAction(daemon), dangerousMode: session.dangerousMode, rules: daemon.core.policies.effective(session.id) };
  },
  'sessions.policy': ({ id }, { daemon }) => ({ policy: daemon.core.policies.sessionPolicy(daemon.core.sessions.resolve(id).id) }),
  'sessions.setPolicy': ({ id, ...input }, { daemon }) => ({ policy: daemon.core.policies.putSessionPolicy(daemon.core.sessions.resolve(id).id, input) }),

  'policyDecisions.list': ({ sessionId, limit, offset }, { daemon }) =>
    daemon.core.policies.decisions({ sessionId: sessionId === undefined ? undefined : daemon.core.sessions.resolve(sessionId).id, limit, offset }),

  'hooks.claude': (payload, ctx) =>
    ctx.daemon.core.hooks.claude(payload, { session: header(ctx, HOOK_SESSION_HEADER), secret: header(ctx, HOOK_SECRET_HEADER), deadline: deadline(header(ctx, HOOK_DEADLINE_HEADER)) }),
  'hooks.status': ({ all }, { daemon }) => daemon.core.hooks.status(all),
} satisfies Pick<
  Handlers,
  | 'policies.list' | 'policies.create' | 'policies.get' | 'policies.update' | 'policies.delete'
  | 'policySets.list' | 'policySets.create' | 'policySets.get' | 'policySets.update' | 'policySets.delete' | 'policySets.addPolicy' | 'policySets.removePolicy'
  | 'sessions.policySets' | 'sessions.addPolicySet' | 'sessions.removePolicySet' | 'sessions.effectivePolicies' | 'sessions.policy' | 'sessions.setPolicy'
  | 'policyDecisions.list' | 'hooks.claude' | 'hooks.status'
>;
