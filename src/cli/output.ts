/** What the command line writes and what it asks the terminal: output, the one-line error, width and colour. */
import { displayWidth } from '../client/format';

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** The CLI's only error output: one line on stderr. */
export function printError(message: string): void {
  const oneLine = message.replace(/\s*\n\s*/g, ' ').trim();
  process.stderr.write(`codepiper: ${oneLine}\n`);
}

/** The terminal's width, or $COLUMNS, or 80 when output goes to a pipe or a file. */
export function terminalColumns(): number {
  return process.stdout.columns || Number(process.env.COLUMNS) || 80;
}

/** Whether standard output may carry colour and bold: a terminal, and NO_COLOR unset (https://no-color.org). */
export function colourWanted(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

/**
 * How wide one more column (a bar, a title) may be beside a table rendered without it, within the terminal: at most
 * `max`, at least `min` even when that makes lines wrap.
 */
export function spareWidth(tableWithout: string, { min = 8, max = 30 } = {}): number {
  const used = Math.max(...tableWithout.split('\n').map(displayWidth)) + 2;
  return Math.max(min, Math.min(max, terminalColumns() - used));
}
