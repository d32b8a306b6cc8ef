import Database from 'better-sqlite3';
import { permissionError } from '../paths';
import { storageError } from './storage-error';
import { migrate, refuseIfNewer, type Migration } from './migrate';
import { migrations as allMigrations } from './migrations';

export interface OpenOptions {
  /** For tests of the migration machinery; the real list otherwise. */
  migrations?: readonly Migration[];
  readonly?: boolean;
}

/**
 * Opens (creating if needed) CodePiper's database with the settings every connection must have, then brings its
 * schema up to date. WAL lets readers (the CLI's doctor, later analytics) run while the daemon writes.
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (error) {
    throw storageError(error, file) ?? permissionError(error, file) ?? error;
  }
  try {
    db.pragma('busy_timeout = 5000');
    const list = options.migrations ?? allMigrations;
    // Before any pragma that writes (journal_mode changes the file header): a newer database stays byte for byte.
    refuseIfNewer(db, list, file);
    db.pragma('foreign_keys = ON');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db, list, file);
    }
    return db;
  } catch (error) {
    db.close();
    // A migration that failed for want of space says so, not only that it failed.
    throw storageError(error, file) ?? storageError((error as Error).cause, file) ?? error;
  }
}
