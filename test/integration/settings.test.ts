import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { daemonApi } from '../helpers/daemon-api';
import { alive, createHarness, modeOf, type Harness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let harness: Harness;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await harness?.cleanup();
});

const { api } = daemonApi(() => client!);

async function startDaemon(): Promise<void> {
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
}

const configFile = () => path.join(harness.home, 'config.json');

describe('GET and PUT /settings/daemon (real daemon)', () => {
  it('changes the file with a merge patch, applies live keys at once, and says what waits for a restart', async () => {
    harness = createHarness();
    await startDaemon();

    const empty = await api('GET', '/settings/daemon');
    expect(empty.status).toBe(200);
    expect(empty.json).toMatchObject({ path: configFile(), exists: false, settings: {}, problems: [], restartRequired: false, restartKeys: [] });
    expect(empty.json.keys).toContainEqual(expect.objectContaining({ key: 'policies.defaultAction', appliesAt: 'now' }));

    const shell = await api('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['sh'] });
    expect(shell.status, JSON.stringify(shell.json)).toBe(200);
    const effective = async () => (await api('GET', `/sessions/${shell.json.id}/effective-policies`)).json.defaultAction;
    expect(await effective()).toBe('ask');

    const put = await api('PUT', '/settings/daemon', { policies: { defaultAction: 'deny' }, transcripts: { scanOnStart: false } });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect(put.json.changed.sort()).toEqual(['policies.defaultAction', 'transcripts.scanOnStart']);
    expect(put.json.applied).toEqual(['policies.defaultAction']);
    expect(put.json).toMatchObject({ restartRequired: true, restartKeys: ['transcripts.scanOnStart'] });
    // Applied at once: the policy engine of the running daemon answers with the new default.
    expect(await effective()).toBe('deny');
    expect(modeOf(configFile())).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(configFile(), 'utf8'))).toEqual({ policies: { defaultAction: 'deny' }, transcripts: { scanOnStart: false } });

    const got = await api('GET', '/settings/daemon');
    expect(got.json).toMatchObject({ exists: true, settings: { policies: { defaultAction: 'deny' }, transcripts: { scanOnStart: false } }, restartKeys: ['transcripts.scanOnStart'] });

    // null removes a key (RFC 7386), and the daemon goes back to the default at once.
    const removed = await api('PUT', '/settings/daemon', { policies: null });
    expect(removed.status).toBe(200);
    expect(removed.json.changed).toEqual(['policies.defaultAction']);
    expect(removed.json.settings).toEqual({ transcripts: { scanOnStart: false } });
    expect(await effective()).toBe('ask');
  });

  it('refuses a bad change with every problem and the nearest key, and leaves the file byte for byte', async () => {
    harness = createHarness();
    fs.mkdirSync(harness.home, { recursive: true, mode: 0o700 });
    const original = '{\n   "policies": { "defaultAction": "ask" }\n}\n';
    fs.writeFileSync(configFile(), original, { mode: 0o640 });
    await startDaemon();
    const before = fs.statSync(configFile());

    const bad = await api('PUT', '/settings/daemon', { policies: { defaultAction: 'allow' }, tmux: { binry: '/x' }, transcripts: { claude: 'not a list' }, bogus: 1 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('CONFIG_INVALID');
    const problems = bad.json.error.details.problems.map((p: { path: string; message: string }) => `${p.path}: ${p.message}`);
    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        'policies.defaultAction: expected one of ask, deny, got "allow"',
        'tmux: unknown key "binry" (did you mean binary?)',
        expect.stringMatching(/^transcripts\.claude: .*expected array/),
        expect.stringMatching(/^: unknown key "bogus"/),
      ]),
    );
    expect(bad.json.error.message).toMatch(/4 problems/);
    expect(fs.readFileSync(configFile(), 'utf8')).toBe(original);
    const after = fs.statSync(configFile());
    expect([after.ino, after.mtimeMs, after.mode]).toEqual([before.ino, before.mtimeMs, before.mode]);

    // Not an object at all: a 400 from the route's own schema.
    expect((await api('PUT', '/settings/daemon', '[1, 2]')).status).toBe(400);

    // A hand-written file with comments: refused, not rewritten.
    const handWritten = '{\n  // keep me\n  "policies": { "defaultAction": "ask" },\n}\n';
    fs.writeFileSync(configFile(), handWritten);
    const refused = await api('PUT', '/settings/daemon', { policies: { defaultAction: 'deny' } });
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toMatch(/not plain JSON.*comments are not allowed/);
    expect(fs.readFileSync(configFile(), 'utf8')).toBe(handWritten);
    const state = await api('GET', '/settings/daemon');
    expect(state.json.settings).toBeNull();
    expect(state.json.problems.length).toBeGreaterThanOrEqual(2);
    // Nor does the daemon restart into a file it would refuse: it keeps running.
    const restart = await api('POST', '/settings/daemon/restart');
    expect(restart.status).toBe(400);
    expect(restart.json.error.message).toMatch(/^not restarting: /);
    expect((await api('GET', '/health')).status).toBe(200);
  });
});

describe('restarting the daemon', () => {
  it('comes back under a new pid with the same socket, re-adopts a live session, and applies the settings', async () => {
    harness = createHarness();
    await startDaemon();
    const first = harness.discovery()!;
    const started = await harness.run(['start', '-p', 'command', '-d', harness.dir, '--name', 'survivor', '--json', '--', 'sh']);
    expect(started.code, started.stderr).toBe(0);
    const { id } = JSON.parse(started.stdout) as { id: string };
    expect((await harness.run(['config', 'set', 'transcripts.scanOnStart', 'false'])).code).toBe(0);

    const restarted = await harness.run(['daemon', 'restart', '--json']);
    expect(restarted.code, restarted.stderr).toBe(0);
    const answer = JSON.parse(restarted.stdout);
    expect(answer).toMatchObject({ restarted: true, oldPid: first.pid });
    expect(answer.plan).toMatchObject({ ok: true, pid: first.pid, how: 're-exec', sessionsRunning: 1, restartKeys: ['transcripts.scanOnStart'] });
    expect(answer.plan.command).toEqual(expect.arrayContaining(['daemon', 'start', '--socket', harness.socket]));
    expect(answer.pid).not.toBe(first.pid);
    expect(alive(first.pid)).toBe(false);
    const second = harness.discovery()!;
    expect(second).toMatchObject({ pid: answer.pid, socket: harness.socket });
    expect(alive(second.pid)).toBe(true);

    // The new daemon knows the session and its state, and drives the same shell, which never stopped.
    const sessions = JSON.parse((await harness.run(['sessions', '--json'])).stdout) as Array<{ id: string; state: string }>;
    expect(sessions).toMatchObject([{ id, name: 'survivor' }]);
    expect(['running', 'idle']).toContain(sessions[0]!.state);
    expect((await harness.run(['send', 'survivor', 'echo survived $((6 * 7))'])).code).toBe(0);
    await waitFor(async () => /^survived 42$/m.test((await harness.run(['tail', id])).stdout), { what: "the re-adopted shell's answer" });

    // What waited for the restart is applied now.
    const settings = JSON.parse((await harness.run(['config', 'list', '--json'])).stdout);
    expect(settings).toMatchObject({ daemon: true, restartRequired: false, restartKeys: [] });
    const log = fs.readFileSync(path.join(harness.home, 'daemon.log'), 'utf8');
    expect(log).toMatch(new RegExp(`started the new daemon \\(pid ${second.pid}\\)`));
  }, 60_000);

  it('under its systemd unit, exits with status 75 for systemd to start it again, and starts nothing itself', async () => {
    harness = createHarness();
    harness.env.CODEPIPER_SERVICE = 'systemd';
    const daemon = harness.start(['daemon', 'start']);
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
    client = new Client('http://localhost', { socketPath: harness.socket });
    await waitFor(async () => (await api('GET', '/health').catch(() => undefined))?.status === 200, { what: 'the foreground daemon', timeoutMs: 15_000 });
    const restart = await api('POST', '/settings/daemon/restart');
    expect(restart.status).toBe(200);
    expect(restart.json).toMatchObject({ how: 'service', pid: daemon.pid, message: expect.stringMatching(/its service manager starts it again/) });
    expect(await exited).toBe(75);
    expect(harness.discovery()).toBeUndefined();
    expect(fs.existsSync(harness.socket)).toBe(false);
  });

  it('starts a daemon when none runs', async () => {
    harness = createHarness();
    const result = await harness.run(['daemon', 'restart']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/was not running; started it \(pid \d+/);
    expect(alive(harness.discovery()!.pid)).toBe(true);
  });
});

describe('codepiper config', () => {
  it('gets, sets, unsets, lists and finds the file without a daemon, and never starts one', async () => {
    harness = createHarness();
    const where = await harness.run(['config', 'path']);
    expect(where.stdout).toBe(`${configFile()}\n`);
    expect(JSON.parse((await harness.run(['config', 'path', '--json'])).stdout)).toEqual({ path: configFile(), exists: false });

    const set = await harness.run(['config', 'set', 'policies.defaultAction', 'deny']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(`policies.defaultAction = "deny"\nwritten to ${configFile()}; the daemon is not running and reads it when it starts\n`);
    const listValue = await harness.run(['config', 'set', 'transcripts.claude', '["/a","/b"]', '--json']);
    expect(listValue.code, listValue.stderr).toBe(0);
    expect(JSON.parse(listValue.stdout)).toMatchObject({ daemon: false, changed: ['transcripts.claude'], applied: [], settings: { transcripts: { claude: ['/a', '/b'] } } });
    expect((await harness.run(['config', 'set', 'transcripts.scanOnStart', 'false'])).code).toBe(0);

    const text = await harness.run(['config', 'list']);
    expect(text.stdout).toBe('policies.defaultAction = "deny"\ntranscripts.claude = ["/a","/b"]\ntranscripts.scanOnStart = false\n');
    const json = JSON.parse((await harness.run(['config', 'list', '--json'])).stdout);
    expect(json.flat).toEqual({ 'policies.defaultAction': 'deny', 'transcripts.claude': ['/a', '/b'], 'transcripts.scanOnStart': false });

    expect((await harness.run(['config', 'get', 'policies.defaultAction'])).stdout).toBe('deny\n');
    expect((await harness.run(['config', 'get', 'transcripts.claude'])).stdout).toBe('["/a","/b"]\n');
    expect(JSON.parse((await harness.run(['config', 'get', 'transcripts.scanOnStart', '--json'])).stdout)).toEqual({ key: 'transcripts.scanOnStart', value: false, set: true, appliesAt: 'restart' });
    const unsetKey = await harness.run(['config', 'get', 'tmux.binary']);
    expect([unsetKey.code, unsetKey.stdout]).toEqual([1, '']);

    const unset = await harness.run(['config', 'unset', 'transcripts.claude']);
    expect(unset.stdout).toMatch(/^transcripts\.claude removed\n/);
    expect(JSON.parse(fs.readFileSync(configFile(), 'utf8'))).toEqual({ policies: { defaultAction: 'deny' }, transcripts: { scanOnStart: false } });

    expect(harness.discovery()).toBeUndefined();
    expect(fs.existsSync(harness.socket)).toBe(false);
  }, 60_000);

  it('names the key and the nearest known one in its errors, writes nothing then, and can unset a misspelt key', async () => {
    harness = createHarness();
    fs.mkdirSync(harness.home, { recursive: true, mode: 0o700 });
    fs.writeFileSync(configFile(), JSON.stringify({ policies: { defaultAction: 'deny' } }));
    const before = fs.readFileSync(configFile(), 'utf8');
    const typo = await harness.run(['config', 'set', 'policies.defaultActon', 'deny']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown setting "policies\.defaultActon"; did you mean policies\.defaultAction\?/);
    const badValue = await harness.run(['config', 'set', 'policies.defaultAction', 'allow']);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toMatch(/policies\.defaultAction: expected one of ask, deny, got "allow"/);
    expect((await harness.run(['config', 'set', 'tmux.binary', 'null'])).stderr).toMatch(/codepiper config unset tmux\.binary/);
    expect(fs.readFileSync(configFile(), 'utf8')).toBe(before);

    // A misspelt key written by hand can be unset, which fixes the file.
    fs.writeFileSync(configFile(), '{"tmux": {"binry": "/x"}}');
    expect((await harness.run(['config', 'list'])).stderr).toMatch(/tmux: unknown key "binry" \(did you mean binary\?\)/);
    expect((await harness.run(['config', 'unset', 'tmux.binry'])).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(configFile(), 'utf8'))).toEqual({ tmux: {} });
    expect(harness.discovery()).toBeUndefined();
  }, 60_000);

  it('goes through the running daemon, which applies what it can at once', async () => {
    harness = createHarness();
    await startDaemon();
    const set = await harness.run(['config', 'set', 'policies.defaultAction', 'deny', '--json']);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ daemon: true, changed: ['policies.defaultAction'], applied: ['policies.defaultAction'], restartRequired: false });
    const later = await harness.run(['config', 'set', 'tmux.binary', 'tmux']);
    expect(later.stdout).toBe(`tmux.binary = "tmux"\nwritten to ${configFile()}; tmux.binary applies after a restart: codepiper daemon restart\n`);
    const list = await harness.run(['config', 'list']);
    expect(list.stdout).toBe('policies.defaultAction = "deny"\ntmux.binary = "tmux"\nwaiting for a restart: tmux.binary (codepiper daemon restart)\n');
    const got = JSON.parse((await harness.run(['config', 'get', 'policies.defaultAction', '--json'])).stdout);
    expect(got).toEqual({ key: 'policies.defaultAction', value: 'deny', set: true, appliesAt: 'now' });
    expect((await harness.run(['config', 'path'])).stdout).toBe(`${configFile()}\n`);
  }, 60_000);
});
