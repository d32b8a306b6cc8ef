import { Box, Text } from 'ink';
import React from 'react';
import { ChangedFiles } from '../components/ChangedFiles';
import { DiffPane } from '../components/DiffPane';
import { displayWidth, formatWhen, safe } from '../format';
import { reviewLayout, type ReviewState } from '../review';
import type { AppState } from '../state';
import { useColour } from '../theme';

/** The key hints after the title, longest first: the first that fits is drawn, none on a narrow line. */
const HINTS = ['s stage · u unstage · c commit · [ ] turns · esc back', 's/u/c · [ ] · esc', 'esc back'];

/** Which changes are shown, in words: the working changes, or one turn with what ended it and when. */
export function changesLabel(review: ReviewState, now: number): string {
  if (review.turn === null) return review.turns.length ? `working changes (turns: ${review.turns.length})` : 'working changes';
  const index = review.turns.findIndex((entry) => entry.turn === review.turn);
  const turn = review.turns[index];
  if (!turn) return `turn ${review.turn}`;
  return `turn ${turn.turn} (${index + 1} of ${review.turns.length}) · ${safe(turn.trigger)} · ${formatWhen(turn.at, now)}`;
}

/** What the diff pane compares, from what the daemon said it compared (the staged and unstaged parts joined). */
function comparedLabel(review: ReviewState): string {
  if (review.turn !== null) return `turn ${review.turn}`;
  const titles = review.diff?.sections.map((section) => section.title) ?? [];
  return titles.length ? titles.join(' + ') : 'working changes';
}

/**
 * The diff view of one session: a title line (the session, its branch, which changes), the changed files at the left
 * and the selected file's diff at the right; on a narrow terminal the files above the diff.
 */
export function DiffView({ state, height, now }: { state: AppState; height: number; now: number }): React.JSX.Element | null {
  const colour = useColour();
  const review = state.review;
  if (!review) return null;
  const width = state.size.columns;
  const layout = reviewLayout(width, height, review.files.length);
  const branch = review.status ? (review.status.branch ?? `detached ${review.status.head?.slice(0, 7) ?? ''}`.trim()) : '';
  const title = ` diff · ${safe(review.title)}${branch ? ` · ${safe(branch)}` : ''} · ${changesLabel(review, now)}${review.busy ? ` · ${review.busy}` : ''} `;
  const hint = HINTS.find((text) => displayWidth(title) + displayWidth(text) + 1 <= width) ?? '';
  const working = review.turn === null;
  const files = (
    <ChangedFiles files={review.files} selected={review.selected} working={working} width={layout.listWidth} height={layout.listHeight} />
  );
  const pane = <DiffPane diff={review.diff} scroll={review.scroll} compared={comparedLabel(review)} width={layout.diffWidth} height={layout.diffRows + 1} />;
  return (
    <Box flexDirection="column" height={height} width={width} overflow="hidden">
      <Box justifyContent="space-between" height={1} overflow="hidden">
        <Text inverse bold wrap="truncate-end">
          {title}
        </Text>
        {hint ? <Text dimColor>{hint}</Text> : null}
      </Box>
      {review.error ? (
        <Text color={colour('red')} wrap="truncate-end">
          {safe(review.error)}
        </Text>
      ) : review.loading && !review.status ? (
        <Text dimColor>reading git status…</Text>
      ) : layout.stacked ? (
        <Box flexDirection="column">
          {files}
          {pane}
        </Box>
      ) : (
        <Box flexDirection="row">
          {files}
          <Box width={1} flexDirection="column">
            <Text dimColor>{'│\n'.repeat(layout.listHeight).trimEnd()}</Text>
          </Box>
          {pane}
        </Box>
      )}
    </Box>
  );
}
