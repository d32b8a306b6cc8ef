import type Database from 'better-sqlite3';
import { AppError } from '../errors';

export interface Migration {
  /** 1, 2, 3...: becomes PRAGMA user_version once applied. */
  version: number;
  name: string;
  up: string;
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Throws DATABASE_TOO_NEW, before anything is written, when the database is ahead of `migrations`. */
export function refuseIfNewer(db: Database.Database, migrations: readonly Migration[], file = db.name): number {
  const latest = migrations.length;
  const current = schemaVersion(db);
  if (current > latest) {
    throw new AppError(
      'DATABASE_TOO_NEW',
      `database ${file} has schema version ${current}, newer than this codepiper understands (${latest}): ` +
        'upgrade codepiper, or move the database aside to start afresh',
      { details: { file, version: current, supported: latest } },
    );
  }
  return current;
}

/**
 * Applies the migrations newer than the database, each in its own transaction together with its user_version, so a
 * failure leaves the database at the last good version. A database newer than this code is refused untouched.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[], file = db.name): number {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration list is out of order: position ${index + 1} holds version ${migration.version}`);
    }
  });
  const latest = migrations.length;
  const current = refuseIfNewer(db, migrations, file);
  for (const migration of migrations.slice(current)) {
    const apply = db.transaction(() => {
      db.exec(migration.up);
      db.pragma(`user_version = ${migration.version}`);
    });
    try {
      apply.immediate();
    } catch (error) {
      throw new AppError(
        'MIGRATION_FAILED',
        `migration ${migration.version} (${migration.name}) failed on ${file}: ${(error as Error).message}; the database stays at version ${schemaVersion(db)}`,
        { cause: error },
      );
    }
  }
  return latest;
}
