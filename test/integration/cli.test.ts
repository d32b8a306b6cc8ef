import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, ROOT, type Harness } from '../helpers/harness';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

const version = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;

describe('the codepiper executable', () => {
  it('prints its version and help without a daemon', async () => {
    harness = createHarness();
    expect(await harness.run(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` });
    const help = await harness.run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['daemon', 'doctor', 'providers', '--socket']) expect(help.stdout).toContain(command);
    const daemonHelp = await harness.run(['daemon', '--help']);
    for (const command of ['start', 'stop', 'status']) expect(daemonHelp.stdout).toContain(command);
    expect((await harness.run(['daemon', 'start', '--help'])).stdout).toContain('--detach');
    expect((await harness.run([])).stdout).toContain('Usage: codepiper');
    expect(fs.existsSync(harness.socket)).toBe(false);
  });

  it('reports usage errors in one line with exit code 2', async () => {
    harness = createHarness();
    const unknown = await harness.run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe("codepiper: unknown command 'frobnicate'\n");
    const option = await harness.run(['doctor', '--frob']);
    expect(option.code).toBe(2);
    expect(option.stderr).toBe("codepiper: unknown option '--frob'\n");
  });

  it('--socket on a command points it at another daemon', async () => {
    harness = createHarness();
    const other = path.join(harness.dir, 'other.sock');
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    const elsewhere = await harness.run(['daemon', 'status', '--json', '--socket', other]);
    expect(elsewhere.code).toBe(3);
    expect(JSON.parse(elsewhere.stdout)).toEqual({ running: false, socket: other });
    const here = await harness.run(['--socket', harness.socket, 'daemon', 'status', '--json']);
    expect(JSON.parse(here.stdout).running).toBe(true);
  });

  it('refuses to start a daemon on an invalid config file, saying which field', async () => {
    harness = createHarness();
    fs.mkdirSync(harness.home, { recursive: true });
    fs.writeFileSync(path.join(harness.home, 'config.json'), '{"providers":{"claude-code":{"binary":42}}}');
    const result = await harness.run(['providers']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^codepiper: the daemon did not start: config file .*config\.json: line 1, column 30: providers\.claude-code\.binary: .*expected string/);
    const direct = await harness.run(['daemon', 'start']);
    expect(direct.code).toBe(2);
    expect(direct.stderr).toMatch(/providers\.claude-code\.binary/);
  });
});

describe('codepiper doctor', () => {
  it('says whether desktop notifications can show: a session bus and notify-send, else silent (a warning only when asked for)', async () => {
    harness = createHarness();
    const check = async (env: NodeJS.ProcessEnv) => {
      const result = await harness.run(['doctor', '--json'], { env });
      return (JSON.parse(result.stdout) as { checks: Array<{ name: string; status: string; detail: string }> }).checks.find((c) => c.name === 'desktop notifications')!;
    };
    const { DBUS_SESSION_BUS_ADDRESS: _bus, ...noBus } = harness.env;
    expect(await check(noBus)).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^not available: no session bus/) });
    const bin = path.join(harness.dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'notify-send'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    expect(await check({ ...noBus, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent', PATH: `${bin}:${noBus.PATH}` })).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining(`through notify-send (${path.join(bin, 'notify-send')})`),
    });
    fs.mkdirSync(harness.home, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(harness.home, 'config.json'), JSON.stringify({ notifications: { channels: [{ name: 'desk', type: 'desktop' }] } }));
    expect(await check(noBus)).toMatchObject({ status: 'warn' });
    fs.rmSync(path.join(harness.home, 'config.json'));
  });

  it('passes on this machine, reporting each check, and never starts a daemon', async () => {
    harness = createHarness();
    const result = await harness.run(['doctor', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: Array<{ name: string; status: string }> };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      'node',
      'config',
      'tmux',
      'home',
      'socket',
      'provider claude-code',
      'provider codex',
      'database',
      'desktop notifications',
    ]);
    expect(report.checks.find((c) => c.name === 'tmux')?.status).toBe('ok');
    expect(fs.existsSync(harness.socket)).toBe(false);

    const table = await harness.run(['doctor']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^STATUS\s+CHECK\s+DETAIL/);
  });

  it('fails with exit 1 when tmux is missing, and says how to fix it', async () => {
    harness = createHarness();
    const result = await harness.run(['doctor'], { env: { ...harness.env, CODEPIPER_TMUX_BIN: path.join(harness.dir, 'no-tmux') } });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/fail\s+tmux\s+.*not found.*fix: install tmux 3\.2 or newer/);
    expect(result.stdout).toContain('some required checks fail');
  });

  it('finds provider binaries configured through the environment', async () => {
    harness = createHarness();
    const fake = path.join(harness.dir, 'fake-claude');
    fs.writeFileSync(fake, '#!/bin/sh\n', { mode: 0o755 });
    const result = await harness.run(['doctor', '--json'], { env: { ...harness.env, CODEPIPER_CLAUDE_BIN: fake } });
    const checks = JSON.parse(result.stdout).checks as Array<{ name: string; status: string; detail: string }>;
    expect(checks.find((c) => c.name === 'provider claude-code')).toMatchObject({ status: 'ok', detail: `${fake} (from env)` });
  });

  it('reports a database newer than this codepiper', async () => {
    harness = createHarness();
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    expect((await harness.run(['daemon', 'stop'])).code).toBe(0);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(harness.home, 'codepiper.db'));
    db.pragma('user_version = 999');
    db.close();
    const result = await harness.run(['doctor', '--json']);
    expect(result.code).toBe(1);
    const database = JSON.parse(result.stdout).checks.find((c: { name: string }) => c.name === 'database');
    expect(database).toMatchObject({ status: 'fail', fix: 'upgrade codepiper' });
    const start = await harness.run(['daemon', 'start']);
    expect(start.code).toBe(1);
    expect(start.stderr).toMatch(/^codepiper: database .* has schema version 999, newer than this codepiper understands/);
  });
});
