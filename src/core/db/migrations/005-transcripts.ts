import type { Migration } from '../migrate';

/**
 * The transcript index: every transcript file read so far (and how far: `offset` for everything, `usage_offset` for
 * the token counts, which a cold scan reads first), the conversations they hold (the library),
 * their messages with a full-text index, token usage with its deduplication, rollups for analytics, tags.
 *
 * Usage entries keep every candidate line, with one `kept` entry per deduplication key (the one with the largest token
 * sum, the earliest on a tie), so that deleting or re-reading a file can hand the count to a surviving duplicate.
 * The rollups hold sums per quarter hour (every time zone's midnight falls on one), session and model, kept in step by
 * triggers, so reports of any range and zone read a few thousand rows instead of every entry.
 */
const unpricedTokens = (row: 'new' | 'old') =>
  `CASE WHEN ${row}.cost IS NULL THEN ${row}.input + ${row}.output + ${row}.cache_create + ${row}.cache_read ELSE 0 END`;

/** A kept entry enters its rollup row (created on first use). */
const addToRollup = `
  INSERT INTO usage_rollup VALUES (new.ts / 900000, new.session_id, new.model, 1, new.input, new.output,
    new.cache_create, new.cache_read, coalesce(new.cost, 0), ${unpricedTokens('new')})
  ON CONFLICT (bucket, session_id, model) DO UPDATE SET entries = entries + 1, input = input + excluded.input,
    output = output + excluded.output, cache_create = cache_create + excluded.cache_create,
    cache_read = cache_read + excluded.cache_read, cost = cost + excluded.cost, unpriced = unpriced + excluded.unpriced;`;

/** An entry that stops counting (deleted, superseded, repriced) leaves its rollup row. */
const takeFromRollup = `
  UPDATE usage_rollup SET entries = entries - 1, input = input - old.input, output = output - old.output,
    cache_create = cache_create - old.cache_create, cache_read = cache_read - old.cache_read,
    cost = cost - coalesce(old.cost, 0), unpriced = unpriced - ${unpricedTokens('old')}
  WHERE bucket = old.ts / 900000 AND session_id = old.session_id AND model = old.model;`;

export const migration005: Migration = {
  version: 5,
  name: 'transcripts',
  up: `
    CREATE TABLE library_sessions (
      id            INTEGER PRIMARY KEY,
      provider      TEXT NOT NULL,
      external_id   TEXT NOT NULL,
      cwd           TEXT,
      git_branch    TEXT,
      model         TEXT,
      title         TEXT,
      custom_title  TEXT,
      name          TEXT,
      first_at      INTEGER,
      last_at       INTEGER,
      message_count INTEGER NOT NULL DEFAULT 0,
      favourite     INTEGER NOT NULL DEFAULT 0,
      managed_id    TEXT,
      created_at    TEXT NOT NULL,
      UNIQUE (provider, external_id)
    ) STRICT;
    CREATE INDEX library_sessions_last ON library_sessions (last_at);
    CREATE INDEX library_sessions_external ON library_sessions (external_id);
    CREATE INDEX library_sessions_cwd ON library_sessions (cwd);

    CREATE TABLE transcript_files (
      id          INTEGER PRIMARY KEY,
      path        TEXT NOT NULL UNIQUE,
      provider    TEXT NOT NULL,
      session_id  INTEGER REFERENCES library_sessions (id) ON DELETE SET NULL,
      dev         INTEGER NOT NULL DEFAULT 0,
      ino         INTEGER NOT NULL DEFAULT 0,
      size        INTEGER NOT NULL DEFAULT 0,
      mtime_ms    INTEGER NOT NULL DEFAULT 0,
      offset      INTEGER NOT NULL DEFAULT 0,
      usage_offset INTEGER NOT NULL DEFAULT 0,
      usage_size  INTEGER NOT NULL DEFAULT 0,
      head        TEXT,
      parser      TEXT,
      lines       INTEGER NOT NULL DEFAULT 0,
      bad_lines   INTEGER NOT NULL DEFAULT 0,
      error       TEXT,
      indexed_at  INTEGER
    ) STRICT;
    CREATE INDEX transcript_files_session ON transcript_files (session_id);

    CREATE TABLE messages (
      id         INTEGER PRIMARY KEY,
      session_id INTEGER NOT NULL REFERENCES library_sessions (id) ON DELETE CASCADE,
      file_id    INTEGER NOT NULL REFERENCES transcript_files (id) ON DELETE CASCADE,
      uuid       TEXT,
      ts         INTEGER NOT NULL,
      role       TEXT NOT NULL,
      kind       TEXT NOT NULL,
      tool       TEXT,
      text       TEXT NOT NULL,
      input      TEXT,
      copy       INTEGER NOT NULL DEFAULT 0,
      sidechain  INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX messages_session ON messages (session_id, ts);
    CREATE INDEX messages_file ON messages (file_id);
    CREATE INDEX messages_uuid ON messages (uuid) WHERE uuid IS NOT NULL;
    CREATE INDEX messages_tools ON messages (ts, tool) WHERE role = 'tool';

    CREATE VIRTUAL TABLE messages_fts USING fts5 (
      text, tool, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
    );
    -- Rows enter the full-text index from the indexer, in a batch at the end of each slice: FTS5 flushes its pending
    -- terms whenever a statement opens a savepoint (a trigger does), so a row-by-row trigger made indexing several
    -- times slower. Deletes are rare and use a trigger.
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
      INSERT INTO messages_fts (messages_fts, rowid, text, tool) VALUES ('delete', old.id, old.text, old.tool);
    END;

    -- Conversation messages (prompts and replies, not copies) per quarter hour and session.
    CREATE TABLE message_rollup (
      bucket     INTEGER NOT NULL,
      session_id INTEGER NOT NULL,
      messages   INTEGER NOT NULL,
      PRIMARY KEY (bucket, session_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX message_rollup_session ON message_rollup (session_id);
    CREATE TRIGGER message_rollup_insert AFTER INSERT ON messages
      WHEN new.copy = 0 AND new.kind IN ('prompt', 'text') BEGIN
      INSERT INTO message_rollup (bucket, session_id, messages) VALUES (new.ts / 900000, new.session_id, 1)
        ON CONFLICT (bucket, session_id) DO UPDATE SET messages = messages + 1;
    END;
    CREATE TRIGGER message_rollup_delete AFTER DELETE ON messages
      WHEN old.copy = 0 AND old.kind IN ('prompt', 'text') BEGIN
      UPDATE message_rollup SET messages = messages - 1 WHERE bucket = old.ts / 900000 AND session_id = old.session_id;
    END;

    CREATE TABLE usage_entries (
      id           INTEGER PRIMARY KEY,
      dedup_key    TEXT,
      kept         INTEGER NOT NULL,
      session_id   INTEGER NOT NULL REFERENCES library_sessions (id) ON DELETE CASCADE,
      file_id      INTEGER NOT NULL REFERENCES transcript_files (id) ON DELETE CASCADE,
      ts           INTEGER NOT NULL,
      model        TEXT NOT NULL,
      input        INTEGER NOT NULL,
      output       INTEGER NOT NULL,
      cache_create INTEGER NOT NULL,
      cache_read   INTEGER NOT NULL,
      cost         REAL,
      assumed_model INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX usage_entries_key ON usage_entries (dedup_key) WHERE dedup_key IS NOT NULL;
    CREATE UNIQUE INDEX usage_entries_kept ON usage_entries (dedup_key) WHERE dedup_key IS NOT NULL AND kept = 1;
    CREATE INDEX usage_entries_file ON usage_entries (file_id);
    CREATE INDEX usage_entries_session ON usage_entries (session_id);

    -- Kept usage per quarter hour, session and model; unpriced: the tokens of entries whose model has no price (cost 0).
    CREATE TABLE usage_rollup (
      bucket       INTEGER NOT NULL,
      session_id   INTEGER NOT NULL,
      model        TEXT NOT NULL,
      entries      INTEGER NOT NULL,
      input        INTEGER NOT NULL,
      output       INTEGER NOT NULL,
      cache_create INTEGER NOT NULL,
      cache_read   INTEGER NOT NULL,
      cost         REAL NOT NULL,
      unpriced     INTEGER NOT NULL,
      PRIMARY KEY (bucket, session_id, model)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX usage_rollup_session ON usage_rollup (session_id);
    CREATE TRIGGER usage_rollup_insert AFTER INSERT ON usage_entries WHEN new.kept = 1 BEGIN ${addToRollup} END;
    CREATE TRIGGER usage_rollup_delete AFTER DELETE ON usage_entries WHEN old.kept = 1 BEGIN ${takeFromRollup} END;
    CREATE TRIGGER usage_rollup_unkeep AFTER UPDATE OF kept, cost ON usage_entries WHEN old.kept = 1 BEGIN ${takeFromRollup} END;
    CREATE TRIGGER usage_rollup_keep AFTER UPDATE OF kept, cost ON usage_entries WHEN new.kept = 1 BEGIN ${addToRollup} END;

    CREATE TABLE tags (
      id         INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      parent_id  INTEGER REFERENCES tags (id) ON DELETE CASCADE,
      color      TEXT,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX tags_name ON tags (coalesce(parent_id, 0), name);

    CREATE TABLE session_tags (
      session_id INTEGER NOT NULL REFERENCES library_sessions (id) ON DELETE CASCADE,
      tag_id     INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
      PRIMARY KEY (session_id, tag_id)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX session_tags_tag ON session_tags (tag_id);
  `,
};
