// The command line against a remote daemon, end to end over loopback: a real daemon serving --web on 127.0.0.1, a
// write token made over its socket, and the built `codepiper --remote <url> --token cpt_…` for sessions, send, tail
// (and tail -f), approve of a real permission question (fake Claude Code), attach through the terminal bridge in a
// pseudo-terminal, and the dashboard. The remote commands run with a socket that leads nowhere, so nothing they do
// can have gone through the daemon's socket.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, createHarness, type Harness, type RunResult } from '../helpers/harness';
import { spawnOnPty, type PtyScreen } from '../helpers/pty-screen';
import { waitFor } from '../helpers/wait';

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');

let harness: Harness;
let url: string;
let token: string;
let readToken: string;
let adminToken: string;
let remoteEnv: NodeJS.ProcessEnv;
let screen: PtyScreen | undefined;

interface Session {
  id: string;
  name: string | null;
  state: string;
}

/** A port nothing listens on now: bound to 0 and let go (the daemon binds it a moment later). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The CLI against the remote daemon (with the token in its options unless `withToken` says otherwise). */
function remote(args: string[], options: { token?: string | null; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  const given = options.token === null ? [] : ['--token', options.token ?? token];
  return harness.run(['--remote', url, ...given, ...args], { env: remoteEnv, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), ...(options.input !== undefined ? { input: options.input } : {}) });
}

async function ok(result: Promise<RunResult>): Promise<string> {
  const done = await result;
  expect(done.code, `${done.stdout}\n${done.stderr}`).toBe(0);
  return done.stdout;
}

async function sessions(): Promise<Session[]> {
  return JSON.parse(await ok(remote(['sessions', '--json']))) as Session[];
}

async function untilRemoteState(id: string, state: string): Promise<void> {
  await waitFor(async () => (await sessions()).find((s) => s.id === id)?.state === state, { what: `session ${id} ${state}`, timeoutMs: 20_000, intervalMs: 200 });
}

async function untilRemoteScreen(id: string, pattern: RegExp): Promise<string> {
  return waitFor(
    async () => {
      const shown = (await remote(['tail', id])).stdout;
      return pattern.test(shown) ? shown : undefined;
    },
    { what: `${pattern} on the screen of ${id}`, timeoutMs: 20_000, intervalMs: 200 },
  );
}

function createdToken(stdout: string): string {
  const found = /cpt_[A-Za-z0-9_\-]+/.exec(stdout)?.[0];
  if (!found) throw new Error(`no token in: ${stdout}`);
  return found;
}

beforeAll(async () => {
  harness = createHarness();
  Object.assign(harness.env, { CODEPIPER_CLAUDE_BIN: FAKE_CLAUDE });
  delete harness.env.TMUX;
  const port = await freePort();
  fs.mkdirSync(harness.home, { recursive: true, mode: 0o700 });
  fs.writeFileSync(
    path.join(harness.home, 'config.json'),
    JSON.stringify({ web: { enabled: true, host: '127.0.0.1', port, rateLimit: { burst: 10_000, perSecond: 10_000 } } }),
  );
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/api/health`)).ok, { what: 'the --web listener', timeoutMs: 15_000 });
  token = createdToken(await ok(harness.run(['token', 'create', '--name', 'remote-cli', '--scope', 'write'])));
  readToken = createdToken(await ok(harness.run(['token', 'create', '--name', 'remote-read', '--scope', 'read'])));
  // Starting a session starts a program of one's choosing on the daemon's host: that takes the admin scope.
  adminToken = createdToken(await ok(harness.run(['token', 'create', '--name', 'remote-admin', '--scope', 'admin'])));
  // The remote commands' own socket leads nowhere: whatever they reach, they reach over TCP.
  remoteEnv = { ...harness.env, CODEPIPER_SOCKET: path.join(harness.dir, 'nowhere.sock'), TERM: 'xterm-256color' };
}, 60_000);

afterAll(async () => {
  screen?.kill();
  await harness?.cleanup();
});

describe('codepiper --remote with a token, over loopback', () => {
  let shell: Session;

  it('lists sessions as JSON, and starts one on the daemon host with an admin token', async () => {
    expect(await sessions()).toEqual([]);
    const refused = await remote(['start', '-p', 'command', '-d', harness.dir, '--', 'bash']);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/sessions.create needs the admin scope; this token has write .*--scope admin/);
    const created = JSON.parse(
      await ok(remote(['start', '-p', 'command', '-d', harness.dir, '--name', 'shell', '--json', '--', 'bash', '--norc', '--noprofile'], { token: adminToken })),
    ) as Session;
    expect(created.name).toBe('shell');
    shell = created;
    expect((await sessions()).map((s) => s.name)).toEqual(['shell']);
    // No request reached the socket of the remote commands: it does not exist.
    expect(fs.existsSync(path.join(harness.dir, 'nowhere.sock'))).toBe(false);
  });

  it('sends text, and tail shows what it printed', async () => {
    await ok(remote(['send', 'shell', 'echo remote-$((6*7))']));
    await untilRemoteScreen(shell.id, /^remote-42$/m);
    const last = await ok(remote(['tail', 'shell', '-n', '5']));
    expect(last).toMatch(/remote-42/);
  });

  it('tail -f follows the live output over /api/events until interrupted', async () => {
    const child = spawn(process.execPath, [BIN, '--remote', url, '--token', token, 'tail', '-f', 'shell'], { env: remoteEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await waitFor(() => out.includes('remote-42'), { what: 'the snapshot first', timeoutMs: 15_000 });
      await ok(remote(['send', 'shell', 'echo followed-$((7*8))']));
      await waitFor(() => out.includes('followed-56'), { what: 'the new line through the stream', timeoutMs: 15_000 });
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited, err).toBe(0);
  });

  it('approves a real pending permission question', async () => {
    const agent = JSON.parse(await ok(remote(['start', '-p', 'claude-code', '-d', harness.dir, '--name', 'agent', '--json'], { token: adminToken }))) as Session;
    await untilRemoteState(agent.id, 'idle');
    await ok(remote(['send', 'agent', 'ask Bash rm -rf build']));
    await untilRemoteState(agent.id, 'needs_permission');
    expect(await ok(remote(['approve', 'agent']))).toBe('approved: agent\n');
    await untilRemoteScreen(agent.id, /● allowed Bash rm -rf build/);
    await untilRemoteState(agent.id, 'idle');
  });

  it('attaches through the terminal bridge: types into the session, sees the answer, and detaches with Ctrl-\\', async () => {
    screen = spawnOnPty(process.execPath, [BIN, '--remote', url, '--token', token, 'attach', 'shell'], { env: remoteEnv, cwd: harness.dir, cols: 100, rows: 30 });
    await screen.waitFor(/remote-42/, 'the session on the screen');
    screen.press('echo bridged-$((8*9))\r');
    await screen.waitFor(/^bridged-72$/m, 'the typed command answered');
    screen.press('\u001c');
    expect((await screen.exited).exitCode).toBe(0);
    await screen.waitFor(/\[detached from shell/, 'the detach line');
    screen = undefined;
    // What was typed reached the real session.
    await untilRemoteScreen(shell.id, /^bridged-72$/m);
  });

  it('attaches read-only with a read token: the keys do not reach the session, and it says so', async () => {
    screen = spawnOnPty(process.execPath, [BIN, '--remote', url, '--token', readToken, 'attach', 'shell'], { env: remoteEnv, cwd: harness.dir, cols: 100, rows: 30 });
    await screen.waitFor(/bridged-72/, 'the session on the screen');
    screen.press('echo refused-$((2*3))\r');
    await screen.waitFor(/\[codepiper: this attach is read-only/, 'the read-only notice');
    screen.press('\u001c');
    expect((await screen.exited).exitCode).toBe(0);
    screen = undefined;
    expect(await ok(remote(['tail', 'shell']))).not.toMatch(/refused-/);
  });

  it('works in the dashboard from CODEPIPER_REMOTE and CODEPIPER_TOKEN, attach included', { timeout: 60_000 }, async () => {
    screen = spawnOnPty(process.execPath, [BIN], { env: { ...remoteEnv, CODEPIPER_REMOTE: url, CODEPIPER_TOKEN: token }, cwd: harness.dir, cols: 100, rows: 30 });
    const list = await screen.waitFor(/shell[\s\S]*agent|agent[\s\S]*shell/, 'both remote sessions in the list');
    // The list's first row is selected: go down to the shell when the agent comes first (pressed again until the
    // dashboard, still starting, has read it).
    if (list.indexOf('agent') < list.indexOf('shell')) {
      await waitFor(
        async () => {
          if (/› ○ idle +shell/.test(screen!.text())) return true;
          screen!.press('j');
          await new Promise((resolve) => setTimeout(resolve, 300));
          return /› ○ idle +shell/.test(screen!.text());
        },
        { what: 'the shell selected' },
      );
    }
    await screen.waitFor(/› ○ idle +shell/, 'the shell selected');
    screen.press('a');
    // The dashboard's own output pane shows the same lines: attached is when its tab bar is gone.
    await screen.waitFor((text) => /bridged-72/.test(text) && !/1 Sessions/.test(text), "the shell's window through the bridge").catch((error: Error) => {
      throw new Error(`${error.message}\n--- the last bytes: ${JSON.stringify(screen!.raw().slice(-1500))}`);
    });
    // Keys go to the session only while attached: a "q" the dashboard read would quit it.
    screen.press('echo quit-$((9*9))\r');
    await screen.waitFor(/^quit-81$/m, 'the typed command answered');
    screen.press('\u001c');
    await screen.waitFor(/1 Sessions[\s\S]*› ○ idle +shell[\s\S]*○ 2 idle/, 'the dashboard again, with its list');
    await untilRemoteScreen(shell.id, /^quit-81$/m);
    screen.press('q');
    const quit = await Promise.race([screen.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10_000))]);
    expect(quit, `the dashboard did not quit on q; the screen was:\n${screen.text()}`).toBeDefined();
    expect(quit!.exitCode).toBe(0);
    screen = undefined;
  });

  it('names a refused token, a token of too low a scope, and a command that only works on the host', async () => {
    const wrong = await remote(['sessions'], { token: 'cpt_not-a-real-token' });
    expect(wrong.code).toBe(6);
    expect(wrong.stderr).toMatch(/refused the token.*codepiper token create/);
    expect(wrong.stderr).not.toContain('cpt_not-a-real-token');
    const none = await remote(['sessions'], { token: null });
    expect(none.code).toBe(6);
    expect(none.stderr).toMatch(/needs a token: give one with --token or CODEPIPER_TOKEN/);
    const low = await remote(['send', 'shell', 'echo no'], { token: readToken });
    expect(low.code).toBe(6);
    expect(low.stderr).toMatch(/sessions.send needs the write scope; this token has read .*--scope write/);
    expect((await remote(['sessions', '--json'], { token: readToken })).code).toBe(0);
    const stop = await remote(['daemon', 'stop']);
    expect(stop.code).toBe(2);
    expect(stop.stderr).toMatch(/daemon stop does not work against a remote daemon/);
    const status = await remote(['daemon', 'status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: true, remote: url, sameVersion: true });
  });
});

describe('codepiper --remote https:// to a daemon with a self-signed certificate', () => {
  let tls: Harness;
  let tlsUrl: string;
  let tlsToken: string;
  let certFile: string;

  beforeAll(async () => {
    tls = createHarness();
    delete tls.env.TMUX;
    certFile = path.join(tls.dir, 'cert.pem');
    const keyFile = path.join(tls.dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const port = await freePort();
    fs.mkdirSync(tls.home, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(tls.home, 'config.json'), JSON.stringify({ web: { enabled: true, host: '127.0.0.1', port, tls: { cert: certFile, key: keyFile } } }));
    const started = await tls.run(['daemon', 'start', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    tlsUrl = `https://127.0.0.1:${port}`;
    tlsToken = createdToken(await ok(tls.run(['token', 'create', '--name', 'tls', '--scope', 'write'])));
  }, 60_000);

  afterAll(async () => {
    await tls?.cleanup();
  });

  it('says how to trust the certificate, and works once Node is given it with NODE_EXTRA_CA_CERTS', async () => {
    const env = { ...tls.env, CODEPIPER_SOCKET: path.join(tls.dir, 'nowhere.sock') };
    const untrusted = await tls.run(['--remote', tlsUrl, '--token', tlsToken, 'sessions', '--json'], { env });
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).toMatch(/TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\).*NODE_EXTRA_CA_CERTS=/);
    expect(untrusted.stderr).not.toContain(tlsToken);
    const trusted = await tls.run(['--remote', tlsUrl, '--token', tlsToken, 'sessions', '--json'], { env: { ...env, NODE_EXTRA_CA_CERTS: certFile } });
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(JSON.parse(trusted.stdout)).toEqual([]);
    const status = await tls.run(['--remote', tlsUrl, 'daemon', 'status'], { env: { ...env, NODE_EXTRA_CA_CERTS: certFile } });
    expect(status.stdout).toMatch(/status +running/);
  });
});
