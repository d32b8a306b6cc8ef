import crypto from 'node:crypto';
import { AppError } from './errors';

/**
 * Values kept encrypted at rest (a session's caller environment, env sets): AES-256-GCM with a 32-byte key from
 * secrets.json. A sealed value is one line of text, `v1.<iv>.<tag>.<ciphertext>` (base64url), so it fits a TEXT
 * column. The context names what the value is and whose (`session:<id>:env`): it is authenticated with the value, so
 * a sealed value moved to another row (or another purpose) does not open there.
 */

export const SEAL_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

export type SealKey = Buffer;

export function newSealKey(): string {
  return crypto.randomBytes(SEAL_KEY_BYTES).toString('base64url');
}

/** The key as secrets.json holds it (base64url or base64 of 32 bytes), or undefined when it is not one. */
export function parseSealKey(text: unknown): SealKey | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_+/-]+={0,2}$/.test(text)) return undefined;
  const key = Buffer.from(text, 'base64url');
  return key.length === SEAL_KEY_BYTES ? key : undefined;
}

export function seal(key: SealKey, plaintext: string, context: string): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

/**
 * The plaintext of a sealed value. A value sealed with another key, for another context, or changed in any byte
 * fails with SEALED_VALUE_UNREADABLE; the message never quotes the value.
 */
export function unseal(key: SealKey, sealed: string, context: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw unreadable('it is not a sealed value of a known version');
  const [iv, tag, body] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'));
  if (iv!.length !== IV_BYTES || tag!.length !== TAG_BYTES) throw unreadable('it is truncated');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv!);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag!);
    return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
  } catch {
    throw unreadable('it was sealed with another key (secrets.json was replaced?) or changed since');
  }
}

function unreadable(why: string): AppError {
  return new AppError('SEALED_VALUE_UNREADABLE', `it cannot be decrypted: ${why}`);
}
