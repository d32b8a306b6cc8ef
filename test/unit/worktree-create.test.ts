import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/app';
import type { Logger } from '../../src/core/log';
import { resolvePaths, type Paths } from '../../src/core/paths';
import type { TerminalSpec } from '../../src/core/runner/runner';
import { MemoryRunner, tinyShell } from '../helpers/memory-runner';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

/** A runner whose terminals cannot start: what a create does after its worktree exists must be undone. */
class FailingRunner extends MemoryRunner {
  override async spawn(_spec: TerminalSpec): Promise<string> {
    throw new Error('no terminal today');
  }
}

/**
 * Creating a session in a worktree over an in-memory runner, on a real repository: the agent starts inside the
 * worktree, and a create that fails after the worktree was made leaves nothing behind.
 */
describe('a session in a worktree, created by the engine', () => {
  let dir: string;
  let repo: string;
  let paths: Paths;
  let env: NodeJS.ProcessEnv;
  const cores: Core[] = [];
  const saved: Record<string, string | undefined> = {};
  const log: Logger = { info: () => {}, warn: () => {}, error: () => {} };
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });

  beforeEach(() => {
    // simple-git runs git with this process's environment.
    for (const [key, value] of Object.entries(GIT_ENV)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cpw-')));
    env = { PATH: process.env.PATH, CODEPIPER_HOME: path.join(dir, 'home'), CLAUDE_CONFIG_DIR: path.join(dir, 'claude'), CODEX_HOME: path.join(dir, 'codex'), XDG_DATA_HOME: path.join(dir, 'xdg') };
    paths = resolvePaths({ env });
    fs.mkdirSync(paths.home, { recursive: true, mode: 0o700 });
    repo = path.join(dir, 'repo');
    fs.mkdirSync(path.join(repo, 'pkg'), { recursive: true });
    execFileSync('git', ['init', '-q', '-b', 'main', repo], { env: { ...process.env, ...GIT_ENV } });
    fs.writeFileSync(path.join(repo, 'pkg', 'a.txt'), 'a\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'first');
  });

  afterEach(() => {
    for (const core of cores.splice(0)) core.close();
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  async function start(runner: MemoryRunner, root?: string): Promise<Core> {
    const core = await createCore({ paths, env, config: { transcripts: { scanOnStart: false }, ...(root ? { worktrees: { root } } : {}) }, log, hookCommand: 'true', runner });
    cores.push(core);
    return core;
  }

  const input = { provider: 'command' as const, args: ['sh'], env: {}, dangerousMode: false, cleanEnv: false, cols: 80, rows: 24 };

  it('starts the agent in the worktree under the configured root, at the same subdirectory', async () => {
    const runner = new MemoryRunner(() => tinyShell());
    const core = await start(runner, path.join(dir, 'trees'));
    const session = await core.sessions.create({ ...input, cwd: path.join(repo, 'pkg'), name: 'w1', worktree: true });
    expect(session.worktree!.path).toBe(path.join(dir, 'trees', 'repo', 'w1'));
    expect(session.cwd).toBe(path.join(dir, 'trees', 'repo', 'w1', 'pkg'));
    expect([...runner.terminals.values()][0]!.spec.cwd).toBe(session.cwd);
    expect(core.sessions.events(session.id, { limit: 10, offset: 0 }).events[0]!.data).toMatchObject({ worktree: { path: session.worktree!.path, branch: 'cp/w1' } });
  });

  it('a create whose agent cannot start removes the worktree, its branch and its directories, and leaves no row', async () => {
    const core = await start(new FailingRunner(() => tinyShell()));
    await expect(core.sessions.create({ ...input, cwd: repo, name: 'doomed', worktree: true })).rejects.toThrow('no terminal today');
    expect(core.sessions.list()).toEqual([]);
    expect(git('branch', '--list')).toBe('* main\n');
    expect(git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(fs.existsSync(path.join(dir, 'repo.worktrees'))).toBe(false);
  });

  it('two creates racing for one name: one wins, and the loser undoes nothing of the winner', async () => {
    const runner = new MemoryRunner(() => tinyShell());
    const core = await start(runner);
    const results = await Promise.allSettled([0, 1].map(() => core.sessions.create({ ...input, cwd: repo, name: 'same', worktree: true })));
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const winner = (results.find((result) => result.status === 'fulfilled') as PromiseFulfilledResult<{ worktree: { path: string } }>).value;
    expect(fs.existsSync(path.join(winner.worktree.path, 'pkg', 'a.txt'))).toBe(true);
    expect(git('branch', '--list', 'cp/same')).toContain('cp/same');
    expect(core.sessions.list()).toHaveLength(1);
  });
});
