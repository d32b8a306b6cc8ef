import type { Migration } from '../migrate';

/**
 * Env sets (named sets of variables, each value sealed on its own row: core/seal.ts, context
 * `env-set:<set id>:<name>`), workspaces (a named directory with the defaults sessions started from it get), and what a
 * session keeps of them: the ids of its env sets and, sealed, the values they had when it started (a resume sees what
 * the first start saw), its workspace, and its inline env sealed too.
 *
 * The inline env was plain JSON in sessions.env. Its names move to env_keys here (names are shown, values never); its
 * values are sealed by the daemon right after the migrations (core/sessions/sealed-env.ts), because SQL has no key,
 * and sessions.env is emptied then. A workspace's references to sets have no ON DELETE: a set a workspace uses is not
 * deleted from under it (the services refuse first, naming the workspaces; the foreign key is the backstop).
 */
export const migration011: Migration = {
  version: 11,
  name: 'env sets and workspaces',
  up: `
    CREATE TABLE env_sets (
      id          TEXT PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE,
      description TEXT,
      created_at  TEXT NOT NULL,
      updated_at  TEXT NOT NULL
    ) STRICT;

    CREATE TABLE env_set_vars (
      set_id       TEXT NOT NULL REFERENCES env_sets (id) ON DELETE CASCADE,
      name         TEXT NOT NULL,
      value_sealed TEXT NOT NULL,
      updated_at   TEXT NOT NULL,
      PRIMARY KEY (set_id, name)
    ) STRICT;

    CREATE TABLE workspaces (
      id          TEXT PRIMARY KEY,
      name        TEXT NOT NULL UNIQUE,
      dir         TEXT NOT NULL,
      description TEXT,
      provider    TEXT,
      args        TEXT NOT NULL DEFAULT '[]',
      worktree    INTEGER NOT NULL DEFAULT 0 CHECK (worktree IN (0, 1)),
      created_at  TEXT NOT NULL,
      updated_at  TEXT NOT NULL
    ) STRICT;

    CREATE TABLE workspace_env_sets (
      workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
      env_set_id   TEXT NOT NULL REFERENCES env_sets (id),
      position     INTEGER NOT NULL,
      PRIMARY KEY (workspace_id, env_set_id)
    ) STRICT;
    CREATE INDEX workspace_env_sets_set ON workspace_env_sets (env_set_id);

    CREATE TABLE workspace_policy_sets (
      workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
      policy_set_id TEXT NOT NULL REFERENCES policy_sets (id),
      position      INTEGER NOT NULL,
      PRIMARY KEY (workspace_id, policy_set_id)
    ) STRICT;
    CREATE INDEX workspace_policy_sets_set ON workspace_policy_sets (policy_set_id);

    ALTER TABLE sessions ADD COLUMN env_keys TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE sessions ADD COLUMN env_sealed TEXT;
    ALTER TABLE sessions ADD COLUMN env_set_ids TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE sessions ADD COLUMN env_sets_sealed TEXT;
    ALTER TABLE sessions ADD COLUMN workspace_id TEXT;
    UPDATE sessions SET env_keys = (SELECT json_group_array(key) FROM json_each(sessions.env)) WHERE env != '{}';
  `,
};
