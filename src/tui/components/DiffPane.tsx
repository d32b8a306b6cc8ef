import { Box, Text } from 'ink';
import React from 'react';
import { DIFF_LOOK } from '../diff';
import { displayWidth, padStartTo, safe } from '../format';
import type { DiffRow, ReviewDiff } from '../review';
import { useColour } from '../theme';

interface Props {
  diff: ReviewDiff | null;
  scroll: number;
  /** What is compared, for the title: "worktree against index", "turn 3". */
  compared: string;
  width: number;
  height: number;
}

/**
 * Below this width the line numbers go: the text needs the room more. (A row is cut to what the pane can show before
 * it is cleaned and drawn: a minified file's one-megabyte line costs a pane's width per frame, not a megabyte.)
 */
const NUMBERS_FROM = 60;

const ROW_LOOK: Record<DiffRow['kind'], { colour?: string; bold?: boolean; dim?: boolean; inverse?: boolean }> = {
  ...DIFF_LOOK,
  section: { bold: true, inverse: true },
  truncated: { colour: 'yellow', bold: true },
  note: { dim: true },
};

/** The old and new line numbers of a row, or blanks, in `digits` columns each. */
function gutter(row: DiffRow, digits: number): string {
  const number = (value: number | null) => padStartTo(value === null ? '' : String(value), digits);
  return `${number(row.oldLine)} ${number(row.newLine)} `;
}

/**
 * The selected file's diff: a title with where the view is, then the rows in sight and only those (a long diff costs
 * what fits on the screen per frame, not its length). Additions green, deletions red, hunk headers cyan, the file's
 * header bold; with colour off the +/- at the start of each line still says which is which. Lines longer than the
 * pane are cut at its edge, never wrapped, so a row of the screen is a row of the diff.
 */
export function DiffPane({ diff, scroll, compared, width, height }: Props): React.JSX.Element {
  const colour = useColour();
  const rows = Math.max(1, height - 1);
  const all = diff?.rows ?? [];
  const first = Math.min(scroll, Math.max(0, all.length - rows));
  const visible = all.slice(first, first + rows);
  const numbered = width >= NUMBERS_FROM;
  const highest = numbered ? visible.reduce((max, row) => Math.max(max, row.oldLine ?? 0, row.newLine ?? 0), 0) : 0;
  const digits = Math.max(3, String(highest).length);
  const where = all.length > rows ? ` · ${first + 1}-${first + visible.length} of ${all.length}` : '';
  const title = diff ? `${safe(diff.path)} · ${compared}${where}` : compared;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text dimColor wrap="truncate-end">
        {`${title} ${'─'.repeat(Math.max(0, width - displayWidth(title) - 1))}`}
      </Text>
      {!diff ? <Text dimColor>no file selected</Text> : null}
      {diff?.error ? (
        <Text color={colour('red')} wrap="truncate-end">
          {safe(diff.error)}
        </Text>
      ) : null}
      {diff?.loading && all.length === 0 ? <Text dimColor>reading the diff…</Text> : null}
      {visible.map((row, index) => {
        const look = ROW_LOOK[row.kind];
        return (
          <Text key={first + index} wrap="truncate-end">
            {numbered ? <Text dimColor>{gutter(row, digits)}</Text> : null}
            <Text color={look.colour ? colour(look.colour) : undefined} bold={look.bold} dimColor={look.dim} inverse={look.inverse}>
              {safe(row.text.slice(0, width * 2 + 16)) || ' '}
            </Text>
          </Text>
        );
      })}
    </Box>
  );
}
