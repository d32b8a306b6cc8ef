import { hash, verify } from '@node-rs/argon2';

/**
 * The person's password, hashed with argon2id (the library's default algorithm, with its default cost: 19 MiB and
 * 2 passes, OWASP's recommendation) in the PHC string format, which carries its own salt and parameters.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    // A damaged hash verifies nothing.
    return false;
  }
}
