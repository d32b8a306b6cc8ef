// The diff view's pure parts: the unified-diff classifier, the review reducer (files, selection, paged diffs, scroll,
// turns), the layout at wide and narrow widths, and the keys of the diff scope.
import { describe, expect, it } from 'vitest';
import type { Diff, DiffStat, GitStatus, Turn } from '../../src/core/api/git';
import { classifyDiff, splitPage } from '../../src/tui/diff';
import { BINDINGS, helpSections, routeKey, splitKeys } from '../../src/tui/keybindings';
import { diffRows, reviewLayout, reviewReducer, wantedDiffKey, type ReviewAction, type ReviewState } from '../../src/tui/review';
import { initialState, reducer, type AppState } from '../../src/tui/state';
import { sessionFixture } from '../helpers/session-fixture';

const DIFF = [
  'diff --git a/src/app.ts b/src/app.ts',
  'index 83db48f..bf269f4 100644',
  '--- a/src/app.ts',
  '+++ b/src/app.ts',
  '@@ -1,4 +1,4 @@',
  ' import x from "x";',
  '--- a comment that starts with two dashes',
  '+++ a line that starts with two pluses',
  ' ',
  '@@ -10 +10,2 @@ function tail()',
  ' end',
  '+added',
  '\\ No newline at end of file',
  'diff --git a/logo.png b/logo.png',
  'Binary files a/logo.png and b/logo.png differ',
];

describe('the unified diff classifier', () => {
  it('tells headers, hunks, additions, deletions and context apart by the hunk counts, and numbers the lines', () => {
    const { lines } = classifyDiff(DIFF);
    expect(lines.map((line) => line.kind)).toEqual([
      'file', 'meta', 'meta', 'meta', 'hunk', 'context', 'delete', 'add', 'context', 'hunk', 'context', 'add', 'no-newline', 'file', 'binary',
    ]);
    // "--- a comment" inside the hunk is a deleted line, not the old file's name.
    expect(lines[6]).toMatchObject({ kind: 'delete', oldLine: 2, newLine: null });
    expect(lines[7]).toMatchObject({ kind: 'add', oldLine: null, newLine: 2 });
    expect(lines[8]).toMatchObject({ kind: 'context', oldLine: 3, newLine: 3 });
    // "@@ -10 +10,2 @@": a count left out is one.
    expect(lines[10]).toMatchObject({ kind: 'context', oldLine: 10, newLine: 10 });
    expect(lines[11]).toMatchObject({ kind: 'add', newLine: 11 });
  });

  it('continues a hunk across pages, a page cut inside a line joined to the next', () => {
    const text = `${DIFF.join('\n')}\n`;
    const cut = text.indexOf('+++ a line') + 5;
    const first = splitPage(text.slice(0, cut), false);
    expect(first.rest).toBe('+++ a');
    const one = classifyDiff(first.lines);
    const second = splitPage(first.rest + text.slice(cut), true);
    const two = classifyDiff(second.lines, one.cursor);
    expect([...one.lines, ...two.lines]).toEqual(classifyDiff(DIFF).lines);
    expect(splitPage('a\nb', true).lines).toEqual(['a', 'b']);
    expect(splitPage('', false)).toEqual({ lines: [], rest: '' });
  });

  it('reads a line the counts did not expect as a header again, never as a hunk line', () => {
    const { lines } = classifyDiff(['@@ -1,3 +1,3 @@', ' a', 'diff --git a/b b/b', '-gone']);
    expect(lines.map((line) => line.kind)).toEqual(['hunk', 'context', 'file', 'other']);
  });
});

const status = (files: GitStatus['files']): GitStatus => ({ root: '/repo', branch: 'cp/agent', head: 'abc1234def', upstream: null, ahead: 0, behind: 0, clean: files.length === 0, files });
const file = (path: string, index: string, worktree: string): GitStatus['files'][number] => ({
  path,
  from: null,
  index,
  worktree,
  staged: index !== ' ' && index !== '?',
  unstaged: worktree !== ' ' && worktree !== '?',
  untracked: index === '?',
  conflicted: false,
});
const STATUS = status([file('README.md', 'M', ' '), file('src/app.ts', ' ', 'M'), file('notes.txt', '?', '?')]);
const stat = (files: Array<[string, number, number, boolean?]>): DiffStat => ({
  files: files.map(([path, additions, deletions, binary]) => ({ path, from: null, additions, deletions, binary: binary ?? false })),
  additions: 0,
  deletions: 0,
});
const TURNS: Turn[] = [
  { turn: 1, at: '2026-12-05T07:00:00Z', ref: 'refs/codepiper/s/1', files: [{ path: 'a.txt', from: null, additions: 1, deletions: 0, binary: false }], additions: 1, deletions: 0, trigger: 'stop-hook' },
  { turn: 2, at: '2026-12-05T07:05:00Z', ref: 'refs/codepiper/s/2', files: [{ path: 'b.txt', from: null, additions: 2, deletions: 1, binary: false }, { path: 'c.bin', from: null, additions: 0, deletions: 0, binary: true }], additions: 2, deletions: 1, trigger: 'idle' },
];
const diff = (text: string, extra: Partial<Diff> = {}): Diff => ({ text, compared: 'worktree against index', offset: 0, totalBytes: text.length, truncated: false, nextOffset: null, binaryFiles: [], ...extra });

const apply = (review: ReviewState | null, ...actions: ReviewAction[]) => actions.reduce<ReviewState | null>(reviewReducer, review);
const loaded = () =>
  apply(null, { type: 'review/open', sessionId: 's', title: 'agent' }, { type: 'review/loaded', sessionId: 's', status: STATUS, unstaged: stat([['src/app.ts', 3, 1]]), staged: stat([['README.md', 1, 1]]), turns: TURNS })!;

describe('the review reducer', () => {
  it('lists the working changes with git status letters and the counts of both diffs', () => {
    const review = loaded();
    expect(review.files.map((f) => [f.code, f.path, f.additions, f.deletions])).toEqual([
      ['M ', 'README.md', 1, 1],
      [' M', 'src/app.ts', 3, 1],
      ['??', 'notes.txt', null, null],
    ]);
    expect(review.loading).toBe(false);
    expect(review.turns).toHaveLength(2);
  });

  it('moves the selection within the list and keeps it on the same file when the list is read again', () => {
    let review = apply(loaded(), { type: 'review/move', delta: 1 })!;
    expect(review.files[review.selected]!.path).toBe('src/app.ts');
    review = apply(review, { type: 'review/move', delta: 10 }, { type: 'review/edge', edge: 'first' }, { type: 'review/move', delta: 1 })!;
    // After staging src/app.ts the list comes back in another order: the selection follows the file.
    const after = status([file('src/app.ts', 'M', ' '), file('README.md', 'M', ' '), file('notes.txt', '?', '?')]);
    review = apply(review, { type: 'review/loaded', sessionId: 's', status: after, unstaged: null, staged: null, turns: null })!;
    expect(review.files[review.selected]).toMatchObject({ path: 'src/app.ts', code: 'M ' });
    expect(review.turns).toHaveLength(2); // turns not read this time stay as they were
    // An answer for another session does not land.
    expect(apply(review, { type: 'review/loaded', sessionId: 'other', status: status([]), unstaged: null, staged: null, turns: null })).toBe(review);
  });

  it('reads a diff again when the file is staged, and drops an answer for a file no longer selected', () => {
    const review = loaded();
    const key = wantedDiffKey(review)!;
    let next = apply(review, { type: 'review/diff-loading', key, path: 'README.md' }, { type: 'review/move', delta: 1 })!;
    expect(wantedDiffKey(next)).not.toBe(key);
    next = apply(next, { type: 'review/diff-loading', key: wantedDiffKey(next)!, path: 'src/app.ts' })!;
    next = apply(next, { type: 'review/diff-loaded', key, sections: [{ title: 'staged', query: { staged: true, turn: null }, diff: diff('x') }] })!;
    expect(next.diff?.loading).toBe(true); // the late answer for README.md did not land
    const restaged = apply(review, { type: 'review/loaded', sessionId: 's', status: status([file('README.md', 'M', 'M')]), unstaged: null, staged: null, turns: null })!;
    expect(wantedDiffKey(restaged)).not.toBe(key);
  });

  it('draws the staged and unstaged parts as two titled sections, a binary file as binary, a cut diff as cut', () => {
    let review = apply(loaded(), { type: 'review/diff-loading', key: 'k', path: 'README.md' })!;
    review = apply(review, {
      type: 'review/diff-loaded',
      key: 'k',
      sections: [
        { title: 'staged: index against HEAD', query: { staged: true, turn: null }, diff: diff('@@ -1 +1 @@\n-old\n+new\n') },
        { title: 'unstaged: worktree against index', query: { staged: false, turn: null }, diff: diff('', { binaryFiles: ['README.md'] }) },
      ],
    })!;
    expect(review.diff!.rows.map((row) => [row.kind, row.text])).toEqual([
      ['section', 'staged: index against HEAD'],
      ['hunk', '@@ -1 +1 @@'],
      ['delete', '-old'],
      ['add', '+new'],
      ['section', 'unstaged: worktree against index'],
      ['binary', 'binary file: it differs, git shows no text for it'],
    ]);
    const page = '@@ -1,3 +1,3 @@\n-a\n+b\n c';
    review = apply(review, { type: 'review/diff-loading', key: 'k2', path: 'src/app.ts' })!;
    review = apply(review, { type: 'review/diff-loaded', key: 'k2', sections: [{ title: 'unstaged', query: { staged: false, turn: null }, diff: diff(page, { truncated: true, nextOffset: 14, totalBytes: 3 * 1024 * 1024 }) }] })!;
    expect(review.diff!.rows.at(-1)).toMatchObject({ kind: 'truncated', text: '… truncated: 3.0 MiB of 3.0 MiB not shown (m loads more)' });
    review = apply(review, { type: 'review/diff-page', key: 'k2', section: 0, diff: diff('\n d\n', { offset: 14 }) })!;
    expect(review.diff!.rows.map((row) => [row.kind, row.text])).toEqual([
      ['hunk', '@@ -1,3 +1,3 @@'],
      ['delete', '-a'],
      ['add', '+b'],
      ['context', ' c'],
      ['context', ' d'], // the line cut at the page's end, whole again
    ]);
    expect(diffRows([], 'untracked')).toEqual([{ kind: 'note', text: 'untracked', oldLine: null, newLine: null }]);
  });

  it('scrolls the diff within its length, the last row stopping at the bottom of the pane', () => {
    let review = apply(loaded(), { type: 'review/diff-loading', key: 'k', path: 'README.md' })!;
    const text = Array.from({ length: 100 }, (_, i) => `+line ${i}`).join('\n');
    review = apply(review, { type: 'review/diff-loaded', key: 'k', sections: [{ title: 'unstaged', query: { staged: false, turn: null }, diff: diff(`@@ -0,0 +1,100 @@\n${text}\n`) }] })!;
    expect(review.diff!.rows).toHaveLength(101);
    expect(apply(review, { type: 'review/scroll', delta: 20, visible: 10 })!.scroll).toBe(20);
    expect(apply(review, { type: 'review/scroll', delta: 500, visible: 10 })!.scroll).toBe(91);
    expect(apply(review, { type: 'review/scroll', delta: -5, visible: 10 })!.scroll).toBe(0);
    expect(apply(review, { type: 'review/scroll-edge', edge: 'bottom', visible: 10 })!.scroll).toBe(91);
    // Another file starts at its top.
    expect(apply(review, { type: 'review/scroll', delta: 20, visible: 10 }, { type: 'review/move', delta: 1 })!.scroll).toBe(0);
  });

  it('steps through the turns and back to the working changes, each turn listing its own files', () => {
    let review = apply(loaded(), { type: 'review/turn', delta: 1 })!;
    expect(review.turn).toBe(1);
    expect(review.files.map((f) => [f.path, f.code, f.additions])).toEqual([['a.txt', '', 1]]);
    review = apply(review, { type: 'review/turn', delta: 1 })!;
    expect(review.turn).toBe(2);
    expect(review.files.map((f) => [f.path, f.binary])).toEqual([['b.txt', false], ['c.bin', true]]);
    expect(apply(review, { type: 'review/turn', delta: 1 })!.turn).toBeNull(); // wraps to the working changes
    expect(apply(loaded(), { type: 'review/turn', delta: -1 })!.turn).toBe(2); // [ from the working changes: the latest
    expect(apply(review, { type: 'review/working' })!.files.map((f) => f.path)).toEqual(['README.md', 'src/app.ts', 'notes.txt']);
    expect(wantedDiffKey(review)).toContain('\u00002\u0000');
  });

  it('opens from the app state, and leaves when the screen changes', () => {
    let state: AppState = reducer(initialState(), { type: 'review/open', sessionId: 's', title: 'agent' });
    expect(state.review).toMatchObject({ sessionId: 's', loading: true });
    expect(reducer(state, { type: 'review/busy', busy: 'staging…' }).review!.busy).toBe('staging…');
    state = reducer(state, { type: 'screen', screen: 'audit' });
    expect(state.review).toBeNull();
    expect(reducer(initialState(), { type: 'review/move', delta: 1 }).review).toBeNull();
  });
});

describe('the diff view layout', () => {
  it('puts the files beside the diff from 60 columns, above it below that, and never past the width', () => {
    const wide = reviewLayout(80, 20, 3);
    expect(wide).toMatchObject({ stacked: false, listWidth: 26, diffWidth: 53, diffRows: 18 });
    expect(wide.listWidth + 1 + wide.diffWidth).toBe(80);
    expect(reviewLayout(200, 20, 3).listWidth).toBe(40);
    const narrow = reviewLayout(40, 20, 30);
    expect(narrow).toMatchObject({ stacked: true, listWidth: 40, diffWidth: 40, listHeight: 6 });
    expect(narrow.listHeight + 1 + narrow.diffRows).toBe(19);
    expect(reviewLayout(40, 20, 1).listHeight).toBe(2);
  });
});

describe('keys of the diff view', () => {
  const base = initialState();
  const withSessions: AppState = { ...base, sessions: [sessionFixture({ id: 's', state: 'idle', createdAt: '2026-12-05T07:00:00Z' })], selectedId: 's' };
  const open: AppState = { ...withSessions, review: loaded() };

  it('opens with D from the sessions screen and owns j/k, s/u/c, the turn keys and Esc/q while open', () => {
    expect(routeKey(withSessions, 'D', { shift: true })).toEqual({ command: 'review.open' });
    expect(routeKey(open, 'j', {})).toEqual({ command: 'review.next' });
    expect(routeKey(open, '', { downArrow: true })).toEqual({ command: 'review.next' });
    expect(routeKey(open, 's', {})).toEqual({ command: 'review.stage' });
    expect(routeKey(open, 'u', {})).toEqual({ command: 'review.unstage' });
    expect(routeKey(open, 'c', {})).toEqual({ command: 'review.commit' });
    expect(routeKey(open, ']', {})).toEqual({ command: 'review.turn-next' });
    expect(routeKey(open, '[', {})).toEqual({ command: 'review.turn-prev' });
    expect(routeKey(open, ' ', {})).toEqual({ command: 'review.page-down' });
    expect(routeKey(open, 'q', {})).toEqual({ command: 'review.close' }); // q leaves the view, it does not quit
    expect(routeKey(open, '', { escape: true })).toEqual({ command: 'review.close' });
    expect(routeKey(open, 'c', { ctrl: true })).toEqual({ command: 'quit' });
    expect(routeKey(open, '?', {})).toEqual({ command: 'help' });
    expect(routeKey(open, '3', {})).toEqual({ command: 'screen.audit' });
    // The commit message is typed into a prompt over the view: letters are text there, not stage or commit.
    const typing: AppState = { ...open, overlay: { kind: 'prompt', purpose: 'commit', label: 'commit message', value: '', sessionId: 's' } };
    expect(routeKey(typing, 's', {})).toEqual({ edit: { insert: 's' } });
    expect(routeKey(typing, '', { return: true })).toEqual({ command: 'prompt.submit' });
  });

  it('moves for a burst of j/k but drops a paste that would stage or commit letter by letter', () => {
    expect(splitKeys(open, 'jjk', {})).toHaveLength(3);
    expect(splitKeys(open, 'jsc', {})).toEqual([]);
  });

  it('lists its keys in the help, from the same table', () => {
    const section = helpSections().find((entry) => entry.title === 'Diff view');
    expect(section?.rows.length).toBe(BINDINGS.filter((binding) => binding.scope === 'diff').length);
    expect(helpSections().find((entry) => entry.title === 'Sessions')?.rows.some((row) => row.keys === 'D')).toBe(true);
  });
});
