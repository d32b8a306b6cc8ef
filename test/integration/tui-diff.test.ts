// The dashboard's diff view end to end: the built `codepiper` in a real pseudo-terminal (80×24) against a real daemon,
// a bash session in a git repository made for the test, driven by keys. What the keys do is checked with git itself,
// run directly on the repository: the index after staging, the log after committing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonApi } from '../helpers/daemon-api';
import { BIN, createHarness, type Harness } from '../helpers/harness';
import { spawnOnPty, type PtyScreen } from '../helpers/pty-screen';
import { waitFor } from '../helpers/wait';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.invalid',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

let harness: Harness;
let client: Client;
let tui: PtyScreen | undefined;
const { api, untilState } = daemonApi(() => client);

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
}

beforeAll(async () => {
  harness = createHarness();
  Object.assign(harness.env, GIT_ENV);
  delete harness.env.TMUX;
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
});

afterAll(async () => {
  tui?.kill();
  await client?.close();
  await harness?.cleanup();
});

describe('the diff view in a terminal', () => {
  let sessionName = '';
  it('shows what a session changed, stages a file, commits it with a typed message, and steps through turns', async () => {
    const repo = path.join(harness.dir, 'repo');
    fs.mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    fs.writeFileSync(path.join(repo, 'alpha.txt'), 'alpha one\nalpha two\n');
    fs.writeFileSync(path.join(repo, 'beta.txt'), 'beta one\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'first');
    fs.writeFileSync(path.join(repo, 'alpha.txt'), 'alpha one\nalpha TWO changed\n');
    fs.writeFileSync(path.join(repo, 'beta.txt'), 'beta one\nbeta added line\n');
    fs.writeFileSync(path.join(repo, 'gamma.txt'), 'gamma is new\n');

    const { json: created } = await api('POST', '/sessions', { provider: 'command', args: ['bash', '--norc', '--noprofile'], cwd: repo, name: 'shell' });
    expect(created.id, JSON.stringify(created)).toBeTruthy();
    await untilState(created.id, 'idle');

    // FORCE_COLOR: colour detection turns colour off when CI is set, and the colours are part of what is checked.
    tui = spawnOnPty(process.execPath, [BIN], { env: { ...harness.env, TERM: 'xterm-256color', FORCE_COLOR: '1' }, cwd: harness.dir, cols: 80, rows: 24 });
    await tui.waitFor(/idle +shell/, 'the session in the list');

    // D opens the diff view: the changed files at the left, the first one's diff at the right.
    tui.press('D');
    let screen = await tui.waitFor(/\+alpha TWO changed/, "alpha.txt's diff");
    expect(screen).toMatch(/diff · shell · main · working changes/);
    expect(screen).toMatch(/FILES 3/);
    expect(screen).toMatch(/› +M alpha\.txt +\+1 −1/);
    expect(screen).toMatch(/ M beta\.txt +\+1 −0/);
    expect(screen).toMatch(/\?\? gamma\.txt/);
    expect(screen).toMatch(/-alpha two/);
    // The additions are green and the deletions red on the real terminal.
    expect(tui.raw()).toMatch(/\u001b\[32m\+alpha TWO changed/);
    expect(tui.raw()).toMatch(/\u001b\[31m-alpha two/);
    expect(tui.wrappedRows()).toEqual([]);

    // j moves to beta.txt, and its diff follows; the untracked file shows whole.
    tui.press('j');
    await tui.waitFor(/\+beta added line/, "beta.txt's diff");
    tui.press('j');
    await tui.waitFor(/\+gamma is new/, 'the untracked file whole');
    tui.press('k');
    await tui.waitFor(/beta\.txt · unstaged/, 'back on beta.txt');

    // s stages beta.txt: git's own index says so.
    tui.press('s');
    await tui.waitFor(/› M  beta\.txt/, 'beta.txt staged in the list');
    await tui.waitFor(/beta\.txt · staged: index against HEAD/, 'its staged diff');
    expect(git(repo, 'diff', '--cached', '--name-only').trim()).toBe('beta.txt');

    // u unstages, s stages again.
    tui.press('u');
    await tui.waitFor(/›  M beta\.txt/, 'beta.txt unstaged');
    expect(git(repo, 'diff', '--cached', '--name-only').trim()).toBe('');
    tui.press('s');
    await tui.waitFor((text) => /› M  beta\.txt/.test(text) && !/staging…/.test(text), 'beta.txt staged again');
    expect(git(repo, 'diff', '--cached', '--name-only').trim()).toBe('beta.txt');

    // c asks for a message and commits what is staged with it.
    tui.press('c');
    await tui.waitFor(/commit message \(1 file staged\):/, 'the message prompt');
    tui.press('beta gets a line from the dashboard');
    await tui.waitFor(/commit message \(1 file staged\): beta gets a line from the dashboard/, 'the typed message');
    tui.press('\r');
    await tui.waitFor(/committed [0-9a-f]{7} beta gets a line from the dashboard/, 'the notice');
    expect(git(repo, 'log', '-1', '--format=%s').trim()).toBe('beta gets a line from the dashboard');
    expect(git(repo, 'show', '--name-only', '--format=', 'HEAD').trim()).toBe('beta.txt');
    screen = await tui.waitFor((text) => /FILES 2/.test(text) && !/beta\.txt/.test(text), 'the list without the committed file');
    expect(git(repo, 'status', '--porcelain').split('\n').filter(Boolean).sort()).toEqual([' M alpha.txt', '?? gamma.txt']);

    // A turn: the shell writes a file and goes quiet; the daemon records what that turn changed.
    await api('POST', `/sessions/${created.id}/send`, { text: 'echo written by the agent > delta.txt', newline: true });
    const turns = await waitFor(
      async () => {
        const listed = (await api('GET', `/sessions/${created.id}/turns`)).json.turns as Array<{ turn: number; files: Array<{ path: string }> }>;
        return listed.some((turn) => turn.files.some((file) => file.path === 'delta.txt')) ? listed : undefined;
      },
      { what: 'a turn that wrote delta.txt', timeoutMs: 20_000 },
    );
    const wrote = turns.find((turn) => turn.files.some((file) => file.path === 'delta.txt'))!;
    tui.press('\u0012'); // ctrl+r: read the list and the turns again
    await tui.waitFor(/working changes \(turns: [1-9]/, 'the turns counted in the title');
    // [ from the working changes opens the latest turn; each [ after it steps back one, to the turn that wrote delta.txt
    // (the shell may have had more turns than that one by now, none of them writing delta.txt).
    tui.press('[');
    let title = await tui.waitFor(/ turn (\d+) \((\d+) of \2\)/, 'the latest turn');
    for (let step = 0; !new RegExp(` turn ${wrote.turn} \\(`).test(title) && step < 20; step++) {
      const shown = / turn (\d+) \(/.exec(title)![1];
      tui.press('[');
      title = await tui.waitFor((text) => / turn (\d+) \(/.exec(text)?.[1] !== shown, 'the turn before');
    }
    expect(title).toMatch(new RegExp(` turn ${wrote.turn} \\(${turns.indexOf(wrote) + 1} of \\d+\\)`));
    await tui.waitFor(/\+written by the agent/, "the turn's diff");
    expect(tui.text()).toMatch(/› delta\.txt +\+1 −0/);
    expect(tui.text()).not.toMatch(/alpha\.txt/); // a turn lists only what it changed
    tui.press('w');
    await tui.waitFor(/›  M alpha\.txt/, 'the working changes again');

    // Esc leaves the view; q then quits, the session still there.
    tui.press('\u001b');
    await tui.waitFor((text) => !/diff · shell/.test(text) && /idle +shell|running +shell/.test(text), 'the sessions screen');
    tui.press('q');
    expect((await tui.exited).exitCode).toBe(0);
    expect((await api('GET', `/sessions/${created.id}`)).json.state).not.toBe('stopped');
    sessionName = 'shell';
  });

  it('fits a 50-column terminal: the files above the diff, no row running over', async () => {
    expect(sessionName, 'the session of the test before').toBe('shell');
    tui = spawnOnPty(process.execPath, [BIN], { env: { ...harness.env, TERM: 'xterm-256color', FORCE_COLOR: '1' }, cwd: harness.dir, cols: 50, rows: 20 });
    await tui.waitFor(/shell/, 'the session in the list');
    tui.press('D');
    const screen = await tui.waitFor(/\+alpha TWO changed/, "alpha.txt's diff");
    const lines = screen.split('\n');
    const fileRow = lines.findIndex((line) => /›  M alpha\.txt/.test(line));
    const diffRow = lines.findIndex((line) => line.includes('+alpha TWO changed'));
    expect(fileRow).toBeGreaterThan(0);
    expect(diffRow).toBeGreaterThan(fileRow); // stacked: the diff under the list
    expect(lines[fileRow]).not.toContain('│');
    expect(tui.wrappedRows()).toEqual([]);
    tui.press('\u001b');
    await tui.waitFor((text) => !/diff · shell/.test(text), 'the sessions screen');
    tui.press('q');
    expect((await tui.exited).exitCode).toBe(0);
  });
});
