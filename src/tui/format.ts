/** Text helpers of the dashboard; the number formats are the CLI's, so both speak alike. */
import os from 'node:os';
import { formatShortTime as cliShortTime } from '../cli/output';
export { clip, formatBar, formatCost, formatCount, formatPercent, formatTokens } from '../cli/output';

/**
 * Text from outside (agents, transcripts, paths, the daemon's messages) made safe to draw: every escape sequence
 * and control character goes (Ink passes OSC and C0 through, which could retitle the terminal or move the cursor),
 * tabs become spaces. One line unless `multiline`, where newlines stay.
 */
export function safe(text: string | null | undefined, multiline = false): string {
  if (!text) return '';
  const cleaned = text.replace(/\t/g, '    ').replace(ANY_ESCAPE, '');
  return multiline ? cleaned.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '') : cleaned.replace(/\n/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
}

/** The CLI's short time, made safe: an unparsable timestamp comes back as it was given. */
export function formatShortTime(iso: string | null): string {
  return safe(cliShortTime(iso));
}

/** "12s", "5m", "3h", "2d": how long ago, in the unit that keeps it short. */
export function formatAge(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** A directory with the home directory as "~", cut from the left so that its last parts stay readable. */
export function shortPath(dir: string, width: number, home = os.homedir()): string {
  const short = home && (dir === home || dir.startsWith(`${home}/`)) ? `~${dir.slice(home.length)}` : dir;
  const chars = [...short];
  if (chars.length <= width) return short;
  return width <= 1 ? chars.slice(-width).join('') : `…${chars.slice(-(width - 1)).join('')}`;
}

/**
 * A line of a captured screen made safe to draw inside the dashboard: colour and style sequences (SGR) are kept,
 * every other escape or control character is removed so that it cannot move the cursor or retitle the window, and
 * the line ends with a reset so that its colours stop at its end. With colour off, SGR goes too.
 */
export function screenLine(line: string, colour: boolean): string {
  let kept = false;
  const text = line.replace(/\t/g, '    ').replace(UNSAFE, (sequence: string, sgr: string | undefined) => {
    if (sgr !== undefined && colour) {
      kept = true;
      return sequence;
    }
    return '';
  });
  return kept ? `${text}\u001b[0m` : text;
}

// eslint-disable-next-line no-control-regex
const ANY_ESCAPE = /\u001b\](?:[^\u0007\u001b]|\u001b(?!\\))*(?:\u0007|\u001b\\)?|\u001b\[[0-9;:?<>=]*[ -/]*[@-~]|\u001b[ -/]*[0-~]?|\u009b[0-9;:?<>=]*[ -/]*[@-~]/g;

/** SGR (kept, captured), then what is dropped: OSC strings, other CSI sequences, other escapes, C0/C1 controls. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /(\u001b\[[0-9;:]*m)|\u001b\](?:[^\u0007\u001b]|\u001b(?!\\))*(?:\u0007|\u001b\\)?|\u001b\[[0-9;:?<>=]*[ -/]*[@-~]|\u001b[ -/]*[0-~]?|[\u0000-\u001f\u007f-\u009f]/g;
