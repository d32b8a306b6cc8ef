import { sessionSchema, type Session } from '../api/sessions';
import { AppError } from '../errors';
import { redact } from '../policies/redact';
import { EventBus, SESSIONS_TOPIC, sessionEventsTopic, sessionOutputTopic } from '../events/bus';
import type { ProviderId } from '../providers';
import type { LiveSessions } from './live';
import type { OutputChunk } from './output';
import { canTransition, type SessionState, type StateSource } from './state';
import type { SessionEvent, SessionRecord, SessionStore } from './store';

/**
 * The sessions as everyone else sees them: finding a session by what a user types, its state changes (each one an
 * event row and a push to subscribers), its event log, and its output on the bus. Every part of the engine writes
 * through here, so a change is stored and announced in one way only.
 */
export class SessionJournal {
  constructor(
    readonly store: SessionStore,
    private readonly bus: EventBus,
    private readonly lives: LiveSessions,
  ) {}

  list(filter: { provider?: ProviderId | undefined; status?: SessionState | undefined } = {}): Session[] {
    return this.store
      .all()
      .filter((record) => (!filter.provider || record.provider === filter.provider) && (!filter.status || record.state === filter.status))
      .map(toApi);
  }

  /** A session by exact id, exact name, or unique id prefix. */
  resolve(ref: string): SessionRecord {
    const exact = this.store.get(ref) ?? this.store.byName(ref);
    if (exact) return exact;
    const matches = ref.length >= 2 ? this.store.byPrefix(ref) : [];
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new AppError('SESSION_AMBIGUOUS', `session id prefix "${ref}" matches more than one session; give more characters`);
    throw new AppError('SESSION_NOT_FOUND', `no session "${ref}" (see codepiper sessions)`);
  }

  get(ref: string): Session {
    return toApi(this.resolve(ref));
  }

  events(ref: string, options: { source?: string | undefined; limit: number; offset: number }): { events: SessionEvent[]; total: number } {
    return this.store.events(this.resolve(ref).id, options);
  }

  /** Applies a state change if the state machine allows it: one event row, one push to subscribers. */
  transition(id: string, to: SessionState, source: StateSource, extra: { exit?: { code: number | null; signal: number | null } } = {}): boolean {
    const record = this.store.get(id);
    if (!record || !canTransition(record.state, to)) return false;
    const at = new Date().toISOString();
    const exit = extra.exit ?? { code: record.exitCode, signal: record.exitSignal };
    this.store.setState(id, to, source, at, exit);
    const live = this.lives.get(id);
    if (live) {
      live.state = to;
      live.permissionAnswer = undefined;
    }
    this.record(id, source, 'state', { from: record.state, to, ...(to === 'stopped' || to === 'crashed' ? { exitCode: exit.code, signal: exit.signal } : {}) }, at);
    this.publish(id);
    return true;
  }

  /**
   * One row of the session's event log, pushed to its followers. The data goes through the audit log's redaction
   * here, the one place events are written: text typed with send, argv and hook payloads can all hold secrets.
   */
  record(id: string, source: string, type: string, data: Record<string, unknown>, at = new Date().toISOString()): SessionEvent {
    const event = this.store.addEvent(id, at, source, type, redact(data));
    this.bus.publish(sessionEventsTopic(id), event);
    return event;
  }

  /** Pushes the session as it is now to everyone following sessions. */
  publish(id: string): Session {
    const session = toApi(this.store.get(id)!);
    this.bus.publish(SESSIONS_TOPIC, session);
    return session;
  }

  publishOutput(id: string, chunk: OutputChunk): void {
    this.bus.publish(sessionOutputTopic(id), chunk);
  }
}

/** The API's fields in the schema's order (JSON in the same order as before the column table, on the stream too). */
const API_FIELDS = Object.keys(sessionSchema.shape) as Array<keyof Session>;

/**
 * The stored record as the API shows it (the record holds the environment's names only; its values are sealed
 * apart). A loop rather than a rest spread: it runs for every session of every list.
 */
export function toApi(record: SessionRecord): Session {
  const session: Record<string, unknown> = {};
  for (const field of API_FIELDS) session[field] = record[field];
  return session as Session;
}
