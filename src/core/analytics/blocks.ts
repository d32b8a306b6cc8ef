import type Database from 'better-sqlite3';
import { BUCKET_MS } from './range';

/**
 * Claude's 5-hour billing blocks, as ccusage forms them: usage in time order; a block starts at the full UTC hour of
 * its first entry and takes every later entry up to and including 5 hours after that start, unless the entries pause
 * for more than 5 hours (then the pause is shown as a gap and the next entry starts a new block). A block is active
 * while its 5 hours have not run out.
 *
 * The index keeps usage summed per quarter hour (the rollups), and almost every decision can be taken on those sums: a
 * block's end falls on a full hour, so on a bucket boundary, and consecutive busy buckets decide a pause unless they are
 * exactly 20 buckets (5 hours) apart. The few exact times the walk needs — the first and last entry of a bucket, and
 * entries stamped exactly on the hour a block ends — are read from the entries themselves, for the few buckets
 * concerned, so that blocks are exact to the millisecond without reading every entry.
 */
export const BLOCK_MS = 5 * 3_600_000;
const HOUR_MS = 3_600_000;
/** Buckets apart at which a pause may or may not exceed 5 hours: only the entries' times tell. */
const AMBIGUOUS_DISTANCE = BLOCK_MS / BUCKET_MS;

export interface UsageSums {
  entries: number;
  input: number;
  output: number;
  cache_create: number;
  cache_read: number;
  cost: number;
}

/** One busy quarter hour and how many requests it holds. */
export interface BusyBucket {
  bucket: number;
  entries: number;
}

/** The sums of one model within one of the bucket ranges asked for (`index` into that list). */
export interface RangeSums extends UsageSums {
  index: number;
  model: string;
}

/** Exact times within a bucket: the first entry, the first one after the bucket's first millisecond, the last. */
export interface BucketTimes {
  first: number;
  firstAfterStart: number | null;
  last: number;
}

/** What the walk reads (from the index, or in a test from a list of entries): busy buckets, sums, exact times. */
export interface BlockSource {
  buckets(): BusyBucket[];
  /** Sums per model over each bucket range [lo, hi). */
  sums(ranges: Array<[number, number]>): RangeSums[];
  /** Entries stamped exactly on a full hour, summed per time. */
  onTheHour(): Map<number, UsageSums & { models: string[] }>;
  times(buckets: number[]): Map<number, BucketTimes>;
}

export interface Block {
  startTime: number;
  endTime: number;
  /** The last entry's time; for a gap, null. */
  actualEndTime: number | null;
  isActive: boolean;
  isGap: boolean;
  firstEntryTime: number | null;
  models: string[];
  sums: UsageSums;
}

const zeroSums = (): UsageSums => ({ entries: 0, input: 0, output: 0, cache_create: 0, cache_read: 0, cost: 0 });

function addTo(target: UsageSums, part: UsageSums, sign = 1): void {
  target.entries += sign * part.entries;
  target.input += sign * part.input;
  target.output += sign * part.output;
  target.cache_create += sign * part.cache_create;
  target.cache_read += sign * part.cache_read;
  target.cost += sign * part.cost;
}

interface Open {
  start: number;
  firstBucket: number;
  /** Opened with the rest of a bucket whose on-the-hour entries closed the previous block. */
  firstAfterStart: boolean;
  lastBucket: number;
  /** Closed after only the on-the-hour entries of its last bucket: the last entry is that bucket's first millisecond. */
  endsOnTheHour: boolean;
}

/** The blocks and the gaps between them, in time order, with `now` deciding which block is active. */
export function formBlocks(source: BlockSource, now: number): Block[] {
  const buckets = source.buckets();
  if (buckets.length === 0) return [];
  const onTheHour = source.onTheHour();
  const ambiguous = new Set<number>();
  for (let i = 1; i < buckets.length; i++) {
    if (buckets[i]!.bucket - buckets[i - 1]!.bucket === AMBIGUOUS_DISTANCE) ambiguous.add(buckets[i - 1]!.bucket).add(buckets[i]!.bucket);
  }
  const known = ambiguous.size ? source.times([...ambiguous]) : new Map<number, BucketTimes>();

  const closed: Array<{ block: Open; gapBefore: boolean }> = [];
  let current: Open | null = null;
  let gapBefore = false;
  const open = (bucket: number, firstAfterStart: boolean) => {
    current = { start: Math.floor((bucket * BUCKET_MS) / HOUR_MS) * HOUR_MS, firstBucket: bucket, firstAfterStart, lastBucket: bucket, endsOnTheHour: false };
  };
  const close = (nextAfterGap: boolean) => {
    closed.push({ block: current!, gapBefore });
    gapBefore = nextAfterGap;
    current = null;
  };
  // Which buckets each block takes: decided on the buckets alone, the sums are added up per block afterwards.
  for (const row of buckets) {
    const cur = current as Open | null;
    if (!cur) {
      open(row.bucket, false);
      continue;
    }
    const at = row.bucket * BUCKET_MS;
    const distance = row.bucket - cur.lastBucket;
    let pause: boolean;
    if (distance < AMBIGUOUS_DISTANCE) pause = false;
    else if (distance > AMBIGUOUS_DISTANCE) pause = true;
    else pause = known.get(row.bucket)!.first - (cur.endsOnTheHour ? cur.lastBucket * BUCKET_MS : known.get(cur.lastBucket)!.last) > BLOCK_MS;
    if (pause) {
      close(true);
      open(row.bucket, false);
    } else if (at > cur.start + BLOCK_MS) {
      close(false);
      open(row.bucket, false);
    } else if (at === cur.start + BLOCK_MS) {
      // Entries at exactly 5 hours still belong to the block; the rest of the quarter hour starts the next one.
      const edge = onTheHour.get(at);
      if (!edge) {
        close(false);
        open(row.bucket, false);
        continue;
      }
      cur.lastBucket = row.bucket;
      cur.endsOnTheHour = true;
      if (row.entries > edge.entries) {
        close(false);
        open(row.bucket, true);
      }
    } else {
      cur.lastBucket = row.bucket;
      cur.endsOnTheHour = false;
    }
  }
  if (current) close(false);

  const ends = new Set<number>();
  for (const { block } of closed) ends.add(block.firstBucket).add(block.lastBucket);
  const times = source.times([...ends].filter((bucket) => !known.has(bucket)));
  for (const [bucket, t] of known) times.set(bucket, t);

  // Each block's buckets in one query; a bucket split on the hour counts its on-the-hour entries with the block
  // that ends there and the rest with the next (whose models are the bucket's: they cannot be told apart cheaply).
  const sums = closed.map(() => ({ sums: zeroSums(), models: new Set<string>() }));
  const ranges = closed.map(({ block }): [number, number] => [block.firstBucket, block.endsOnTheHour ? block.lastBucket : block.lastBucket + 1]);
  for (const row of source.sums(ranges)) {
    addTo(sums[row.index]!.sums, row);
    sums[row.index]!.models.add(row.model);
  }
  closed.forEach(({ block }, i) => {
    if (block.endsOnTheHour) {
      const edge = onTheHour.get(block.lastBucket * BUCKET_MS)!;
      addTo(sums[i]!.sums, edge);
      for (const model of edge.models) sums[i]!.models.add(model);
    }
    if (block.firstAfterStart) addTo(sums[i]!.sums, onTheHour.get(block.firstBucket * BUCKET_MS)!, -1);
  });

  const blocks: Block[] = [];
  let previousLast: number | null = null;
  for (const [i, { block, gapBefore: gap }] of closed.entries()) {
    const first = times.get(block.firstBucket)!;
    const firstEntry = block.firstAfterStart ? first.firstAfterStart! : first.first;
    const lastEntry = block.endsOnTheHour ? block.lastBucket * BUCKET_MS : times.get(block.lastBucket)!.last;
    if (gap && previousLast !== null) {
      blocks.push({ startTime: previousLast + BLOCK_MS, endTime: firstEntry, actualEndTime: null, isActive: false, isGap: true, firstEntryTime: null, models: [], sums: zeroSums() });
    }
    const endTime = block.start + BLOCK_MS;
    blocks.push({
      startTime: block.start,
      endTime,
      actualEndTime: lastEntry,
      isActive: activeAt(endTime, lastEntry, now),
      isGap: false,
      firstEntryTime: firstEntry,
      models: [...sums[i]!.models].sort(),
      sums: sums[i]!.sums,
    });
    previousLast = lastEntry;
  }
  return blocks.sort((a, b) => a.startTime - b.startTime);
}

/** A block is active while its 5 hours run and its last request is less than 5 hours old (ccusage's test). */
export function activeAt(endTime: number, lastEntry: number, now: number): boolean {
  return now - lastEntry < BLOCK_MS && now < endTime;
}

export interface BurnRate {
  tokensPerMinute: number;
  /** Input and output tokens only, without the cache. */
  inputOutputTokensPerMinute: number;
  costPerHour: number;
}

/** Tokens and cost per minute between the block's first and last entry; none for a block of one instant. */
export function burnRate(block: Block): BurnRate | null {
  if (block.isGap || block.firstEntryTime === null || block.actualEndTime === null) return null;
  const minutes = (block.actualEndTime - block.firstEntryTime) / 60_000;
  if (minutes <= 0) return null;
  const s = block.sums;
  return {
    tokensPerMinute: (s.input + s.output + s.cache_create + s.cache_read) / minutes,
    inputOutputTokensPerMinute: (s.input + s.output) / minutes,
    costPerHour: (s.cost / minutes) * 60,
  };
}

export interface Projection {
  remainingMinutes: number;
  totalTokens: number;
  totalCost: number;
}

/** An active block's totals at its end if the burn rate holds (over the whole minutes left, as ccusage counts). */
export function projection(block: Block, rate: BurnRate | null, now: number): Projection | null {
  if (!block.isActive || !rate) return null;
  const remainingMinutes = Math.round(Math.max(0, block.endTime - now) / 60_000);
  const s = block.sums;
  return {
    remainingMinutes,
    totalTokens: Math.round(s.input + s.output + s.cache_create + s.cache_read + rate.tokensPerMinute * remainingMinutes),
    totalCost: Math.round((s.cost + (rate.costPerHour / 60) * remainingMinutes) * 1e4) / 1e4,
  };
}

/** Claude Code's usage in the index as a block source (blocks are a Claude subscription's windows, as in ccusage). */
export function indexBlockSource(db: Database.Database): BlockSource {
  // `+session_id`: a scan of the table beats reading it through the session index row by row.
  const claude = "+session_id IN (SELECT id FROM library_sessions WHERE provider = 'claude-code')";
  return {
    buckets: () =>
      db
        .prepare<[], BusyBucket>(`SELECT bucket, sum(entries) entries FROM usage_rollup WHERE entries > 0 AND ${claude} GROUP BY bucket ORDER BY bucket`)
        .all(),
    sums: (ranges) => {
      if (ranges.length === 0) return [];
      return db
        .prepare<[string], RangeSums>(
          `WITH ranges (i, lo, hi) AS (SELECT key, value ->> 0, value ->> 1 FROM json_each(?))
           SELECT ranges.i "index", r.model model, sum(r.entries) entries, sum(r.input) input, sum(r.output) output,
                  sum(r.cache_create) cache_create, sum(r.cache_read) cache_read, sum(r.cost) cost
           FROM ranges JOIN usage_rollup r ON r.bucket >= ranges.lo AND r.bucket < ranges.hi
           WHERE r.entries > 0 AND +r.session_id IN (SELECT id FROM library_sessions WHERE provider = 'claude-code')
           GROUP BY ranges.i, r.model`,
        )
        .all(JSON.stringify(ranges));
    },
    onTheHour: () =>
      new Map(
        db
          .prepare<[], UsageSums & { ts: number; models: string | null }>(
            `SELECT ts, count(*) entries, sum(input) input, sum(output) output, sum(cache_create) cache_create, sum(cache_read) cache_read,
                    sum(coalesce(cost, 0)) cost, group_concat(DISTINCT model) models
             FROM usage_entries WHERE kept = 1 AND ts % ${HOUR_MS} = 0 AND ${claude} GROUP BY ts`,
          )
          .all()
          .map(({ ts, models, ...sums }) => [ts, { ...sums, models: models ? models.split(',') : [] }]),
      ),
    times: (buckets) => {
      if (buckets.length === 0) return new Map();
      const rows = db
        .prepare<[string], { bucket: number; first: number; firstAfterStart: number | null; last: number }>(
          `SELECT ts / ${BUCKET_MS} bucket, min(ts) first, min(CASE WHEN ts % ${BUCKET_MS} <> 0 THEN ts END) firstAfterStart, max(ts) last
           FROM usage_entries WHERE kept = 1 AND ts / ${BUCKET_MS} IN (SELECT value FROM json_each(?)) AND ${claude} GROUP BY bucket`,
        )
        .all(JSON.stringify(buckets));
      return new Map(rows.map(({ bucket, ...t }) => [bucket, t]));
    },
  };
}
