import type { Migration } from '../migrate';

/**
 * The notification delivery log (core/notify): one row per event per channel (the unique index is what makes a
 * delivery happen once), updated as attempts go on. Bounded: the store keeps the newest rows only.
 */
export const migration013: Migration = {
  version: 13,
  name: 'notify-deliveries',
  up: `
    CREATE TABLE notify_deliveries (
      id           INTEGER PRIMARY KEY AUTOINCREMENT,
      at           TEXT NOT NULL,
      updated_at   TEXT NOT NULL,
      channel      TEXT NOT NULL,
      channel_type TEXT NOT NULL,
      event_id     TEXT NOT NULL,
      event_kind   TEXT NOT NULL,
      session_id   TEXT,
      outcome      TEXT NOT NULL,
      attempts     INTEGER NOT NULL DEFAULT 0,
      error        TEXT,
      detail       TEXT NOT NULL DEFAULT '{}',
      event        TEXT NOT NULL
    );
    CREATE UNIQUE INDEX notify_deliveries_once ON notify_deliveries (event_id, channel);
    CREATE INDEX notify_deliveries_channel ON notify_deliveries (channel, id);
  `,
};
