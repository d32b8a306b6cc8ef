/**
 * Text formats every client shares: tables, key/value blocks, durations, counts, tokens, money; times come from
 * ./dates and display widths from ./widths (both re-exported here). Pure: nothing here writes anywhere or asks the
 * terminal anything (src/cli/output.ts does), so the dashboard and the command line speak alike.
 */

import { clip, displayWidth, lastPartWidth, padEndTo, padStartTo, shortenPath } from './widths';

export { clip, clipStart, displayWidth, homeRelative, padEndTo, padStartTo, shortenPath } from './widths';
export { formatStamp, formatWhen, isoTime } from './dates';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: 'left' | 'right';
  /**
   * Makes the column optional: when the table is wider than its width even with every shrinkable column at its
   * narrowest, optional columns go, the lowest `drop` first. Each table says its order where it declares them.
   */
  drop?: number;
  /** Lets the column narrow to fit: how a cell is cut to `width` (default: at the end, "…") and its narrowest width. */
  shrink?: { min: (cells: readonly string[]) => number; fit?: (cell: string, width: number) => string };
}

/** How a column of directories narrows: from the left, down to "…/" and the last part of the longest one. */
export const SHRINK_PATH: NonNullable<Column<unknown>['shrink']> = {
  min: (cells) => Math.max(0, ...cells.map((cell) => lastPartWidth(cell))),
  fit: (cell, width) => shortenPath(cell, width),
};

export interface TableOptions {
  /** The columns the table may take (the terminal's width); without it, every column is as wide as its widest cell. */
  width?: number;
}

const GAP = 2;

/**
 * Rows under a header, columns two spaces apart, every cell measured in display columns (CJK and emoji take two,
 * colour sequences none). Given a width, the table gives way in this order: shrinkable columns narrow down to their
 * narrowest, then optional columns go (lowest `drop` first, the shrinkable ones widening again into the room freed);
 * a table that cannot fit even then is printed at its narrowest and the terminal wraps it.
 */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[], options: TableOptions = {}): string {
  const allCells = rows.map((row) => columns.map((column) => column.value(row)));
  const natural = columns.map((column, i) => Math.max(displayWidth(column.header), ...allCells.map((line) => displayWidth(line[i]!))));
  const narrowest = columns.map((column, i) =>
    column.shrink ? Math.min(natural[i]!, Math.max(displayWidth(column.header), column.shrink.min(allCells.map((line) => line[i]!)))) : natural[i]!,
  );
  let kept = columns.map((_, i) => i);
  let widths = natural.slice();
  if (options.width !== undefined) {
    const total = (indexes: number[], of: number[]) => indexes.reduce((sum, i) => sum + of[i]!, 0) + GAP * Math.max(0, indexes.length - 1);
    const dropOrder = columns
      .map((column, i) => ({ i, drop: column.drop }))
      .filter((entry): entry is { i: number; drop: number } => entry.drop !== undefined)
      .sort((a, b) => a.drop - b.drop)
      .map((entry) => entry.i);
    while (total(kept, narrowest) > options.width && dropOrder.length > 0) {
      const gone = dropOrder.shift()!;
      kept = kept.filter((i) => i !== gone);
    }
    let excess = total(kept, natural) - options.width;
    for (const i of kept) {
      if (excess <= 0) break;
      const give = Math.min(excess, natural[i]! - narrowest[i]!);
      widths[i] = natural[i]! - give;
      excess -= give;
    }
  }
  const shown = kept.map((i) => columns[i]!);
  const fitted = allCells.map((line) =>
    kept.map((i) => {
      const cell = line[i]!;
      if (displayWidth(cell) <= widths[i]!) return cell;
      return (columns[i]!.shrink?.fit ?? clip)(cell, widths[i]!);
    }),
  );
  const render = (line: string[]) =>
    line
      .map((cell, k) => {
        const width = widths[kept[k]!]!;
        if (shown[k]!.align === 'right') return padStartTo(cell, width);
        return k === line.length - 1 ? cell : padEndTo(cell, width);
      })
      .join(' '.repeat(GAP))
      .trimEnd();
  return [render(shown.map((column) => column.header)), ...fitted.map(render)].join('\n') + '\n';
}

export function formatKeyValues(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...pairs.map(([key]) => displayWidth(key)));
  return pairs.map(([key, value]) => `${padEndTo(key, width)}  ${value}`).join('\n') + '\n';
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

/**
 * Text an agent wrote, made safe to print on a terminal: control characters (escape sequences with them) are removed,
 * except newlines and tabs, so that a transcript cannot move the cursor, retitle the window or change colours.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}
