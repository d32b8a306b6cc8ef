import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ApiToken } from '../api/tokens';
import { TOKEN_LIFETIME_PATTERN } from '../api/tokens';
import { AppError } from '../errors';
import type { AuthAudit, AuditFields } from './audit';
import { random256, sha256 } from './secret-values';
import type { Grant, Scope } from './types';

/** Every token starts so, which makes one easy to recognise (and for a secret scanner to find). */
export const TOKEN_PREFIX = 'cpt_';
/** `cpt_` and the first 8 characters of the random part: enough to tell tokens apart, far too little to guess one. */
const SHOWN_PREFIX_LENGTH = TOKEN_PREFIX.length + 8;
/** A token's last use is written at most this often, so requests read without writing. */
export const LAST_USED_EVERY_MS = 60_000;

interface TokenRow {
  id: string;
  name: string;
  scope: Scope;
  token_hash: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const MAX_LIFETIME_MS = 3650 * UNIT_MS.d;

/** `30d` → milliseconds; a clear error for anything else. */
export function tokenLifetimeMs(text: string): number {
  const match = TOKEN_LIFETIME_PATTERN.exec(text);
  if (!match) throw new AppError('VALIDATION_FAILED', `expiresIn: "${text}" is not a lifetime (30m, 12h, 30d or 8w)`);
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms > MAX_LIFETIME_MS) throw new AppError('VALIDATION_FAILED', `expiresIn: "${text}" is longer than ten years; leave it out for a token that never expires`);
  return ms;
}

/**
 * API tokens: `cpt_` and 256 random bits, shown once when made and kept only as a SHA-256. Revoking marks the row
 * (so a request with it is told it was revoked), and frees the name for a new token.
 */
export class TokenService {
  private readonly sql;

  constructor(
    db: Database.Database,
    private readonly now: () => Date,
    private readonly audit: AuthAudit,
  ) {
    this.sql = {
      live: db.prepare<[], TokenRow>('SELECT * FROM api_tokens WHERE revoked_at IS NULL ORDER BY name'),
      byHash: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE token_hash = ?'),
      liveById: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE id = ? AND revoked_at IS NULL'),
      liveByName: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE name = ? AND revoked_at IS NULL'),
      insert: db.prepare(
        'INSERT INTO api_tokens (id, name, scope, token_hash, prefix, created_at, expires_at) VALUES (@id, @name, @scope, @hash, @prefix, @createdAt, @expiresAt)',
      ),
      revoke: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      used: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?'),
    };
  }

  list(): ApiToken[] {
    return this.sql.live.all().map((row) => this.toApi(row));
  }

  create(input: { name: string; scope: Scope; expiresIn?: string | undefined }, who: AuditFields): ApiToken & { token: string } {
    const now = this.now();
    const expiresAt = input.expiresIn === undefined ? null : new Date(now.getTime() + tokenLifetimeMs(input.expiresIn)).toISOString();
    if (this.sql.liveByName.get(input.name)) throw new AppError('NAME_TAKEN', `a token named "${input.name}" exists; revoke it first or choose another name`);
    const token = TOKEN_PREFIX + random256();
    const row = { id: `tok_${crypto.randomBytes(5).toString('hex')}`, name: input.name, scope: input.scope, hash: sha256(token), prefix: token.slice(0, SHOWN_PREFIX_LENGTH), createdAt: now.toISOString(), expiresAt };
    this.sql.insert.run(row);
    this.audit.record('token-create', 'ok', { ...who, detail: `${input.name} (${input.scope}${expiresAt ? `, expires ${expiresAt}` : ''})` });
    return { ...this.toApi(this.sql.liveById.get(row.id)!), token };
  }

  /** By id or name. */
  revoke(ref: string, who: AuditFields): ApiToken {
    const row = this.sql.liveById.get(ref) ?? this.sql.liveByName.get(ref);
    if (!row) throw new AppError('TOKEN_NOT_FOUND', `no API token "${ref}" (by id or name) that is not already revoked; see codepiper token list`);
    this.sql.revoke.run(this.now().toISOString(), row.id);
    this.audit.record('token-revoke', 'ok', { ...who, detail: `${row.name} (${row.id})` });
    return this.toApi(row);
  }

  /** The grant a bearer token carries; AUTH_REQUIRED naming why when it is unknown, expired or revoked. */
  authenticate(bearer: string): Grant {
    const row = bearer.startsWith(TOKEN_PREFIX) ? this.sql.byHash.get(sha256(bearer)) : undefined;
    if (!row) throw new AppError('AUTH_REQUIRED', 'this API token is not known (mistyped, or from another daemon); create one with codepiper token create');
    if (row.revoked_at) throw new AppError('AUTH_REQUIRED', `the API token "${row.name}" was revoked`);
    const now = this.now();
    if (row.expires_at && row.expires_at <= now.toISOString()) throw new AppError('AUTH_REQUIRED', `the API token "${row.name}" expired at ${row.expires_at}`);
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) >= LAST_USED_EVERY_MS) this.sql.used.run(now.toISOString(), row.id);
    return { scope: row.scope, principal: { kind: 'token', tokenId: row.id, name: row.name } };
  }

  private toApi(row: TokenRow): ApiToken {
    return {
      id: row.id,
      name: row.name,
      scope: row.scope,
      prefix: row.prefix,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      lastUsedAt: row.last_used_at,
      expired: row.expires_at !== null && row.expires_at <= this.now().toISOString(),
    };
  }
}
