import type { Migration } from '../migrate';

/** Agent sessions and their event log (state changes, input, lifecycle), kept across daemon restarts. */
export const migration002: Migration = {
  version: 2,
  name: 'sessions',
  up: `
    CREATE TABLE sessions (
      id               TEXT PRIMARY KEY,
      name             TEXT,
      provider         TEXT NOT NULL,
      cwd              TEXT NOT NULL,
      args             TEXT NOT NULL DEFAULT '[]',
      env              TEXT NOT NULL DEFAULT '{}',
      dangerous_mode   INTEGER NOT NULL DEFAULT 0,
      billing_mode     TEXT,
      cols             INTEGER NOT NULL,
      rows             INTEGER NOT NULL,
      tmux_session     TEXT NOT NULL,
      agent_session_id TEXT,
      state            TEXT NOT NULL,
      state_source     TEXT NOT NULL,
      state_since      TEXT NOT NULL,
      exit_code        INTEGER,
      exit_signal      INTEGER,
      created_at       TEXT NOT NULL,
      updated_at       TEXT NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX sessions_name ON sessions (name) WHERE name IS NOT NULL;
    CREATE INDEX sessions_state ON sessions (state);

    CREATE TABLE session_events (
      id         INTEGER PRIMARY KEY,
      session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      at         TEXT NOT NULL,
      source     TEXT NOT NULL,
      type       TEXT NOT NULL,
      data       TEXT NOT NULL DEFAULT '{}'
    ) STRICT;
    CREATE INDEX session_events_session ON session_events (session_id, id);
  `,
};
