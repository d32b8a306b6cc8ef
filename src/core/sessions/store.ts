import type Database from 'better-sqlite3';
import type { Session } from '../api/sessions';
import type { SessionState, StateSource } from './state';

/** A session as stored: what the API shows, with the environment's values instead of only its names. */
export type SessionRecord = Omit<Session, 'envKeys'> & { env: Record<string, string> };

export interface SessionEvent {
  id: number;
  sessionId: string;
  at: string;
  source: string;
  type: string;
  data: Record<string, unknown>;
}

/** How one field of a record is kept in its column. */
interface Column<T> {
  name: string;
  toRow(value: T): unknown;
  fromRow(value: unknown): T;
}

const plain = <T>(name: string): Column<T> => ({ name, toRow: (value) => value, fromRow: (value) => value as T });
const json = <T>(name: string): Column<T> => ({ name, toRow: (value) => JSON.stringify(value), fromRow: (value) => JSON.parse(value as string) as T });
const flag = (name: string): Column<boolean> => ({ name, toRow: (value) => (value ? 1 : 0), fromRow: (value) => value === 1 });

/** Every field of a session record and its column: adding a field means a migration, the API schema and a line here. */
const COLUMNS: { [K in keyof SessionRecord]-?: Column<SessionRecord[K]> } = {
  id: plain('id'),
  name: plain('name'),
  provider: plain('provider'),
  cwd: plain('cwd'),
  args: json('args'),
  env: json('env'),
  dangerousMode: flag('dangerous_mode'),
  billingMode: plain('billing_mode'),
  cols: plain('cols'),
  rows: plain('rows'),
  tmuxSession: plain('tmux_session'),
  agentSessionId: plain('agent_session_id'),
  transcriptPath: plain('transcript_path'),
  state: plain('state'),
  stateSource: plain('state_source'),
  stateSince: plain('state_since'),
  exitCode: plain('exit_code'),
  exitSignal: plain('exit_signal'),
  createdAt: plain('created_at'),
  updatedAt: plain('updated_at'),
};
const FIELDS = Object.keys(COLUMNS) as Array<keyof SessionRecord>;

function fromRow(row: Record<string, unknown>): SessionRecord {
  return Object.fromEntries(FIELDS.map((field) => [field, COLUMNS[field].fromRow(row[COLUMNS[field].name])])) as SessionRecord;
}

function toRow(record: SessionRecord): Record<string, unknown> {
  return Object.fromEntries(FIELDS.map((field) => [COLUMNS[field].name, (COLUMNS[field] as Column<unknown>).toRow(record[field])]));
}

/** Sessions and their events in SQLite, through prepared statements. */
export class SessionStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      insert: db.prepare(`INSERT INTO sessions (${FIELDS.map((field) => COLUMNS[field].name).join(', ')})
        VALUES (${FIELDS.map((field) => `@${COLUMNS[field].name}`).join(', ')})`),
      get: db.prepare('SELECT * FROM sessions WHERE id = ?'),
      all: db.prepare('SELECT * FROM sessions ORDER BY created_at, id'),
      byName: db.prepare('SELECT * FROM sessions WHERE name = ?'),
      byPrefix: db.prepare('SELECT * FROM sessions WHERE substr(id, 1, length(@prefix)) = @prefix ORDER BY id LIMIT 2'),
      setState: db.prepare(`UPDATE sessions SET state = @state, state_source = @source, state_since = @since, exit_code = @exit_code,
        exit_signal = @exit_signal, updated_at = @since WHERE id = @id`),
      deleteEvents: db.prepare('DELETE FROM session_events WHERE session_id = ?'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
      setName: db.prepare('UPDATE sessions SET name = ?, updated_at = ? WHERE id = ?'),
      setSize: db.prepare('UPDATE sessions SET cols = ?, rows = ?, updated_at = ? WHERE id = ?'),
      setAgentId: db.prepare('UPDATE sessions SET agent_session_id = ?, updated_at = ? WHERE id = ?'),
      setTranscript: db.prepare('UPDATE sessions SET transcript_path = ?, updated_at = ? WHERE id = ?'),
      addEvent: db.prepare('INSERT INTO session_events (session_id, at, source, type, data) VALUES (?, ?, ?, ?, ?)'),
      events: db.prepare(`SELECT * FROM session_events WHERE session_id = @id AND (@source IS NULL OR source = @source)
        ORDER BY id LIMIT @limit OFFSET @offset`),
      countEvents: db.prepare('SELECT count(*) AS n FROM session_events WHERE session_id = @id AND (@source IS NULL OR source = @source)'),
    };
  }

  insert(record: SessionRecord): void {
    this.statements.insert.run(toRow(record));
  }

  get(id: string): SessionRecord | undefined {
    const row = this.statements.get.get(id) as Record<string, unknown> | undefined;
    return row && fromRow(row);
  }

  all(): SessionRecord[] {
    return (this.statements.all.all() as Array<Record<string, unknown>>).map(fromRow);
  }

  byName(name: string): SessionRecord | undefined {
    const row = this.statements.byName.get(name) as Record<string, unknown> | undefined;
    return row && fromRow(row);
  }

  /** Up to two sessions whose id starts with `prefix` (two means ambiguous). */
  byPrefix(prefix: string): SessionRecord[] {
    return (this.statements.byPrefix.all({ prefix }) as Array<Record<string, unknown>>).map(fromRow);
  }

  setState(id: string, state: SessionState, source: StateSource, since: string, exit: { code: number | null; signal: number | null }): void {
    this.statements.setState.run({ id, state, source, since, exit_code: exit.code, exit_signal: exit.signal });
  }

  /** Removes a session and its events, together or not at all. */
  delete(id: string): void {
    this.db.transaction(() => {
      this.statements.deleteEvents.run(id);
      this.statements.deleteSession.run(id);
    })();
  }

  setName(id: string, name: string | null, at: string): void {
    this.statements.setName.run(name, at, id);
  }

  setSize(id: string, cols: number, rows: number, at: string): void {
    this.statements.setSize.run(cols, rows, at, id);
  }

  setTranscriptPath(id: string, transcriptPath: string, at: string): void {
    this.statements.setTranscript.run(transcriptPath, at, id);
  }

  setAgentSessionId(id: string, agentSessionId: string, at: string): void {
    this.statements.setAgentId.run(agentSessionId, at, id);
  }

  addEvent(sessionId: string, at: string, source: string, type: string, data: Record<string, unknown>): SessionEvent {
    const info = this.statements.addEvent.run(sessionId, at, source, type, JSON.stringify(data));
    return { id: Number(info.lastInsertRowid), sessionId, at, source, type, data };
  }

  events(id: string, options: { source?: string | undefined; limit: number; offset: number }): { events: SessionEvent[]; total: number } {
    const params = { id, source: options.source ?? null, limit: options.limit, offset: options.offset };
    const rows = this.statements.events.all(params) as Array<{ id: number; session_id: string; at: string; source: string; type: string; data: string }>;
    const total = (this.statements.countEvents.get(params) as { n: number }).n;
    return {
      total,
      events: rows.map((row) => ({ id: row.id, sessionId: row.session_id, at: row.at, source: row.source, type: row.type, data: JSON.parse(row.data) })),
    };
  }
}
