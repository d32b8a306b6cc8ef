/** What an agent is doing, as far as CodePiper can tell. */
export const SESSION_STATES = ['starting', 'running', 'idle', 'needs_input', 'needs_permission', 'stopped', 'crashed'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** Where a state came from: the process table, the screen, or (later) the agent's own hooks. */
export const STATE_SOURCES = ['process', 'screen', 'hook'] as const;
export type StateSource = (typeof STATE_SOURCES)[number];

export const ENDED_STATES: ReadonlySet<SessionState> = new Set(['stopped', 'crashed']);
export const LIVE_STATES: ReadonlySet<SessionState> = new Set(SESSION_STATES.filter((state) => !ENDED_STATES.has(state)));

export function isLive(state: SessionState): boolean {
  return LIVE_STATES.has(state);
}

/**
 * The state machine: starting → running ⇄ idle ⇄ needs_input | needs_permission → stopped | crashed, and back to
 * starting on resume. Any live state may end; an ended state only leaves through a resume.
 */
export function canTransition(from: SessionState, to: SessionState): boolean {
  if (from === to) return false;
  if (ENDED_STATES.has(from)) return to === 'starting';
  if (to === 'starting') return false;
  return true;
}

/** Exit status → state: 0 is a clean stop; anything else, or a signal, a crash. A stop the user asked for is a stop. */
export function stateForExit(exit: { status?: number | undefined; signal?: number | undefined }, stopRequested: boolean): SessionState {
  if (stopRequested) return 'stopped';
  return exit.signal === undefined && exit.status === 0 ? 'stopped' : 'crashed';
}
