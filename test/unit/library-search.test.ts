import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorOf } from '../helpers/errors';
import { dayOf, resolveRange, startOfLocalDay } from '../../src/core/analytics/range';
import { openDatabase } from '../../src/core/db/open';
import { Library } from '../../src/core/library/library';
import { trashPlace } from '../../src/core/library/trash';
import { ftsQuery, Search } from '../../src/core/search/search';
import { TranscriptIndexer } from '../../src/core/transcripts/indexer';
import { loadPrices } from '../../src/core/transcripts/prices';

let dir: string;
let db: Database.Database;
let indexer: TranscriptIndexer;
let search: Search;
let library: Library;

const line = (record: object) => `${JSON.stringify(record)}\n`;
const prompt = (sessionId: string, uuid: string, ts: string, text: string, cwd: string) =>
  line({ type: 'user', sessionId, uuid, timestamp: ts, cwd, message: { role: 'user', content: text } });
const reply = (sessionId: string, uuid: string, ts: string, content: object[], cwd: string, output = 10) =>
  line({ type: 'assistant', sessionId, uuid, timestamp: ts, cwd, requestId: `r-${uuid}`, message: { id: `m-${uuid}`, model: 'claude-sonnet-4-5', role: 'assistant', content, usage: { input_tokens: 1, output_tokens: output } } });

/** Three conversations: two in /work/app (one with a tool call), one in /work/other. */
function writeCorpus() {
  const project = path.join(dir, 'claude', 'projects');
  const files = {
    a: path.join(project, '-work-app', 'aaaa1111-0000-4000-8000-000000000001.jsonl'),
    b: path.join(project, '-work-app', 'aaaa2222-0000-4000-8000-000000000002.jsonl'),
    c: path.join(project, '-work-other', 'cccc3333-0000-4000-8000-000000000003.jsonl'),
    sub: path.join(project, '-work-app', 'aaaa1111-0000-4000-8000-000000000001', 'subagents', 'agent-x.jsonl'),
  };
  for (const file of Object.values(files)) fs.mkdirSync(path.dirname(file), { recursive: true });
  const a = 'aaaa1111-0000-4000-8000-000000000001';
  fs.writeFileSync(
    files.a,
    prompt(a, 'a1', '2026-02-01T10:00:00.000Z', 'Why is the tokenizer slow? <script>alert(1)</script>', '/work/app') +
      reply(a, 'a2', '2026-02-01T10:00:05.000Z', [{ type: 'text', text: 'The tokenizer copies every buffer.' }], '/work/app', 500) +
      reply(a, 'a3', '2026-02-01T10:00:06.000Z', [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'npm run bench-tokenizer', description: 'measure' } }], '/work/app'),
  );
  fs.writeFileSync(files.sub, line({ type: 'assistant', sessionId: a, isSidechain: true, uuid: 's1', timestamp: '2026-02-01T10:00:07.000Z', cwd: '/work/app', message: { role: 'assistant', content: [{ type: 'text', text: 'subagent looked at the tokenizer' }] } }));
  const b = 'aaaa2222-0000-4000-8000-000000000002';
  fs.writeFileSync(files.b, prompt(b, 'b1', '2026-02-03T09:00:00.000Z', 'rename the deploy job', '/work/app') + reply(b, 'b2', '2026-02-03T09:00:02.000Z', [{ type: 'text', text: 'Renamed.' }], '/work/app', 5));
  const c = 'cccc3333-0000-4000-8000-000000000003';
  fs.writeFileSync(files.c, prompt(c, 'c1', '2026-02-02T09:00:00.000Z', 'tokenizer benchmarks for the other repo', '/work/other'));
  for (const file of indexer.discover({ claude: [path.join(dir, 'claude')], codex: [] })) indexer.indexFile(file.path, file.provider);
  return files;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-lib-'));
  db = openDatabase(path.join(dir, 'codepiper.db'));
  indexer = new TranscriptIndexer({ db, prices: loadPrices() });
  search = new Search(db);
  library = new Library(db, indexer, () => trashPlace({ HOME: path.join(dir, 'home'), XDG_DATA_HOME: path.join(dir, 'xdg') }, path.join(dir, 'cphome')));
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('search', () => {
  it('quotes plain words and hands FTS5 syntax through', () => {
    expect(ftsQuery('npm-test foo.bar')).toBe('"npm-test" "foo.bar"');
    expect(ftsQuery('say "hi"')).toBe('say "hi"');
    expect(ftsQuery('token*')).toBe('token*');
    expect(errorOf(() => ftsQuery('   ')).code).toBe('VALIDATION_FAILED');
  });

  it('finds prompts, replies, subagents and tool inputs, with a highlighted snippet, filtered by role and directory', () => {
    writeCorpus();
    const all = search.search({ q: 'tokenizer' });
    expect(all.total).toBe(5);
    expect(all.hits.every((hit) => hit.snippet.includes('<mark>tokenizer</mark>'))).toBe(true);
    expect(search.search({ q: 'tokenizer', role: 'user' }).hits.map((h) => h.sessionId).sort()).toEqual(['aaaa1111-0000-4000-8000-000000000001', 'cccc3333-0000-4000-8000-000000000003']);
    const tool = search.search({ q: 'bench', role: 'tool' });
    expect(tool.hits).toEqual([expect.objectContaining({ tool: 'Bash', kind: 'tool_use', role: 'tool' })]);
    expect(search.search({ q: 'Bash' }).total).toBe(1);
    expect(search.search({ q: 'tokenizer', cwd: '/work/other/' }).total).toBe(1);
    expect(search.search({ q: 'tokenizer', cwd: '/work/ap' }).total).toBe(0);
    expect(search.search({ q: 'subagent' }).hits[0]).toMatchObject({ sidechain: true, sessionId: 'aaaa1111-0000-4000-8000-000000000001' });
    expect(search.search({ q: 'tokenizer', sort: 'recent', limit: 1 }).hits[0]!.sessionId).toBe('cccc3333-0000-4000-8000-000000000003');
  });

  it('answers a malformed query with the reason, not a crash', () => {
    writeCorpus();
    for (const q of ['"unterminated', 'AND', 'foo NEAR(', 'nosuchcolumn: x']) {
      const error = errorOf(() => search.search({ q }));
      expect(error.code).toBe('SEARCH_QUERY_INVALID');
      expect(error.message).toContain(q);
    }
  });
});

describe('ranges and days', () => {
  it('counts days in the zone asked for, across a daylight saving change', () => {
    // Paris moves to summer time on 2026-03-29: that day is 23 hours long.
    const start = startOfLocalDay(2026, 3, 29, 'Europe/Paris');
    const next = startOfLocalDay(2026, 3, 30, 'Europe/Paris');
    expect(new Date(start).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(next - start).toBe(23 * 3_600_000);
    expect(dayOf(Date.parse('2026-03-29T22:30:00Z'), 'Europe/Paris')).toBe('2026-03-30');
    expect(dayOf(Date.parse('2026-03-29T22:30:00Z'), 'UTC')).toBe('2026-03-29');
  });

  it('resolves today, 7d and until (inclusive) and refuses what is not a range', () => {
    const now = Date.parse('2026-11-23T15:00:00Z');
    expect(resolveRange({ range: 'today', tz: 'UTC' }, now)).toEqual({ start: Date.parse('2026-11-23T00:00:00Z'), end: null, tz: 'UTC' });
    expect(resolveRange({ range: '7d', tz: 'UTC' }, now).start).toBe(Date.parse('2026-11-17T00:00:00Z'));
    expect(resolveRange({ since: '2026-11-01', until: '2026-11-02', tz: 'UTC' }, now)).toEqual({ start: Date.parse('2026-11-01T00:00:00Z'), end: Date.parse('2026-11-03T00:00:00Z'), tz: 'UTC' });
    expect(errorOf(() => resolveRange({ tz: 'Mars/Olympus' })).message).toContain('Mars/Olympus');
    expect(errorOf(() => resolveRange({ since: '2026-02-30', tz: 'UTC' })).message).toContain('not a calendar day');
    expect(errorOf(() => resolveRange({ since: '2026-11-05', until: '2026-11-01', tz: 'UTC' })).code).toBe('VALIDATION_FAILED');
  });
});

describe('the library', () => {
  it('lists conversations with their titles, tokens and activity, newest first, filtered and sorted', () => {
    writeCorpus();
    const { total, sessions } = library.list({});
    expect(total).toBe(3);
    expect(sessions.map((s) => s.id.slice(0, 8))).toEqual(['aaaa2222', 'cccc3333', 'aaaa1111']);
    const a = sessions.find((s) => s.id.startsWith('aaaa1111'))!;
    expect(a).toMatchObject({ provider: 'claude-code', cwd: '/work/app', messageCount: 3, outputTokens: 510, inputTokens: 2, title: 'Why is the tokenizer slow? <script>alert(1)</script>' });
    expect(library.list({ cwd: '/work/other' }).sessions.map((s) => s.id.slice(0, 8))).toEqual(['cccc3333']);
    expect(library.list({ q: 'DEPLOY' }).sessions.map((s) => s.id.slice(0, 8))).toEqual(['aaaa2222']);
    expect(library.list({ sort: 'tokens' }).sessions[0]!.id.slice(0, 8)).toBe('aaaa1111');
    expect(library.get('aaaa1111').files.map((f) => path.basename(f.path))).toEqual(['aaaa1111-0000-4000-8000-000000000001.jsonl', 'agent-x.jsonl']);
  });

  it('resolves ids by prefix and says when a prefix is ambiguous or unknown', () => {
    writeCorpus();
    expect(library.resolve('cccc').external_id).toBe('cccc3333-0000-4000-8000-000000000003');
    expect(errorOf(() => library.resolve('aaaa')).code).toBe('LIBRARY_SESSION_AMBIGUOUS');
    expect(errorOf(() => library.resolve('zzzz')).code).toBe('LIBRARY_SESSION_NOT_FOUND');
  });

  it('renames, toggles favourites, and nests tags (a tag covers its descendants; no cycles)', () => {
    writeCorpus();
    expect(library.rename('aaaa2222', 'Deploy rename').title).toBe('Deploy rename');
    expect(library.rename('aaaa2222', null).title).toBe('rename the deploy job');
    expect(library.setFavourite('cccc').favourite).toBe(true);
    expect(library.setFavourite('cccc').favourite).toBe(false);
    expect(library.setFavourite('cccc', true).favourite).toBe(true);
    expect(library.list({ favourite: true }).sessions.map((s) => s.id.slice(0, 8))).toEqual(['cccc3333']);

    const work = library.createTag({ name: 'work', color: '#336699' });
    const perf = library.createTag({ name: 'perf', parentId: work.id });
    expect(perf.path).toBe('work/perf');
    expect(errorOf(() => library.createTag({ name: 'perf', parentId: work.id })).code).toBe('NAME_TAKEN');
    expect(errorOf(() => library.createTag({ name: 'a/b' })).code).toBe('VALIDATION_FAILED');
    expect(errorOf(() => library.createTag({ name: 'x', color: 'red' })).code).toBe('VALIDATION_FAILED');
    expect(errorOf(() => library.updateTag(String(work.id), { parentId: perf.id })).message).toContain('under itself');
    expect(library.tagSession('aaaa1111', 'work/perf', true).tags).toEqual(['work/perf']);
    expect(library.list({ tag: 'work' }).sessions.map((s) => s.id.slice(0, 8))).toEqual(['aaaa1111']);
    expect(library.listTags().find((t) => t.path === 'work/perf')!.sessions).toBe(1);
    expect(library.tagSession('aaaa1111', 'perf', false).tags).toEqual([]);
    library.deleteTag('work');
    expect(library.listTags()).toEqual([]);
  });

  it('exports markdown, json and a self-contained html page with everything escaped', () => {
    writeCorpus();
    const html = library.export('aaaa1111', 'html');
    expect(html.filename).toBe('Why-is-the-tokenizer-slow-script-alert-1-script.html');
    expect(html.content).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html.content).not.toContain('<script>');
    expect(html.content).not.toMatch(/(src|href)=["']?https?:/);
    expect(html.content).toContain('Tool call: Bash');
    const md = library.export('aaaa1111', 'markdown').content;
    expect(md).toMatch(/^# Why is the tokenizer slow\?/);
    expect(md).toContain('"command": "npm run bench-tokenizer"');
    const json = JSON.parse(library.export('aaaa1111', 'json').content);
    expect(json.messages).toHaveLength(4);
    expect(json.session.id).toBe('aaaa1111-0000-4000-8000-000000000001');
  });

  it('moves a deleted conversation to the desktop trash with its restore record, then forgets it', () => {
    const files = writeCorpus();
    fs.mkdirSync(path.join(dir, 'xdg', 'Trash'), { recursive: true });
    const result = library.delete('aaaa1111');
    expect(result.trash.kind).toBe('desktop');
    expect(result.trashed.map((t) => t.from).sort()).toEqual([files.a, files.sub].sort());
    for (const { from, to } of result.trashed) {
      expect(fs.existsSync(from)).toBe(false);
      expect(fs.existsSync(to)).toBe(true);
      const info = fs.readFileSync(path.join(dir, 'xdg', 'Trash', 'info', `${path.basename(to)}.trashinfo`), 'utf8');
      expect(info).toContain(`Path=${from}`);
    }
    expect(fs.existsSync(path.dirname(path.dirname(files.sub)))).toBe(false);
    expect(fs.existsSync(path.dirname(files.a))).toBe(true);
    expect(library.list({}).total).toBe(2);
    expect(search.search({ q: 'tokenizer' }).total).toBe(1);
    expect(db.prepare('SELECT count(*) n FROM usage_rollup WHERE entries > 0').get()).toEqual({ n: 1 });
  });

  it('falls back to its own trash when there is no desktop trash, and never overwrites', () => {
    writeCorpus();
    fs.mkdirSync(path.join(dir, 'cphome', 'trash'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'cphome', 'trash', 'cccc3333-0000-4000-8000-000000000003.jsonl'), 'an earlier one');
    const result = library.delete('cccc');
    expect(result.trash).toEqual({ kind: 'codepiper', dir: path.join(dir, 'cphome', 'trash') });
    expect(result.trashed[0]!.to).toBe(path.join(dir, 'cphome', 'trash', 'cccc3333-0000-4000-8000-000000000003.jsonl.2'));
    expect(fs.readFileSync(path.join(dir, 'cphome', 'trash', 'cccc3333-0000-4000-8000-000000000003.jsonl'), 'utf8')).toBe('an earlier one');
    expect(fs.readdirSync(path.join(dir, 'cphome', 'trash', '.info'))).toEqual(['cccc3333-0000-4000-8000-000000000003.jsonl.2.trashinfo']);
    expect(errorOf(() => library.get('cccc')).code).toBe('LIBRARY_SESSION_NOT_FOUND');
  });
});
