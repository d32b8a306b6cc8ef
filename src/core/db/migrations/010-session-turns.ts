import type { Migration } from '../migrate';

/**
 * Per-turn snapshots of a session's worktree (src/core/git/turns.ts): turn 0 is the baseline taken when the session
 * started, each later turn a commit under refs/codepiper/<session>/<turn> whose parent is the turn before. The files
 * a turn changed are kept as JSON (path, from, additions, deletions, binary) so listing turns runs no git.
 */
export const migration010: Migration = {
  version: 10,
  name: 'session turns',
  up: `
    CREATE TABLE session_turns (
      session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      turn INTEGER NOT NULL,
      at TEXT NOT NULL,
      trigger TEXT NOT NULL,
      root TEXT NOT NULL,
      commit_hash TEXT NOT NULL,
      tree TEXT NOT NULL,
      files TEXT NOT NULL,
      additions INTEGER NOT NULL,
      deletions INTEGER NOT NULL,
      PRIMARY KEY (session_id, turn)
    ) WITHOUT ROWID;
  `,
};
