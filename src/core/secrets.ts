import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from './errors';
import { newSealKey, parseSealKey, type SealKey } from './seal';

/** The daemon's secrets file ($CODEPIPER_HOME/secrets.json, 0600). */
export interface Secrets {
  /** Carried by every hook request (x-codepiper-secret) and compared in constant time. */
  hookSecret: string;
  /**
   * The key values kept encrypted at rest are sealed with (see seal.ts): the environment sessions were started with,
   * env sets. Undefined when secrets.json holds a damaged one: what needs it fails with `envKeyProblem`, the rest of
   * the daemon works.
   */
  envKey: SealKey | undefined;
  envKeyProblem?: string;
}

interface SecretsFile {
  hookSecret: string;
  envKey?: unknown;
}

/**
 * Reads the secrets, creating them on first use; the file is replaced atomically and never readable by others. A file
 * from before the env key existed gets one added (its hook secret kept). A damaged env key is left as it is in the
 * file (it may be repaired by hand) and reported through `envKeyProblem`.
 */
export function loadOrCreateSecrets(file: string): Secrets {
  const existing = readSecretsFile(file);
  if (existing && existing.envKey !== undefined) {
    keepPrivate(file);
    return fromFile(file, existing);
  }
  const written: SecretsFile = { hookSecret: existing?.hookSecret ?? crypto.randomBytes(32).toString('base64url'), envKey: newSealKey() };
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  // A temporary file left by a crash keeps its own mode through writeFileSync: it is made anew, exclusively.
  fs.rmSync(temporary, { force: true });
  fs.writeFileSync(temporary, JSON.stringify(written, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  fs.renameSync(temporary, file);
  return fromFile(file, written);
}

/**
 * secrets.json is readable by its owner only: one copied in, or restored from a backup with a wider mode, is narrowed
 * back to 0600 before its key is used (the key opens every sealed value in the database).
 */
function keepPrivate(file: string): void {
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
}

export function readSecrets(file: string): Secrets | undefined {
  const existing = readSecretsFile(file);
  return existing && fromFile(file, existing);
}

function fromFile(file: string, value: SecretsFile): Secrets {
  const envKey = parseSealKey(value.envKey);
  if (envKey) return { hookSecret: value.hookSecret, envKey };
  return {
    hookSecret: value.hookSecret,
    envKey: undefined,
    envKeyProblem: `the envKey in ${file} is damaged (it must be 32 bytes in base64); restore it, or remove the envKey line and restart the daemon to get a new key (sessions started before cannot then be resumed with their environment)`,
  };
}

function readSecretsFile(file: string): SecretsFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('CONFIG_INVALID', `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const value = JSON.parse(text) as Partial<SecretsFile>;
    if (typeof value.hookSecret === 'string' && value.hookSecret.length >= 16) return { hookSecret: value.hookSecret, ...('envKey' in value ? { envKey: value.envKey } : {}) };
  } catch {
    // fall through
  }
  throw new AppError('CONFIG_INVALID', `${file} is damaged; remove it and restart the daemon to get new secrets`);
}

/** Constant-time comparison of a presented secret with the expected one (any length, any input). */
export function secretMatches(presented: unknown, expected: string): boolean {
  if (typeof presented !== 'string') return false;
  const a = crypto.createHash('sha256').update(presented).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}
