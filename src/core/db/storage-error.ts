import { AppError } from '../errors';

/** SQLite's result codes (better-sqlite3 puts them in `.code`, extended ones included) that say the storage failed. */
const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);
const UNWRITABLE_CODES = new Set(['EROFS', 'EACCES', 'EPERM']);

/**
 * Turns a failure of the storage under CodePiper (the disk is full, the filesystem is read-only, the database file
 * cannot be opened) into an AppError that names the path and the cause; undefined for anything else. Both SQLite's
 * errors and Node's file errors go through here, so a write anywhere says the same thing.
 */
export function storageError(error: unknown, target: string): AppError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  const base = code.startsWith('SQLITE_') ? code.replace(/^(SQLITE_[A-Z]+?)(_[A-Z_]+)?$/, '$1') : code;
  if (FULL_CODES.has(base)) {
    return new AppError('STORAGE_FULL', `no space left to write ${target} (${code}): free some disk space and retry`, {
      details: { path: target, cause: code },
      cause: error,
    });
  }
  if (base === 'SQLITE_READONLY' || base === 'SQLITE_CANTOPEN' || base === 'SQLITE_PERM' || UNWRITABLE_CODES.has(base)) {
    const why = base === 'SQLITE_CANTOPEN' ? 'cannot be opened' : 'cannot be written';
    return new AppError(
      'STORAGE_UNAVAILABLE',
      `${target} ${why} (${code}): check that the filesystem is writable and the file and its directory are yours, or point CODEPIPER_HOME elsewhere`,
      { details: { path: target, cause: code }, cause: error },
    );
  }
  return undefined;
}
