import type { Migration } from '../migrate';

/**
 * Web login and API tokens (core/auth). One account: a single row holds the person's password (argon2id), the
 * bootstrap password while setup is pending (SHA-256 of a random secret; dead after setup), and the TOTP secret,
 * sealed (core/seal.ts, context `auth:totp`), with the last time step accepted so a code is never taken twice.
 * Login sessions and tokens are kept as SHA-256 hashes of their random values only; a login session has a short
 * public handle to be listed and named by. Failed logins count per key ('account', 'ip:<address>') toward lockouts.
 * A token's name is unique among the tokens not revoked, so a name can be given again once its token is revoked.
 */
export const migration012: Migration = {
  version: 12,
  name: 'auth',
  up: `
    CREATE TABLE auth_account (
      id                 INTEGER PRIMARY KEY CHECK (id = 1),
      password_hash      TEXT,
      bootstrap_hash     TEXT,
      bootstrap_at       TEXT,
      setup_at           TEXT,
      password_at        TEXT,
      mfa_secret_sealed  TEXT,
      mfa_pending_sealed TEXT,
      mfa_enabled_at     TEXT,
      mfa_last_step      INTEGER
    ) STRICT;
    INSERT INTO auth_account (id) VALUES (1);

    CREATE TABLE auth_recovery_codes (
      code_hash TEXT PRIMARY KEY,
      created_at TEXT NOT NULL,
      used_at   TEXT
    ) STRICT;

    CREATE TABLE auth_sessions (
      id_hash      TEXT PRIMARY KEY,
      handle       TEXT NOT NULL UNIQUE,
      created_at   TEXT NOT NULL,
      last_seen_at TEXT NOT NULL,
      expires_at   TEXT NOT NULL,
      ip           TEXT,
      user_agent   TEXT,
      revoked_at   TEXT
    ) STRICT;

    CREATE TABLE auth_failures (
      id  INTEGER PRIMARY KEY,
      key TEXT NOT NULL,
      at  TEXT NOT NULL
    ) STRICT;
    CREATE INDEX auth_failures_key ON auth_failures (key, at);

    CREATE TABLE auth_lockouts (
      key   TEXT PRIMARY KEY,
      until TEXT NOT NULL
    ) STRICT;

    CREATE TABLE api_tokens (
      id           TEXT PRIMARY KEY,
      name         TEXT NOT NULL,
      scope        TEXT NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
      token_hash   TEXT NOT NULL UNIQUE,
      prefix       TEXT NOT NULL,
      created_at   TEXT NOT NULL,
      expires_at   TEXT,
      last_used_at TEXT,
      revoked_at   TEXT
    ) STRICT;
    CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;

    CREATE TABLE auth_audit (
      id        INTEGER PRIMARY KEY,
      at        TEXT NOT NULL,
      event     TEXT NOT NULL,
      outcome   TEXT NOT NULL,
      ip        TEXT,
      principal TEXT,
      detail    TEXT
    ) STRICT;
  `,
};
