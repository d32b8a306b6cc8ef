/** What the command line writes and what it asks the terminal: output, the one-line error, width and colour. */
import type { ChalkInstance } from 'chalk';
import { colourLevel, painter } from '../client/colour';
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

/**
 * The width tables fit in: the terminal's, else $COLUMNS (so a pipe or a script can say it), else 80 when output
 * goes to a pipe or a file.
 */
export function terminalColumns(): number {
  const fromEnv = Number(process.env.COLUMNS);
  return process.stdout.columns || (Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : 0) || 80;
}

/** Whether standard output may carry colour and bold: see src/client/colour.ts for NO_COLOR, FORCE_COLOR and TTY. */
export function colourWanted(): boolean {
  return colourLevel(process.env, Boolean(process.stdout.isTTY)) > 0;
}

let stdoutPainter: { paint: ChalkInstance | undefined } | undefined;

/** The chalk for standard output when colourWanted() says so, else undefined (for src/client/colour.ts's helpers). */
export function paint(): ChalkInstance | undefined {
  stdoutPainter ??= { paint: painter(colourLevel(process.env, Boolean(process.stdout.isTTY))) };
  return stdoutPainter.paint;
}

/**
 * How wide one more column (a bar, a title) may be beside a table rendered without it, within the terminal: at most
 * `max`, at least `min` even when that makes lines wrap.
 */
export function spareWidth(tableWithout: string, { min = 8, max = 30 } = {}): number {
  const used = Math.max(...tableWithout.split('\n').map(displayWidth)) + 2;
  return Math.max(min, Math.min(max, terminalColumns() - used));
}
