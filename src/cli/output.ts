/** All terminal formatting of the CLI: tables, key/value blocks, JSON, durations, and the one-line error. */

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

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
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

/** The CLI's only error output: one line on stderr. */
export function printError(message: string): void {
  const oneLine = message.replace(/\s*\n\s*/g, ' ').trim();
  process.stderr.write(`codepiper: ${oneLine}\n`);
}

/** Terminal columns taken by a string: code points, ignoring ANSI colour sequences. */
function displayWidth(text: string): number {
  // eslint-disable-next-line no-control-regex
  return [...text.replace(/\u001b\[[0-9;]*m/g, '')].length;
}
