import type Database from 'better-sqlite3';
import type { Session } from '../api/sessions';
import type { SessionWorktree } from '../api/worktrees';
import type { SessionState, StateSource } from './state';

/**
 * A session as stored: what the API shows. The values of its environment are not part of it: they are sealed in
 * columns of their own (SealedEnvironment), read only to resume the session.
 */
export type SessionRecord = Session;

/**
 * The sealed parts of a session's environment (core/seal.ts), each authenticated for its session and purpose
 * (sealed-env.ts): its caller's environment, the values of its env sets at start, its inline env. `plainEnv` is an
 * inline env from before it was sealed, still there only when the daemon had no usable key to seal it with.
 */
export interface SealedEnvironment {
  callerEnv: string | null;
  envSets: string | null;
  env: string | null;
  plainEnv?: Record<string, string> | null;
}

export interface SessionEvent {
  id: number;
  sessionId: string;
  at: string;
  source: string;
  type: string;
  data: Record<string, unknown>;
}

/**
 * How each field of a session record is kept: its column, and for the fields SQLite cannot hold as they are, how
 * they are stored (`json`: JSON text; `flag`: 0 or 1). Adding a field means a migration, the API schema and a line
 * here; the compiler refuses a record field without one.
 */
const COLUMNS: { [K in keyof SessionRecord]-?: { column: string; stored?: 'json' | 'flag' | 'worktree' } } = {
  id: { column: 'id' },
  name: { column: 'name' },
  provider: { column: 'provider' },
  cwd: { column: 'cwd' },
  args: { column: 'args', stored: 'json' },
  envKeys: { column: 'env_keys', stored: 'json' },
  envSetIds: { column: 'env_set_ids', stored: 'json' },
  workspaceId: { column: 'workspace_id' },
  envFrom: { column: 'env_from' },
  cleanEnv: { column: 'clean_env', stored: 'flag' },
  dangerousMode: { column: 'dangerous_mode', stored: 'flag' },
  billingMode: { column: 'billing_mode' },
  cols: { column: 'cols' },
  rows: { column: 'rows' },
  tmuxSession: { column: 'tmux_session' },
  agentSessionId: { column: 'agent_session_id' },
  transcriptPath: { column: 'transcript_path' },
  state: { column: 'state' },
  stateSource: { column: 'state_source' },
  stateSince: { column: 'state_since' },
  exitCode: { column: 'exit_code' },
  exitSignal: { column: 'exit_signal' },
  createdAt: { column: 'created_at' },
  updatedAt: { column: 'updated_at' },
  // Seven columns (see WORKTREE_COLUMNS), null together for a session without a worktree.
  worktree: { column: 'worktree_path', stored: 'worktree' },
};

/** The worktree's fields and their columns (migration 009). */
const WORKTREE_COLUMNS: { [K in keyof SessionWorktree]-?: string } = {
  repoRoot: 'worktree_repo_root',
  path: 'worktree_path',
  branch: 'worktree_branch',
  baseRef: 'worktree_base_ref',
  baseCommit: 'worktree_base_commit',
  createdBranch: 'worktree_created_branch',
  removedAt: 'worktree_removed_at',
};
const WORKTREE_FIELDS = Object.keys(WORKTREE_COLUMNS) as Array<keyof SessionWorktree>;
/** The worktree read as one JSON object by SQLite itself, so a row still comes back shaped as a record. */
const WORKTREE_SELECT =
  `CASE WHEN worktree_path IS NULL THEN NULL ELSE json_object(${WORKTREE_FIELDS.map((field) => `'${field}', ${WORKTREE_COLUMNS[field]}`).join(', ')}) END`;

/** The columns one field is stored in. */
function columnsOf(field: keyof SessionRecord): string[] {
  return COLUMNS[field].stored === 'worktree' ? Object.values(WORKTREE_COLUMNS) : [COLUMNS[field].column];
}
const FIELDS = Object.keys(COLUMNS) as Array<keyof SessionRecord>;
/** The fields whose stored form differs from their value. */
const CONVERTED = FIELDS.filter((field) => COLUMNS[field].stored !== undefined);
/**
 * Every column under its field's name: SQLite hands back rows already shaped as records (fast objects, built
 * natively), and only the converted fields are touched afterwards. A list of 100 sessions is read on every GET.
 */
const SELECT = `SELECT ${FIELDS.map((field) => `${COLUMNS[field].stored === 'worktree' ? WORKTREE_SELECT : COLUMNS[field].column} AS "${field}"`).join(', ')} FROM sessions`;

/** A row of SELECT, its converted fields turned back into values, in place. */
function fromRow(row: Record<string, unknown>): SessionRecord {
  for (const field of CONVERTED) {
    const stored = COLUMNS[field].stored;
    if (stored === 'json') row[field] = JSON.parse(row[field] as string);
    else if (stored === 'flag') row[field] = row[field] === 1;
    else if (row[field] !== null) {
      const worktree = JSON.parse(row[field] as string) as Record<string, unknown>;
      worktree.createdBranch = worktree.createdBranch === 1;
      row[field] = worktree;
    }
  }
  return row as SessionRecord;
}

function toRow(record: SessionRecord): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const { column, stored } = COLUMNS[field];
    if (stored === 'worktree') {
      const worktree = record.worktree;
      for (const part of WORKTREE_FIELDS) {
        const value = worktree ? worktree[part] : null;
        row[WORKTREE_COLUMNS[part]] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      }
      continue;
    }
    row[column] = stored === 'json' ? JSON.stringify(record[field]) : stored === 'flag' ? (record[field] ? 1 : 0) : record[field];
  }
  return row;
}

/** Sessions and their events in SQLite, through prepared statements. */
export class SessionStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      insert: db.prepare(`INSERT INTO sessions (${FIELDS.flatMap(columnsOf).join(', ')})
        VALUES (${FIELDS.flatMap(columnsOf).map((column) => `@${column}`).join(', ')})`),
      get: db.prepare(`${SELECT} WHERE id = ?`),
      all: db.prepare(`${SELECT} ORDER BY created_at, id`),
      byName: db.prepare(`${SELECT} WHERE name = ?`),
      byPrefix: db.prepare(`${SELECT} WHERE substr(id, 1, length(@prefix)) = @prefix ORDER BY id LIMIT 2`),
      setState: db.prepare(`UPDATE sessions SET state = @state, state_source = @source, state_since = @since, exit_code = @exit_code,
        exit_signal = @exit_signal, updated_at = @since WHERE id = @id`),
      deleteEvents: db.prepare('DELETE FROM session_events WHERE session_id = ?'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
      setName: db.prepare('UPDATE sessions SET name = ?, updated_at = ? WHERE id = ?'),
      setSize: db.prepare('UPDATE sessions SET cols = ?, rows = ?, updated_at = ? WHERE id = ?'),
      setAgentId: db.prepare('UPDATE sessions SET agent_session_id = ?, updated_at = ? WHERE id = ?'),
      setTranscript: db.prepare('UPDATE sessions SET transcript_path = ?, updated_at = ? WHERE id = ?'),
      setWorktreeRemoved: db.prepare('UPDATE sessions SET worktree_removed_at = ?, updated_at = ? WHERE id = ?'),
      setSealed: db.prepare('UPDATE sessions SET caller_env_sealed = @callerEnv, env_sets_sealed = @envSets, env_sealed = @env WHERE id = @id'),
      sealed: db.prepare('SELECT caller_env_sealed AS callerEnv, env_sets_sealed AS envSets, env_sealed AS env, env AS plainEnv FROM sessions WHERE id = ?'),
      addEvent: db.prepare('INSERT INTO session_events (session_id, at, source, type, data) VALUES (?, ?, ?, ?, ?)'),
      events: db.prepare(`SELECT * FROM session_events WHERE session_id = @id AND (@source IS NULL OR source = @source)
        ORDER BY id LIMIT @limit OFFSET @offset`),
      countEvents: db.prepare('SELECT count(*) AS n FROM session_events WHERE session_id = @id AND (@source IS NULL OR source = @source)'),
      // The newest `limit` events after `after`, oldest first: what a follower that fell behind replays.
      eventsAfter: db.prepare(`SELECT * FROM (SELECT * FROM session_events WHERE session_id = @id AND id > @after ORDER BY id DESC LIMIT @limit) ORDER BY id`),
      lastEventId: db.prepare('SELECT coalesce(max(id), 0) AS id FROM session_events WHERE session_id = ?'),
    };
  }

  /**
   * A new session, with the sealed parts of its environment (kept apart from the record: they are read only to
   * resume, never to list or show a session).
   */
  insert(record: SessionRecord, sealed: Partial<SealedEnvironment> = {}): void {
    this.db.transaction(() => {
      this.statements.insert.run(toRow(record));
      const { callerEnv = null, envSets = null, env = null } = sealed;
      if (callerEnv !== null || envSets !== null || env !== null) this.statements.setSealed.run({ id: record.id, callerEnv, envSets, env });
    })();
  }

  /** The sealed parts of the environment a session started with (null where it had none). */
  sealedEnvironment(id: string): SealedEnvironment {
    const row = this.statements.sealed.get(id) as { callerEnv: string | null; envSets: string | null; env: string | null; plainEnv: string } | undefined;
    if (!row) return { callerEnv: null, envSets: null, env: null, plainEnv: null };
    const plainEnv = JSON.parse(row.plainEnv) as Record<string, string>;
    return { callerEnv: row.callerEnv, envSets: row.envSets, env: row.env, plainEnv: Object.keys(plainEnv).length ? plainEnv : null };
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

  /** The session's worktree is gone (removed by CodePiper); its record of what it was stays. */
  setWorktreeRemoved(id: string, at: string): void {
    this.statements.setWorktreeRemoved.run(at, at, id);
  }

  addEvent(sessionId: string, at: string, source: string, type: string, data: Record<string, unknown>): SessionEvent {
    const info = this.statements.addEvent.run(sessionId, at, source, type, JSON.stringify(data));
    return { id: Number(info.lastInsertRowid), sessionId, at, source, type, data };
  }

  events(id: string, options: { source?: string | undefined; limit: number; offset: number }): { events: SessionEvent[]; total: number } {
    const params = { id, source: options.source ?? null, limit: options.limit, offset: options.offset };
    const rows = this.statements.events.all(params) as EventRow[];
    const total = (this.statements.countEvents.get(params) as { n: number }).n;
    return { total, events: rows.map(eventFromRow) };
  }

  /** The newest `limit` events with an id above `after`, oldest first (event ids grow with time). */
  eventsAfter(id: string, after: number, limit: number): SessionEvent[] {
    return (this.statements.eventsAfter.all({ id, after, limit }) as EventRow[]).map(eventFromRow);
  }

  /** The id of the session's latest event; 0 when it has none. */
  lastEventId(id: string): number {
    return (this.statements.lastEventId.get(id) as { id: number }).id;
  }
}

interface EventRow {
  id: number;
  session_id: string;
  at: string;
  source: string;
  type: string;
  data: string;
}

function eventFromRow(row: EventRow): SessionEvent {
  return { id: row.id, sessionId: row.session_id, at: row.at, source: row.source, type: row.type, data: JSON.parse(row.data) };
}
