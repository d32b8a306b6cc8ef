import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/core/api/sessions';
import { openDatabase } from '../../src/core/db/open';
import { WorktreeTops } from '../../src/core/git/tops';
import { TurnRecorder } from '../../src/core/git/turns';
import { isAppError } from '../../src/core/errors';

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@example.invalid',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@example.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

let dir: string;
let repo: string;
let db: Database.Database;
let recorder: TurnRecorder;
const warnings: string[] = [];

const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' });

function session(id: string, cwd: string, state: Session['state'], stateSource: Session['stateSource'] = 'screen'): Session {
  return { id, cwd, state, stateSource } as Session;
}

beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cp-turns-')));
  repo = path.join(dir, 'repo');
  fs.mkdirSync(repo);
  git('init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(repo, 'a.txt'), 'a\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'first');
  db = openDatabase(path.join(dir, 'codepiper.db'));
  // the turns alone: no session rows behind them in this test
  db.pragma('foreign_keys = OFF');
  const tops = new WorktreeTops(env);
  const log = { info: () => undefined, warn: (message: string) => void warnings.push(message), error: (message: string) => void warnings.push(message) };
  recorder = new TurnRecorder(db, env, log as never, (cwd) => tops.topOf(cwd));
});

afterAll(() => {
  db?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('TurnRecorder', () => {
  it('baseline, then one turn per working → waiting; a Stop followed by idle is one turn, a turn without change none', async () => {
    const id = 'sess-one';
    recorder.observe(session(id, repo, 'starting', 'process'));
    await recorder.settled(id);
    expect(git('for-each-ref', '--format=%(refname)', `refs/codepiper/${id}/`).trim()).toBe(`refs/codepiper/${id}/0`);

    recorder.observe(session(id, repo, 'running', 'hook'));
    fs.writeFileSync(path.join(repo, 'a.txt'), 'a changed\n');
    recorder.observe(session(id, repo, 'idle', 'hook')); // Stop
    // the screen flickers busy and quiet again for the same turn
    recorder.observe(session(id, repo, 'running', 'screen'));
    recorder.observe(session(id, repo, 'idle', 'screen'));
    // waiting states that do not follow work are not turn ends
    recorder.observe(session(id, repo, 'needs_input', 'hook'));
    recorder.observe(session(id, repo, 'idle', 'screen'));
    await recorder.settled(id);
    expect(recorder.list(id)).toEqual([
      expect.objectContaining({ turn: 1, trigger: 'stop-hook', files: [{ path: 'a.txt', from: null, additions: 1, deletions: 1, binary: false }] }),
    ]);

    recorder.observe(session(id, repo, 'needs_permission', 'hook'));
    fs.writeFileSync(path.join(repo, 'b.txt'), 'b\n');
    recorder.observe(session(id, repo, 'needs_input', 'hook'));
    await recorder.settled(id);
    expect(recorder.list(id).map((turn) => [turn.turn, turn.trigger, turn.files.map((file) => file.path)])).toEqual([
      [1, 'stop-hook', ['a.txt']],
      [2, 'idle', ['b.txt']],
    ]);
    const range = recorder.range(id, 2);
    expect(git('diff', '--name-only', range.from, range.to)).toBe('b.txt\n');
    expect(git('rev-parse', `${range.to}^`).trim()).toBe(range.from);
    expect(() => recorder.range(id, 3)).toThrow(/no turn 3; turns 1 to 2 are recorded/);
    try {
      recorder.range(id, 0);
    } catch (error) {
      expect(isAppError(error) && error.code).toBe('TURN_NOT_FOUND');
    }
    // The user's index and branches: nothing staged, main where it was.
    expect(git('diff', '--cached', '--name-only')).toBe('');
    expect(git('for-each-ref', '--format=%(refname)', 'refs/heads')).toBe('refs/heads/main\n');
  });

  it('a session outside any repository, or whose directory is gone, records nothing and does not throw', async () => {
    const plain = path.join(dir, 'plain');
    fs.mkdirSync(plain);
    for (const [id, cwd] of [['sess-plain', plain], ['sess-gone', path.join(dir, 'gone')]] as const) {
      recorder.observe(session(id, cwd, 'starting', 'process'));
      recorder.observe(session(id, cwd, 'running'));
      recorder.observe(session(id, cwd, 'idle'));
      await recorder.settled(id);
      expect(recorder.list(id)).toEqual([]);
    }
    expect(warnings).toEqual([]);
  });
});
