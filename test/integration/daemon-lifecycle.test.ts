import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, createHarness, modeOf, type Harness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

describe('daemon lifecycle (real built daemon)', () => {
  it('starts on demand from a client and reports its status', async () => {
    harness = createHarness();
    const before = await harness.run(['daemon', 'status', '--json']);
    expect(before.code).toBe(3);
    expect(JSON.parse(before.stdout)).toEqual({ running: false, socket: harness.socket });
    expect(fs.existsSync(harness.socket)).toBe(false); // status never starts a daemon

    const providers = await harness.run(['providers', '--json']);
    expect(providers.stderr).toBe('');
    expect(providers.code).toBe(0);
    expect(JSON.parse(providers.stdout).map((p: { id: string }) => p.id)).toEqual(['claude-code', 'codex', 'command']);

    const discovery = harness.discovery();
    expect(discovery).toMatchObject({ socket: harness.socket });
    expect(alive(discovery!.pid)).toBe(true);

    const status = await harness.run(['daemon', 'status', '--json']);
    expect(status.code).toBe(0);
    const info = JSON.parse(status.stdout);
    expect(info).toMatchObject({ running: true, pid: discovery!.pid, socket: harness.socket, home: harness.home, tmuxSocket: harness.tmuxSocket });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.uptime).toBeGreaterThanOrEqual(0);

    const text = await harness.run(['daemon', 'status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`pid\\s+${discovery!.pid}`));
    expect(text.stdout).toContain(harness.socket);
    expect(text.stdout).toMatch(/uptime\s+\S+/);
  });

  it('creates the socket 0600 inside a 0700 directory, and the home 0700', async () => {
    harness = createHarness({ socketInHome: true });
    const result = await harness.run(['daemon', 'start', '--detach']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/started \(pid \d+/);
    expect(fs.statSync(harness.socket).isSocket()).toBe(true);
    expect(modeOf(harness.socket)).toBe(0o600);
    expect(modeOf(path.dirname(harness.socket))).toBe(0o700);
    expect(modeOf(harness.home)).toBe(0o700);
    expect(modeOf(path.join(harness.home, 'daemon.json'))).toBe(0o600);
    expect(modeOf(path.join(harness.home, 'codepiper.db'))).toBe(0o600);
  });

  it('tightens an existing home directory to 0700', async () => {
    harness = createHarness();
    fs.mkdirSync(harness.home, { mode: 0o755 });
    fs.chmodSync(harness.home, 0o755);
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    expect(modeOf(harness.home)).toBe(0o700);
  });

  it('daemon stop removes the socket and the discovery file, and is a no-op when nothing runs', async () => {
    harness = createHarness();
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    const { pid } = harness.discovery()!;

    const stop = await harness.run(['daemon', 'stop']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toContain(`stopped (pid ${pid})`);
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(harness.socket)).toBe(false);
    expect(fs.existsSync(path.join(harness.home, 'daemon.json'))).toBe(false);

    const again = await harness.run(['daemon', 'stop']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('not running');
  });

  it('after kill -9, any command cleans the leftovers and starts a fresh daemon', async () => {
    harness = createHarness();
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    const first = harness.discovery()!;
    process.kill(first.pid, 'SIGKILL');
    await waitFor(() => !alive(first.pid), { what: 'the killed daemon to exit' });
    // What a killed daemon leaves behind: its socket file and its discovery file.
    expect(fs.existsSync(harness.socket)).toBe(true);
    expect(harness.discovery()?.pid).toBe(first.pid);

    const status = await harness.run(['daemon', 'status']);
    expect(status.code).toBe(3);

    const providers = await harness.run(['providers']);
    expect(providers.stderr).toBe('');
    expect(providers.code).toBe(0);
    const second = harness.discovery()!;
    expect(second.pid).not.toBe(first.pid);
    expect(alive(second.pid)).toBe(true);
    expect(modeOf(harness.socket)).toBe(0o600);
    const log = fs.readFileSync(path.join(harness.home, 'daemon.log'), 'utf8');
    expect(log).toContain('removing stale socket');
    expect(log).toContain('removing discovery file left by a previous daemon');
  });

  it('a second daemon start says one is running, exits non-zero, and leaves the first alone', async () => {
    harness = createHarness();
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    const first = harness.discovery()!;

    const foreground = await harness.run(['daemon', 'start']);
    expect(foreground.code).toBe(5);
    expect(foreground.stderr).toMatch(/^codepiper: a codepiper daemon is already running .*pid \d+/);
    expect(foreground.stderr.trim().split('\n')).toHaveLength(1);

    const detached = await harness.run(['daemon', 'start', '--detach']);
    expect(detached.code).toBe(5);
    expect(detached.stderr).toContain(`already running (pid ${first.pid}`);

    const status = await harness.run(['daemon', 'status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).pid).toBe(first.pid);
    expect(harness.discovery()?.pid).toBe(first.pid);
    expect(modeOf(harness.socket)).toBe(0o600);
  });

  it('two clients starting the daemon at once end with one daemon serving both', async () => {
    harness = createHarness();
    const results = await Promise.all([harness.run(['providers', '--json']), harness.run(['providers', '--json']), harness.run(['providers', '--json'])]);
    for (const result of results) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }
    const { pid } = harness.discovery()!;
    const status = await harness.run(['daemon', 'status', '--json']);
    expect(JSON.parse(status.stdout).pid).toBe(pid);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('a foreground daemon shuts down cleanly on %s', async (signal) => {
    harness = createHarness();
    const child = harness.start(['daemon', 'start']);
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    await waitFor(() => harness.discovery()?.pid === child.pid, { what: 'the foreground daemon to publish itself' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill(signal);
    expect(await exited).toBe(0);
    expect(fs.existsSync(harness.socket)).toBe(false);
    expect(harness.discovery()).toBeUndefined();
    expect(stderr).toContain(`shutting down: received ${signal}`);
  });

  it('a foreground daemon whose terminal went away still serves, then stops on SIGTERM', async () => {
    harness = createHarness();
    const child = harness.start(['daemon', 'start']);
    await waitFor(() => harness.discovery()?.pid === child.pid, { what: 'the foreground daemon to publish itself' });
    // The reading end of its stderr closes (a closed terminal, a dead pipe): every log line now meets EPIPE.
    child.stderr!.destroy();
    child.stdout!.destroy();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Requests that log keep working: the broken stream is dropped, not turned into an uncaught error per line.
    for (let i = 0; i < 3; i++) expect((await harness.run(['providers'])).code).toBe(0);
    const started = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(harness.discovery()).toBeUndefined();
  });

  it('refuses a socket path over the length limit with a message naming the fix', async () => {
    harness = createHarness();
    const long = path.join(harness.dir, 'x'.repeat(120), 'd.sock');
    const result = await harness.run(['daemon', 'start', '--detach'], { env: { ...harness.env, CODEPIPER_SOCKET: long } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^codepiper: socket path is \d+ bytes, over the 103-byte limit.*set CODEPIPER_SOCKET/);
  });

  it('fails fast with a clear message when the socket cannot be opened (EACCES)', async () => {
    harness = createHarness();
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    const { pid } = harness.discovery()!;
    const started = Date.now();
    let result;
    if (process.getuid?.() === 0) {
      // root ignores file modes; a process of another user meets the 0600 socket in its 0700 directory as intended
      fs.chmodSync(harness.dir, 0o755);
      result = await harness.run(['providers'], { spawn: { uid: 65534, gid: 65534 } });
    } else {
      fs.chmodSync(harness.socket, 0o000);
      result = await harness.run(['providers']);
      fs.chmodSync(harness.socket, 0o600);
    }
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(/^codepiper: permission denied connecting to .*EACCES/);
    expect(harness.discovery()?.pid).toBe(pid); // no second daemon was started over it
  });
});

describe('one daemon per home', () => {
  it('a client on another socket of the same home is told which daemon runs, without waiting out the deadline', async () => {
    harness = createHarness();
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    const { pid } = harness.discovery()!;
    const started = Date.now();
    const result = await harness.run(['providers', '--socket', `${harness.dir}/second.sock`]);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(new RegExp(`^codepiper: a codepiper daemon is already running for .* \\(pid ${pid}, socket ${harness.socket}\\)`));
  });
});
