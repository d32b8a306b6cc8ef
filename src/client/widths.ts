/**
 * Text measured the way a terminal draws it: CJK characters and most emoji take two columns, combining marks and
 * colour sequences none. Every column the CLI and the dashboard pad, cut or fit goes through here, so that a title in
 * Chinese or with an emoji does not shift the columns after it.
 */

/**
 * Characters that take one column each, measured without string-width: printable ASCII, Latin letters with their
 * accents precomposed, general punctuation ("…", "–", "•"), arrows, box drawing and blocks (the bars). The unit test
 * checks every one of them against string-width.
 */
export const NARROW_RANGES = [
  [0x20, 0x7e],
  [0xa1, 0xac],
  [0xae, 0x2ff],
  [0x2010, 0x2027],
  [0x2030, 0x205e],
  [0x2190, 0x21ff],
  [0x2500, 0x259f],
] as const;
const NARROW = new RegExp(`^[${NARROW_RANGES.map(([from, to]) => `\\u{${from.toString(16)}}-\\u{${to.toString(16)}}`).join('')}]*$`, 'u');

let stringWidth: ((text: string) => number) | undefined;
let graphemes: Intl.Segmenter | undefined;

/**
 * Terminal columns taken by `text`; ANSI colour sequences take none. string-width is loaded on the first text with
 * another character: building its emoji pattern costs tens of milliseconds, which a command that prints only ASCII
 * (most of them) should not pay at start-up. (A require, not an import, so that the CLI bundle loads it lazily.)
 */
export function displayWidth(text: string): number {
  if (NARROW.test(text)) return text.length;
  stringWidth ??= (require('string-width') as typeof import('string-width')).default;
  return stringWidth(text);
}

/** `text` followed by spaces up to `width` display columns. */
export function padEndTo(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/** Spaces up to `width` display columns, then `text`. */
export function padStartTo(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - displayWidth(text))) + text;
}

/** The user-perceived characters of `text`: an emoji made of several code points (ZWJ, flags, skin tones) is one. */
function clusters(text: string): string[] {
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  return Array.from(graphemes.segment(text), (part) => part.segment);
}

/**
 * `text` cut to at most `width` display columns, the cut marked with "…". Cuts fall between whole characters: never
 * inside a wide character, a surrogate pair or an emoji sequence (a wide character that would straddle the limit
 * goes whole, leaving the column short by one).
 */
export function clip(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  return `${takeStart(text, width - 1)}…`;
}

/** The same cut at the start, keeping the end: "…end of the text". */
export function clipStart(text: string, width: number): string {
  if (width <= 0) return '';
  if (displayWidth(text) <= width) return text;
  return `…${takeEnd(text, width - 1)}`;
}

/** The longest start of `text` that fits in `width` columns. */
function takeStart(text: string, width: number): string {
  let used = 0;
  let out = '';
  for (const cluster of clusters(text)) {
    const w = displayWidth(cluster);
    if (used + w > width) break;
    used += w;
    out += cluster;
  }
  return out;
}

/** The longest end of `text` that fits in `width` columns. */
function takeEnd(text: string, width: number): string {
  const parts = clusters(text);
  let used = 0;
  let start = parts.length;
  while (start > 0) {
    const w = displayWidth(parts[start - 1]!);
    if (used + w > width) break;
    used += w;
    start--;
  }
  return parts.slice(start).join('');
}

/** A directory with the home directory written "~": "/home/ada/src/app" → "~/src/app". */
export function homeRelative(dir: string, home: string): string {
  if (!home || home === '/') return dir;
  const base = home.endsWith('/') ? home.slice(0, -1) : home;
  return dir === base || dir.startsWith(`${base}/`) ? `~${dir.slice(base.length)}` : dir;
}

/**
 * A directory fitted to `width` columns: "~" for the home directory, then whole leading parts give way from the
 * left, so that the end stays readable: "/srv/work/projects/src/app" at 12 columns is "…/src/app". When even the
 * last part does not fit, its end is kept ("…long-name").
 */
export function shortenPath(dir: string, width: number, home = ''): string {
  const short = homeRelative(dir, home);
  if (displayWidth(short) <= width) return short;
  const parts = short.split('/');
  // Drop leading parts one at a time while "…/" + the rest is too wide; the last part always stays.
  for (let first = 1; first < parts.length; first++) {
    const rest = parts.slice(first).join('/');
    if (rest && displayWidth(`…/${rest}`) <= width) return `…/${rest}`;
  }
  return clipStart(parts[parts.length - 1] || short, width);
}

/** How wide `shortenPath` may go before it loses the last part: "…/" and that part. */
export function lastPartWidth(dir: string, home = ''): number {
  const short = homeRelative(dir, home);
  const parts = short.split('/');
  return parts.length > 1 ? Math.min(displayWidth(short), displayWidth(`…/${parts[parts.length - 1]}`)) : displayWidth(short);
}
