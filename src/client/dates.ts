/**
 * The one way clients write a point in time. Tables and lists: how long ago for the last day ("42s ago", "5m ago",
 * "3h ago"), a local ISO-like date and minute beyond that ("2026-12-04 13:57"). Logs and detail views: the local date
 * to the second ("2026-12-04 13:57:34"), optionally followed by the relative form. --json carries ISO 8601 as the
 * daemon sends it. `now` is a parameter everywhere, so tests fix the clock.
 */

/** Up to this age a time is said relative to now; older ones by their date. */
export const RELATIVE_FOR_MS = 24 * 3600_000;
/** A time this little ahead of now (clocks of two processes disagree) is "0s ago", not a date. */
const SKEW_MS = 60_000;

type When = string | number | Date | null | undefined;

function toMs(value: When): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

const two = (n: number) => String(n).padStart(2, '0');

/** "2026-12-04 13:57" in local time (with ":34" seconds when `seconds`). */
function localStamp(ms: number, seconds: boolean): string {
  const t = new Date(ms);
  const day = `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())}`;
  return `${day} ${two(t.getHours())}:${two(t.getMinutes())}${seconds ? `:${two(t.getSeconds())}` : ''}`;
}

/** "42s ago", "5m ago", "3h ago" for an age under a day; undefined otherwise (older, or in the future). */
export function relativeAge(ms: number, now: number): string | undefined {
  const age = now - ms;
  if (age < -SKEW_MS || age >= RELATIVE_FOR_MS) return undefined;
  const seconds = Math.max(0, Math.floor(age / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  return `${Math.floor(seconds / 3600)}h ago`;
}

/**
 * A time for a table cell: relative under a day, else "2026-12-04 13:57" (local). "-" for no time; text that is not
 * a time comes back as given.
 */
export function formatWhen(value: When, now: number = Date.now()): string {
  const ms = toMs(value);
  if (ms === undefined) return value === null || value === undefined || value === '' ? '-' : String(value);
  return relativeAge(ms, now) ?? localStamp(ms, false);
}

/** A time for a log line or a detail view: "2026-12-04 13:57:34" (local), with " (5m ago)" when `relative` and recent. */
export function formatStamp(value: When, { now = Date.now(), relative = false }: { now?: number; relative?: boolean } = {}): string {
  const ms = toMs(value);
  if (ms === undefined) return value === null || value === undefined || value === '' ? '-' : String(value);
  const age = relative ? relativeAge(ms, now) : undefined;
  return age ? `${localStamp(ms, true)} (${age})` : localStamp(ms, true);
}

/** ISO 8601 in UTC, what --json carries for a time; null stays null. */
export function isoTime(value: When): string | null {
  const ms = toMs(value);
  return ms === undefined ? null : new Date(ms).toISOString();
}
