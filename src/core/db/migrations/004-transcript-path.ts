import type { Migration } from '../migrate';

/** Where a session's agent writes its transcript, as its SessionStart hook reports it (for the transcript indexer). */
export const migration004: Migration = {
  version: 4,
  name: 'session transcript path',
  up: `ALTER TABLE sessions ADD COLUMN transcript_path TEXT;`,
};
