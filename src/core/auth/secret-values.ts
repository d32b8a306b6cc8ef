import crypto from 'node:crypto';

/**
 * The random values auth hands out (login session ids, API tokens, the bootstrap password, recovery codes) and how
 * they are kept: only a SHA-256 of each. They carry 100 to 256 random bits, so a fast hash is enough (a slow one is
 * for what a person chooses: passwords.ts).
 */

export function sha256(value: string): string {
  return crypto.createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** A 256-bit random value in base64url (43 characters). */
export function random256(): string {
  return crypto.randomBytes(32).toString('base64url');
}

const BASE32 = 'abcdefghijkmnpqrstuvwxyz23456789';

/**
 * Something a person reads off a screen and types: groups of lowercase letters and digits without the look-alikes
 * (l, o, 0, 1), each character 5 bits. `readable(4, 5)` is 100 bits: "k3mzq-8wrte-…".
 */
export function readable(groups: number, size: number): string {
  const bytes = crypto.randomBytes(groups * size);
  const chars = [...bytes].map((byte) => BASE32[byte & 31]!);
  const parts: string[] = [];
  for (let i = 0; i < groups; i++) parts.push(chars.slice(i * size, (i + 1) * size).join(''));
  return parts.join('-');
}

/** How a person may type a readable value back: case, spaces and dashes do not matter. */
export function normaliseReadable(value: string): string {
  return value.toLowerCase().replace(/[\s-]+/g, '');
}
