import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorOf } from '../helpers/errors';
import { openDatabase } from '../../src/core/db/open';
import { Library } from '../../src/core/library/library';
import { trashPlace } from '../../src/core/library/trash';
import { TranscriptIndexer } from '../../src/core/transcripts/indexer';
import type { Provider } from '../../src/core/transcripts/records';
import { loadPrices } from '../../src/core/transcripts/prices';

let dir: string;
let db: Database.Database;
let indexer: TranscriptIndexer;
let library: Library;

const ID = 'aaaa1111-0000-4000-8000-000000000001';
const line = (record: object) => `${JSON.stringify(record)}\n`;

/** One Claude Code conversation with a subagent's file, indexed. */
function writeConversation(): { main: string; sub: string } {
  const project = path.join(dir, 'claude', 'projects', '-work-app');
  const main = path.join(project, `${ID}.jsonl`);
  const sub = path.join(project, ID, 'subagents', 'agent-x.jsonl');
  fs.mkdirSync(path.dirname(sub), { recursive: true });
  fs.writeFileSync(
    main,
    line({ type: 'user', sessionId: ID, uuid: 'a1', timestamp: '2026-02-01T10:00:00.000Z', cwd: '/work/app', message: { role: 'user', content: 'Why is the tokenizer slow?' } }) +
      line({ type: 'assistant', sessionId: ID, uuid: 'a2', timestamp: '2026-02-01T10:00:05.000Z', cwd: '/work/app', requestId: 'r1', message: { id: 'm1', model: 'claude-sonnet-4-5', role: 'assistant', content: [{ type: 'text', text: 'It copies.' }], usage: { input_tokens: 1, output_tokens: 5 } } }),
  );
  fs.writeFileSync(sub, line({ type: 'assistant', sessionId: ID, isSidechain: true, uuid: 's1', timestamp: '2026-02-01T10:00:07.000Z', cwd: '/work/app', message: { role: 'assistant', content: [{ type: 'text', text: 'subagent' }] } }));
  scan();
  return { main, sub };
}

function scan(): void {
  for (const file of indexer.discover({ claude: [path.join(dir, 'claude')], codex: [] })) indexNow(file.path, file.provider);
}

function indexNow(file: string, provider: Provider): void {
  while (!indexer.indexFile(file, provider).done);
}

/** Names, tags and favours the conversation the way a user would. */
function curate(): void {
  library.rename(ID, 'Tokenizer speed');
  library.setFavourite(ID, true);
  const work = library.createTag({ name: 'work' });
  library.createTag({ name: 'perf', parentId: work.id });
  library.tagSession(ID, 'work/perf', true);
  library.tagSession(ID, 'work', true);
}

const curated = { name: 'Tokenizer speed', title: 'Tokenizer speed', favourite: true, tags: ['work', 'work/perf'] };
const shown = () => {
  const { session } = library.get(ID);
  return { name: session.name, title: session.title, favourite: session.favourite, tags: [...session.tags].sort() };
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-lib-'));
  db = openDatabase(path.join(dir, 'codepiper.db'));
  indexer = new TranscriptIndexer({ db, prices: loadPrices() });
  library = new Library(db, indexer, () => trashPlace({ HOME: path.join(dir, 'home'), XDG_DATA_HOME: path.join(dir, 'xdg') }, path.join(dir, 'cphome')));
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a deleted conversation keeps its name, tags and favourite', () => {
  for (const trash of ['desktop', 'codepiper'] as const) {
    it(`library restore puts the files back and brings them back (${trash} trash)`, () => {
      if (trash === 'desktop') fs.mkdirSync(path.join(dir, 'xdg', 'Trash'), { recursive: true });
      const files = writeConversation();
      curate();
      const deleted = library.delete(ID);
      expect(() => library.get(ID)).toThrow(/no session/);

      const restored = library.restore(ID.slice(0, 8), indexNow);
      expect(restored.restored.map((file) => file.to).sort()).toEqual([files.main, files.sub].sort());
      expect(restored.restored.map((file) => file.from).sort()).toEqual(deleted.trashed.map((file) => file.to).sort());
      expect(restored.skipped).toEqual([]);
      expect(restored.session).toMatchObject({ id: ID, name: 'Tokenizer speed', favourite: true });
      expect(shown()).toEqual(curated);
      expect(library.get(ID).totalMessages).toBe(3);
      // the trash holds neither the files nor their restore records any more
      for (const file of deleted.trashed) expect(fs.existsSync(file.to)).toBe(false);
      const infoDir = trash === 'desktop' ? path.join(dir, 'xdg', 'Trash', 'info') : path.join(dir, 'cphome', 'trash', '.info');
      expect(fs.readdirSync(infoDir)).toEqual([]);
      // and it is not deleted any more
      expect(() => library.restore(ID, indexNow)).toThrow(/is in the library, not deleted/);
    });
  }

  it('files put back by hand and scanned bring them back too', () => {
    const files = writeConversation();
    curate();
    const deleted = library.delete(ID);
    for (const file of deleted.trashed) {
      fs.mkdirSync(path.dirname(file.from), { recursive: true });
      fs.renameSync(file.to, file.from);
    }
    expect(files.main).toBeTruthy();
    scan();
    expect(shown()).toEqual(curated);
  });

  it('a tag deleted while the conversation was in the trash is not brought back', () => {
    writeConversation();
    curate();
    library.delete(ID);
    library.deleteTag('work/perf');
    library.restore(ID, indexNow);
    expect(shown()).toEqual({ ...curated, tags: ['work'] });
  });

  it('restore says what is wrong: never deleted, unknown, or its files gone from the trash', () => {
    writeConversation();
    expect(errorOf(() => library.restore(ID, indexNow))).toEqual({ code: 'LIBRARY_SESSION_NOT_FOUND', message: expect.stringContaining('is in the library, not deleted') });
    expect(errorOf(() => library.restore('ffff9999', indexNow))).toEqual({ code: 'LIBRARY_SESSION_NOT_FOUND', message: expect.stringContaining('no deleted session "ffff9999"') });
    const deleted = library.delete(ID);
    for (const file of deleted.trashed) fs.rmSync(file.to);
    expect(errorOf(() => library.restore(ID, indexNow))).toEqual({ code: 'TRASH_FAILED', message: expect.stringContaining('files is in the trash any more') });
  });

  it('never overwrites a file that is at the original path by now: it indexes it as it is', () => {
    const files = writeConversation();
    curate();
    const deleted = library.delete(ID);
    const mainInTrash = deleted.trashed.find((file) => file.from === files.main)!.to;
    fs.copyFileSync(mainInTrash, files.main);
    fs.appendFileSync(files.main, line({ type: 'user', sessionId: ID, uuid: 'a9', timestamp: '2026-02-01T11:00:00.000Z', cwd: '/work/app', message: { role: 'user', content: 'one more' } }));
    const restored = library.restore(ID, indexNow);
    expect(restored.skipped).toEqual([{ path: files.main, reason: expect.stringContaining('original path already') }]);
    expect(fs.existsSync(mainInTrash)).toBe(true); // the trashed copy stays where it is
    expect(fs.readFileSync(files.main, 'utf8')).toContain('one more');
    expect(shown()).toEqual(curated);
  });
});

