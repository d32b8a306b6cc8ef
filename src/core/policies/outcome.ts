import type { PolicyAction } from './schema';

/**
 * What became of an audited question. `pending`: the question went to the agent's own prompt and nothing has told
 * yet how it ended. `timed_out`: policy decided, but its answer reached the agent too late (the hook had given up),
 * so the agent's own permission flow went on without it. `session_ended`: still open when the session ended.
 */
export const AUDIT_OUTCOMES = ['pending', 'allowed', 'denied', 'timed_out', 'session_ended'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** Who settled it: a policy rule (or the default), a person, or the agent's own permission settings or mode. */
export const OUTCOME_BY = ['policy', 'person', 'agent'] as const;
export type OutcomeBy = (typeof OUTCOME_BY)[number];

/** How a person answered: the approve/deny routes say who called them; agent-ui is typed in the agent itself. */
export const ANSWER_VIA = ['cli', 'tui', 'api'] as const;
export type AnswerVia = (typeof ANSWER_VIA)[number];
export const OUTCOME_VIA = [...ANSWER_VIA, 'agent-ui'] as const;
export type OutcomeVia = (typeof OUTCOME_VIA)[number];

export interface Settlement {
  outcome: AuditOutcome;
  by: OutcomeBy | null;
  via: OutcomeVia | null;
  at: string | null;
}

/**
 * The outcome of a policy answer to a hook, as the agent will act on it. `answered`: the hook prints a decision
 * (a null answer leaves the question to the agent's prompt); `late`: the answer comes after the hook gave up, so the
 * agent never reads it. A late answer that would have said nothing changes nothing: the question stays open.
 */
export function settleByPolicy(decision: PolicyAction, answered: boolean, late: boolean, at: string): Settlement {
  if (!answered || decision === 'ask') return { outcome: 'pending', by: null, via: null, at: null };
  if (late) return { outcome: 'timed_out', by: 'policy', via: null, at };
  return { outcome: decision === 'allow' ? 'allowed' : 'denied', by: 'policy', via: null, at };
}

/**
 * Input preflight (agents without hooks): the check is the whole story. Input goes through unless a rule denies or
 * holds it (`ask` refuses it with "needs approval"; there is no later answer to wait for).
 */
export function settlePreflight(decision: PolicyAction, matched: boolean, at: string): Settlement {
  const sent = !matched || decision === 'allow';
  return { outcome: sent ? 'allowed' : 'denied', by: 'policy', via: null, at };
}

/** The audit row a hook's question belongs to, as far as matching needs to know it (newest first in candidates). */
export interface QuestionRow {
  id: number;
  event: string;
  toolUseId: string | null;
  askedAt: string | null;
}

/**
 * The PreToolUse row a PermissionRequest is about, among the session's latest rows with the same tool and (redacted)
 * arguments, newest first. Claude Code fires PermissionRequest right after the PreToolUse of the same call, as its
 * prompt is about to show; it carries no tool_use_id in the documented format, so one that does is matched on it,
 * else the newest PreToolUse not yet shown to the person is. None: the PermissionRequest gets a row of its own.
 */
export function matchPermissionRequest<Row extends QuestionRow>(candidates: readonly Row[], toolUseId: string | null): Row | undefined {
  if (toolUseId) {
    const exact = candidates.find((row) => row.toolUseId === toolUseId);
    if (exact) return exact.askedAt === null ? exact : undefined;
  }
  return candidates.find((row) => row.event === 'PreToolUse' && row.askedAt === null);
}

/**
 * A PermissionRequest for a question already settled by policy at PreToolUse: had that answer reached the agent, it
 * would not be asking now. So the PreToolUse answer came too late (or was lost): unless this hook's own answer decides
 * in time, the question is open again, marked timed out.
 */
export function settleOnPermissionRequest(current: { outcome: AuditOutcome | null; by: OutcomeBy | null }, own: Settlement, at: string): Settlement | null {
  if (own.outcome === 'allowed' || own.outcome === 'denied' || own.outcome === 'timed_out') return own;
  if (current.by === 'policy' && (current.outcome === 'allowed' || current.outcome === 'denied')) return { outcome: 'timed_out', by: 'policy', via: null, at };
  return null;
}

/**
 * What the agent's later events say about an open question. The tool ran (PostToolUse or PostToolUseFailure for its
 * tool_use_id): allowed. The turn ended (Stop) without it running: denied. The session ended: unanswered. Whether a
 * person answered depends on whether the prompt was shown (a PermissionRequest came): if not, the agent's own
 * permission settings or mode let it through or refused it.
 */
export function settleByEvidence(evidence: 'tool-ran' | 'turn-ended' | 'session-ended', asked: boolean, at: string): Settlement {
  if (evidence === 'session-ended') return { outcome: 'session_ended', by: null, via: null, at };
  return { outcome: evidence === 'tool-ran' ? 'allowed' : 'denied', by: asked ? 'person' : 'agent', via: asked ? 'agent-ui' : null, at };
}

/** A person's answer through the approve/deny routes. */
export function settleByPerson(answer: 'approve' | 'deny', via: AnswerVia, at: string): Settlement {
  return { outcome: answer === 'approve' ? 'allowed' : 'denied', by: 'person', via, at };
}
