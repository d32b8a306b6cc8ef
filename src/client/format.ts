/**
 * Text formats every client shares: tables, key/value blocks, durations, counts, tokens, money, times. Pure: nothing
 * here writes anywhere or asks the terminal anything (src/cli/output.ts does), so the dashboard and the command line
 * speak alike.
 */

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: 'left' | 'right';
}

export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, i) => Math.max(displayWidth(column.header), ...cells.map((line) => displayWidth(line[i]!))));
  const render = (line: string[]) =>
    line
      .map((cell, i) => {
        const last = i === line.length - 1;
        const pad = ' '.repeat(widths[i]! - displayWidth(cell));
        return columns[i]!.align === 'right' ? pad + cell : last ? cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  return [render(columns.map((column) => column.header)), ...cells.map(render)].join('\n') + '\n';
}

export function formatKeyValues(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${key.padEnd(width)}  ${value}`).join('\n') + '\n';
}

/** 3725 → "1h 2m 5s"; sub-minute values keep one decimal only below 10 s. */
export function formatDuration(seconds: number): string {
  if (seconds < 10) return `${Math.max(0, seconds).toFixed(1)}s`;
  let rest = Math.floor(seconds);
  const days = Math.floor(rest / 86400);
  rest -= days * 86400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  const parts = [days && `${days}d`, hours && `${hours}h`, minutes && `${minutes}m`, (secs || (!days && !hours && !minutes)) && `${secs}s`];
  return parts.filter(Boolean).slice(0, 3).join(' ');
}

const counts = new Intl.NumberFormat('en-US');

/** 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  return counts.format(n);
}

/** Token counts for tables: exact below 10,000, then 12.3K, 4.5M, 1.2B (--json keeps the exact numbers). */
export function formatTokens(n: number): string {
  if (Math.abs(n) < 10_000) return formatCount(n);
  const units = ['K', 'M', 'B', 'T'];
  let value = n / 1000;
  let unit = 0;
  // 999,960 is "1.0M", not "1000.0K".
  while (Math.abs(Number(value.toFixed(1))) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(1)}${units[unit]}`;
}

/** US dollars with cents: 1234.5 → "$1,234.50". */
export function formatCost(usd: number): string {
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** 0.8734 → "87.3%". */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** An audit row's outcome as its fields say it (the GET /policy-decisions answer). */
export interface AuditOutcomeFields {
  at: string;
  outcome: string | null;
  outcomeBy: string | null;
  outcomeVia: string | null;
  outcomeAt: string | null;
}

/**
 * What became of an audited question, in words: "allowed by policy", "approved via cli after 12s", "denied in the
 * agent", "allowed by the agent's settings", "timed out", "unanswered: session ended", "waiting"; "—" for rows
 * recorded before outcomes were kept.
 */
export function formatOutcome(row: AuditOutcomeFields): string {
  const { outcome, outcomeBy: by, outcomeVia: via } = row;
  if (outcome === null) return '—';
  if (outcome === 'pending') return 'waiting';
  if (outcome === 'timed_out') return 'timed out';
  if (outcome === 'session_ended') return 'unanswered: session ended';
  if (by === 'policy') return `${outcome} by policy`;
  if (by === 'agent') return `${outcome} by the agent's settings`;
  if (by === 'person') {
    const verb = outcome === 'allowed' ? 'approved' : 'denied';
    const how = via === 'agent-ui' ? 'in the agent' : `via ${via ?? 'unknown'}`;
    const after = row.outcomeAt ? (Date.parse(row.outcomeAt) - Date.parse(row.at)) / 1000 : NaN;
    return Number.isFinite(after) ? `${verb} ${how} after ${formatDuration(after)}` : `${verb} ${how}`;
  }
  return outcome;
}

/** 5_300_000 → "5.1 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/**
 * A horizontal bar for `value`, scaled so that `max` fills `width` columns: whole blocks, then an eighth block for the
 * remainder. A value above zero always shows at least a sliver, so that small is not mistaken for nothing.
 */
export function formatBar(value: number, max: number, width = 30): string {
  if (!(max > 0) || !(value > 0)) return '';
  const eighths = Math.max(1, Math.round((Math.min(value, max) / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An ISO time in local time, the way ls shows dates: "Mar 05 14:05" this year, "Mar 05  2024" before it. */
export function formatShortTime(iso: string | null, now = new Date()): string {
  if (!iso) return '-';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const day = `${MONTHS[t.getMonth()]} ${String(t.getDate()).padStart(2, '0')}`;
  if (t.getFullYear() !== now.getFullYear()) return `${day}  ${t.getFullYear()}`;
  return `${day} ${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
}

/** An ISO time in local time, in full: "2026-03-05 14:05:09". */
export function formatLocalTime(iso: string | null): string {
  if (!iso) return '-';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
}

/** Cuts `text` to `width` columns, marking the cut with "…". */
export function clip(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 1 ? chars.slice(0, width).join('') : `${chars.slice(0, width - 1).join('')}…`;
}

/**
 * Text an agent wrote, made safe to print on a terminal: control characters (escape sequences with them) are removed,
 * except newlines and tabs, so that a transcript cannot move the cursor, retitle the window or change colours.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Terminal columns taken by a string: code points, ignoring ANSI colour sequences. */
export function displayWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\u001b\[[0-9;]*m/g, '')].length;
}
