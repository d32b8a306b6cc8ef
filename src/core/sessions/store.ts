import type Database from 'better-sqlite3';
import type { ProviderId } from '../providers';
import type { SessionState, StateSource } from './state';

export interface SessionRecord {
  id: string;
  name: string | null;
  provider: ProviderId;
  cwd: string;
  args: string[];
  env: Record<string, string>;
  dangerousMode: boolean;
  billingMode: 'subscription' | 'api' | null;
  cols: number;
  rows: number;
  tmuxSession: string;
  agentSessionId: string | null;
  /** The agent's transcript file, once its SessionStart hook has told (agents with hooks). */
  transcriptPath: string | null;
  state: SessionState;
  stateSource: StateSource;
  stateSince: string;
  exitCode: number | null;
  exitSignal: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface SessionEvent {
  id: number;
  sessionId: string;
  at: string;
  source: string;
  type: string;
  data: Record<string, unknown>;
}

interface SessionRow {
  id: string;
  name: string | null;
  provider: string;
  cwd: string;
  args: string;
  env: string;
  dangerous_mode: number;
  billing_mode: string | null;
  cols: number;
  rows: number;
  tmux_session: string;
  agent_session_id: string | null;
  transcript_path: string | null;
  state: string;
  state_source: string;
  state_since: string;
  exit_code: number | null;
  exit_signal: number | null;
  created_at: string;
  updated_at: string;
}

function fromRow(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider as ProviderId,
    cwd: row.cwd,
    args: JSON.parse(row.args) as string[],
    env: JSON.parse(row.env) as Record<string, string>,
    dangerousMode: row.dangerous_mode === 1,
    billingMode: row.billing_mode as SessionRecord['billingMode'],
    cols: row.cols,
    rows: row.rows,
    tmuxSession: row.tmux_session,
    agentSessionId: row.agent_session_id,
    transcriptPath: row.transcript_path,
    state: row.state as SessionState,
    stateSource: row.state_source as StateSource,
    stateSince: row.state_since,
    exitCode: row.exit_code,
    exitSignal: row.exit_signal,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Sessions and their events in SQLite, through prepared statements. */
export class SessionStore {
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      insert: db.prepare(`INSERT INTO sessions (id, name, provider, cwd, args, env, dangerous_mode, billing_mode, cols, rows, tmux_session,
        agent_session_id, transcript_path, state, state_source, state_since, exit_code, exit_signal, created_at, updated_at)
        VALUES (@id, @name, @provider, @cwd, @args, @env, @dangerous_mode, @billing_mode, @cols, @rows, @tmux_session,
        @agent_session_id, @transcript_path, @state, @state_source, @state_since, @exit_code, @exit_signal, @created_at, @updated_at)`),
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
    this.statements.insert.run({
      id: record.id,
      name: record.name,
      provider: record.provider,
      cwd: record.cwd,
      args: JSON.stringify(record.args),
      env: JSON.stringify(record.env),
      dangerous_mode: record.dangerousMode ? 1 : 0,
      billing_mode: record.billingMode,
      cols: record.cols,
      rows: record.rows,
      tmux_session: record.tmuxSession,
      agent_session_id: record.agentSessionId,
      transcript_path: record.transcriptPath,
      state: record.state,
      state_source: record.stateSource,
      state_since: record.stateSince,
      exit_code: record.exitCode,
      exit_signal: record.exitSignal,
      created_at: record.createdAt,
      updated_at: record.updatedAt,
    });
  }

  get(id: string): SessionRecord | undefined {
    const row = this.statements.get.get(id) as SessionRow | undefined;
    return row && fromRow(row);
  }

  all(): SessionRecord[] {
    return (this.statements.all.all() as SessionRow[]).map(fromRow);
  }

  byName(name: string): SessionRecord | undefined {
    const row = this.statements.byName.get(name) as SessionRow | undefined;
    return row && fromRow(row);
  }

  /** Up to two sessions whose id starts with `prefix` (two means ambiguous). */
  byPrefix(prefix: string): SessionRecord[] {
    return (this.statements.byPrefix.all({ prefix }) as SessionRow[]).map(fromRow);
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
