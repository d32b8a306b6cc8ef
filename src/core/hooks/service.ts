import { HOOK_SECRET_HEADER, HOOK_SESSION_HEADER } from '../api/headers';
import { AppError } from '../errors';
import { settleByEvidence, settleByPolicy } from '../policies/outcome';
import type { PolicyService } from '../policies/service';
import { redactText } from '../policies/redact';
import { secretMatches, type Secrets } from '../secrets';
import type { SessionJournal } from '../sessions/journal';
import type { LaunchPlanner } from '../sessions/launch';
import type { SessionRecord } from '../sessions/store';
import type { StateWatcher } from '../sessions/watcher';
import { CLAUDE_HOOK_EVENTS, claudeAnswer, holdsUntilInput, stateForHook } from './claude';

export interface HookServiceOptions {
  journal: SessionJournal;
  watcher: StateWatcher;
  planner: LaunchPlanner;
  policies: PolicyService;
  secrets: Secrets;
  /** The command Claude Code's hooks run (hook-forward). */
  command: string;
}

/** Who a hook request says it comes from: the session and the hook secret it carries. */
export interface HookCaller {
  session: string | undefined;
  secret: string | undefined;
  /** When the caller stops waiting for the answer (epoch ms; hook-forward's own deadline), if it says. */
  deadline?: number | undefined;
}

/**
 * The agents' hooks: each event is recorded in its session's log and applied to its state at once (a hook is
 * fresher than any screen reading); tool calls are decided by policy and answered in Claude Code's own format.
 */
export class HookService {
  readonly command: string;
  /** The Claude Code events a session's settings overlay registers. */
  readonly events: string[] = [...CLAUDE_HOOK_EVENTS];

  constructor(private readonly options: HookServiceOptions) {
    this.command = options.command;
  }

  /** One Claude Code hook call: the output hook-forward prints for the agent, or null to print nothing. */
  claude(payload: Record<string, unknown>, caller: HookCaller): { output: Record<string, unknown> | null } {
    const { journal, policies } = this.options;
    if (!secretMatches(caller.secret, this.options.secrets.hookSecret)) {
      throw new AppError('HOOK_UNAUTHORIZED', `missing or wrong hook secret (${HOOK_SECRET_HEADER})`);
    }
    if (!caller.session) throw new AppError('USAGE', `a hook request names its session in ${HOOK_SESSION_HEADER}`);
    if (typeof payload.invalidPayload === 'string' || typeof payload.hook_event_name !== 'string') {
      // A broken hook setup is visible in the session's log.
      const record = journal.store.get(caller.session);
      if (record) {
        journal.record(record.id, 'hook', 'hook-invalid', {
          reason: typeof payload.invalidPayload === 'string' ? 'not a JSON object' : 'no hook_event_name',
          sample: redactText(String(payload.invalidPayload ?? JSON.stringify(payload)).slice(0, 500)),
        });
      }
      return { output: null };
    }
    const event = payload.hook_event_name;
    // A permission box only shows if policy leaves the question open: its state waits for the decision.
    const record = this.applyEvent(caller.session, payload, { deferState: event === 'PermissionRequest' });
    if (event !== 'PreToolUse' && event !== 'PermissionRequest') return { output: null };
    const toolInput = payload.tool_input;
    const tool = typeof payload.tool_name === 'string' ? payload.tool_name : 'unknown';
    const args = toolInput && typeof toolInput === 'object' && !Array.isArray(toolInput) ? (toolInput as Record<string, unknown>) : {};
    const decision = policies.evaluate({
      sessionId: record.id,
      tool,
      args,
      cwd: typeof payload.cwd === 'string' ? payload.cwd : record.cwd,
      dangerousMode: record.dangerousMode,
    });
    const explicit = decision.matched !== null || record.dangerousMode || decision.decision === 'deny';
    const output = claudeAnswer(event, { ...decision, explicit });
    // An answer given after the caller stopped waiting never reaches the agent: its own permission flow goes on.
    const late = caller.deadline !== undefined && Date.now() > caller.deadline;
    const audit = {
      sessionId: record.id,
      event,
      tool,
      args,
      decision,
      settlement: settleByPolicy(decision.decision, output !== null, late, new Date().toISOString()),
      toolUseId: typeof payload.tool_use_id === 'string' ? payload.tool_use_id : null,
    };
    if (event === 'PreToolUse') policies.record(audit);
    else policies.recordPermissionRequest(audit);
    // Decided by policy, the agent goes on; else it shows its box: a permission question, or a question to the person.
    if (event === 'PermissionRequest') this.options.watcher.applyHookState(record.id, output ? 'running' : (stateForHook(payload) ?? 'needs_permission'));
    return { output };
  }

  /**
   * What the agent's later events tell about its open questions: a tool call that ran was allowed (by the person if the
   * prompt showed, else by the agent's own settings); a turn that ended without it running was denied; questions still
   * open when the session ends were never answered. Cheap on the hot path: open questions sit in a partial index.
   */
  private settleQuestions(sessionId: string, payload: Record<string, unknown>): void {
    const { policies } = this.options;
    const event = payload.hook_event_name;
    const now = Date.now();
    if ((event === 'PostToolUse' || event === 'PostToolUseFailure') && typeof payload.tool_use_id === 'string') {
      // The person answered before the tool ran: its duration, when the agent tells it, dates the answer better.
      const ran = typeof payload.duration_ms === 'number' && payload.duration_ms >= 0 && payload.duration_ms < now ? now - payload.duration_ms : now;
      policies.settleToolCall(sessionId, payload.tool_use_id, (asked) => settleByEvidence('tool-ran', asked, new Date(ran).toISOString()));
    } else if (event === 'Stop') {
      policies.settleOpen(sessionId, (asked) => settleByEvidence('turn-ended', asked, new Date(now).toISOString()));
    } else if (event === 'SessionEnd') {
      policies.settleOpen(sessionId, (asked) => settleByEvidence('session-ended', asked, new Date(now).toISOString()));
    }
  }

  /** Where hooks are installed: per claude-code session (ended ones with `all`), its overlay and the events it registers. */
  status(all: boolean): { command: string; sessions: Array<{ sessionId: string; state: string; settingsFile: string; installed: boolean; events: string[] }> } {
    return {
      command: this.command,
      sessions: this.options.journal
        .list({ provider: 'claude-code' })
        .filter((session) => all || (session.state !== 'stopped' && session.state !== 'crashed'))
        .map((session) => {
          const overlay = this.options.planner.hookOverlay(session.id);
          return { sessionId: session.id, state: session.state, settingsFile: overlay.file, installed: overlay.installed, events: overlay.installed ? this.events : [] };
        }),
    };
  }

  /**
   * A hook event from the agent: recorded, and applied to the state at once (it is fresher than any screen reading).
   * SessionStart also tells where the agent's transcript is and its own session id.
   */
  private applyEvent(id: string, payload: Record<string, unknown>, options: { deferState: boolean }): SessionRecord {
    const { journal } = this.options;
    const record = journal.resolve(id);
    const event = typeof payload.hook_event_name === 'string' ? payload.hook_event_name : 'unknown';
    const summary: Record<string, unknown> = { event };
    for (const key of ['tool_name', 'notification_type', 'source', 'reason', 'transcript_path', 'session_id'] as const) {
      if (typeof payload[key] === 'string') summary[key] = payload[key];
    }
    journal.record(record.id, 'hook', 'hook', summary);
    this.settleQuestions(record.id, payload);
    const now = new Date().toISOString();
    if (event === 'SessionStart' && typeof payload.session_id === 'string' && payload.session_id !== record.agentSessionId) {
      journal.store.setAgentSessionId(record.id, payload.session_id, now);
    }
    if (typeof payload.transcript_path === 'string' && payload.transcript_path !== record.transcriptPath) {
      journal.store.setTranscriptPath(record.id, payload.transcript_path, now);
    }
    const state = stateForHook(payload);
    if (state && !options.deferState) this.options.watcher.applyHookState(record.id, state, { untilInput: holdsUntilInput(payload) });
    return journal.store.get(record.id)!;
  }
}
