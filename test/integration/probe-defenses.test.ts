import { spawn } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, createHarness, hookForward, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';

// Reproductions of what a hostile probe of the daemon found: each must be refused or survived, not suffered.

let harness: Harness;
let client: Client;

beforeAll(async () => {
  harness = createHarness();
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

const { api } = daemonApi(() => client);

async function ok(method: string, route: string, body?: unknown): Promise<any> {
  const { status, json } = await api(method, route, body);
  expect(status, `${method} ${route}: ${JSON.stringify(json)}`).toBe(200);
  return json;
}

function hookHeaders(session: string): Record<string, string> {
  const { hookSecret } = JSON.parse(fs.readFileSync(path.join(harness.home, 'secrets.json'), 'utf8')) as { hookSecret: string };
  return { 'x-codepiper-session': session, 'x-codepiper-secret': hookSecret };
}

describe('policy globs an agent cannot turn against the daemon', () => {
  it('decides hostile paths at once, and GET /health is not kept waiting meanwhile', async () => {
    const policy = await ok('POST', '/policies', {
      name: 'hostile globs',
      priority: 100,
      rules: [
        { action: 'deny', tool: 'Write', args: { file_path: '/**/*-*-*-*-*.log' } },
        { action: 'deny', tool: 'Write', args: { file_path: '/**/*a*a*a*a*a*a*a*a*a*a*a*a*b' } },
        { action: 'deny', tool: 'Write', args: { file_path: '/tmp/**/secret' }, reason: 'the guard still holds' },
      ],
    });
    const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    const headers = hookHeaders(session.id);
    const hook = (file_path: string) =>
      api('POST', '/hooks/claude', { hook_event_name: 'PreToolUse', tool_name: 'Write', tool_input: { file_path, content: 'x' }, cwd: harness.dir }, headers);

    const started = performance.now();
    const hooks = Array.from({ length: 20 }, (_, i) => hook(i % 2 ? `/${'-'.repeat(208)}` : `/tmp/${'a'.repeat(34)}`));
    const healthStarted = performance.now();
    const health = await api('GET', '/health');
    const healthMs = performance.now() - healthStarted;
    const answers = await Promise.all(hooks);
    const hooksMs = performance.now() - started;
    expect(health.status).toBe(200);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // Picomatch took seconds per hook here; the automaton takes well under a millisecond.
    expect(healthMs).toBeLessThan(1000);
    expect(hooksMs).toBeLessThan(2000);
    // And the deny rules still apply.
    const denied = await hook('/tmp/x/secret');
    expect(JSON.stringify(denied.json)).toContain('the guard still holds');
    await ok('POST', `/sessions/${session.id}/kill`);
    await ok('DELETE', `/policies/${policy.id}`);
  });
});

describe('secrets typed with send', () => {
  it('are readable neither in codepiper logs, nor in the database file, nor in daemon.log', async () => {
    const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    const secrets = ['sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123', 'hunter2-very-secret', 'S3CRETq'];
    await ok('POST', `/sessions/${session.id}/send`, { text: `export ANTHROPIC_API_KEY=${secrets[0]}` });
    await ok('POST', `/sessions/${session.id}/send`, { text: `mysql --password=${secrets[1]} -u root` });
    // A key across the 200-character cut of the preview: not even its first characters are kept.
    await ok('POST', `/sessions/${session.id}/send`, { text: `${'x'.repeat(185)} sk-ant-${secrets[2]}rstuvwxyz0123456789` });
    const logs = await harness.run(['logs', session.id]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('[REDACTED]');
    const events = await ok('GET', `/sessions/${session.id}/events?limit=1000`);
    await ok('POST', `/sessions/${session.id}/kill`);
    // The database and its write-ahead log, byte for byte, and the daemon's log.
    const files = fs.readdirSync(harness.home).filter((name) => name.startsWith('codepiper.db') || name === 'daemon.log');
    expect(files).toContain('codepiper.db');
    for (const secret of secrets) {
      expect(logs.stdout).not.toContain(secret);
      expect(JSON.stringify(events)).not.toContain(secret);
      for (const file of files) expect(fs.readFileSync(path.join(harness.home, file)).includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });
});

describe('JSON nested thousands deep', () => {
  const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  it('is a 400 naming the limit on an ordinary route and on /hooks/claude', async () => {
    const policy = await api('POST', '/policies', `{"name":"deep","rules":${deep(5000)}}`);
    expect(policy.status).toBe(400);
    expect(policy.json.error).toMatchObject({ code: 'INVALID_JSON', message: expect.stringContaining('100 levels') });
    const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    const hook = await api('POST', '/hooks/claude', `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"x":${deep(5000)}}}`, {
      ...hookHeaders(session.id),
      'content-type': 'application/json',
    });
    expect(hook.status).toBe(400);
    expect(hook.json.error).toMatchObject({ code: 'INVALID_JSON', message: expect.stringContaining('100 levels') });
    expect((await api('GET', '/health')).status).toBe(200);
    await ok('POST', `/sessions/${session.id}/kill`);
  });

  it('through hook-forward, asks the person instead of leaving the tool call undecided', async () => {
    const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    const payload = `{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls","x":${deep(5000)}}}`;
    const result = await hookForward(payload, { ...harness.env, CODEPIPER_SESSION: session.id });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      hookSpecificOutput: { permissionDecision: 'ask', permissionDecisionReason: expect.stringContaining('nested deeper than 100 levels') },
    });
    await ok('POST', `/sessions/${session.id}/kill`);
  });
});

describe('send', () => {
  it('refuses text with a NUL in it (400 naming the field) instead of typing what comes before it', async () => {
    const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    const refused = await api('POST', `/sessions/${session.id}/send`, { text: 'ab\u0000rm -rf x' });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^invalid input: text: .*NUL/) });
    const { events } = await ok('GET', `/sessions/${session.id}/events?limit=1000`);
    expect(events.some((event: any) => event.type === 'input')).toBe(false);
    await ok('POST', `/sessions/${session.id}/kill`);
  });
});

describe('a name clash', () => {
  it('is a conflict on create as on rename: 409 SESSION_NAME_TAKEN, exit 5', async () => {
    const first = await harness.run(['start', '-p', 'command', '-d', harness.dir, '--name', 'clash', '--', 'cat']);
    expect(first.code, first.stderr).toBe(0);
    const second = await harness.run(['start', '-p', 'command', '-d', harness.dir, '--name', 'clash', '--', 'cat']);
    expect(second.code).toBe(5);
    expect(second.stderr).toMatch(/name "clash" is already used/);
    const other = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    const renamed = await harness.run(['rename', other.id, 'clash']);
    expect(renamed.code).toBe(5);
    const created = await api('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'], name: 'clash' });
    expect(created).toMatchObject({ status: 409, json: { error: { code: 'SESSION_NAME_TAKEN' } } });
    // Bad input alongside the clash is still bad input first.
    expect((await api('POST', '/sessions', { provider: 'command', cwd: '/nowhere/at/all', args: ['cat'], name: 'clash' })).json.error.code).toBe('VALIDATION_FAILED');
    await ok('POST', `/sessions/${first.stdout.trim()}/kill`);
    await ok('POST', `/sessions/${other.id}/kill`);
  });
});

/** Writes raw bytes to the daemon's socket (half-closing after them if asked) and reads until the daemon closes. */
function raw(bytes: string, { halfClose }: { halfClose: boolean }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(harness.socket);
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.write(bytes);
    if (halfClose) socket.end();
  });
}

describe('the HTTP edges', () => {
  it('answers CONNECT with 405 and the methods it takes, instead of hanging up', async () => {
    const reply = await raw('CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n', { halfClose: false });
    expect(reply).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(reply).toMatch(/\r\nallow: (?:GET|POST|PUT|DELETE|PATCH)(?:, (?:GET|POST|PUT|DELETE|PATCH))*\r\n/);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
    expect(body.error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', message: expect.stringContaining('CONNECT') });
    expect((await api('GET', '/health')).status).toBe(200);
  });

  it('answers a client that half-closes after its request, and does what it asked once', async () => {
    const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    const body = JSON.stringify({ text: 'half-closed hello' });
    const reply = await raw(
      `POST /sessions/${session.id}/send HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      { halfClose: true },
    );
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))).toEqual({ ok: true, bytes: 17 });
    const { events } = await ok('GET', `/sessions/${session.id}/events?limit=1000`);
    expect(events.filter((event: any) => event.type === 'input')).toHaveLength(1);
    await ok('POST', `/sessions/${session.id}/kill`);
  });
});

describe('hook-forward against a broken daemon', () => {
  /** A stand-in for the daemon on its own socket: answers every request with `respond`. */
  async function fakeDaemon(respond: http.RequestListener): Promise<{ socket: string; close(): Promise<void> }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-fake-'));
    const socket = path.join(dir, 'd.sock');
    const server = http.createServer(respond);
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    return {
      socket,
      close: async () => {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  /** hook-forward with a preload that reports its peak memory on exit (and, if asked, stalls its start-up first). */
  function boundedHookForward(socket: string, stallMs = 0): Promise<{ code: number | null; stdout: string; ms: number; maxRssKb: number }> {
    const preload = path.join(harness.dir, 'preload.cjs');
    fs.writeFileSync(
      preload,
      `const fs = require('node:fs');
const until = Date.now() + ${stallMs};
while (Date.now() < until) {}
process.on('exit', () => fs.writeSync(2, 'maxrss=' + process.resourceUsage().maxRSS + '\\n'));`,
    );
    const payload = JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'rm -rf /' } });
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(process.execPath, ['--require', preload, BIN, 'hook-forward'], {
        env: { ...harness.env, CODEPIPER_SOCKET: socket, CODEPIPER_SESSION: 'abcd1234', CODEPIPER_SECRET: 'a-secret-of-some-length' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, ms: performance.now() - started, maxRssKb: Number(/maxrss=(\d+)/.exec(stderr)?.[1] ?? NaN) }));
      child.stdin.end(payload);
    });
  }

  it('stops reading an endless answer: no output, within its bound, in bounded memory', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const daemon = await fakeDaemon((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"output":{"hookSpecificOutput":{"permissionDecision":"allow","x":"');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });
    try {
      const result = await boundedHookForward(daemon.socket);
      expect(result).toMatchObject({ code: 0, stdout: '' });
      expect(result.ms).toBeLessThan(2500);
      expect(result.maxRssKb).toBeLessThan(200 * 1024);
    } finally {
      await daemon.close();
    }
  });

  it('counts its own start-up in its deadline, so a slow start does not stretch it', async () => {
    // A daemon that never answers, and a start-up as slow as on a loaded machine.
    const daemon = await fakeDaemon(() => {});
    try {
      const result = await boundedHookForward(daemon.socket, 1200);
      expect(result).toMatchObject({ code: 0, stdout: '' });
      expect(result.ms).toBeLessThan(2500);
    } finally {
      await daemon.close();
    }
  });
});
