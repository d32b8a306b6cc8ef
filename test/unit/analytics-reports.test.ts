import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Analytics } from '../../src/core/analytics/analytics';
import { BLOCK_MS, formBlocks, type BlockSource, type BucketTimes, type UsageSums } from '../../src/core/analytics/blocks';
import { ccusageSessionKey } from '../../src/core/analytics/session-usage';
import { BUCKET_MS } from '../../src/core/analytics/range';
import { openDatabase } from '../../src/core/db/open';
import { TranscriptIndexer } from '../../src/core/transcripts/indexer';
import { loadPrices } from '../../src/core/transcripts/prices';

// The monthly, session and blocks reports over small hand-made transcripts whose answers are known (the blocks ones
// are what ccusage 20.0.24 printed for the same lines).

let dir: string;
let db: Database.Database;
let analytics: Analytics;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-reports-'));
  db = openDatabase(path.join(dir, 'codepiper.db'));
  analytics = new Analytics(db);
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  ts: string;
  input?: number;
  output?: number;
  cacheRead?: number;
  model?: string;
}

let serial = 0;

/** A Claude Code transcript of assistant replies (each its own message id and request id). */
function claude(rel: string, sessionId: string, replies: Reply[]): void {
  const file = path.join(dir, 'claude', 'projects', rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const lines = replies.map((r) => {
    serial++;
    return JSON.stringify({
      type: 'assistant',
      sessionId,
      cwd: '/work/app',
      uuid: `u-${serial}`,
      timestamp: r.ts,
      requestId: `req_${serial}`,
      message: {
        id: `msg_${serial}`,
        role: 'assistant',
        model: r.model ?? 'claude-sonnet-4-5-20250929',
        content: [{ type: 'text', text: 'ok' }],
        usage: { input_tokens: r.input ?? 10, output_tokens: r.output ?? 100, cache_creation_input_tokens: 0, cache_read_input_tokens: r.cacheRead ?? 1000 },
      },
    });
  });
  fs.appendFileSync(file, `${lines.join('\n')}\n`);
}

/** A Codex rollout: a session_meta, a turn_context and one token_count per reply (totals growing). */
function codex(rel: string, id: string, replies: Array<{ ts: string; input: number; cached: number; output: number }>): void {
  const file = path.join(dir, 'codex', 'sessions', rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const total = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 };
  const lines = [
    { timestamp: replies[0]!.ts, type: 'session_meta', payload: { id, cwd: '/work/codex' } },
    { timestamp: replies[0]!.ts, type: 'turn_context', payload: { model: 'gpt-5-codex', cwd: '/work/codex' } },
    ...replies.map((r) => {
      const last = { input_tokens: r.input, cached_input_tokens: r.cached, output_tokens: r.output };
      total.input_tokens += r.input;
      total.cached_input_tokens += r.cached;
      total.output_tokens += r.output;
      return { timestamp: r.ts, type: 'event_msg', payload: { type: 'token_count', info: { total_token_usage: { ...total }, last_token_usage: last } } };
    }),
  ];
  fs.writeFileSync(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
}

function indexAll(): void {
  const indexer = new TranscriptIndexer({ db, prices: loadPrices() });
  for (const file of indexer.discover({ claude: [path.join(dir, 'claude')], codex: [path.join(dir, 'codex')] })) {
    while (!indexer.indexFile(file.path, file.provider).done);
  }
}

describe('analytics monthly', () => {
  it('counts months in the zone asked for, to the token', () => {
    claude('-work-app/s1.jsonl', 's1', [
      { ts: '2026-10-15T12:00:00.000Z', output: 1 },
      // 23:30 UTC on 31 October is already 1 November in Paris (UTC+1 since the end of summer time on the 25th).
      { ts: '2026-10-31T23:30:00.000Z', output: 20 },
      { ts: '2026-11-01T00:30:00.000Z', output: 300 },
      // 22:30 UTC on 30 November is 1 December in Tokyo (UTC+9), still November in Paris.
      { ts: '2026-11-30T22:30:00.000Z', output: 4000 },
    ]);
    indexAll();
    const months = (tz: string) => Object.fromEntries(analytics.monthly({ tz }).months.map((m) => [m.month, m.outputTokens]));
    expect(months('UTC')).toEqual({ '2026-10': 21, '2026-11': 4300 });
    expect(months('Europe/Paris')).toEqual({ '2026-10': 1, '2026-11': 4320 });
    expect(months('Asia/Tokyo')).toEqual({ '2026-10': 1, '2026-11': 320, '2026-12': 4000 });
    const report = analytics.monthly({ tz: 'UTC' });
    expect(report.totals).toMatchObject({ inputTokens: 40, outputTokens: 4321, cacheReadTokens: 4000, totalTokens: 8361 });
    expect(report.months[0]!.models.map((m) => m.model)).toEqual(['claude-sonnet-4-5-20250929']);
    // All time by default (not the last 30 days of the other reports); a range still narrows it.
    expect(report.range.from).toBeNull();
    expect(analytics.monthly({ tz: 'UTC', since: '2026-11-01' }).months.map((m) => m.month)).toEqual(['2026-11']);
  });
});

describe('analytics session usage', () => {
  it('keys sessions as ccusage does: a session over several days is one row, old subagent files their own', () => {
    claude('-work-app/sess-long.jsonl', 'sess-long', [
      { ts: '2026-11-01T23:50:00.000Z', output: 1 },
      { ts: '2026-11-02T10:00:00.000Z', output: 2 },
      { ts: '2026-11-04T08:00:00.000Z', output: 4 },
    ]);
    // A new-layout subagent counts with its session; an old-layout agent file (same sessionId inside) stands alone.
    claude('-work-app/sess-long/subagents/agent-new1.jsonl', 'sess-long', [{ ts: '2026-11-02T11:00:00.000Z', output: 8 }]);
    claude('-work-app/agent-old1.jsonl', 'sess-long', [{ ts: '2026-11-03T11:00:00.000Z', output: 16 }]);
    claude('-work-other/sess-short.jsonl', 'sess-short', [{ ts: '2026-11-05T09:00:00.000Z', output: 32, model: 'claude-opus-4-5-20251101' }]);
    codex('2026/11/06/rollout-2026-11-06T10-00-00-abc.jsonl', 'codex-uuid-1', [
      { ts: '2026-11-06T10:01:00.000Z', input: 500, cached: 200, output: 64 },
      { ts: '2026-11-07T10:01:00.000Z', input: 1000, cached: 100, output: 128 },
    ]);
    indexAll();
    const report = analytics.sessionUsage({ tz: 'UTC' });
    const rows = Object.fromEntries(report.sessions.map((s) => [s.sessionId, { out: s.outputTokens, lib: s.librarySession, provider: s.provider }]));
    expect(rows).toEqual({
      'sess-long': { out: 1 + 2 + 4 + 8, lib: 'sess-long', provider: 'claude-code' },
      'agent-old1': { out: 16, lib: 'sess-long', provider: 'claude-code' },
      'sess-short': { out: 32, lib: 'sess-short', provider: 'claude-code' },
      '2026/11/06/rollout-2026-11-06T10-00-00-abc': { out: 192, lib: 'codex-uuid-1', provider: 'codex' },
    });
    const codexRow = report.sessions.find((s) => s.provider === 'codex')!;
    expect(codexRow).toMatchObject({ inputTokens: 1200, cacheReadTokens: 300, totalTokens: 1692 });
    expect(report.totals.outputTokens).toBe(15 + 16 + 32 + 192);
    // Costliest first.
    const costs = report.sessions.map((s) => s.totalCost);
    expect(costs).toEqual([...costs].sort((a, b) => b - a));
    expect(costs[0]).toBeGreaterThan(costs.at(-1)!);
    // A range counts only its entries, also for a split conversation.
    const narrowed = Object.fromEntries(analytics.sessionUsage({ tz: 'UTC', since: '2026-11-02', until: '2026-11-03' }).sessions.map((s) => [s.sessionId, s.outputTokens]));
    expect(narrowed).toEqual({ 'sess-long': 2 + 8, 'agent-old1': 16 });
  });

  it('names sessions from their paths', () => {
    expect(ccusageSessionKey('claude-code', '/h/.claude/projects/-p/abc.jsonl')).toBe('abc');
    expect(ccusageSessionKey('claude-code', '/h/.claude/projects/-p/abc/subagents/agent-1.jsonl')).toBe('abc');
    expect(ccusageSessionKey('claude-code', '/h/.claude/projects/-p/agent-1.jsonl')).toBe('agent-1');
    expect(ccusageSessionKey('claude-code', '/x/projects/y/.claude/projects/-p/abc.jsonl')).toBe('abc');
    expect(ccusageSessionKey('codex', '/h/.codex/sessions/2026/11/06/rollout-x.jsonl')).toBe('2026/11/06/rollout-x');
  });
});

describe('analytics blocks', () => {
  it('forms 5-hour blocks from the full hour, with entries at exactly 5 hours kept and pauses over 5 hours as gaps', () => {
    claude('-p/s1.jsonl', 's1', [
      { ts: '2026-11-01T10:30:00.000Z' },
      { ts: '2026-11-01T15:00:00.000Z' }, // exactly 5 h after the block's start: still in it
      { ts: '2026-11-01T15:00:00.001Z' },
      { ts: '2026-11-01T15:30:00.000Z' },
      { ts: '2026-11-01T20:30:00.000Z' }, // a pause of exactly 5 h: a new block, no gap
      { ts: '2026-11-02T01:30:00.000Z' },
      { ts: '2026-11-02T01:30:00.001Z' },
      { ts: '2026-11-02T06:30:00.002Z' }, // a pause of 5 h and 1 ms: a gap
      { ts: '2026-11-02T12:00:00.000Z' },
    ]);
    indexAll();
    const now = Date.parse('2026-12-01T00:00:00Z');
    const report = analytics.blocks({ tz: 'UTC' }, now);
    // What ccusage 20.0.24 `blocks --json` printed for these lines.
    expect(report.blocks.map((b) => [b.isGap ? 'gap' : 'block', b.startTime, b.isGap ? b.endTime : b.actualEndTime, b.entries, b.totalTokens])).toEqual([
      ['block', '2026-11-01T10:00:00.000Z', '2026-11-01T15:00:00.000Z', 2, 2220],
      ['block', '2026-11-01T15:00:00.000Z', '2026-11-01T15:30:00.000Z', 2, 2220],
      ['block', '2026-11-01T20:00:00.000Z', '2026-11-01T20:30:00.000Z', 1, 1110],
      ['block', '2026-11-02T01:00:00.000Z', '2026-11-02T01:30:00.001Z', 2, 2220],
      ['block', '2026-11-02T06:00:00.000Z', '2026-11-02T06:30:00.002Z', 1, 1110],
      ['gap', '2026-11-02T06:30:00.001Z', '2026-11-02T06:30:00.002Z', 0, 0],
      ['gap', '2026-11-02T11:30:00.002Z', '2026-11-02T12:00:00.000Z', 0, 0],
      ['block', '2026-11-02T12:00:00.000Z', '2026-11-02T12:00:00.000Z', 1, 1110],
    ]);
    expect(report.blocks.every((b) => !b.isActive && b.burnRate === null && b.projection === null)).toBe(true);
    expect(report.totals.totalTokens).toBe(9 * 1110);
    // Blocks are formed over all usage, then kept by the day they start (as ccusage's --since/--until).
    expect(analytics.blocks({ tz: 'UTC', since: '2026-11-02' }, now).blocks.map((b) => b.startTime)).toEqual([
      '2026-11-02T01:00:00.000Z',
      '2026-11-02T06:00:00.000Z',
      '2026-11-02T06:30:00.001Z',
      '2026-11-02T11:30:00.002Z',
      '2026-11-02T12:00:00.000Z',
    ]);
    expect(analytics.blocks({ tz: 'Asia/Tokyo', until: '2026-11-01' }, now).blocks.map((b) => b.startTime)).toEqual(['2026-11-01T10:00:00.000Z']);
  });

  it('gives the active block a burn rate and a projection to its end, against the clock it is given', () => {
    claude('-p/s3.jsonl', 's3', [
      { ts: '2026-12-04T16:19:52.000Z', output: 100 },
      { ts: '2026-12-04T17:36:32.000Z', output: 300 },
      { ts: '2026-12-04T18:06:32.000Z', output: 500 },
    ]);
    indexAll();
    const now = Date.parse('2026-12-04T18:16:32.000Z');
    const report = analytics.blocks({ tz: 'UTC', active: true }, now);
    expect(report.blocks).toHaveLength(1);
    const block = report.blocks[0]!;
    expect(block).toMatchObject({ startTime: '2026-12-04T16:00:00.000Z', endTime: '2026-12-04T21:00:00.000Z', isActive: true, entries: 3, totalTokens: 3930 });
    // 3,930 tokens over the 106 min 40 s from the first reply to the last.
    const minutes = 106 + 40 / 60;
    expect(block.burnRate!.tokensPerMinute).toBeCloseTo(3930 / minutes, 9);
    expect(block.burnRate!.inputOutputTokensPerMinute).toBeCloseTo(930 / minutes, 9);
    expect(block.burnRate!.costPerHour).toBeCloseTo(Math.round(((block.totalCost / minutes) * 60) * 1e4) / 1e4, 4);
    // 163 whole minutes left (21:00 - 18:16:32, rounded); ccusage projected 9,936 tokens for the same lines and time.
    expect(block.projection).toMatchObject({ remainingMinutes: 163, totalTokens: 9936 });
    expect(block.projection!.totalCost).toBeCloseTo(block.totalCost + (block.burnRate!.costPerHour / 60) * 163, 3);
    // Five hours after the start the block has run out: nothing is active.
    expect(analytics.blocks({ tz: 'UTC', active: true }, Date.parse('2026-12-04T21:00:00.000Z')).blocks).toEqual([]);
    expect(analytics.blocks({ tz: 'UTC' }, Date.parse('2026-12-04T21:00:00.000Z')).blocks[0]).toMatchObject({ isActive: false, burnRate: null, projection: null });
  });

  it('answers from what the index holds now: a report asked again after new lines includes them', () => {
    claude('-p/s4.jsonl', 's4', [{ ts: '2026-11-01T10:30:00.000Z' }]);
    indexAll();
    const now = Date.parse('2026-11-01T11:00:00.000Z');
    expect(analytics.blocks({ tz: 'UTC' }, now).blocks.map((b) => [b.startTime, b.entries, b.isActive])).toEqual([['2026-11-01T10:00:00.000Z', 1, true]]);
    expect(analytics.sessionUsage({ tz: 'UTC' }).sessions.map((s) => s.sessionId)).toEqual(['s4']);
    // Asked again unchanged, later: the same blocks, no longer active.
    expect(analytics.blocks({ tz: 'UTC' }, now + BLOCK_MS).blocks.map((b) => b.isActive)).toEqual([false]);
    claude('-p/s4.jsonl', 's4', [{ ts: '2026-11-01T17:00:00.000Z' }]);
    claude('-p/s5.jsonl', 's5', [{ ts: '2026-11-01T17:05:00.000Z' }]);
    indexAll();
    expect(analytics.blocks({ tz: 'UTC' }, now).blocks.map((b) => [b.isGap ? 'gap' : 'block', b.startTime, b.entries])).toEqual([
      ['block', '2026-11-01T10:00:00.000Z', 1],
      ['gap', '2026-11-01T15:30:00.000Z', 0],
      ['block', '2026-11-01T17:00:00.000Z', 2],
    ]);
    expect(analytics.sessionUsage({ tz: 'UTC' }).sessions.map((s) => s.sessionId).sort()).toEqual(['s4', 's5']);
  });

  it('forms the same blocks from quarter-hour sums as from every entry, at the edges too', () => {
    // Random entries crowded around the edges the quarter-hour sums cannot see: exact hours and 5-hour pauses.
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 40; round++) {
      const entries: Array<{ ts: number; tokens: number }> = [];
      let t = Date.UTC(2026, 10, 1, 9) + Math.floor(random() * 4) * 900_000;
      for (let i = 0; i < 60; i++) {
        const pick = random();
        if (pick < 0.15) t = Math.ceil(t / 3_600_000) * 3_600_000; // exactly on an hour
        else if (pick < 0.3) t += BLOCK_MS + Math.floor(random() * 3) - 1; // a pause of 5 h, 1 ms either side
        else if (pick < 0.4) t += BLOCK_MS - 900_000 + Math.floor(random() * 1_800_000); // 5 h give or take a quarter hour
        else t += Math.floor(random() * 3_000_000);
        entries.push({ ts: t, tokens: 1 + Math.floor(random() * 100) });
        if (random() < 0.1) entries.push({ ts: t, tokens: 5 }); // two entries at the same millisecond
      }
      const ours = formBlocks(sourceOf(entries), t).map((b) => [b.isGap, b.startTime, b.endTime, b.actualEndTime, b.sums.entries, b.sums.input]);
      expect(ours).toEqual(blocksOneByOne(entries));
    }
  });
});

/** A block source over a list of entries (each its tokens as input), summed per quarter hour like the index. */
function sourceOf(entries: Array<{ ts: number; tokens: number }>): BlockSource {
  const sums = (list: Array<{ tokens: number }>): UsageSums => ({ entries: list.length, input: list.reduce((s, e) => s + e.tokens, 0), output: 0, cache_create: 0, cache_read: 0, cost: 0 });
  const byBucket = new Map<number, Array<{ ts: number; tokens: number }>>();
  for (const e of entries) {
    const b = Math.floor(e.ts / BUCKET_MS);
    byBucket.set(b, [...(byBucket.get(b) ?? []), e]);
  }
  return {
    buckets: () => [...byBucket.entries()].sort(([a], [b]) => a - b).map(([bucket, list]) => ({ bucket, entries: list.length })),
    sums: (ranges) =>
      ranges
        .map(([lo, hi], index) => ({ index, model: 'm', ...sums(entries.filter((e) => Math.floor(e.ts / BUCKET_MS) >= lo && Math.floor(e.ts / BUCKET_MS) < hi)) }))
        .filter((row) => row.entries > 0),
    onTheHour: () => {
      const out = new Map<number, UsageSums & { models: string[] }>();
      for (const e of entries.filter((x) => x.ts % 3_600_000 === 0)) out.set(e.ts, { ...sums(entries.filter((x) => x.ts === e.ts)), models: ['m'] });
      return out;
    },
    times: (buckets) => {
      const out = new Map<number, BucketTimes>();
      for (const b of buckets) {
        const ts = byBucket.get(b)!.map((e) => e.ts);
        const after = ts.filter((x) => x % BUCKET_MS !== 0);
        out.set(b, { first: Math.min(...ts), firstAfterStart: after.length ? Math.min(...after) : null, last: Math.max(...ts) });
      }
      return out;
    },
  };
}

/** ccusage's rule entry by entry: the reference the quarter-hour walk must agree with. */
function blocksOneByOne(entries: Array<{ ts: number; tokens: number }>) {
  const sorted = [...entries].sort((a, b) => a.ts - b.ts);
  const out: Array<[boolean, number, number, number | null, number, number]> = [];
  let block: { start: number; last: number; n: number; tokens: number } | null = null;
  const flush = () => block && out.push([false, block.start, block.start + BLOCK_MS, block.last, block.n, block.tokens]);
  for (const e of sorted) {
    if (block && e.ts - block.start <= BLOCK_MS && e.ts - block.last <= BLOCK_MS) {
      block.last = e.ts;
      block.n++;
      block.tokens += e.tokens;
      continue;
    }
    flush();
    if (block && e.ts - block.last > BLOCK_MS) out.push([true, block.last + BLOCK_MS, e.ts, null, 0, 0]);
    block = { start: Math.floor(e.ts / 3_600_000) * 3_600_000, last: e.ts, n: 1, tokens: e.tokens };
  }
  flush();
  return out.sort((a, b) => a[1] - b[1]);
}
