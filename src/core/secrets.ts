import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from './errors';

/** The daemon's secrets file ($CODEPIPER_HOME/secrets.json, 0600). */
export interface Secrets {
  /** Carried by every hook request (x-codepiper-secret) and compared in constant time. */
  hookSecret: string;
}

/** Reads the secrets, creating them on first use; the file is replaced atomically and never readable by others. */
export function loadOrCreateSecrets(file: string): Secrets {
  const existing = readSecrets(file);
  if (existing) return existing;
  const secrets: Secrets = { hookSecret: crypto.randomBytes(32).toString('base64url') };
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(temporary, file);
  return secrets;
}

export function readSecrets(file: string): Secrets | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AppError('CONFIG_INVALID', `cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const value = JSON.parse(text) as Partial<Secrets>;
    if (typeof value.hookSecret === 'string' && value.hookSecret.length >= 16) return { hookSecret: value.hookSecret };
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
