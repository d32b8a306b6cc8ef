import type Database from 'better-sqlite3';
import { LIVE_STATES } from '../sessions/state';
import { Conditions, underDirectory } from '../transcripts/scope';
import { activeAt, burnRate, formBlocks, indexBlockSource, projection, type Block } from './blocks';
import { sessionUsage } from './session-usage';
import { BUCKET_MS, bucketBounds, dayOf, hourOf, localDays, localMonths, resolveRange, type RangeInput, type ResolvedRange } from './range';

/** Which conversations a report covers: a directory (the session's cwd or below it) and/or one library session. */
export interface AnalyticsFilter extends RangeInput {
  cwd?: string;
  /** A library session's numeric id (resolved by the caller). */
  sessionId?: number;
}

/** Token fields named as ccusage's JSON names them. */
export interface TokenTotals {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  totalCost: number;
}

interface RollupSums {
  input: number;
  output: number;
  cache_create: number;
  cache_read: number;
  cost: number;
}

/** The live states as an SQL list (fixed words from our own table, not input). */
const LIVE_STATES_SQL = `(${[...LIVE_STATES].map((state) => `'${state}'`).join(', ')})`;

export function zeroTotals(): TokenTotals {
  return { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, totalTokens: 0, totalCost: 0 };
}

function addSums(target: TokenTotals, row: RollupSums): void {
  target.inputTokens += row.input;
  target.outputTokens += row.output;
  target.cacheCreationTokens += row.cache_create;
  target.cacheReadTokens += row.cache_read;
  target.totalTokens += row.input + row.output + row.cache_create + row.cache_read;
  target.totalCost += row.cost;
}

/** Costs are sums of many floats: rounded to a hundredth of a cent for display and comparison. */
function roundCost<T extends { totalCost: number }>(t: T): T {
  t.totalCost = Math.round(t.totalCost * 1e4) / 1e4;
  return t;
}

export function rangeOut(range: ResolvedRange) {
  return { from: range.start === null ? null : new Date(range.start).toISOString(), to: range.end === null ? null : new Date(range.end).toISOString(), tz: range.tz };
}

/**
 * The analytics reports. Token and message figures come from the quarter-hour rollups the indexer keeps, so a report
 * reads a few thousand rows whatever the size of the corpus; days are formed in the caller's time zone.
 */
export class Analytics {
  /**
   * Session usage and blocks read every busy quarter hour of all time (and a few entries): tens of milliseconds on a
   * large index, asked again and again by a status line or a dashboard while nothing changed. Their answers are kept
   * until the database changes: the key holds this connection's count of changed rows (every write of the indexer, the
   * library and the price reload goes through it) and SQLite's data_version (a write by any other connection).
   */
  private readonly answers = new Map<string, unknown>();
  private versionQuery?: Database.Statement<[], number>;

  constructor(private readonly db: Database.Database) {}

  private keptUntilChange<T>(key: string, compute: () => T): T {
    this.versionQuery ??= this.db.prepare<[], number>('SELECT total_changes()').pluck();
    const full = `${this.versionQuery.get()}:${this.db.pragma('data_version', { simple: true })}|${key}`;
    if (this.answers.has(full)) return this.answers.get(full) as T;
    const value = compute();
    // Answers of older versions are never asked for again: a small bound is enough.
    if (this.answers.size >= 32) this.answers.clear();
    this.answers.set(full, value);
    return value;
  }

  /** `AND ...` restricting a rollup (or messages) table's session_id column, with its parameters. */
  private scope(filter: AnalyticsFilter, column = 'session_id'): { sql: string; params: unknown[] } {
    const scope = new Conditions();
    if (filter.sessionId !== undefined) scope.add(`${column} = ?`, filter.sessionId);
    if (filter.cwd) {
      const under = underDirectory('cwd', filter.cwd);
      scope.add(`${column} IN (SELECT id FROM library_sessions WHERE ${under.sql})`, ...under.params);
    }
    return { sql: scope.clauses.map((c) => ` AND ${c}`).join(''), params: scope.params };
  }

  /** Managed sessions running now, per provider, within the filter's directory or session (the range does not apply). */
  private liveSessions(filter: AnalyticsFilter): Array<{ provider: string; n: number }> {
    const where = new Conditions().add(`state IN ${LIVE_STATES_SQL}`);
    if (filter.cwd) where.under('cwd', filter.cwd);
    if (filter.sessionId !== undefined) where.add('agent_session_id = (SELECT external_id FROM library_sessions WHERE id = ?)', filter.sessionId);
    return this.db.prepare<unknown[], { provider: string; n: number }>(`SELECT provider, count(*) n FROM sessions WHERE ${where.joined()} GROUP BY provider`).all(...where.params);
  }

  overview(filter: AnalyticsFilter) {
    const range = resolveRange(filter);
    const [from, to] = bucketBounds(range);
    const scope = this.scope(filter);
    const usage = this.db
      .prepare<unknown[], RollupSums & { unpriced: number }>(
        `SELECT coalesce(sum(input), 0) input, coalesce(sum(output), 0) output, coalesce(sum(cache_create), 0) cache_create,
                coalesce(sum(cache_read), 0) cache_read, coalesce(sum(cost), 0) cost, coalesce(sum(unpriced), 0) unpriced
         FROM usage_rollup WHERE bucket >= ? AND bucket < ?${scope.sql}`,
      )
      .get(from, to, ...scope.params)!;
    const unpricedModels = this.db
      .prepare<unknown[], { model: string }>(`SELECT DISTINCT model FROM usage_rollup WHERE unpriced > 0 AND bucket >= ? AND bucket < ?${scope.sql} ORDER BY model`)
      .all(from, to, ...scope.params)
      .map((row) => row.model);
    const messages = this.db
      .prepare<unknown[], { n: number }>(`SELECT coalesce(sum(messages), 0) n FROM message_rollup WHERE bucket >= ? AND bucket < ?${scope.sql}`)
      .get(from, to, ...scope.params)!.n;
    // A conversation counts when it has a message or tokens in the range: asked of each one through its own index.
    const sessionScope = this.scope(filter, 's.id');
    const sessions = this.db
      .prepare<unknown[], { n: number }>(
        `SELECT count(*) n FROM library_sessions s WHERE (
           EXISTS (SELECT 1 FROM message_rollup m WHERE m.session_id = s.id AND m.bucket >= ? AND m.bucket < ? AND m.messages > 0)
           OR EXISTS (SELECT 1 FROM usage_rollup u WHERE u.session_id = s.id AND u.bucket >= ? AND u.bucket < ? AND u.entries > 0))${sessionScope.sql}`,
      )
      .get(from, to, from, to, ...sessionScope.params)!.n;
    const active = this.liveSessions(filter).reduce((sum, row) => sum + row.n, 0);
    const totals = zeroTotals();
    addSums(totals, usage);
    const prompt = totals.inputTokens + totals.cacheCreationTokens + totals.cacheReadTokens;
    return {
      range: rangeOut(range),
      sessions,
      activeSessions: active,
      messages,
      ...roundCost(totals),
      cacheHitRate: prompt === 0 ? 0 : Math.round((totals.cacheReadTokens / prompt) * 1e4) / 1e4,
      unpricedTokens: usage.unpriced,
      unpricedModels,
    };
  }

  /** Tokens and cost per day, with a breakdown per model: `{days: [{date, ...tokens, models}], totals}`. */
  tokenUsage(filter: AnalyticsFilter) {
    const { range, periods, totals } = this.usageByPeriod(filter, localDays);
    return { range: rangeOut(range), days: periods.map(({ period, ...rest }) => ({ date: period, ...rest })), totals };
  }

  /** Tokens and cost per calendar month in the filter's zone (all time unless a range is given), per model too. */
  monthly(filter: AnalyticsFilter) {
    const { range, periods, totals } = this.usageByPeriod({ ...filter, range: filter.range ?? 'all' }, localMonths);
    return { range: rangeOut(range), months: periods.map(({ period, ...rest }) => ({ month: period, ...rest })), totals };
  }

  /**
   * Sums per period (local days or months, each an exact range of quarter-hour buckets) and model: SQLite sums each
   * period's buckets in key order, and a row per period and model comes back.
   */
  private usageByPeriod(filter: AnalyticsFilter, periodsOf: (lo: number, hi: number, tz: string) => Array<[string, number, number]>) {
    const range = resolveRange(filter);
    const [from, to] = bucketBounds(range);
    const scope = this.scope(filter);
    const joined = this.scope(filter, 'r.session_id');
    const span = this.db
      .prepare<unknown[], { lo: number | null; hi: number | null }>(`SELECT min(bucket) lo, max(bucket) hi FROM usage_rollup WHERE bucket >= ? AND bucket < ?${scope.sql} AND entries > 0`)
      .get(from, to, ...scope.params)!;
    const periods = new Map<string, TokenTotals & { models: Map<string, TokenTotals> }>();
    const totals = zeroTotals();
    const add = (key: string, row: RollupSums & { model: string }) => {
      let period = periods.get(key);
      if (!period) periods.set(key, (period = { ...zeroTotals(), models: new Map() }));
      let model = period.models.get(row.model);
      if (!model) period.models.set(row.model, (model = zeroTotals()));
      addSums(period, row);
      addSums(model, row);
      addSums(totals, row);
    };
    if (span.lo !== null && span.hi !== null) {
      const ranges = periodsOf(span.lo, span.hi, range.tz);
      const values = ranges.map(() => '(?, ?, ?)').join(', ');
      const rows = this.db
        .prepare<unknown[], RollupSums & { period: string; model: string }>(
          `WITH periods (period, lo, hi) AS (VALUES ${values})
           SELECT periods.period period, r.model model, sum(r.input) input, sum(r.output) output, sum(r.cache_create) cache_create,
                  sum(r.cache_read) cache_read, sum(r.cost) cost
           FROM periods JOIN usage_rollup r ON r.bucket >= max(periods.lo, ?) AND r.bucket < min(periods.hi, ?)
           WHERE r.entries > 0${joined.sql} GROUP BY periods.period, r.model`,
        )
        .all(...ranges.flat(), from, to, ...joined.params);
      for (const row of rows) add(row.period, row);
    }
    return {
      range,
      periods: [...periods.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([period, { models, ...sums }]) => ({
          period,
          ...roundCost(sums),
          models: [...models.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([model, t]) => ({ model, ...roundCost(t) })),
        })),
      totals: roundCost(totals),
    };
  }

  /** Tokens and cost per session as ccusage names sessions (all time unless a range is given), costliest first. */
  sessionUsage(filter: AnalyticsFilter) {
    const range = resolveRange({ ...filter, range: filter.range ?? 'all' });
    const [from, to] = bucketBounds(range);
    const totals = zeroTotals();
    const scope = this.scope(filter, 'r.session_id');
    const rows = this.keptUntilChange(`sessions|${from}|${to}|${scope.sql}|${JSON.stringify(scope.params)}`, () => sessionUsage(this.db, from, to, scope));
    const sessions = rows.map(({ sums, ...row }) => {
      const t = zeroTotals();
      addSums(t, sums);
      addSums(totals, sums);
      return { ...row, ...roundCost(t) };
    });
    sessions.sort((a, b) => b.totalCost - a.totalCost || b.totalTokens - a.totalTokens || (a.sessionId < b.sessionId ? -1 : 1));
    return { range: rangeOut(range), sessions, totals: roundCost(totals) };
  }

  /**
   * Claude Code's 5-hour billing blocks (see blocks.ts), the gaps between them, and for the active block its burn rate
   * and projection. since/until keep the blocks that start in that range; `now` is injectable for tests.
   */
  blocks(filter: RangeInput & { active?: boolean }, now = Date.now()) {
    const range = resolveRange({ ...filter, range: filter.range ?? 'all' });
    const totals = zeroTotals();
    const formed = this.keptUntilChange<Block[]>('blocks', () => formBlocks(indexBlockSource(this.db), now));
    const blocks = formed
      .map((block) => ({ ...block, isActive: !block.isGap && activeAt(block.endTime, block.actualEndTime!, now) }))
      .filter((b) => (range.start === null || b.startTime >= range.start) && (range.end === null || b.startTime < range.end) && (!filter.active || b.isActive))
      .map((block) => {
        const t = zeroTotals();
        addSums(t, block.sums);
        addSums(totals, block.sums);
        const rate = block.isActive ? burnRate(block) : null;
        const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
        return {
          startTime: iso(block.startTime)!,
          endTime: iso(block.endTime)!,
          actualEndTime: iso(block.actualEndTime),
          isActive: block.isActive,
          isGap: block.isGap,
          entries: block.sums.entries,
          ...roundCost(t),
          models: block.models,
          burnRate: rate && { ...rate, costPerHour: Math.round(rate.costPerHour * 1e4) / 1e4 },
          projection: projection(block, rate, now),
        };
      });
    return { range: rangeOut(range), now: new Date(now).toISOString(), blocks, totals: roundCost(totals) };
  }

  tokensByModel(filter: AnalyticsFilter) {
    const range = resolveRange(filter);
    const [from, to] = bucketBounds(range);
    const scope = this.scope(filter);
    const rows = this.db
      .prepare<unknown[], RollupSums & { model: string; entries: number; unpriced: number }>(
        `SELECT model, sum(entries) entries, sum(input) input, sum(output) output, sum(cache_create) cache_create,
                sum(cache_read) cache_read, sum(cost) cost, sum(unpriced) unpriced
         FROM usage_rollup WHERE bucket >= ? AND bucket < ?${scope.sql} GROUP BY model HAVING sum(entries) > 0`,
      )
      .all(from, to, ...scope.params);
    const models = rows.map((row) => {
      const t = zeroTotals();
      addSums(t, row);
      return { model: row.model, requests: row.entries, priced: row.unpriced === 0, ...roundCost(t) };
    });
    models.sort((a, b) => b.totalCost - a.totalCost || b.totalTokens - a.totalTokens);
    const totals = zeroTotals();
    for (const row of rows) addSums(totals, row);
    return { range: rangeOut(range), models, totals: roundCost(totals) };
  }

  /** Per day (or hour): messages, sessions with activity, tokens. */
  activityTimeline(filter: AnalyticsFilter & { granularity?: 'day' | 'hour' }) {
    const range = resolveRange(filter);
    const [from, to] = bucketBounds(range);
    const scope = this.scope(filter);
    const granularity = filter.granularity ?? (filter.range === 'today' ? 'hour' : 'day');
    const label = (bucket: number) => (granularity === 'hour' ? hourOf(bucket * BUCKET_MS, range.tz) : dayOf(bucket * BUCKET_MS, range.tz));
    const points = new Map<string, { messages: number; sessions: Set<number>; tokens: number; cost: number }>();
    const point = (key: string) => {
      let p = points.get(key);
      if (!p) points.set(key, (p = { messages: 0, sessions: new Set(), tokens: 0, cost: 0 }));
      return p;
    };
    for (const row of this.db
      .prepare<unknown[], { bucket: number; session_id: number; messages: number }>(`SELECT bucket, session_id, messages FROM message_rollup WHERE bucket >= ? AND bucket < ?${scope.sql} AND messages > 0`)
      .all(from, to, ...scope.params)) {
      const p = point(label(row.bucket));
      p.messages += row.messages;
      p.sessions.add(row.session_id);
    }
    for (const row of this.db
      .prepare<unknown[], { bucket: number; session_id: number; tokens: number; cost: number }>(
        `SELECT bucket, session_id, sum(input + output + cache_create + cache_read) tokens, sum(cost) cost FROM usage_rollup
         WHERE bucket >= ? AND bucket < ?${scope.sql} AND entries > 0 GROUP BY bucket, session_id`,
      )
      .all(from, to, ...scope.params)) {
      const p = point(label(row.bucket));
      p.tokens += row.tokens;
      p.cost += row.cost;
      p.sessions.add(row.session_id);
    }
    return {
      range: rangeOut(range),
      granularity,
      points: [...points.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([at, p]) => ({ at, messages: p.messages, sessions: p.sessions.size, totalTokens: p.tokens, totalCost: Math.round(p.cost * 1e4) / 1e4 })),
    };
  }

  sessionsByProvider(filter: AnalyticsFilter) {
    const range = resolveRange(filter);
    const [from, to] = bucketBounds(range);
    const scope = this.scope(filter, 'r.session_id');
    const rows = this.db
      .prepare<unknown[], RollupSums & { provider: string; sessions: number }>(
        `SELECT s.provider provider, count(DISTINCT r.session_id) sessions, sum(r.input) input, sum(r.output) output,
                sum(r.cache_create) cache_create, sum(r.cache_read) cache_read, sum(r.cost) cost
         FROM usage_rollup r JOIN library_sessions s ON s.id = r.session_id
         WHERE r.bucket >= ? AND r.bucket < ?${scope.sql} AND r.entries > 0 GROUP BY s.provider ORDER BY sessions DESC`,
      )
      .all(from, to, ...scope.params);
    const live = this.liveSessions(filter);
    const liveBy = new Map(live.map((row) => [row.provider, row.n]));
    const providers = rows.map((row) => {
      const t = zeroTotals();
      addSums(t, row);
      return { provider: row.provider, sessions: row.sessions, activeSessions: liveBy.get(row.provider) ?? 0, ...roundCost(t) };
    });
    for (const [provider, n] of liveBy) {
      if (!providers.some((p) => p.provider === provider)) providers.push({ provider, sessions: 0, activeSessions: n, ...zeroTotals() });
    }
    return { range: rangeOut(range), providers };
  }

  /** The 15 most used tools in the range (tool calls, from the messages index). */
  toolUsage(filter: AnalyticsFilter & { limit?: number }) {
    const range = resolveRange(filter);
    const scope = this.scope(filter);
    const tools = this.db
      .prepare<unknown[], { tool: string; calls: number; sessions: number }>(
        `SELECT tool, count(*) calls, count(DISTINCT session_id) sessions FROM messages
         WHERE role = 'tool' AND ts >= ? AND ts < ? AND copy = 0${scope.sql} GROUP BY tool ORDER BY calls DESC, tool LIMIT ?`,
      )
      .all(range.start ?? -1e15, range.end ?? 1e15, ...scope.params, filter.limit ?? 15);
    return { range: rangeOut(range), tools };
  }

  /** Policy decisions per day and decision (managed sessions only: the policy engine decides for those). */
  policyDecisions(filter: RangeInput & { managedSessionId?: string }) {
    const range = resolveRange(filter);
    const where = new Conditions()
      .add('at >= ?', range.start === null ? '' : new Date(range.start).toISOString())
      .add('at < ?', range.end === null ? '9' : new Date(range.end).toISOString());
    if (filter.managedSessionId) where.add('session_id = ?', filter.managedSessionId);
    const rows = this.db.prepare<unknown[], { at: string; decision: string }>(`SELECT at, decision FROM policy_decisions WHERE ${where.joined()}`).all(...where.params);
    const days = new Map<string, { allow: number; deny: number; ask: number }>();
    const totals = { allow: 0, deny: 0, ask: 0 };
    for (const row of rows) {
      const date = dayOf(Date.parse(row.at), range.tz);
      let day = days.get(date);
      if (!day) days.set(date, (day = { allow: 0, deny: 0, ask: 0 }));
      const key = row.decision as keyof typeof totals;
      if (key in day) {
        day[key]++;
        totals[key]++;
      }
    }
    return { range: rangeOut(range), days: [...days.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, d]) => ({ date, ...d })), totals };
  }
}
