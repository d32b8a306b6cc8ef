/** Text helpers of the dashboard; the number formats are the clients' shared ones, so it and the CLI speak alike. */
import os from 'node:os';
import { formatWhen as sharedWhen, shortenPath } from '../client/format';
export { clip, clipStart, displayWidth, formatBar, formatCost, formatCount, formatOutcome, formatPercent, formatTokens, padEndTo, padStartTo } from '../client/format';

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

/** The clients' one time format ("5m ago", "2026-12-04 13:57"), made safe: an unparsable timestamp comes back as given. */
export function formatWhen(iso: string | null, now: number): string {
  return safe(sharedWhen(iso, now));
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

/** A directory with the home directory as "~", whole leading parts giving way so that its last part stays readable. */
export function shortPath(dir: string, width: number, home = os.homedir()): string {
  return shortenPath(dir, width, home);
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

/**
 * Every sequence a terminal would act on: strings (OSC, DCS, SOS, PM, APC, 7- and 8-bit, ended by BEL or ST, or cut
 * at a newline or the next escape so that an unterminated one cannot swallow what follows), CSI (7- and 8-bit, also
 * cut off at the end), any other escape, and the bidirectional overrides that reorder what is shown.
 */
const SEQUENCES = String.raw`\u001b[\]PX^_][^\u0007\u001b\n]*(?:\u0007|\u001b\\)?|[\u0090\u0098\u009d\u009e\u009f][^\u0007\u009c\u001b\n]*[\u0007\u009c]?|(?:\u001b\[|\u009b)[0-9;:?<>=]*[ -/]*(?:[@-~]|$)|\u001b[ -/]*[0-~]?|[\u202a-\u202e\u2066-\u2069]`;
const ANY_ESCAPE = new RegExp(SEQUENCES, 'g');

/** SGR (kept, captured), then every other sequence, then C0/C1 controls. */
const UNSAFE = new RegExp(`(\u001b\\[[0-9;:]*m)|${SEQUENCES}|[\u0000-\u001f\u007f-\u009f]`, 'g');
