import { AppError } from '../errors';

export const RANGES = ['today', '7d', '30d', 'all'] as const;
export type RangeName = (typeof RANGES)[number];

export interface RangeInput {
  range?: RangeName;
  /** YYYY-MM-DD (a day in `tz`) or an ISO time; wins over the start of `range`. */
  since?: string;
  /** YYYY-MM-DD (inclusive, a day in `tz`) or an ISO time (exclusive). */
  until?: string;
  tz?: string;
}

/** A half-open interval of epoch milliseconds (null: unbounded) and the zone its days are counted in. */
export interface ResolvedRange {
  start: number | null;
  end: number | null;
  tz: string;
}

/** Quarter hours: every time zone's midnight falls on one, so days are exact sums of buckets. */
export const BUCKET_MS = 900_000;

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      throw new AppError('VALIDATION_FAILED', `tz: unknown time zone "${tz}" (use an IANA name such as Europe/Paris or UTC)`);
    }
    formatters.set(tz, f);
  }
  return f;
}

export function checkTimeZone(tz: string): string {
  formatter(tz);
  return tz;
}

function parts(ms: number, tz: string): { y: number; m: number; d: number; h: number; min: number } {
  const out = { y: 0, m: 0, d: 0, h: 0, min: 0 };
  for (const part of formatter(tz).formatToParts(ms)) {
    if (part.type === 'year') out.y = Number(part.value);
    else if (part.type === 'month') out.m = Number(part.value);
    else if (part.type === 'day') out.d = Number(part.value);
    else if (part.type === 'hour') out.h = Number(part.value);
    else if (part.type === 'minute') out.min = Number(part.value);
  }
  return out;
}

/** Local time minus UTC at instant `ms`, in milliseconds. */
function offsetAt(ms: number, tz: string): number {
  const p = parts(ms, tz);
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min);
  return asUtc - Math.floor(ms / 60_000) * 60_000;
}

/** The instant local midnight of y-m-d begins in `tz` (the first instant of that day, across DST changes too). */
export function startOfLocalDay(y: number, m: number, d: number, tz: string): number {
  const guess = Date.UTC(y, m - 1, d);
  let t = guess - offsetAt(guess, tz);
  t = guess - offsetAt(t, tz);
  return t;
}

const dayCache = new Map<string, string>();

/** 'YYYY-MM-DD' of instant `ms` in `tz`. */
export function dayOf(ms: number, tz: string): string {
  const key = `${tz}|${Math.floor(ms / BUCKET_MS)}`;
  let day = dayCache.get(key);
  if (day === undefined) {
    const p = parts(ms, tz);
    day = `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}`;
    if (dayCache.size > 200_000) dayCache.clear();
    dayCache.set(key, day);
  }
  return day;
}

/** 'YYYY-MM-DDTHH' of instant `ms` in `tz`, for hourly timelines. */
export function hourOf(ms: number, tz: string): string {
  const p = parts(ms, tz);
  return `${p.y}-${String(p.m).padStart(2, '0')}-${String(p.d).padStart(2, '0')}T${String(p.h).padStart(2, '0')}`;
}

function addDays(y: number, m: number, d: number, days: number): [number, number, number] {
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
}

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseBound(value: string, field: 'since' | 'until', tz: string): number {
  const day = DAY_RE.exec(value);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const check = new Date(Date.UTC(y, m - 1, d));
    if (check.getUTCFullYear() !== y || check.getUTCMonth() + 1 !== m || check.getUTCDate() !== d) {
      throw new AppError('VALIDATION_FAILED', `${field}: ${value} is not a calendar day`);
    }
    // until names a whole day: the range ends where the next one begins.
    return field === 'until' ? startOfLocalDay(...addDays(y, m, d, 1), tz) : startOfLocalDay(y, m, d, tz);
  }
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms)) throw new AppError('VALIDATION_FAILED', `${field}: "${value}" is neither a day (YYYY-MM-DD) nor an ISO time`);
  return ms;
}

export function resolveRange(input: RangeInput, now = Date.now()): ResolvedRange {
  const tz = checkTimeZone(input.tz ?? systemTimeZone());
  let start: number | null = null;
  let end: number | null = null;
  const range = input.range ?? (input.since || input.until ? 'all' : '30d');
  if (range !== 'all') {
    const back = range === 'today' ? 0 : range === '7d' ? 6 : 29;
    const today = parts(now, tz);
    start = startOfLocalDay(...addDays(today.y, today.m, today.d, -back), tz);
  }
  if (input.since) start = parseBound(input.since, 'since', tz);
  if (input.until) end = parseBound(input.until, 'until', tz);
  if (start !== null && end !== null && end <= start) {
    throw new AppError('VALIDATION_FAILED', `until (${input.until}) must come after since (${input.since ?? range})`);
  }
  return { start, end, tz };
}

/** The buckets a range covers, as bounds for `bucket >= ? AND bucket < ?` (rounded outwards to whole buckets). */
export function bucketBounds(range: ResolvedRange): [number, number] {
  return [range.start === null ? -1e15 : Math.floor(range.start / BUCKET_MS), range.end === null ? 1e15 : Math.ceil(range.end / BUCKET_MS)];
}

/**
 * The local days (in `tz`) that buckets lo..hi fall on, each as [date, first bucket, first bucket of the next day]:
 * what a query groups by to sum whole days in SQL.
 */
export function localDays(lo: number, hi: number, tz: string): Array<[string, number, number]> {
  const days: Array<[string, number, number]> = [];
  const [y, m, d] = dayOf(lo * BUCKET_MS, tz).split('-').map(Number) as [number, number, number];
  let start = startOfLocalDay(y, m, d, tz);
  for (let i = 1; start <= hi * BUCKET_MS; i++) {
    const next = startOfLocalDay(...addDays(y, m, d, i), tz);
    days.push([dayOf(start, tz), Math.floor(start / BUCKET_MS), Math.floor(next / BUCKET_MS)]);
    start = next;
  }
  return days;
}

/** Like localDays, by calendar month in `tz`: [YYYY-MM, first bucket, first bucket of the next month]. */
export function localMonths(lo: number, hi: number, tz: string): Array<[string, number, number]> {
  const months: Array<[string, number, number]> = [];
  let [y, m] = dayOf(lo * BUCKET_MS, tz).split('-').map(Number) as [number, number];
  let start = startOfLocalDay(y, m, 1, tz);
  while (start <= hi * BUCKET_MS) {
    const [ny, nm] = m === 12 ? [y + 1, 1] : [y, m + 1];
    const next = startOfLocalDay(ny, nm, 1, tz);
    months.push([`${y}-${String(m).padStart(2, '0')}`, Math.floor(start / BUCKET_MS), Math.floor(next / BUCKET_MS)]);
    [y, m, start] = [ny, nm, next];
  }
  return months;
}
