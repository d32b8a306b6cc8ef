import type { Migration } from '../migrate';

/**
 * What became of each audited question: its outcome (allowed, denied, timed_out, session_ended; pending while
 * nobody has answered), who settled it (policy, a person, or the agent's own permission settings), through what
 * (cli, tui, api, agent-ui) and when; and what links a question to the agent's later events about it (the tool call's
 * id, and when the agent showed it to the person). Rows written before this keep NULL outcomes: shown as unknown.
 * The partial index holds only open questions, so settling them stays cheap however long the log grows.
 */
export const migration008: Migration = {
  version: 8,
  name: 'audit outcomes',
  up: `
    ALTER TABLE policy_decisions ADD COLUMN tool_use_id TEXT;
    ALTER TABLE policy_decisions ADD COLUMN asked_at TEXT;
    ALTER TABLE policy_decisions ADD COLUMN outcome TEXT;
    ALTER TABLE policy_decisions ADD COLUMN outcome_by TEXT;
    ALTER TABLE policy_decisions ADD COLUMN outcome_via TEXT;
    ALTER TABLE policy_decisions ADD COLUMN outcome_at TEXT;
    CREATE INDEX policy_decisions_pending ON policy_decisions (session_id, id) WHERE outcome = 'pending';
  `,
};
