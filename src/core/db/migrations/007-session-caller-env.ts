import type { Migration } from '../migrate';

/**
 * Whose environment a session's agent starts from: its caller's (the CLI and the dashboard send theirs) or the
 * daemon's, whether only the clean allowlist of it was kept, and the caller's environment itself, sealed with the env
 * key of secrets.json (see core/seal.ts) so that a resume starts from exactly what the first start did. Sessions from
 * before started from the daemon's.
 */
export const migration007: Migration = {
  version: 7,
  name: 'session caller environment',
  up: `
    ALTER TABLE sessions ADD COLUMN env_from TEXT NOT NULL DEFAULT 'daemon' CHECK (env_from IN ('caller', 'daemon'));
    ALTER TABLE sessions ADD COLUMN clean_env INTEGER NOT NULL DEFAULT 0 CHECK (clean_env IN (0, 1));
    ALTER TABLE sessions ADD COLUMN caller_env_sealed TEXT;
  `,
};
