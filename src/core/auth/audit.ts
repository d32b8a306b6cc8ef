import type Database from 'better-sqlite3';
import type { AuthLogEntry } from '../api/auth';

type AuthEvent = AuthLogEntry['event'];
type AuthOutcome = AuthLogEntry['outcome'];

export interface AuditFields {
  ip?: string | undefined;
  principal?: string | undefined;
  /** Why, in a few words; never a secret (no password, code or token, not even part of one). */
  detail?: string | undefined;
}

/** The auth audit log: who tried what, from where, and what came of it. */
export class AuthAudit {
  private readonly sql;

  constructor(
    db: Database.Database,
    private readonly now: () => Date,
  ) {
    this.sql = {
      insert: db.prepare('INSERT INTO auth_audit (at, event, outcome, ip, principal, detail) VALUES (?, ?, ?, ?, ?, ?)'),
      recent: db.prepare<[number], AuthLogEntry>('SELECT id, at, event, outcome, ip, principal, detail FROM auth_audit ORDER BY id DESC LIMIT ?'),
      recentOf: db.prepare<[string, number], AuthLogEntry>('SELECT id, at, event, outcome, ip, principal, detail FROM auth_audit WHERE event = ? ORDER BY id DESC LIMIT ?'),
    };
  }

  record(event: AuthEvent, outcome: AuthOutcome, fields: AuditFields = {}): void {
    this.sql.insert.run(this.now().toISOString(), event, outcome, fields.ip ?? null, fields.principal ?? null, fields.detail ?? null);
  }

  /** Newest first. */
  list(limit: number, event?: AuthEvent): AuthLogEntry[] {
    return event ? this.sql.recentOf.all(event, limit) : this.sql.recent.all(limit);
  }
}
