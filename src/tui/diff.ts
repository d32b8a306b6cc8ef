/**
 * Unified diff text (git's own format, no colour) read line by line into what each line is, so the diff view can
 * colour it and number it. Pure: the view classifies a page once when it arrives and then draws only the rows in
 * sight, however long the diff.
 */

export type DiffLineKind =
  /** "diff --git a/x b/x": a file starts. */
  | 'file'
  /** index, mode, rename, similarity, ---/+++ lines: what git says about the file before its hunks. */
  | 'meta'
  /** "@@ -1,4 +1,5 @@ context". */
  | 'hunk'
  | 'add'
  | 'delete'
  | 'context'
  /** "\ No newline at end of file". */
  | 'no-newline'
  /** "Binary files a/x and b/x differ" (git shows no text for them). */
  | 'binary'
  /** Anything else: text before the first file, or a page cut in the middle of a header. */
  | 'other';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  /** Line numbers in the old and new file, for lines inside a hunk (a deletion has no new one, an addition no old). */
  oldLine: number | null;
  newLine: number | null;
}

const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const META = /^(index |old mode |new mode |deleted file mode |new file mode |similarity index |dissimilarity index |rename from |rename to |copy from |copy to |--- |\+\+\+ )/;

/**
 * Where a reader of the diff is: between files and hunks, or inside a hunk with so many old and new lines still to
 * come. A hunk's counts, not the first character, say where it ends: inside a hunk "--- x" is a deleted line that
 * began with "-- ", outside it is the old file's name.
 */
export interface DiffCursor {
  oldLeft: number;
  newLeft: number;
  oldLine: number;
  newLine: number;
}

export const START: DiffCursor = { oldLeft: 0, newLeft: 0, oldLine: 0, newLine: 0 };

/**
 * The lines of `text` classified, starting from `cursor` (a page that continues the one before starts where that one
 * ended). Returns the cursor after the last line, for the next page.
 */
export function classifyDiff(lines: readonly string[], cursor: DiffCursor = START): { lines: DiffLine[]; cursor: DiffCursor } {
  let { oldLeft, newLeft, oldLine, newLine } = cursor;
  const out: DiffLine[] = [];
  for (const text of lines) {
    if (oldLeft > 0 || newLeft > 0) {
      const first = text[0];
      if (first === '+' && newLeft > 0) {
        out.push({ kind: 'add', text, oldLine: null, newLine: newLine++ });
        newLeft--;
        continue;
      }
      if (first === '-' && oldLeft > 0) {
        out.push({ kind: 'delete', text, oldLine: oldLine++, newLine: null });
        oldLeft--;
        continue;
      }
      if ((first === ' ' || text === '') && oldLeft > 0 && newLeft > 0) {
        // git writes an empty context line as " "; an editor or a copy may have trimmed it to "".
        out.push({ kind: 'context', text, oldLine: oldLine++, newLine: newLine++ });
        oldLeft--;
        newLeft--;
        continue;
      }
      if (first === '\\') {
        out.push({ kind: 'no-newline', text, oldLine: null, newLine: null });
        continue;
      }
      // A line the counts did not expect: the hunk is over (a malformed or cut diff); read it as a header.
      oldLeft = newLeft = 0;
    }
    if (text.startsWith('\\')) {
      // After the last line of a hunk, the marker that says that line had no newline.
      out.push({ kind: 'no-newline', text, oldLine: null, newLine: null });
      continue;
    }
    const hunk = HUNK.exec(text);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[3]);
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      out.push({ kind: 'hunk', text, oldLine: null, newLine: null });
    } else if (text.startsWith('diff --git ') || text.startsWith('diff --cc ') || text.startsWith('diff --combined ')) {
      out.push({ kind: 'file', text, oldLine: null, newLine: null });
    } else if (/^Binary files .* differ$/.test(text) || text === 'GIT binary patch') {
      out.push({ kind: 'binary', text, oldLine: null, newLine: null });
    } else if (META.test(text)) {
      out.push({ kind: 'meta', text, oldLine: null, newLine: null });
    } else {
      out.push({ kind: 'other', text, oldLine: null, newLine: null });
    }
  }
  return { lines: out, cursor: { oldLeft, newLeft, oldLine, newLine } };
}

/** The colour each kind is drawn in (undefined: the terminal's own), and whether it is bold or dim. */
export const DIFF_LOOK: Record<DiffLineKind, { colour?: string; bold?: boolean; dim?: boolean }> = {
  file: { bold: true },
  meta: { dim: true },
  hunk: { colour: 'cyan' },
  add: { colour: 'green' },
  delete: { colour: 'red' },
  context: {},
  'no-newline': { dim: true },
  binary: { colour: 'yellow' },
  other: {},
};

/**
 * Splits a page of diff text into lines. A page is a byte range of the whole diff, so it may end inside a line: that
 * unfinished end is returned apart, to be put in front of the next page's text.
 */
export function splitPage(text: string, last: boolean): { lines: string[]; rest: string } {
  if (text === '') return { lines: [], rest: '' };
  const lines = text.split('\n');
  const tail = lines.pop()!; // "" when the text ends with a newline
  if (last) return { lines: tail === '' ? lines : [...lines, tail], rest: '' };
  return { lines, rest: tail };
}
