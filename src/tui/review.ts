/**
 * The diff view's state and reducer: what a session changed, file by file, with the selected file's diff. Working
 * changes (staged and unstaged, from git status) or what one turn of the agent changed (from sessions.turns). Pure,
 * like state.ts: the controller fetches, this only keeps what arrived and where the user is.
 */
import type { Diff, DiffStat, GitStatus, Turn } from '../core/api/git';
import { classifyDiff, splitPage, START, type DiffCursor, type DiffLine, type DiffLineKind } from './diff';

export interface ReviewFile {
  path: string;
  /** The old path of a rename or copy. */
  from: string | null;
  /** git status's two letters ("M ", " M", "A ", "??"); empty in a turn, where there is no index to speak of. */
  code: string;
  staged: boolean;
  unstaged: boolean;
  untracked: boolean;
  conflicted: boolean;
  additions: number | null;
  deletions: number | null;
  binary: boolean;
}

/** A row of the diff pane: a diff line, or a line the view adds (a section's title, a cut, a note). */
export interface DiffRow extends Omit<DiffLine, 'kind'> {
  kind: DiffLineKind | 'section' | 'truncated' | 'note';
}

/** One diff shown for the file: in the working changes, its staged part and its unstaged part are two sections. */
export interface DiffSection {
  title: string;
  /** How to ask for the next page of this section. */
  query: { staged: boolean; turn: number | null };
  lines: DiffLine[];
  cursor: DiffCursor;
  /** The end of the last page when it stopped inside a line. */
  rest: string;
  nextOffset: number | null;
  totalBytes: number;
  binary: boolean;
}

export interface ReviewDiff {
  key: string;
  path: string;
  sections: DiffSection[];
  /** What the pane draws, built once per page that arrives (not per frame). */
  rows: DiffRow[];
  /** Said above the diff: why there is no text (an untracked file, a file only in a turn). */
  note: string | undefined;
  loading: boolean;
  error: string | null;
}

export interface ReviewState {
  sessionId: string;
  title: string;
  /** null: the working changes; a number: what that turn changed. */
  turn: number | null;
  turns: Turn[];
  status: GitStatus | null;
  /** Lines added and deleted per path in the working changes (unstaged and staged added up). */
  stats: Record<string, { additions: number; deletions: number; binary: boolean }>;
  files: ReviewFile[];
  selected: number;
  loading: boolean;
  error: string | null;
  /** Bumped by every reload, so that a file's diff is read again after a change (stage, commit, ctrl+r). */
  generation: number;
  diff: ReviewDiff | null;
  scroll: number;
  /** A stage, unstage or commit on its way: another press waits for it. */
  busy: string | null;
}

export type ReviewAction =
  | { type: 'review/open'; sessionId: string; title: string }
  | { type: 'review/close' }
  | { type: 'review/loaded'; sessionId: string; status: GitStatus; unstaged: DiffStat | null; staged: DiffStat | null; turns: Turn[] | null }
  | { type: 'review/failed'; sessionId: string; error: string }
  | { type: 'review/turn'; delta: number }
  | { type: 'review/working' }
  | { type: 'review/move'; delta: number }
  | { type: 'review/edge'; edge: 'first' | 'last' }
  | { type: 'review/diff-loading'; key: string; path: string }
  | { type: 'review/diff-loaded'; key: string; sections: Array<{ title: string; query: DiffSection['query']; diff: Diff }>; note?: string }
  | { type: 'review/diff-page'; key: string; section: number; diff: Diff }
  | { type: 'review/diff-failed'; key: string; error: string }
  /** `visible`: rows the diff pane shows (reviewLayout), so that the end of the diff stops at the pane's bottom. */
  | { type: 'review/scroll'; delta: number; visible: number }
  | { type: 'review/scroll-edge'; edge: 'top' | 'bottom'; visible: number }
  | { type: 'review/busy'; busy: string | null };

export function openReview(sessionId: string, title: string): ReviewState {
  return { sessionId, title, turn: null, turns: [], status: null, stats: {}, files: [], selected: 0, loading: true, error: null, generation: 0, diff: null, scroll: 0, busy: null };
}

const clamp = (value: number, min: number, max: number) => Math.max(min, Math.min(max, value));

/** The files of what is shown: the working changes from git status, or the files the turn changed. */
export function reviewFiles(review: Pick<ReviewState, 'turn' | 'turns' | 'status' | 'stats'>): ReviewFile[] {
  if (review.turn !== null) {
    const turn = review.turns.find((entry) => entry.turn === review.turn);
    return (turn?.files ?? []).map((file) => ({ path: file.path, from: file.from, code: '', staged: false, unstaged: false, untracked: false, conflicted: false, additions: file.additions, deletions: file.deletions, binary: file.binary }));
  }
  return (review.status?.files ?? []).map((file) => {
    const stat = review.stats[file.path];
    return {
      path: file.path,
      from: file.from,
      code: file.untracked ? '??' : `${file.index || ' '}${file.worktree || ' '}`,
      staged: file.staged,
      unstaged: file.unstaged,
      untracked: file.untracked,
      conflicted: file.conflicted,
      additions: stat?.additions ?? null,
      deletions: stat?.deletions ?? null,
      binary: stat?.binary ?? false,
    };
  });
}

export function selectedFile(review: ReviewState): ReviewFile | undefined {
  return review.files[review.selected];
}

/**
 * Which diff the pane should show: the session, the changes (working or a turn), the file, its state letters (staging
 * changes which parts it has) and the reload. When it differs from the diff held, the controller reads it.
 */
export function wantedDiffKey(review: ReviewState): string | null {
  const file = selectedFile(review);
  if (!file) return null;
  return [review.sessionId, review.turn ?? 'working', review.generation, file.code, file.path].join('\u0000');
}

function addStats(into: ReviewState['stats'], stat: DiffStat | null): void {
  for (const file of stat?.files ?? []) {
    const before = into[file.path];
    into[file.path] = { additions: (before?.additions ?? 0) + file.additions, deletions: (before?.deletions ?? 0) + file.deletions, binary: (before?.binary ?? false) || file.binary };
  }
}

/** A new list of files keeps the selection on the same path when it is still there. */
function withFiles(review: ReviewState, next: ReviewState): ReviewState {
  const files = reviewFiles(next);
  const path = selectedFile(review)?.path;
  const kept = path === undefined ? -1 : files.findIndex((file) => file.path === path);
  const selected = kept >= 0 ? kept : clamp(review.selected, 0, Math.max(0, files.length - 1));
  return { ...next, files, selected };
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const extra = (kind: DiffRow['kind'], text: string): DiffRow => ({ kind, text, oldLine: null, newLine: null });

/** The rows the pane draws: each section's title (when there are two), its lines, and what was left out. */
export function diffRows(sections: readonly DiffSection[], note?: string): DiffRow[] {
  const rows: DiffRow[] = [];
  if (note) rows.push(extra('note', note));
  for (const section of sections) {
    if (sections.length > 1) rows.push(extra('section', section.title));
    for (const line of section.lines) rows.push(line);
    if (section.rest) rows.push({ kind: 'other', text: section.rest, oldLine: null, newLine: null });
    if (section.binary && !section.lines.some((line) => line.kind === 'binary')) rows.push(extra('binary', 'binary file: it differs, git shows no text for it'));
    if (section.nextOffset !== null) {
      const left = Math.max(0, section.totalBytes - section.nextOffset);
      rows.push(extra('truncated', `… truncated: ${formatBytes(left)} of ${formatBytes(section.totalBytes)} not shown (m loads more)`));
    }
    if (section.lines.length === 0 && !section.rest && !section.binary && section.nextOffset === null) rows.push(extra('note', 'no difference'));
  }
  return rows;
}

function sectionFrom(title: string, query: DiffSection['query'], diff: Diff, path: string): DiffSection {
  const last = !diff.truncated || diff.nextOffset === null;
  const { lines, rest } = splitPage(diff.text, last);
  const classified = classifyDiff(lines, START);
  return {
    title,
    query,
    lines: classified.lines,
    cursor: classified.cursor,
    rest,
    nextOffset: last ? null : diff.nextOffset,
    totalBytes: diff.totalBytes,
    binary: diff.binaryFiles.includes(path),
  };
}

function withPage(section: DiffSection, diff: Diff): DiffSection {
  const last = !diff.truncated || diff.nextOffset === null;
  const { lines, rest } = splitPage(section.rest + diff.text, last);
  const classified = classifyDiff(lines, section.cursor);
  return { ...section, lines: [...section.lines, ...classified.lines], cursor: classified.cursor, rest, nextOffset: last ? null : diff.nextOffset, totalBytes: diff.totalBytes };
}

/** The furthest the diff scrolls: its last row at the bottom of the pane. */
function lastScroll(review: ReviewState, visible: number): number {
  return Math.max(0, (review.diff?.rows.length ?? 0) - Math.max(1, visible));
}

/** The section whose next page `m` reads: the first one cut short. */
export function truncatedSection(diff: ReviewDiff | null): number {
  return diff ? diff.sections.findIndex((section) => section.nextOffset !== null) : -1;
}

export function reviewReducer(review: ReviewState | null, action: ReviewAction): ReviewState | null {
  if (action.type === 'review/open') return openReview(action.sessionId, action.title);
  if (!review) return null;
  switch (action.type) {
    case 'review/close':
      return null;
    case 'review/loaded': {
      if (action.sessionId !== review.sessionId) return review;
      const stats: ReviewState['stats'] = {};
      addStats(stats, action.unstaged);
      addStats(stats, action.staged);
      const turns = action.turns ?? review.turns;
      // The turn shown may be gone (a session whose turns were pruned): back to the working changes.
      const turn = review.turn !== null && turns.some((entry) => entry.turn === review.turn) ? review.turn : null;
      return withFiles(review, { ...review, status: action.status, stats, turns, turn, loading: false, error: null, generation: review.generation + 1 });
    }
    case 'review/failed':
      if (action.sessionId !== review.sessionId) return review;
      return { ...review, loading: false, error: action.error };
    case 'review/turn': {
      const choices: Array<number | null> = [null, ...review.turns.map((entry) => entry.turn)];
      const index = choices.indexOf(review.turn);
      const turn = choices[(((index + action.delta) % choices.length) + choices.length) % choices.length]!;
      if (turn === review.turn) return review;
      return { ...withFiles(review, { ...review, turn }), selected: 0, diff: null, scroll: 0 };
    }
    case 'review/working':
      if (review.turn === null) return review;
      return { ...withFiles(review, { ...review, turn: null }), selected: 0, diff: null, scroll: 0 };
    case 'review/move': {
      const selected = clamp(review.selected + action.delta, 0, Math.max(0, review.files.length - 1));
      return selected === review.selected ? review : { ...review, selected, scroll: 0 };
    }
    case 'review/edge': {
      const selected = action.edge === 'first' ? 0 : Math.max(0, review.files.length - 1);
      return selected === review.selected ? review : { ...review, selected, scroll: 0 };
    }
    case 'review/diff-loading': {
      // The same file read again (after staging it, or ctrl+r) keeps its place and its text until the answer lands.
      const same = review.diff?.path === action.path;
      const held = same && review.diff ? { ...review.diff, key: action.key, loading: true, error: null } : { key: action.key, path: action.path, sections: [], rows: [], note: undefined, loading: true, error: null };
      return { ...review, diff: held, scroll: same ? review.scroll : 0 };
    }
    case 'review/diff-loaded': {
      if (review.diff?.key !== action.key) return review; // an answer for a file no longer selected
      const path = review.diff.path;
      const sections = action.sections.map((part) => sectionFrom(part.title, part.query, part.diff, path));
      const rows = diffRows(sections, action.note);
      return { ...review, diff: { ...review.diff, sections, rows, note: action.note, loading: false, error: null }, scroll: clamp(review.scroll, 0, Math.max(0, rows.length - 1)) };
    }
    case 'review/diff-page': {
      if (review.diff?.key !== action.key) return review;
      const sections = review.diff.sections.map((section, index) => (index === action.section ? withPage(section, action.diff) : section));
      return { ...review, diff: { ...review.diff, sections, rows: diffRows(sections, review.diff.note), loading: false } };
    }
    case 'review/diff-failed':
      if (review.diff?.key !== action.key) return review;
      return { ...review, diff: { ...review.diff, loading: false, error: action.error } };
    case 'review/scroll': {
      const last = lastScroll(review, action.visible);
      return { ...review, scroll: clamp(review.scroll + action.delta, 0, last) };
    }
    case 'review/scroll-edge':
      return { ...review, scroll: action.edge === 'top' ? 0 : lastScroll(review, action.visible) };
    case 'review/busy':
      return { ...review, busy: action.busy };
  }
}

/** Below this many columns the file list goes above the diff instead of beside it. */
export const STACK_BELOW = 60;

export interface ReviewLayout {
  /** The file list above the diff (narrow terminals) instead of at its left. */
  stacked: boolean;
  listWidth: number;
  listHeight: number;
  diffWidth: number;
  /** Rows of diff text in sight (the pane's title line not counted). */
  diffRows: number;
}

/**
 * How the diff view shares `width` × `height` (the dashboard's body): a title line, then the files at the left (a
 * third of the width, 16 to 40 columns) and the diff at the right; below 60 columns the files on top (a third of the
 * height at most) and the diff under them, full width. Shared by the view and the controller (a page of scrolling).
 */
export function reviewLayout(width: number, height: number, fileCount: number): ReviewLayout {
  const below = Math.max(2, height - 1);
  if (width < STACK_BELOW) {
    const listHeight = Math.max(2, Math.min(fileCount + 1, Math.floor(below / 3)));
    return { stacked: true, listWidth: width, listHeight, diffWidth: width, diffRows: Math.max(1, below - listHeight - 1) };
  }
  const listWidth = clamp(Math.floor(width / 3), 16, 40);
  return { stacked: false, listWidth, listHeight: below, diffWidth: width - listWidth - 1, diffRows: Math.max(1, below - 1) };
}
