/**
 * Whether the CLI colours its output, and how each state looks in a table. The decision, in this order:
 * NO_COLOR set and non-empty → never (https://no-color.org, even with FORCE_COLOR); FORCE_COLOR=0 or false → never;
 * FORCE_COLOR=1, 2, 3, true or empty → always, at that level, pipes included; otherwise colour when the stream is a
 * terminal (and TERM is not dumb). chalk draws; this module only decides, so tests can give it any environment.
 */
import type { ChalkInstance } from 'chalk';

/** 0 none, 1 the 16 basic colours, 2 256 colours, 3 true colour (what the tables use fits in level 1). */
export type ColourLevel = 0 | 1 | 2 | 3;

export function colourLevel(env: NodeJS.ProcessEnv, isTTY: boolean): ColourLevel {
  if (env.NO_COLOR) return 0;
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '' || force === 'true') return 1;
    if (force === 'false') return 0;
    const level = Number.parseInt(force, 10);
    if (Number.isFinite(level)) return Math.max(0, Math.min(3, level)) as ColourLevel;
  }
  if (!isTTY || env.TERM === 'dumb') return 0;
  return 1;
}

/**
 * A chalk that colours at `level`, or undefined for level 0 (the paint functions below then return text as it was).
 * chalk is loaded here, on first use, not when the CLI starts: it probes the terminal as it loads, which would cost
 * every command, and a pipe never needs it.
 */
export function painter(level: ColourLevel): ChalkInstance | undefined {
  if (level === 0) return undefined;
  const { Chalk } = require('chalk') as typeof import('chalk');
  return new Chalk({ level });
}

/**
 * How a session state stands out in a table: what waits for the user is bold and bright, a crash red, what needs
 * nothing from anyone dim. The words stay the same, so the table reads without colour too.
 */
export function paintState(paint: ChalkInstance | undefined, state: string, text: string): string {
  if (!paint) return text;
  switch (state) {
    case 'needs_permission':
      return paint.bold.magenta(text);
    case 'needs_input':
      return paint.bold.yellow(text);
    case 'running':
      return paint.green(text);
    case 'starting':
      return paint.cyan(text);
    case 'crashed':
      return paint.red(text);
    case 'idle':
    case 'stopped':
      return paint.dim(text);
    default:
      return text;
  }
}

/** allow green, deny red, ask yellow: the audit log's decisions. */
export function paintDecision(paint: ChalkInstance | undefined, decision: string, text = decision): string {
  if (!paint) return text;
  if (decision === 'allow') return paint.green(text);
  if (decision === 'deny') return paint.red(text);
  if (decision === 'ask') return paint.yellow(text);
  return text;
}

/** doctor's checks: ok green, warn yellow, fail red. */
export function paintCheck(paint: ChalkInstance | undefined, status: string, text = status): string {
  if (!paint) return text;
  if (status === 'ok') return paint.green(text);
  if (status === 'warn') return paint.yellow(text);
  if (status === 'fail') return paint.bold.red(text);
  return text;
}
