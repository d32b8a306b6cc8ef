import type { Migration } from '../migrate';

/** Policies, policy sets and their use by sessions, and the audit log of every decision. */
export const migration003: Migration = {
  version: 3,
  name: 'policies',
  up: `
    CREATE TABLE policies (
      id          TEXT PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE,
      description TEXT,
      enabled     INTEGER NOT NULL,
      priority    INTEGER NOT NULL,
      session_id  TEXT REFERENCES sessions (id) ON DELETE CASCADE,
      rules       TEXT NOT NULL,
      created_at  TEXT NOT NULL,
      updated_at  TEXT NOT NULL
    ) STRICT;
    CREATE INDEX policies_session ON policies (session_id);

    CREATE TABLE policy_sets (
      id          TEXT PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE,
      description TEXT,
      is_default  INTEGER NOT NULL DEFAULT 0,
      created_at  TEXT NOT NULL,
      updated_at  TEXT NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX policy_sets_one_default ON policy_sets (is_default) WHERE is_default = 1;

    CREATE TABLE policy_set_members (
      set_id    TEXT NOT NULL REFERENCES policy_sets (id) ON DELETE CASCADE,
      policy_id TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
      added_at  TEXT NOT NULL,
      PRIMARY KEY (set_id, policy_id)
    ) STRICT;

    CREATE TABLE session_policy_sets (
      session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
      set_id     TEXT NOT NULL REFERENCES policy_sets (id) ON DELETE CASCADE,
      added_at   TEXT NOT NULL,
      PRIMARY KEY (session_id, set_id)
    ) STRICT;

    -- The audit log outlives what it names: no foreign keys, so deleting a policy or a session keeps its decisions.
    CREATE TABLE policy_decisions (
      id          INTEGER PRIMARY KEY,
      at          TEXT NOT NULL,
      session_id  TEXT,
      event       TEXT NOT NULL,
      policy_id   TEXT,
      policy_name TEXT,
      rule_index  INTEGER,
      tool        TEXT NOT NULL,
      args        TEXT NOT NULL,
      decision    TEXT NOT NULL,
      reason      TEXT NOT NULL
    ) STRICT;
    CREATE INDEX policy_decisions_session ON policy_decisions (session_id, id);
    CREATE INDEX policy_decisions_at ON policy_decisions (at);
  `,
};
