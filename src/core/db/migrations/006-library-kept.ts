import type { Migration } from '../migrate';

/**
 * What the library knows of a deleted conversation that its transcript files do not say (the name given to it, its
 * tags, whether it is a favourite) and where its files went, kept by the conversation's identity (provider and the
 * agent's session id) while its files are in the trash. Whenever that conversation enters the index again (restored
 * with `library restore`, or put back by hand and scanned), the trigger gives it back and forgets the kept copy: no
 * code path that creates a library session can miss it.
 */
export const migration006: Migration = {
  version: 6,
  name: 'library kept across the trash',
  up: `
    CREATE TABLE library_kept (
      provider    TEXT NOT NULL,
      external_id TEXT NOT NULL,
      name        TEXT,
      favourite   INTEGER NOT NULL DEFAULT 0,
      files       TEXT NOT NULL DEFAULT '[]',
      deleted_at  TEXT NOT NULL,
      PRIMARY KEY (provider, external_id)
    ) STRICT;
    CREATE INDEX library_kept_external ON library_kept (external_id);

    CREATE TABLE library_kept_tags (
      provider    TEXT NOT NULL,
      external_id TEXT NOT NULL,
      tag_id      INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
      PRIMARY KEY (provider, external_id, tag_id),
      FOREIGN KEY (provider, external_id) REFERENCES library_kept (provider, external_id) ON DELETE CASCADE
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX library_kept_tags_tag ON library_kept_tags (tag_id);

    CREATE TRIGGER library_sessions_come_back AFTER INSERT ON library_sessions
    WHEN EXISTS (SELECT 1 FROM library_kept WHERE provider = NEW.provider AND external_id = NEW.external_id)
    BEGIN
      UPDATE library_sessions SET
        name = coalesce(NEW.name, (SELECT name FROM library_kept WHERE provider = NEW.provider AND external_id = NEW.external_id)),
        favourite = max(NEW.favourite, (SELECT favourite FROM library_kept WHERE provider = NEW.provider AND external_id = NEW.external_id))
      WHERE id = NEW.id;
      INSERT OR IGNORE INTO session_tags (session_id, tag_id)
        SELECT NEW.id, tag_id FROM library_kept_tags WHERE provider = NEW.provider AND external_id = NEW.external_id;
      DELETE FROM library_kept WHERE provider = NEW.provider AND external_id = NEW.external_id;
    END;
  `,
};
