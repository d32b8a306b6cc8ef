import type Database from 'better-sqlite3';
import type { Logger } from '../log';
import { seal, type SealKey } from '../seal';

/**
 * What each sealed part of a session's environment is authenticated as: its session and its purpose. A value copied
 * to another session's row, or to another column of the same row, does not open there.
 */
export const SEALED_PARTS = {
  /** The caller's own environment (what the agent starts from). */
  callerEnv: (id: string) => `session:${id}:caller-env`,
  /** The values of the session's env sets as they were when it started, layered. */
  envSets: (id: string) => `session:${id}:env-sets`,
  /** The session's inline env (create's `env`). */
  env: (id: string) => `session:${id}:env`,
} as const;

/**
 * Seals the inline env of sessions stored before it was kept sealed (plain JSON in sessions.env) and empties the
 * plain column: run by the daemon right after the migrations, since a migration is SQL and has no key. Idempotent:
 * a sealed row has '{}' there and is not touched again. The plain bytes must leave the files, not only the rows: every
 * earlier rewrite of such a row (each state change) left copies in freed space, so once rows were sealed the database
 * is rebuilt (VACUUM, once, on the upgrade) and the write-ahead log folded back and truncated. Returns how many
 * sessions were sealed.
 */
export function sealPlainSessionEnvironments(db: Database.Database, key: SealKey | undefined, log?: Logger): number {
  const rows = db.prepare("SELECT id, env FROM sessions WHERE env != '{}'").all() as Array<{ id: string; env: string }>;
  if (rows.length === 0) return 0;
  if (!key) {
    log?.error(`${rows.length} session(s) keep their env in plain text until the env key in secrets.json is usable again`);
    return 0;
  }
  const secureDelete = db.pragma('secure_delete', { simple: true }) as number;
  db.pragma('secure_delete = ON');
  try {
    const update = db.prepare("UPDATE sessions SET env_sealed = ?, env = '{}' WHERE id = ? AND env = ?");
    db.transaction(() => {
      for (const row of rows) update.run(seal(key, row.env, SEALED_PARTS.env(row.id)), row.id, row.env);
    })();
    // A rebuilt file has no freed space left holding old copies; the checkpoint overwrites the main file with it.
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.pragma(`secure_delete = ${secureDelete}`);
  }
  log?.info(`sealed the env of ${rows.length} session(s) stored in plain text by an earlier version`);
  return rows.length;
}
