import type Database from 'better-sqlite3';
import type { Delivery, NotificationEvent } from '../api/notify';

/** How many deliveries the log keeps; older rows go as new ones come. */
export const DELIVERY_LOG_LIMIT = 2000;

type Outcome = Delivery['outcome'];

/** The delivery log in SQLite: one row per event per channel, updated as its attempts go on. */
export class DeliveryLog {
  private readonly sql;

  constructor(
    private readonly db: Database.Database,
    private readonly limit = DELIVERY_LOG_LIMIT,
  ) {
    this.sql = {
      insert: db.prepare(
        `INSERT OR IGNORE INTO notify_deliveries (at, updated_at, channel, channel_type, event_id, event_kind, session_id, outcome, attempts, error, detail, event)
         VALUES (@at, @at, @channel, @type, @eventId, @kind, @sessionId, @outcome, 0, @error, '{}', @event)`,
      ),
      update: db.prepare(`UPDATE notify_deliveries SET updated_at = @at, outcome = @outcome, attempts = @attempts, error = @error, detail = @detail WHERE id = @id`),
      trim: db.prepare(`DELETE FROM notify_deliveries WHERE id <= (SELECT max(id) FROM notify_deliveries) - ?`),
      get: db.prepare(`SELECT * FROM notify_deliveries WHERE id = ?`),
      list: db.prepare(`SELECT * FROM notify_deliveries WHERE (@channel IS NULL OR channel = @channel) ORDER BY id DESC LIMIT @limit`),
    };
  }

  /** A new delivery of `event` to `channel`; undefined when this event was already given to it (once per event per channel). */
  open(channel: { name: string; type: Delivery['type'] }, event: NotificationEvent, outcome: Outcome, error: string | null = null): number | undefined {
    const result = this.sql.insert.run({
      at: new Date().toISOString(),
      channel: channel.name,
      type: channel.type,
      eventId: event.id,
      kind: event.kind,
      sessionId: event.session?.id ?? null,
      outcome,
      error,
      event: JSON.stringify(event),
    });
    if (result.changes === 0) return undefined;
    this.sql.trim.run(this.limit);
    return Number(result.lastInsertRowid);
  }

  update(id: number, change: { outcome: Outcome; attempts: number; error: string | null; detail: Record<string, unknown> }): void {
    this.sql.update.run({ id, at: new Date().toISOString(), outcome: change.outcome, attempts: change.attempts, error: change.error, detail: JSON.stringify(change.detail) });
  }

  get(id: number): Delivery | undefined {
    const row = this.sql.get.get(id) as Row | undefined;
    return row && fromRow(row);
  }

  list(options: { limit: number; channel?: string | undefined }): Delivery[] {
    return (this.sql.list.all({ limit: options.limit, channel: options.channel ?? null }) as Row[]).map(fromRow);
  }
}

interface Row {
  id: number;
  at: string;
  updated_at: string;
  channel: string;
  channel_type: Delivery['type'];
  event_id: string;
  event_kind: Delivery['kind'];
  session_id: string | null;
  outcome: Outcome;
  attempts: number;
  error: string | null;
  detail: string;
}

function fromRow(row: Row): Delivery {
  return {
    id: row.id,
    at: row.at,
    updatedAt: row.updated_at,
    channel: row.channel,
    type: row.channel_type,
    eventId: row.event_id,
    kind: row.event_kind,
    sessionId: row.session_id,
    outcome: row.outcome,
    attempts: row.attempts,
    error: row.error,
    detail: JSON.parse(row.detail) as Record<string, unknown>,
  };
}
