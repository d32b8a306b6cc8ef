import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/core/api/sessions';
import { createCore, type Core } from '../../src/core/app';
import { SESSIONS_TOPIC } from '../../src/core/events/bus';
import type { Logger } from '../../src/core/log';
import { resolvePaths, type Paths } from '../../src/core/paths';
import { MemoryRunner, tinyShell } from '../helpers/memory-runner';
import { waitFor } from '../helpers/wait';

/**
 * The session engine over a second runner implementation: terminals in memory instead of tmux. If the engine needed
 * anything of tmux beyond the runner interface, this could not work.
 */
describe('the session engine over an in-memory runner', () => {
  let dir: string;
  let paths: Paths;
  let env: NodeJS.ProcessEnv;
  let runner: MemoryRunner;
  const cores: Core[] = [];
  const errors: string[] = [];
  const log: Logger = { info: () => {}, warn: () => {}, error: (message) => errors.push(message) };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpe-'));
    env = {
      PATH: process.env.PATH,
      CODEPIPER_HOME: path.join(dir, 'home'),
      CLAUDE_CONFIG_DIR: path.join(dir, 'claude'),
      CODEX_HOME: path.join(dir, 'codex'),
      XDG_DATA_HOME: path.join(dir, 'xdg'),
    };
    paths = resolvePaths({ env });
    fs.mkdirSync(paths.home, { recursive: true, mode: 0o700 });
    runner = new MemoryRunner(() => tinyShell());
    errors.length = 0;
  });

  afterEach(() => {
    for (const core of cores.splice(0)) core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<Core> {
    const core = await createCore({ paths, env, config: { transcripts: { scanOnStart: false } }, log, hookCommand: 'true', runner });
    cores.push(core);
    return core;
  }

  const state = (core: Core, id: string) => core.sessions.get(id).state;

  it('creates, types, reads, follows state, answers a question, re-adopts, and sees an exit as a crash', async () => {
    const core = await start();
    const pushed: Session[] = [];
    core.bus.subscribe(SESSIONS_TOPIC, (session) => pushed.push(session as Session));

    // create: the session is announced as starting, the program starts in a terminal of the requested size, and its
    // first output makes the session run
    const session = await core.sessions.create({ provider: 'command', cwd: dir, args: ['sh', '-i'], env: { GREETING: 'hi' }, dangerousMode: false, cleanEnv: false, cols: 90, rows: 30 });
    const terminal = [...runner.terminals.values()][0]!;
    expect(terminal.spec).toMatchObject({ place: `cp-${session.id}`, argv: ['sh', '-i'], cwd: dir, cols: 90, rows: 30 });
    expect(terminal.spec.env).toMatchObject({ GREETING: 'hi', CODEPIPER_SESSION: session.id });
    await waitFor(() => state(core, session.id) === 'idle', { what: 'idle after the prompt' });
    expect(pushed.map((s) => s.state)).toEqual(['starting', 'running', 'idle']);

    // send: text and Enter reach the terminal, output comes back, the state follows it
    await core.terminal.send(session.id, 'echo hello there', true);
    expect(terminal.inputs.slice(-2)).toEqual([{ literal: 'echo hello there' }, { key: 'enter' }]);
    await waitFor(async () => (await core.terminal.output(session.id, { ansi: false })).text.includes('\nhello there\n$'), { what: 'the echo on screen' });
    await waitFor(() => state(core, session.id) === 'idle' && pushed.at(-2)?.state === 'running', { what: 'running, then idle again' });
    expect(core.terminal.outputSince(session.id, 0).map((chunk) => chunk.data.toString()).join('')).toContain('hello there');

    // multi-line text: each newline is typed as ctrl+j
    await core.terminal.send(session.id, 'a\nb', false);
    expect(terminal.inputs.slice(-3)).toEqual([{ literal: 'a' }, { key: 'ctrl+j' }, { literal: 'b' }]);
    await core.terminal.keys(session.id, ['enter']);
    await waitFor(() => state(core, session.id) === 'idle' && pushed.at(-2)?.state === 'running', { what: 'idle after the keys' });

    // a question on screen: needs permission, answered with the keys the prompt takes
    await core.terminal.send(session.id, 'ask', true);
    await waitFor(() => state(core, session.id) === 'needs_permission', { what: 'needs permission' });
    await core.terminal.answerPermission(session.id, 'approve');
    expect(terminal.inputs.slice(-2)).toEqual([{ literal: 'y' }, { key: 'enter' }]);
    await waitFor(() => terminal.screen.includes('allowed'), { what: 'the answer taken' });

    // a new engine over the same runner adopts the session that kept running, and drives it
    core.close();
    const next = await start();
    expect(state(next, session.id)).not.toMatch(/stopped|crashed/);
    expect(next.sessions.events(session.id, { limit: 1000, offset: 0 }).events.map((event) => event.type)).toContain('adopted');
    await next.terminal.send(session.id, 'echo after adoption', true);
    await waitFor(async () => (await next.terminal.output(session.id, { ansi: false })).text.includes('\nafter adoption\n'), { what: 'output after adoption' });

    // exit 3: crashed, with the code
    await next.terminal.send(session.id, 'exit 3', true);
    await waitFor(() => state(next, session.id) === 'crashed', { what: 'crashed' });
    expect(next.sessions.get(session.id)).toMatchObject({ exitCode: 3, exitSignal: null, stateSource: 'process' });
    expect(terminal.watched).toBe(false);
    await expect(next.terminal.send(session.id, 'echo late', true)).rejects.toMatchObject({ code: 'SESSION_NOT_RUNNING' });

    // resume: the same place runs the program again
    await next.sessions.resume(session.id);
    expect(runner.terminals.size).toBe(1);
    expect(terminal.watched).toBe(true);
    await waitFor(() => state(next, session.id) === 'idle', { what: 'idle after resume' });

    // kill: the terminal goes, and the session is stopped
    await next.sessions.kill(session.id);
    expect(state(next, session.id)).toBe('stopped');
    expect(runner.terminals.size).toBe(0);
    expect(errors).toEqual([]);
  });

  it('marks a session crashed when its terminal is gone while no engine watched it', async () => {
    const core = await start();
    const session = await core.sessions.create({ provider: 'command', cwd: dir, args: ['sh'], env: {}, dangerousMode: false, cleanEnv: false, cols: 80, rows: 24 });
    core.close();
    runner.terminals.clear();
    const next = await start();
    expect(next.sessions.get(session.id)).toMatchObject({ state: 'crashed', exitCode: null });
    expect(next.sessions.events(session.id, { limit: 1000, offset: 0 }).events.map((event) => event.type)).toContain('lost');
  });
});
