import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, BIN, createHarness, type Harness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

/**
 * A world where systemd is fake: XDG_CONFIG_HOME is the harness's own, and CODEPIPER_SYSTEMCTL is a script that
 * records each call's argv (one line each) and exits with FAKE_SYSTEMCTL_EXIT. The real ~/.config and the real
 * systemd are never touched.
 */
function fakeSystemd(options: { bus: boolean }): { unit: string; calls: () => string[] } {
  harness = createHarness();
  const log = path.join(harness.dir, 'systemctl.log');
  const fake = path.join(harness.dir, 'systemctl');
  fs.writeFileSync(fake, `#!/bin/sh\necho "$*" >> '${log}'\n[ -n "$FAKE_SYSTEMCTL_STDERR" ] && echo "$FAKE_SYSTEMCTL_STDERR" >&2\nexit \${FAKE_SYSTEMCTL_EXIT:-0}\n`, { mode: 0o755 });
  harness.env.CODEPIPER_SYSTEMCTL = fake;
  delete harness.env.DBUS_SESSION_BUS_ADDRESS;
  if (options.bus) harness.env.DBUS_SESSION_BUS_ADDRESS = 'unix:path=/nonexistent/fake-bus';
  return {
    unit: path.join(harness.env.XDG_CONFIG_HOME!, 'systemd', 'user', 'codepiper.service'),
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
}

/** The unit's ExecStart words and Environment, read back as systemd would for these simple quoted words. */
function parseUnit(text: string): { exec: string[]; env: Record<string, string>; unset: string[] } {
  const words = (line: string) => [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1').replace(/%%/g, '%'));
  const exec = words(text.match(/^ExecStart=(.*)$/m)![1]!).map((word) => word.replace(/\$\$/g, '$'));
  const env = Object.fromEntries([...text.matchAll(/^Environment=(.*)$/gm)].map((m) => words(m[1]!)[0]!).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const unset = [...text.matchAll(/^UnsetEnvironment=(.*)$/gm)].map((m) => m[1]!);
  return { exec, env, unset };
}

describe('daemon install-service', () => {
  it('--print prints the unit and changes nothing', async () => {
    const systemd = fakeSystemd({ bus: true });
    const result = await harness.run(['daemon', 'install-service', '--print']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\[Service\]$/m);
    expect(parseUnit(result.stdout).exec).toEqual([process.execPath, BIN, 'daemon', 'start']);
    expect(fs.existsSync(systemd.unit)).toBe(false);
    expect(systemd.calls()).toEqual([]);
  });

  it('writes the unit under XDG_CONFIG_HOME, then reloads, enables and starts it through systemctl --user', async () => {
    const systemd = fakeSystemd({ bus: true });
    // A daemon started on demand holds the home: it makes way for the service's.
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    const running = harness.discovery()!.pid;
    const result = await harness.run(['daemon', 'install-service']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`wrote ${systemd.unit}`);
    expect(result.stdout).toContain(`stopped the running daemon (pid ${running})`);
    expect(result.stdout).toContain('enabled and started codepiper.service');
    expect(systemd.calls()).toEqual(['--user daemon-reload', '--user enable --now codepiper.service']);
    expect(alive(running)).toBe(false);

    const text = fs.readFileSync(systemd.unit, 'utf8');
    const unit = parseUnit(text);
    expect(unit.exec).toEqual([process.execPath, BIN, 'daemon', 'start']);
    expect(unit.env).toMatchObject({ CODEPIPER_HOME: harness.home, CODEPIPER_SOCKET: harness.socket, CODEPIPER_TMUX_SOCKET: harness.tmuxSocket, PATH: harness.env.PATH });
    expect(unit.env).not.toHaveProperty('CODEPIPER_SYSTEMCTL');
    expect(unit.env.CODEPIPER_SERVICE).toBe('systemd'); // a restart is then an exit that systemd restarts
    expect(unit.unset).toEqual(['XDG_RUNTIME_DIR']); // the harness has none: the daemon must look where the CLI does
    expect(text).toMatch(/^Restart=on-failure$/m);
    expect(text).toMatch(/^KillMode=process$/m);
    expect(text).toMatch(/^WantedBy=default\.target$/m);

    // What systemd would run answers as this home's daemon, in the foreground.
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CODEPIPER_') && key !== 'XDG_RUNTIME_DIR')), ...unit.env };
    const daemon = spawn(unit.exec[0]!, unit.exec.slice(1), { env, stdio: 'ignore' });
    try {
      await waitFor(() => harness.discovery()?.pid === daemon.pid, { what: "the service's daemon to answer", timeoutMs: 20_000 });
      const status = await harness.run(['daemon', 'status', '--json']);
      expect(JSON.parse(status.stdout)).toMatchObject({ running: true, pid: daemon.pid });
    } finally {
      daemon.kill('SIGTERM');
    }

    // Installing again replaces the unit.
    expect((await harness.run(['daemon', 'install-service'])).code).toBe(0);
    expect(fs.readdirSync(path.dirname(systemd.unit))).toEqual(['codepiper.service']);
  });

  it('without a user bus writes the unit and says what to run', async () => {
    const systemd = fakeSystemd({ bus: false });
    const result = await harness.run(['daemon', 'install-service']);
    expect(result.code, result.stderr).toBe(0);
    expect(fs.existsSync(systemd.unit)).toBe(true);
    expect(result.stdout).toContain('not enabled: there is no systemd user bus in this session');
    expect(result.stdout).toContain('systemctl --user enable --now codepiper.service');
    expect(systemd.calls()).toEqual([]);
  });

  it('a failing systemctl is reported with what it said and what is left to run', async () => {
    const systemd = fakeSystemd({ bus: true });
    const result = await harness.run(['daemon', 'install-service'], { env: { ...harness.env, FAKE_SYSTEMCTL_EXIT: '1', FAKE_SYSTEMCTL_STDERR: 'Failed to connect to bus' } });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^codepiper: systemctl --user daemon-reload failed: Failed to connect to bus \(unit .*codepiper\.service; once fixed, run: systemctl --user daemon-reload; systemctl --user enable --now codepiper\.service\)\n$/);
    expect(fs.existsSync(systemd.unit)).toBe(true);
  });
});

describe('daemon uninstall-service', () => {
  it('disables and stops the service, removes the unit and reloads', async () => {
    const systemd = fakeSystemd({ bus: true });
    expect((await harness.run(['daemon', 'install-service'])).code).toBe(0);
    const result = await harness.run(['daemon', 'uninstall-service']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`disabled and stopped codepiper.service, removed ${systemd.unit}`);
    expect(fs.existsSync(systemd.unit)).toBe(false);
    expect(systemd.calls().slice(2)).toEqual(['--user disable --now codepiper.service', '--user daemon-reload']);
  });

  it('says so when no service is installed', async () => {
    const systemd = fakeSystemd({ bus: true });
    const result = await harness.run(['daemon', 'uninstall-service']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`no codepiper.service is installed (${systemd.unit} does not exist)`);
    expect(systemd.calls()).toEqual([]);
  });
});
