import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateCorpus, SEARCH_WORDS } from '../../bench/corpus.mjs';
import { Analytics } from '../../src/core/analytics/analytics';
import { openDatabase } from '../../src/core/db/open';
import { isAppError } from '../../src/core/errors';
import { TranscriptIndexer } from '../../src/core/transcripts/indexer';
import { loadPrices, modelFamily, PriceTable } from '../../src/core/transcripts/prices';
import { TranscriptService } from '../../src/core/transcripts/service';
import { waitFor } from '../helpers/wait';

let dir: string;
let db: Database.Database;
let indexer: TranscriptIndexer;
let analytics: Analytics;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-tx-'));
  db = openDatabase(path.join(dir, 'codepiper.db'));
  indexer = new TranscriptIndexer({ db, prices: loadPrices() });
  analytics = new Analytics(db);
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const line = (record: object) => `${JSON.stringify(record)}\n`;

function write(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function indexAll(roots = { claude: [path.join(dir, 'claude')], codex: [path.join(dir, 'codex')] }) {
  const results = [];
  for (const file of indexer.discover(roots)) {
    for (;;) {
      const result = indexer.indexFile(file.path, file.provider);
      results.push({ file: file.path, ...result });
      if (result.done) break;
    }
  }
  return results;
}

/** Per UTC day, the four token counts (no cost), from the analytics route's own function. */
function days(filter: Parameters<Analytics['tokenUsage']>[0] = {}) {
  return Object.fromEntries(
    analytics.tokenUsage({ range: 'all', tz: 'UTC', ...filter }).days.map((d) => [d.date, [d.inputTokens, d.outputTokens, d.cacheCreationTokens, d.cacheReadTokens]]),
  );
}

function assistant(fields: { id: string; requestId?: string; ts: string; input: number; output: number; cacheCreate?: number; cacheRead?: number; model?: string; text?: string; uuid?: string; sessionId?: string }) {
  return line({
    parentUuid: null,
    isSidechain: false,
    type: 'assistant',
    sessionId: fields.sessionId ?? 'sess-a',
    cwd: '/work/app',
    uuid: fields.uuid ?? `u-${fields.id}-${fields.output}`,
    timestamp: fields.ts,
    ...(fields.requestId ? { requestId: fields.requestId } : {}),
    message: {
      id: fields.id,
      role: 'assistant',
      model: fields.model ?? 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: fields.text ?? 'ok' }],
      usage: { input_tokens: fields.input, output_tokens: fields.output, cache_creation_input_tokens: fields.cacheCreate ?? 0, cache_read_input_tokens: fields.cacheRead ?? 0 },
    },
  });
}

const user = (text: string, ts: string, uuid: string, sessionId = 'sess-a') =>
  line({ parentUuid: null, isSidechain: false, type: 'user', sessionId, cwd: '/work/app', uuid, timestamp: ts, message: { role: 'user', content: text } });

describe('token totals, by hand', () => {
  // Session A: a streamed response (two lines, one key), two keyless lines with one message.id, an API error on the
  // synthetic model, and a response on a model with no price. Session B resumes A: it copies the counted line of the
  // streamed response (same key: not counted again) and one keyless line (no key: counted again, as ccusage does).
  const project = () => path.join(dir, 'claude', 'projects', '-work-app');
  function writeSessions() {
    const m1Final = assistant({ id: 'msg_1', requestId: 'req_1', ts: '2026-01-01T10:00:02.000Z', input: 10, output: 50, cacheCreate: 100, cacheRead: 1000, text: 'the kubernetes answer' });
    const m2a = assistant({ id: 'msg_2', ts: '2026-01-01T10:01:00.000Z', input: 5, output: 7 });
    write(
      path.join(project(), 'sess-a.jsonl'),
      user('how do we deploy to kubernetes?', '2026-01-01T10:00:00.000Z', 'u-prompt') +
        assistant({ id: 'msg_1', requestId: 'req_1', ts: '2026-01-01T10:00:01.000Z', input: 10, output: 1, cacheCreate: 100, cacheRead: 1000, text: 'thinking' }) +
        m1Final +
        m2a +
        assistant({ id: 'msg_2', ts: '2026-01-01T10:01:01.000Z', input: 5, output: 9 }) +
        assistant({ id: 'err', ts: '2026-01-01T10:02:00.000Z', input: 0, output: 0, model: '<synthetic>', text: 'API Error' }) +
        assistant({ id: 'msg_3', requestId: 'req_3', ts: '2026-01-02T00:30:00.000Z', input: 1, output: 2, model: 'claude-unknown-9' }),
    );
    write(
      path.join(project(), 'sess-b.jsonl'),
      m1Final.replace('"sess-a"', '"sess-b"') + m2a.replace('"sess-a"', '"sess-b"') + assistant({ id: 'msg_4', requestId: 'req_4', ts: '2026-01-02T01:00:00.000Z', input: 20, output: 30, sessionId: 'sess-b' }),
    );
  }

  it('counts each response once, the larger of its lines, keyless lines each time, and prices by model', () => {
    writeSessions();
    indexAll();
    // 2026-01-01: msg_1 final (10/50/100/1000) + msg_2 both lines (5/7, 5/9) + msg_2's copy in B (5/7)
    // 2026-01-02: msg_3 (1/2, unpriced) + msg_4 (20/30)
    expect(days()).toEqual({ '2026-01-01': [25, 73, 100, 1000], '2026-01-02': [21, 32, 0, 0] });
    const overview = analytics.overview({ range: 'all', tz: 'UTC' });
    // sonnet-4-5 per million: 3 in, 15 out, 3.75 cache write, 0.30 cache read
    // msg_1 1455 + msg_2 120 + 150 + copy 120 + msg_4 510 = 2355 (per million) = $0.002355
    expect(overview.totalCost).toBeCloseTo(0.0024, 4);
    expect(overview.unpricedModels).toEqual(['claude-unknown-9']);
    expect(overview.unpricedTokens).toBe(3);
    expect(overview.sessions).toBe(2);
    const models = analytics.tokensByModel({ range: 'all', tz: 'UTC' }).models;
    expect(models.find((m) => m.model === 'claude-unknown-9')).toMatchObject({ priced: false, totalCost: 0, totalTokens: 3 });
    expect(models.some((m) => m.model === '<synthetic>')).toBe(false);
  });

  it('hands the count to a surviving duplicate when the file holding it goes', () => {
    writeSessions();
    indexAll();
    const fileA = db.prepare<[], { id: number }>("SELECT id FROM transcript_files WHERE path LIKE '%sess-a.jsonl'").get()!;
    db.transaction(() => indexer.dropFileRows(fileA.id))();
    // A's own lines are gone; msg_1's copy in B now counts, with B's keyless copy of msg_2 and msg_4.
    expect(days()).toEqual({ '2026-01-01': [15, 57, 100, 1000], '2026-01-02': [20, 30, 0, 0] });
  });

  it('groups days in the time zone asked for', () => {
    writeSessions();
    indexAll();
    // msg_3 at 00:30Z and msg_4 at 01:00Z on Jan 2 are still Jan 1 in New York (UTC-5).
    expect(days({ tz: 'America/New_York' })).toEqual({ '2026-01-01': [46, 105, 100, 1000] });
    // Kathmandu is UTC+5:45: everything shifts into its own day, the quarter-hour buckets split exactly.
    expect(days({ tz: 'Asia/Kathmandu' })).toEqual({ '2026-01-01': [25, 73, 100, 1000], '2026-01-02': [21, 32, 0, 0] });
    expect(days({ since: '2026-01-02', tz: 'UTC' })).toEqual({ '2026-01-02': [21, 32, 0, 0] });
    expect(days({ until: '2026-01-01', tz: 'UTC' })).toEqual({ '2026-01-01': [25, 73, 100, 1000] });
  });

  it('reads Codex token counts as deltas of the running total, skipping repeated events', () => {
    const event = (ts: string, type: string, payload: object) => line({ timestamp: ts, type, payload });
    const usage = ([input, cached, output]: number[]) => ({ input_tokens: input, cached_input_tokens: cached, output_tokens: output, reasoning_output_tokens: 0, total_tokens: input! + output! });
    const count = (ts: string, total: number[] | null, last: number[] = []) =>
      event(ts, 'event_msg', { type: 'token_count', info: total && { total_token_usage: usage(total), last_token_usage: usage(last), model_context_window: 272000 } });
    write(
      path.join(dir, 'codex', 'sessions', '2026', '01', '03', 'rollout-2026-01-03T09-00-00-cx1.jsonl'),
      event('2026-01-03T09:00:00.000Z', 'session_meta', { id: 'cx1', cwd: '/work/app', git: { branch: 'main' } }) +
        event('2026-01-03T09:00:01.000Z', 'turn_context', { model: 'gpt-5.1-codex', cwd: '/work/app' }) +
        event('2026-01-03T09:00:02.000Z', 'response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix the tokenizer' }] }) +
        count('2026-01-03T09:00:03.000Z', null) +
        // 1000 in of which 600 cached, 50 out → input 400, cache read 600, output 50
        count('2026-01-03T09:00:04.000Z', [1000, 600, 50], [1000, 600, 50]) +
        // the same totals again: nothing new
        count('2026-01-03T09:00:05.000Z', [1000, 600, 50], [1000, 600, 50]) +
        // +500 in (+100 cached), +30 out → input 400, cache read 100, output 30
        count('2026-01-03T09:00:06.000Z', [1500, 700, 80], [500, 100, 30]),
    );
    indexAll();
    expect(days()).toEqual({ '2026-01-03': [800, 80, 0, 700] });
    // gpt-5.1-codex: 1.25 in, 10 out, 0.125 cached → (800 * 1.25 + 80 * 10 + 700 * 0.125) per million
    expect(analytics.overview({ range: 'all', tz: 'UTC' }).totalCost).toBeCloseTo((800 * 1.25 + 80 * 10 + 700 * 0.125) / 1e6, 4);
    const [session] = db.prepare<[], { external_id: string; cwd: string; git_branch: string; model: string; title: string }>('SELECT external_id, cwd, git_branch, model, title FROM library_sessions').all();
    expect(session).toEqual({ external_id: 'cx1', cwd: '/work/app', git_branch: 'main', model: 'gpt-5.1-codex', title: 'fix the tokenizer' });
  });
});

describe('incremental reading', () => {
  const file = () => path.join(dir, 'claude', 'projects', '-work-app', 'sess-a.jsonl');

  it('reads only appended bytes, holds a partial last line back, and picks it up once finished', () => {
    write(file(), user('first', '2026-01-01T10:00:00.000Z', 'u1') + assistant({ id: 'm1', requestId: 'r1', ts: '2026-01-01T10:00:01.000Z', input: 1, output: 2 }));
    indexAll();
    const appended = assistant({ id: 'm2', requestId: 'r2', ts: '2026-01-01T11:00:00.000Z', input: 3, output: 4 });
    fs.appendFileSync(file(), appended.slice(0, 40));
    const partial = indexer.indexFile(file(), 'claude-code');
    expect(partial).toMatchObject({ outcome: 'appended', bytesRead: 0, badLines: 0 });
    expect(days()).toEqual({ '2026-01-01': [1, 2, 0, 0] });
    fs.appendFileSync(file(), appended.slice(40));
    const finished = indexer.indexFile(file(), 'claude-code');
    expect(finished).toMatchObject({ outcome: 'appended', bytesRead: Buffer.byteLength(appended), badLines: 0 });
    expect(days()).toEqual({ '2026-01-01': [4, 6, 0, 0] });
    expect(indexer.indexFile(file(), 'claude-code').outcome).toBe('unchanged');
  });

  it('re-reads a file that was truncated or replaced, replacing its rows', () => {
    write(file(), assistant({ id: 'm1', requestId: 'r1', ts: '2026-01-01T10:00:00.000Z', input: 1, output: 2 }) + assistant({ id: 'm2', requestId: 'r2', ts: '2026-01-01T10:00:00.000Z', input: 3, output: 4 }));
    indexAll();
    fs.truncateSync(file(), 0);
    fs.appendFileSync(file(), assistant({ id: 'm9', requestId: 'r9', ts: '2026-01-01T10:00:00.000Z', input: 7, output: 7 }));
    expect(indexer.indexFile(file(), 'claude-code').outcome).toBe('reread');
    expect(days()).toEqual({ '2026-01-01': [7, 7, 0, 0] });
    // Replaced by another file of the same size and a different beginning (an editor's save): read again.
    const replacement = path.join(dir, 'replacement');
    fs.writeFileSync(replacement, assistant({ id: 'm8', requestId: 'r8', ts: '2026-01-01T10:00:00.000Z', input: 5, output: 9 }));
    fs.renameSync(replacement, file());
    expect(indexer.indexFile(file(), 'claude-code').outcome).toBe('reread');
    expect(days()).toEqual({ '2026-01-01': [5, 9, 0, 0] });
  });

  it('reads a big file in slices without losing or repeating a line', () => {
    let text = '';
    for (let i = 0; i < 2000; i++) text += assistant({ id: `m${i}`, requestId: `r${i}`, ts: '2026-01-01T10:00:00.000Z', input: 1, output: 1, text: 'x'.repeat(200) });
    write(file(), text);
    let slices = 0;
    for (;;) {
      const result = indexer.indexFile(file(), 'claude-code', 64 * 1024);
      slices++;
      if (result.done) break;
    }
    expect(slices).toBeGreaterThan(5);
    expect(days()).toEqual({ '2026-01-01': [2000, 2000, 0, 0] });
  });
});

describe('bad input is skipped and counted, never fatal', () => {
  const project = () => path.join(dir, 'claude', 'projects', '-work-app');

  it('corrupt lines, a binary file, a file that cannot be read, a file gone before its turn', async () => {
    write(path.join(project(), 'ok.jsonl'), `not json at all\n${assistant({ id: 'm1', requestId: 'r1', ts: '2026-01-01T10:00:00.000Z', input: 1, output: 1 })}[1,2,3]\n{"type":"assistant","message":{"usage":\n`);
    write(path.join(project(), 'binary.jsonl'), '');
    fs.writeFileSync(path.join(project(), 'binary.jsonl'), Buffer.from([0x7b, 0, 1, 2, 0xff, 0x0a, 0, 0]));
    fs.symlinkSync('loop.jsonl', path.join(project(), 'loop.jsonl'));
    const gone = write(path.join(project(), 'gone.jsonl'), assistant({ id: 'm2', requestId: 'r2', ts: '2026-01-01T10:00:00.000Z', input: 1, output: 1 }));
    const progress: unknown[] = [];
    const service = new TranscriptService({ db, prices: loadPrices(), roots: { claude: [path.join(dir, 'claude')], codex: [] }, onProgress: (p) => progress.push(p) });
    // The file goes between the listing and its turn, as a file deleted mid-scan does.
    const discover = service.indexer.discover.bind(service.indexer);
    service.indexer.discover = (roots, skipped) => {
      const files = discover(roots, skipped);
      fs.rmSync(gone);
      return files;
    };
    const done = await service.scan();
    expect(done.skipped).toEqual({ badLines: 3, binary: 1, unreadable: 1, vanished: 1, oversizedLines: 0 });
    expect(done.filesDone).toBe(4);
    expect(done.error).toBeNull();
    expect(days()).toEqual({ '2026-01-01': [1, 1, 0, 0] });
    expect(progress.length).toBeGreaterThan(0);
  });

  it('a directory named like a transcript is not read', () => {
    fs.mkdirSync(path.join(project(), 'dir.jsonl'), { recursive: true });
    expect(indexer.indexFile(path.join(project(), 'dir.jsonl'), 'claude-code').outcome).toBe('unreadable');
  });
});

describe('a generated corpus', () => {
  it('adds up to what the generator says, per day, per model and per search word', () => {
    const manifest = generateCorpus({ out: dir, seed: 7, targetBytes: 3_000_000 });
    indexAll({ claude: [manifest.claudeRoot], codex: [manifest.codexRoot] });
    const usage = analytics.tokenUsage({ range: 'all', tz: 'UTC' });
    const expected: Record<string, number[]> = {};
    for (const side of [manifest.claude, manifest.codex]) {
      for (const [date, t] of Object.entries(side.byDay)) {
        const [input, output, create, read] = expected[date] ?? [0, 0, 0, 0];
        expected[date] = [input! + t.inputTokens, output! + t.outputTokens, create! + t.cacheCreationTokens, read! + t.cacheReadTokens];
      }
    }
    expect(Object.fromEntries(usage.days.map((d) => [d.date, [d.inputTokens, d.outputTokens, d.cacheCreationTokens, d.cacheReadTokens]]))).toEqual(expected);
    for (const day of usage.days) {
      const claudeModels = Object.fromEntries(day.models.filter((m) => m.model.startsWith('claude')).map((m) => [m.model, m.totalTokens]));
      const expectedModels = Object.fromEntries(Object.entries(manifest.claude.byDayModel[day.date] ?? {}).map(([model, t]) => [model, t.totalTokens]));
      expect(claudeModels).toEqual(expectedModels);
    }
    for (const word of SEARCH_WORDS) {
      const rows = db.prepare<[string], { n: number }>('SELECT count(*) n FROM messages_fts WHERE messages_fts MATCH ?').get(word)!.n;
      expect({ word, rows }).toEqual({ word, rows: manifest.words[word]!.lines });
    }
  });

  it('a token pass alone gives every total; the full pass after it adds the messages and counts nothing twice', () => {
    const manifest = generateCorpus({ out: dir, seed: 5, targetBytes: 1_500_000, maxTurns: 12 });
    const roots = { claude: [manifest.claudeRoot], codex: [manifest.codexRoot] };
    const files = indexer.discover(roots);
    const pass = (mode: 'usage' | 'full') => {
      for (const file of files) while (!indexer.indexFile(file.path, file.provider, 16 * 1024, mode).done);
    };
    const expectedTotal = [manifest.claude, manifest.codex].flatMap((side) => Object.values(side.byDay)).reduce((sum, t) => sum + t.totalTokens, 0);
    pass('usage');
    expect(analytics.overview({ range: 'all', tz: 'UTC' }).totalTokens).toBe(expectedTotal);
    const claudeMessages = () => db.prepare<[], { n: number }>("SELECT count(*) n FROM messages m JOIN library_sessions s ON s.id = m.session_id WHERE s.provider = 'claude-code'").get()!.n;
    expect(claudeMessages()).toBe(0);
    // A line appended between the passes: the full pass counts its tokens, once.
    const target = files.find((f) => f.provider === 'claude-code' && fs.readFileSync(f.path, 'utf8').endsWith('\n'))!.path;
    fs.appendFileSync(target, assistant({ id: 'msg_between', requestId: 'req_between', ts: '2026-11-02T12:00:00.000Z', input: 1, output: 2, sessionId: 'x' }));
    pass('full');
    expect(analytics.overview({ range: 'all', tz: 'UTC' }).totalTokens).toBe(expectedTotal + 3);
    expect(claudeMessages()).toBeGreaterThan(0);
    for (const word of SEARCH_WORDS) {
      const rows = db.prepare<[string], { n: number }>('SELECT count(*) n FROM messages_fts WHERE messages_fts MATCH ?').get(word)!.n;
      expect({ word, rows }).toEqual({ word, rows: manifest.words[word]!.lines });
    }
    // Another token pass finds nothing new, and a full pass after a live read neither.
    for (const file of files) expect(indexer.indexFile(file.path, file.provider, 16 * 1024 * 1024, 'usage').outcome).toBe('unchanged');
    fs.appendFileSync(target, assistant({ id: 'msg_live', requestId: 'req_live', ts: '2026-11-02T12:00:01.000Z', input: 1, output: 1, sessionId: 'x' }));
    indexer.indexFile(target, 'claude-code');
    indexer.indexFile(target, 'claude-code', 1 << 20, 'usage');
    expect(analytics.overview({ range: 'all', tz: 'UTC' }).totalTokens).toBe(expectedTotal + 5);
  });

  it('picks up one appended line incrementally', () => {
    const manifest = generateCorpus({ out: dir, seed: 3, targetBytes: 1_000_000 });
    indexAll({ claude: [manifest.claudeRoot], codex: [manifest.codexRoot] });
    const before = analytics.overview({ range: 'all', tz: 'UTC' });
    // Not a file left ending in a half-written line: appending would complete that line instead.
    const target = indexer.discover({ claude: [manifest.claudeRoot], codex: [] }).find((f) => fs.readFileSync(f.path, 'utf8').endsWith('\n'))!.path;
    const appended = assistant({ id: 'msg_appended', requestId: 'req_appended', ts: '2026-11-01T12:00:00.000Z', input: 11, output: 22, cacheCreate: 33, cacheRead: 44 });
    fs.appendFileSync(target, appended);
    const results = indexAll({ claude: [manifest.claudeRoot], codex: [manifest.codexRoot] });
    const changed = results.filter((r) => r.outcome !== 'unchanged');
    expect(changed).toEqual([expect.objectContaining({ file: target, outcome: 'appended', bytesRead: Buffer.byteLength(appended) })]);
    const after = analytics.overview({ range: 'all', tz: 'UTC' });
    expect(after.totalTokens - before.totalTokens).toBe(11 + 22 + 33 + 44);
    expect(after.inputTokens - before.inputTokens).toBe(11);
  });
});

describe('live files', () => {
  it('follows a transcript as it grows, also one that does not exist yet', async () => {
    const file = path.join(dir, 'claude', 'projects', '-work-app', 'live.jsonl');
    const service = new TranscriptService({ db, prices: loadPrices(), roots: { claude: [], codex: [] }, pollIntervalMs: 50 });
    try {
      service.follow('s1', file, 'claude-code');
      write(file, assistant({ id: 'm1', requestId: 'r1', ts: '2026-01-01T10:00:00.000Z', input: 1, output: 1, sessionId: 'live' }));
      await waitFor(() => days()['2026-01-01']?.[0] === 1, { what: 'the first line' });
      fs.appendFileSync(file, assistant({ id: 'm2', requestId: 'r2', ts: '2026-01-01T10:00:00.000Z', input: 2, output: 2, sessionId: 'live' }));
      await waitFor(() => days()['2026-01-01']?.[0] === 3, { what: 'the appended line' });
    } finally {
      service.close();
    }
  });
});

describe('prices', () => {
  it('prices a model by its exact family, never a neighbour, and the long-context rate above 200k', () => {
    const prices = loadPrices();
    expect(modelFamily('anthropic/claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5');
    expect(prices.cost('claude-opus-4-1-20250805', { input: 1e6, output: 0, cacheCreate: 0, cacheRead: 0 })).toBe(15);
    expect(prices.cost('claude-opus-4-5-20251101', { input: 1e6, output: 0, cacheCreate: 0, cacheRead: 0 })).toBe(5);
    expect(prices.cost('claude-opus-4-99', { input: 1, output: 0, cacheCreate: 0, cacheRead: 0 })).toBeNull();
    expect(prices.cost('gpt-5.3-codex', { input: 1, output: 0, cacheCreate: 0, cacheRead: 0 })).toBeNull();
    expect(prices.cost('claude-sonnet-4-5', { input: 100_000, output: 1000, cacheCreate: 0, cacheRead: 100_000 })).toBeCloseTo((100_000 * 3 + 1000 * 15 + 100_000 * 0.3) / 1e6, 9);
    expect(prices.cost('claude-sonnet-4-5', { input: 100_001, output: 1000, cacheCreate: 0, cacheRead: 100_000 })).toBeCloseTo((100_001 * 6 + 1000 * 22.5 + 100_000 * 0.6) / 1e6, 9);
    expect(prices.cost('gpt-5-codex', { input: 400, output: 50, cacheCreate: 0, cacheRead: 600 })).toBeCloseTo((400 * 1.25 + 50 * 10 + 600 * 0.125) / 1e6, 12);
  });

  it("lets the user's file win and refuses a malformed one with the reason", () => {
    const file = path.join(dir, 'prices.json');
    fs.writeFileSync(file, JSON.stringify({ models: [{ names: ['claude-sonnet-4-5'], input: 1, output: 1 }, { names: ['my-model'], input: 2, output: 2 }] }));
    const prices = loadPrices(file);
    expect(prices.cost('claude-sonnet-4-5', { input: 1e6, output: 0, cacheCreate: 0, cacheRead: 0 })).toBe(1);
    expect(prices.cost('my-model', { input: 1e6, output: 0, cacheCreate: 0, cacheRead: 0 })).toBe(2);
    expect(prices.fingerprint).not.toBe(loadPrices().fingerprint);
    fs.writeFileSync(file, JSON.stringify({ models: [{ names: [], input: 'x' }] }));
    let error: unknown;
    try {
      loadPrices(file);
    } catch (caught) {
      error = caught;
    }
    expect(isAppError(error) && error.code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toContain(file);
  });

  it('recomputes stored costs when prices change', () => {
    write(path.join(dir, 'claude', 'projects', '-w', 's.jsonl'), assistant({ id: 'm', requestId: 'r', ts: '2026-01-01T10:00:00.000Z', input: 100_000, output: 0 }));
    indexAll();
    expect(analytics.overview({ range: 'all' }).totalCost).toBe(0.3);
    indexer.setPrices(new PriceTable([{ names: ['claude-sonnet-4-5'], input: 7, output: 7 }]));
    expect(indexer.repriceAll()).toBe(1);
    expect(analytics.overview({ range: 'all' }).totalCost).toBe(0.7);
  });
});
