import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, ROOT, type Harness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

/** Installs made by this file (temp directories), removed at the end. */
const installs: string[] = [];
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});
afterAll(() => {
  for (const dir of installs) fs.rmSync(dir, { recursive: true, force: true });
});

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;

/**
 * A real build of this tree laid out as an install is (bin/ next to dist/), in its own temp directory: stamped with
 * `version` when given (a fresh build), else a copy of this worktree's dist/. Its bundles find their native
 * dependency (better-sqlite3) through a node_modules link. Returns the path of its bin/codepiper.
 */
function makeInstall(version?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-install-'));
  installs.push(dir);
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(path.join(ROOT, 'bin', 'codepiper'), path.join(dir, 'bin', 'codepiper'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  if (version) execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--outdir', path.join(dir, 'dist'), '--version', version], { stdio: 'ignore' });
  else fs.cpSync(path.join(ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true });
  return path.join(dir, 'bin', 'codepiper');
}

describe('daemon status of a CLI and a daemon of different versions', () => {
  let older: string;
  beforeAll(() => {
    older = makeInstall('0.0.1-old');
  }, 60_000);

  // Eleven commands and three daemon starts: slow on a loaded machine.
  it('shows both versions, in text and JSON, and says that they differ', { timeout: 90_000 }, async () => {
    harness = createHarness();
    const started = await harness.run(['daemon', 'start', '--detach'], { bin: older });
    expect(started.code, started.stderr).toBe(0);

    const json = await harness.run(['daemon', 'status', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toBe(''); // status never restarts a daemon
    expect(JSON.parse(json.stdout)).toMatchObject({ running: true, version: '0.0.1-old', cliVersion: VERSION, sameVersion: false });

    const text = await harness.run(['daemon', 'status']);
    expect(text.stdout).toMatch(/^version +0\.0\.1-old$/m);
    expect(text.stdout).toMatch(new RegExp(`^cli +${VERSION.replace(/\./g, '\\.')} \\(differs: the daemon is older, and the next command that needs it restarts it as ${VERSION.replace(/\./g, '\\.')}\\)$`, 'm'));

    // The old CLI asking the same daemon: same versions, nothing to say.
    const same = await harness.run(['daemon', 'status', '--json'], { bin: older });
    expect(JSON.parse(same.stdout)).toMatchObject({ version: '0.0.1-old', cliVersion: '0.0.1-old', sameVersion: true });
    expect((await harness.run(['daemon', 'status'], { bin: older })).stdout).toMatch(/^cli +0\.0\.1-old$/m);

    // A CLI older than the daemon says so too.
    await harness.run(['daemon', 'stop'], { bin: older });
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    const stale = await harness.run(['daemon', 'status'], { bin: older });
    expect(stale.stdout).toMatch(/^cli +0\.0\.1-old \(differs: this codepiper is older than the daemon, which it leaves running; upgrade it or use the newer one\)$/m);

    await harness.run(['daemon', 'stop']);
    const down = await harness.run(['daemon', 'status', '--json']);
    expect(down.code).toBe(3);
    expect(JSON.parse(down.stdout)).toEqual({ running: false, socket: harness.socket });
    expect((await harness.run(['daemon', 'status'])).stdout).toContain(`this codepiper is ${VERSION}`);
  });
});

describe('the hook command of a running session', () => {
  it('keeps reaching the daemon when the install it started from is replaced by another and removed', { timeout: 90_000 }, async () => {
    harness = createHarness();
    harness.env.CODEPIPER_CLAUDE_BIN = FAKE_CLAUDE;
    const first = makeInstall();
    const second = makeInstall();
    const started = await harness.run(['daemon', 'start', '--detach'], { bin: first });
    expect(started.code, started.stderr).toBe(0);
    const created = await harness.run(['start', '-p', 'claude-code', '-d', harness.dir, '--name', 'moved'], { bin: first });
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    await waitFor(async () => /\? for shortcuts/.test((await harness!.run(['tail', id], { bin: first })).stdout), { what: 'the fake Claude prompt' });
    const policy = await harness.run(['policy', 'create', '--name', 'tests', '--rules', '[{"action":"allow","tool":"Bash","args":{"command":"npm test"}}]'], { bin: first });
    expect(policy.code, policy.stderr).toBe(0);

    // The install moves: the daemon restarts from the second one, then the first is deleted.
    expect((await harness.run(['daemon', 'stop'], { bin: first })).code).toBe(0);
    expect((await harness.run(['daemon', 'start', '--detach'], { bin: second })).code).toBe(0);
    fs.rmSync(path.dirname(path.dirname(first)), { recursive: true, force: true });

    // The agent (started under the first install, its hooks read then) asks; the policy answers through the hook.
    expect((await harness.run(['send', id, 'ask Bash npm test'], { bin: second })).code).toBe(0);
    const screen = await waitFor(async () => {
      const text = (await harness!.run(['tail', id], { bin: second })).stdout;
      return /● allowed Bash npm test|Do you want to proceed\?|hook error/.test(text) ? text : undefined;
    }, { what: 'the agent to act on its hook', timeoutMs: 15_000 });
    expect(screen).toMatch(/● allowed Bash npm test/);
    expect(screen).not.toMatch(/hook error/);
  });
});
