import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alive, createHarness, ROOT, type Harness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
const OLD_VERSION = '0.0.1-old';

/**
 * A real build of this tree stamped with another version, laid out as an install is (bin/ next to dist/). Its
 * bundles find their native dependency (better-sqlite3) through a node_modules link. The daemons it runs carry their
 * harness's socket in their argv, so each harness's cleanup ends them.
 */
let otherBuild: string;
let oldBin: string;
beforeAll(() => {
  otherBuild = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-old-'));
  fs.mkdirSync(path.join(otherBuild, 'bin'));
  fs.copyFileSync(path.join(ROOT, 'bin', 'codepiper'), path.join(otherBuild, 'bin', 'codepiper'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(otherBuild, 'node_modules'));
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--outdir', path.join(otherBuild, 'dist'), '--version', OLD_VERSION], { stdio: 'ignore' });
  oldBin = path.join(otherBuild, 'bin', 'codepiper');
});
afterAll(() => {
  if (otherBuild) fs.rmSync(otherBuild, { recursive: true, force: true });
});

const RESTARTING = `codepiper: the running daemon is version ${OLD_VERSION}, this codepiper is ${VERSION}; restarting it (sessions keep running in tmux and are re-adopted)\n`;

/** Starts a daemon of the old build with a live shell session in it. */
async function oldDaemonWithShell(): Promise<{ pid: number; id: string }> {
  const started = await harness.run(['daemon', 'start', '--detach'], { bin: oldBin });
  expect(started.code, started.stderr).toBe(0);
  const { pid, version } = harness.discovery()!;
  expect(version).toBe(OLD_VERSION);
  const created = await harness.run(['start', '-p', 'command', '-d', harness.dir, '--name', 'survivor', '--', 'sh'], { bin: oldBin });
  expect(created.code, created.stderr).toBe(0);
  return { pid, id: created.stdout.trim() };
}

/** Daemons running for this harness: their argv names its socket. */
function daemonsOf(h: Harness): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        return argv.includes('daemon') && argv.includes('start') && argv.includes(h.socket);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('a daemon of another version', () => {
  it('is restarted by the first command of this version, which asks its question again of the new daemon; live sessions are re-adopted', async () => {
    harness = createHarness();
    const old = await oldDaemonWithShell();
    const id = old.id;

    // Commands that never start a daemon never restart one either.
    const status = await harness.run(['daemon', 'status', '--json']);
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pid: old.pid, version: OLD_VERSION });

    const listed = await harness.run(['sessions', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toBe(RESTARTING);
    // A question (GET) is asked again of the new daemon, which has re-adopted the session by then.
    expect(JSON.parse(listed.stdout).map((session: { id: string }) => session.id)).toEqual([id]);
    expect(alive(old.pid)).toBe(false);
    const upgraded = harness.discovery()!;
    expect(upgraded.version).toBe(VERSION);
    expect(upgraded.pid).not.toBe(old.pid);
    expect(alive(upgraded.pid)).toBe(true);

    // The shell lives on in tmux and the new daemon drives it.
    const after = await harness.run(['sessions', '--json']);
    expect(after.stderr).toBe(''); // one restart, then a daemon of this version
    expect(JSON.parse(after.stdout)).toMatchObject([{ id, name: 'survivor' }]);
    expect(['running', 'idle']).toContain(JSON.parse(after.stdout)[0].state);
    expect((await harness.run(['send', 'survivor', 'echo re-adopted $((6 * 7))'])).code).toBe(0);
    await waitFor(async () => /^re-adopted 42$/m.test((await harness.run(['tail', id])).stdout), { what: "the re-adopted shell's answer" });
  });

  it('two commands that both find it end with one daemon of this version', async () => {
    harness = createHarness();
    const old = await oldDaemonWithShell();
    const [first, second] = await Promise.all([harness.run(['sessions', '--json']), harness.run(['providers', '--json'])]);
    for (const result of [first, second]) {
      expect(result.code, result.stderr).toBe(0);
      expect(['', RESTARTING], result.stderr).toContain(result.stderr);
    }
    expect(JSON.parse(first.stdout).map((session: { id: string }) => session.id)).toEqual([old.id]);
    expect(JSON.parse(second.stdout).length).toBe(3);
    expect(alive(old.pid)).toBe(false);
    const upgraded = harness.discovery()!;
    expect(upgraded.version).toBe(VERSION);
    // A starter that lost the race exits on its own once it sees the winner.
    await waitFor(() => daemonsOf(harness).length === 1, { what: 'one daemon left' });
    expect(daemonsOf(harness)).toEqual([upgraded.pid]);
    const after = await harness.run(['sessions', '--json']);
    expect(after.stderr).toBe('');
    expect(JSON.parse(after.stdout)).toMatchObject([{ id: old.id, name: 'survivor' }]);
  });
});
