import type { Migration } from '../migrate';

/** The first schema: a key/value table for facts about the database itself (when it was created, by which version). */
export const migration001: Migration = {
  version: 1,
  name: 'meta',
  up: `
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;
    INSERT INTO meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
  `,
};
