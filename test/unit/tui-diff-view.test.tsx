// The diff view drawn with ink-testing-library and driven with keys. The controller is the real one; the daemon is a
// link answering the git review routes (src/core/api/git.ts) from a small fake repository kept in memory, which
// stages, unstages and commits for real within that memory, so every key's effect shows in what is drawn next.
import { vi } from 'vitest';

vi.hoisted(() => {
  process.env.FORCE_COLOR = '1';
});

import { render } from 'ink-testing-library';
import React from 'react';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import type { Diff, GitStatus, Turn } from '../../src/core/api/git';
import type { StreamArgs } from '../../src/core/api/events';
import { AppError } from '../../src/core/errors';
import { App } from '../../src/tui/App';
import { Controller, type Host } from '../../src/tui/controller';
import type { DaemonLink } from '../../src/tui/link';
import { initialState } from '../../src/tui/state';
import { createStore } from '../../src/tui/store';
import { sessionFixture } from '../helpers/session-fixture';
import { waitFor } from '../helpers/wait';

const NOW = Date.parse('2026-12-05T08:00:00Z');
const SESSION = sessionFixture({ id: 'aaaa1111', name: 'builder', state: 'idle', createdAt: new Date(NOW - 60_000).toISOString() });

const LONG_LINES = 400;
const LONG = `diff --git a/big.txt b/big.txt\n--- a/big.txt\n+++ b/big.txt\n@@ -0,0 +1,${LONG_LINES} @@\n${Array.from({ length: LONG_LINES }, (_, i) => `+big line ${i + 1}`).join('\n')}\n`;

interface FakeFile {
  path: string;
  staged: string | null;
  unstaged: string | null;
  untracked?: string;
  binary?: boolean;
}

const diffOf = (path: string, old: string, now: string) => `diff --git a/${path} b/${path}\nindex 1111111..2222222 100644\n--- a/${path}\n+++ b/${path}\n@@ -1 +1 @@\n-${old}\n+${now}\n`;

const TURNS: Turn[] = [
  { turn: 1, at: '2026-12-05T07:50:00Z', ref: 'refs/codepiper/aaaa1111/1', files: [{ path: 'first.txt', from: null, additions: 1, deletions: 0, binary: false }], additions: 1, deletions: 0, trigger: 'stop-hook' },
  { turn: 2, at: '2026-12-05T07:55:00Z', ref: 'refs/codepiper/aaaa1111/2', files: [{ path: 'second.txt', from: null, additions: 1, deletions: 1, binary: false }], additions: 1, deletions: 1, trigger: 'stop-hook' },
];

/** The fake repository: files with a staged and an unstaged diff each, as git would print them. */
function fakeRepo() {
  const files: FakeFile[] = [
    { path: 'src/app.ts', staged: null, unstaged: diffOf('src/app.ts', 'const answer = 41;', 'const answer = 42;') },
    { path: 'README.md', staged: diffOf('README.md', '# old title', '# new title'), unstaged: null },
    { path: 'logo.png', staged: null, unstaged: 'diff --git a/logo.png b/logo.png\nindex 1111111..2222222 100644\nBinary files a/logo.png and b/logo.png differ\n', binary: true },
    { path: 'big.txt', staged: null, unstaged: LONG },
    { path: 'notes.txt', staged: null, unstaged: null, untracked: 'remember the milk\nand the eggs\n' },
  ];
  const commits: Array<{ message: string; paths: string[] }> = [];
  const status = (): GitStatus => ({
    root: '/repo',
    branch: 'cp/builder',
    head: 'abc1234def5678',
    upstream: null,
    ahead: 0,
    behind: 0,
    clean: files.length === 0,
    files: files.map((file) => ({
      path: file.path,
      from: null,
      index: file.untracked !== undefined ? '?' : file.staged ? 'M' : ' ',
      worktree: file.untracked !== undefined ? '?' : file.unstaged ? 'M' : ' ',
      staged: Boolean(file.staged),
      unstaged: Boolean(file.unstaged),
      untracked: file.untracked !== undefined,
      conflicted: false,
    })),
  });
  return { files, commits, status };
}

function fakeLink() {
  const repo = fakeRepo();
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  const streams = new Map<string, (...message: StreamArgs) => void>();
  const page = (text: string, input: Record<string, unknown>, compared: string, binaryFiles: string[] = []): Diff => {
    const offset = Number(input.offset ?? 0);
    const limit = Number(input.limitBytes ?? 1024 * 1024);
    const slice = text.slice(offset, offset + limit);
    const next = offset + slice.length;
    return { text: slice, compared, offset, totalBytes: text.length, truncated: next < text.length, nextOffset: next < text.length ? next : null, binaryFiles };
  };
  const answer = (name: string, input: Record<string, unknown>): unknown => {
    const byPath = (path: unknown) => repo.files.find((file) => file.path === path);
    switch (name) {
      case 'health':
        return { status: 'ok', version: 'test', uptime: 1 };
      case 'sessions.list':
        return { sessions: [SESSION] };
      case 'sessions.output':
        return { text: 'agent screen', seq: 0, source: 'screen' };
      case 'library.sessions':
        return { total: 0, sessions: [] };
      case 'git.status':
        return repo.status();
      case 'git.diffStat': {
        const which = input.staged ? 'staged' : 'unstaged';
        const stats = repo.files.filter((file) => file[which]).map((file) => ({ path: file.path, from: null, additions: file.path === 'big.txt' ? LONG_LINES : 1, deletions: file.path === 'big.txt' ? 0 : 1, binary: Boolean(file.binary) }));
        return { files: stats, additions: 0, deletions: 0 };
      }
      case 'git.diff': {
        if (input.turn !== undefined) {
          const turn = TURNS.find((entry) => entry.turn === input.turn);
          if (!turn) throw new AppError('TURN_NOT_FOUND', `no turn ${String(input.turn)}`);
          return page(diffOf(String(input.path), `before turn ${turn.turn}`, `after turn ${turn.turn}`), input, `turn ${turn.turn} (aaa..bbb)`);
        }
        const file = byPath(input.path);
        if (file?.untracked !== undefined && !input.staged) {
          const lines = file.untracked.split('\n').slice(0, -1);
          const whole = `diff --git a/${file.path} b/${file.path}\nnew file mode 100644\n--- /dev/null\n+++ b/${file.path}\n@@ -0,0 +1,${lines.length} @@\n${lines.map((line) => `+${line}`).join('\n')}\n`;
          return page(whole, input, 'untracked file against nothing');
        }
        const text = (input.staged ? file?.staged : file?.unstaged) ?? '';
        return page(text, input, input.staged ? 'index against HEAD' : 'worktree against index', file?.binary && text ? [file.path] : []);
      }
      case 'sessions.turns':
        return { turns: TURNS };
      case 'git.stage':
        for (const path of input.paths as string[]) {
          const file = byPath(path)!;
          if (file.untracked !== undefined) {
            file.staged = `diff --git a/${path} b/${path}\nnew file mode 100644\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1 @@\n+${file.untracked.split('\n')[0]}\n`;
            delete file.untracked;
          } else {
            file.staged = file.unstaged;
          }
          file.unstaged = null;
        }
        return repo.status();
      case 'git.unstage':
        for (const path of input.paths as string[]) {
          const file = byPath(path)!;
          file.unstaged = file.staged;
          file.staged = null;
        }
        return repo.status();
      case 'git.commit': {
        const staged = repo.files.filter((file) => file.staged);
        if (staged.length === 0) throw new AppError('NOTHING_TO_COMMIT', 'nothing staged to commit');
        repo.commits.push({ message: String(input.message), paths: staged.map((file) => file.path) });
        for (const file of staged) file.staged = null;
        const left = repo.files.filter((file) => file.staged || file.unstaged || file.untracked !== undefined);
        repo.files.splice(0, repo.files.length, ...left);
        return { commit: { hash: 'f00dfeed'.repeat(5), shortHash: 'f00dfee', author: 'A', email: 'a@example.org', date: '2026-12-05T08:00:00Z', subject: String(input.message) }, status: repo.status() };
      }
      default:
        throw new Error(`the fake daemon has no answer for ${name}`);
    }
  };
  const link: DaemonLink = {
    call: (async (name: string, input: Record<string, unknown> = {}) => {
      calls.push({ name, input });
      await new Promise((resolve) => setImmediate(resolve));
      return answer(name, input);
    }) as DaemonLink['call'],
    callStarting: ((name: string, input?: Record<string, unknown>) => link.call(name as 'sessions.list', input as never)) as DaemonLink['callStarting'],
    stream(topics, onEvent: (...message: StreamArgs) => void) {
      for (const topic of topics) streams.set(topic, onEvent);
      setImmediate(() => onEvent('ready', { topics }));
      return { done: new Promise<void>(() => undefined), close: () => undefined };
    },
    tmux: async () => ({ binary: 'tmux', socket: 'test' }),
  };
  return {
    link,
    repo,
    calls,
    callsOf: (name: string) => calls.filter((call) => call.name === name).map((call) => call.input),
    emit: (topic: string, ...message: StreamArgs) => streams.get(topic)?.(...message),
  };
}

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
const ESC = '\u001b';
const ENTER = '\r';

async function open(options: { colour?: boolean; size?: { columns: number; rows: number } } = {}) {
  const daemon = fakeLink();
  const store = createStore(initialState({ columns: 100, rows: 24 }));
  const host: Host = { cwd: '/work', env: {}, attach: async () => undefined, exit: () => undefined };
  const controller = new Controller(store, daemon.link, host);
  const ui = render(<App store={store} controller={controller} theme={{ colour: options.colour ?? true }} now={NOW} />);
  cleanups.push(() => {
    controller.stop();
    ui.unmount();
  });
  await controller.start();
  if (options.size) store.dispatch({ type: 'resize', ...options.size });
  const frame = () => stripAnsi(ui.lastFrame() ?? '');
  const until = (pattern: RegExp | ((frame: string) => boolean), what = String(pattern)) =>
    waitFor(() => ((typeof pattern === 'function' ? pattern(frame()) : pattern.test(frame())) ? frame() : undefined), { what, timeoutMs: 3000 }).catch((error: Error) => {
      throw new Error(`${error.message}\n--- last frame:\n${frame()}`);
    });
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      ui.stdin.write(key);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await until(/builder/);
  return { ...daemon, store, ui, frame, until, press };
}

/** The raw (coloured) line of the last frame that holds `text`. */
function rawLine(tui: { ui: { lastFrame(): string | undefined } }, text: string): string {
  const line = (tui.ui.lastFrame() ?? '').split('\n').find((row) => stripAnsi(row).includes(text));
  expect(line, `a line with ${text}`).toBeDefined();
  return line!;
}

describe('the diff view', () => {
  it('opens with D: the changed files at the left with their letters, the selected file coloured at the right', async () => {
    const tui = await open();
    await tui.press('D');
    const frame = await tui.until(/\+const answer = 42;/, "the first file's diff");
    expect(frame).toMatch(/diff · builder · cp\/builder · working changes \(turns: 2\)/);
    expect(frame).toMatch(/FILES 5 · 1 staged/);
    expect(frame).toMatch(/›  M src\/app\.ts +\+1 −1/);
    expect(frame).toMatch(/│? {2}M {2}README\.md +\+1 −1/);
    expect(frame).toMatch(/\?\? notes\.txt/);
    expect(frame).toMatch(/src\/app\.ts · unstaged: worktree against index/);
    expect(frame).toMatch(/ {2}1 {5}-const answer = 41;/); // line numbers at this width: old, then new
    // eslint-disable-next-line no-control-regex
    expect(rawLine(tui, '+const answer = 42;')).toMatch(/\u001b\[32m\+const answer = 42;/);
    // eslint-disable-next-line no-control-regex
    expect(rawLine(tui, '-const answer = 41;')).toMatch(/\u001b\[31m-const answer = 41;/);
    // eslint-disable-next-line no-control-regex
    expect(rawLine(tui, '@@ -1 +1 @@')).toMatch(/\u001b\[36m@@ -1 \+1 @@/);
    expect(tui.callsOf('git.status')).toEqual([{ id: 'aaaa1111' }]);
    expect(tui.callsOf('git.diff')[0]).toEqual({ id: 'aaaa1111', path: 'src/app.ts', staged: false, limitBytes: 256 * 1024 });

    // j moves to the next file and its diff follows; a binary file says so; an untracked file shows its content.
    await tui.press('j');
    await tui.until(/\+# new title/, 'the staged diff of README.md');
    expect(tui.frame()).toMatch(/README\.md · staged: index against HEAD/);
    await tui.press('j');
    await tui.until(/Binary files a\/logo\.png and b\/logo\.png differ/);
    await tui.press('G');
    await tui.until(/untracked: git does not know this file yet/);
    expect(tui.frame()).toMatch(/\+remember the milk/);

    // ? shows the keys, the diff view's right after the global ones; any other key closes the help, the view stays.
    await tui.press('?');
    const help = await tui.until(/Diff view/, 'the diff keys on the first page of the help');
    expect(help).toMatch(/j, down +next file/);
    await tui.press('x');
    await tui.until((frame) => !/Diff view/.test(frame) && /diff · builder/.test(frame), 'the help closed, the view still open');

    // Esc leaves, back to the sessions screen.
    await tui.press(ESC);
    await tui.until((frame) => !/diff · builder/.test(frame) && /agent screen/.test(frame), 'the sessions screen');
    // q in the view leaves it too, and does not quit.
    await tui.press('D');
    await tui.until(/diff · builder/);
    await tui.press('q');
    await tui.until((frame) => !/diff · builder/.test(frame), 'the view closed by q');
  });

  it('stages and unstages the selected file, and commits what is staged with a typed message', async () => {
    const tui = await open();
    await tui.press('D');
    await tui.until(/›  M src\/app\.ts/);
    await tui.press('s');
    await tui.until(/› M {2}src\/app\.ts/, 'src/app.ts staged');
    expect(tui.callsOf('git.stage')).toEqual([{ id: 'aaaa1111', paths: ['src/app.ts'] }]);
    await tui.until(/staged src\/app\.ts/, 'the notice');
    await tui.until(/src\/app\.ts · staged: index against HEAD/, 'its diff read again, now the staged one');
    // s again: nothing left to stage, said, not sent.
    await tui.press('s');
    await tui.until(/src\/app\.ts has nothing to stage/);
    expect(tui.callsOf('git.stage')).toHaveLength(1);
    // u puts it back.
    await tui.press('u');
    await tui.until(/›  M src\/app\.ts/, 'src/app.ts unstaged');
    expect(tui.callsOf('git.unstage')).toEqual([{ id: 'aaaa1111', paths: ['src/app.ts'] }]);
    await tui.press('s');
    await tui.until(/› M {2}src\/app\.ts/);

    // c asks for the message; letters typed there are text, not stage or unstage.
    await tui.press('c');
    await tui.until(/commit message \(2 files staged\):/);
    await tui.press('s', 'u', 'c', ' ', 'f', 'i', 'x');
    await tui.until(/commit message \(2 files staged\): suc fix/);
    expect(tui.callsOf('git.stage')).toHaveLength(2);
    await tui.press(ENTER);
    await tui.until(/committed f00dfee suc fix/);
    expect(tui.callsOf('git.commit')).toEqual([{ id: 'aaaa1111', message: 'suc fix' }]);
    expect(tui.repo.commits).toEqual([{ message: 'suc fix', paths: ['src/app.ts', 'README.md'] }]);
    await tui.until((frame) => /FILES 3/.test(frame) && !/README\.md/.test(frame), 'the list without the committed files');

    // Nothing staged now: c says so instead of asking.
    await tui.press('c');
    await tui.until(/nothing staged to commit: s stages the selected file/);
    // Esc in the message prompt cancels it and stays in the view.
    await tui.press('s');
    await tui.until((frame) => /staged logo\.png/.test(frame) && !/staging…/.test(frame), 'logo.png staged');
    await tui.press('c');
    await tui.until(/commit message/);
    await tui.press(ESC);
    await tui.until((frame) => !/commit message/.test(frame) && /diff · builder/.test(frame), 'the prompt gone, the view still open');
    expect(tui.callsOf('git.commit')).toHaveLength(1);
  });

  it('steps through the turns with ] and [, each with its own files and diff, and back with w', async () => {
    const tui = await open();
    await tui.press('D');
    await tui.until(/src\/app\.ts/);
    await tui.press(']');
    await tui.until(/turn 1 \(1 of 2\) · stop-hook · 10m ago/);
    await tui.until(/\+after turn 1/);
    expect(tui.frame()).toMatch(/› first\.txt +\+1 −0/);
    expect(tui.frame()).not.toMatch(/src\/app\.ts/);
    expect(tui.callsOf('git.diff').at(-1)).toEqual({ id: 'aaaa1111', path: 'first.txt', turn: 1, limitBytes: 256 * 1024 });
    await tui.press(']');
    await tui.until(/\+after turn 2/);
    // A turn is history: s says where to stage instead.
    await tui.press('s');
    await tui.until(/a turn is history: w goes back to the working changes/);
    expect(tui.callsOf('git.stage')).toEqual([]);
    await tui.press('w');
    await tui.until(/working changes \(turns: 2\)/);
    await tui.until(/\+const answer = 42;/);
    await tui.press('[');
    await tui.until(/turn 2 \(2 of 2\)/, '[ from the working changes: the latest turn');
  });

  it('reads the list and the turns again when the session changes state while the view is open', async () => {
    const tui = await open();
    await tui.press('D');
    await tui.until(/\+const answer = 42;/);
    expect(tui.callsOf('git.status')).toHaveLength(1);
    tui.repo.files.push({ path: 'late.txt', staged: null, unstaged: diffOf('late.txt', 'a', 'b') });
    tui.emit('sessions', 'session', { ...SESSION, state: 'running', stateSince: new Date(NOW + 1000).toISOString() });
    tui.emit('sessions', 'session', { ...SESSION, state: 'idle', stateSince: new Date(NOW + 2000).toISOString() });
    await tui.until(/late\.txt/, 'the file written meanwhile');
    expect(tui.callsOf('sessions.turns').length).toBeGreaterThan(1);
    expect(tui.frame()).toMatch(/›  M src\/app\.ts/); // the selection stayed on its file
  });

  it('scrolls a long diff a page at a time, drawing only the rows in sight, and loads the rest of a cut diff with m', async () => {
    const tui = await open();
    await tui.press('D');
    await tui.until(/src\/app\.ts/);
    await tui.press('j', 'j', 'j');
    await tui.until(/\+big line 1\b/);
    const rows = tui.frame().split('\n').length;
    expect(rows).toBeLessThanOrEqual(24);
    expect(tui.frame()).not.toMatch(/big line 100\b/);
    expect(tui.frame()).toMatch(/big\.txt · unstaged: worktree against index · 1-\d+ of 404/);
    await tui.press(' ');
    await tui.until(/\+big line 2[0-9]\b/, 'a page further');
    expect(tui.frame()).not.toMatch(/\+big line 1\b/);
    await tui.press('>');
    await tui.until(/\+big line 400\b/, 'the end of the diff');
    await tui.press('<');
    await tui.until(/\+big line 1\b/, 'the top again');

    // A diff larger than a page: the view says it is cut and m reads the next page from where it stopped.
    tui.store.dispatch({ type: 'review/diff-loading', key: 'cut', path: 'big.txt' });
    tui.store.dispatch({
      type: 'review/diff-loaded',
      key: 'cut',
      sections: [{ title: 'unstaged', query: { staged: false, turn: null }, diff: { text: LONG.slice(0, 200), compared: 'worktree against index', offset: 0, totalBytes: LONG.length, truncated: true, nextOffset: 200, binaryFiles: [] } }],
    });
    await tui.press('>');
    await tui.until(/… truncated: .* not shown \(m loads more\)/);
    await tui.press('m');
    await tui.until(/of 404/, 'the rest, loaded');
    await tui.press('>');
    await tui.until(/\+big line 400\b/);
    expect(tui.callsOf('git.diff').at(-1)).toEqual({ id: 'aaaa1111', path: 'big.txt', staged: false, offset: 200, limitBytes: 256 * 1024 });
    expect(tui.frame()).not.toMatch(/truncated/);
  });

  it('fits 80 and 40 columns: beside at 80, files above the diff at 40, no line wider than the terminal', async () => {
    for (const columns of [80, 40]) {
      const tui = await open({ size: { columns, rows: 24 } });
      await tui.press('D');
      const frame = await tui.until(/\+const answer = 42;/);
      for (const line of frame.split('\n')) expect(stringWidth(line), line).toBeLessThanOrEqual(columns);
      const fileRow = frame.split('\n').find((line) => line.includes('src/app.ts') && line.includes('›'))!;
      if (columns === 80) expect(fileRow).toMatch(/│/);
      else expect(fileRow).not.toMatch(/│/);
      // Without line numbers at 40 columns the text keeps the room.
      if (columns === 40) expect(frame).toMatch(/^\+const answer = 42;/m);
    }
  });

  it('cuts a very long line at the pane edge, wide characters included, and says "q back" in the status line', async () => {
    const tui = await open({ size: { columns: 80, rows: 24 } });
    await tui.press('D');
    await tui.until(/\+const answer = 42;/);
    expect(tui.frame()).toMatch(/\? help {2}q back/);
    const long = `+${'修复'.repeat(20_000)}`;
    tui.store.dispatch({ type: 'review/diff-loading', key: 'long', path: 'src/app.ts' });
    tui.store.dispatch({
      type: 'review/diff-loaded',
      key: 'long',
      sections: [{ title: 'unstaged', query: { staged: false, turn: null }, diff: { text: `@@ -0,0 +1 @@\n${long}\n`, compared: 'x', offset: 0, totalBytes: long.length, truncated: false, nextOffset: null, binaryFiles: [] } }],
    });
    const frame = await tui.until(/\+修复修复/);
    for (const line of frame.split('\n')) expect(stringWidth(line), line).toBeLessThanOrEqual(80);
  });

  it('draws no colour with NO_COLOR; the + and - still say which line is which', async () => {
    const tui = await open({ colour: false });
    await tui.press('D');
    await tui.until(/\+const answer = 42;/);
    // eslint-disable-next-line no-control-regex
    expect(tui.ui.lastFrame()).not.toMatch(/\u001b\[(?:3[0-9]|9[0-7]|38;)/);
    expect(tui.frame()).toMatch(/-const answer = 41;/);
  });

  it('says why when the session has no repository, and D needs a session', async () => {
    const tui = await open();
    const failing = tui.link.call;
    tui.link.call = (async (name: string, input: Record<string, unknown>) => {
      if (name === 'git.status') throw new AppError('NOT_A_GIT_REPOSITORY', '/work is not in a git repository');
      return failing(name as 'health', input as never);
    }) as DaemonLink['call'];
    await tui.press('D');
    await tui.until(/\/work is not in a git repository/);
  });
});
