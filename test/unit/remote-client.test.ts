import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { createClient, noteRemoteVersion } from '../../src/client/client';
import { isLoopbackHost, remoteConnectionError, requestOverHttp, resolveRemote, streamOverHttp, type RemoteTarget } from '../../src/client/remote';
import { attachRemote, DETACH_BYTE, resizeFrame, splitAtDetach, terminalUrl } from '../../src/client/remote-attach';
import { VERSION_HEADER } from '../../src/core/api/headers';
import { isAppError, type AppError } from '../../src/core/errors';
import { resolvePaths } from '../../src/core/paths';
import { VERSION } from '../../src/core/version';
import { waitFor } from '../helpers/wait';
import { buildProgram } from '../../src/cli/program';
import { hostPath, REMOTE_REFUSALS, refuseRemotely } from '../../src/cli/remote-commands';

const TOKEN = 'cpt_s3cretS3cretS3cret';

const servers: Array<http.Server> = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A server on 127.0.0.1 (a free port) standing in for a daemon's --web listener. */
async function listen(server: http.Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function fakeDaemon(handler: http.RequestListener): Promise<RemoteTarget> {
  const port = await listen(http.createServer(handler));
  return resolveRemote({ remote: `http://127.0.0.1:${port}`, token: TOKEN, env: {} })!;
}

function json(res: http.ServerResponse, status: number, body: unknown, version = VERSION): void {
  res.writeHead(status, { 'content-type': 'application/json', [VERSION_HEADER]: version });
  res.end(JSON.stringify(body));
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (!isAppError(error)) throw error;
    return error;
  }
  throw new Error('expected a failure');
}

const paths = resolvePaths({ env: { CODEPIPER_HOME: '/nonexistent/cp-remote-test' } });

describe('resolveRemote: the address and token of --remote / CODEPIPER_REMOTE', () => {
  it('is undefined without a remote, and refuses a token without one', () => {
    expect(resolveRemote({ env: {} })).toBeUndefined();
    expect(() => resolveRemote({ token: TOKEN, env: {} })).toThrow(/--token is for a remote daemon/);
  });

  it('takes https with a port, a proxy path prefix, and a bare host as https', () => {
    expect(resolveRemote({ remote: 'https://build.example:4321/', token: TOKEN, env: {} })).toEqual({ base: 'https://build.example:4321', label: 'https://build.example:4321', secure: true, token: TOKEN });
    expect(resolveRemote({ remote: 'https://host/codepiper/', env: {} })?.base).toBe('https://host/codepiper');
    expect(resolveRemote({ remote: 'build.example:4321', env: {} })?.base).toBe('https://build.example:4321');
  });

  it('reads CODEPIPER_REMOTE and CODEPIPER_TOKEN; the options win', () => {
    const env = { CODEPIPER_REMOTE: 'https://a.example', CODEPIPER_TOKEN: TOKEN };
    expect(resolveRemote({ env })).toMatchObject({ base: 'https://a.example', token: TOKEN });
    expect(resolveRemote({ remote: 'https://b.example', token: 'cpt_other', env })).toMatchObject({ base: 'https://b.example', token: 'cpt_other' });
  });

  it('refuses what is not a daemon address, naming what is wrong', () => {
    expect(() => resolveRemote({ remote: 'http://', env: {} })).toThrow(/"http:\/\/" is not a URL/);
    expect(() => resolveRemote({ remote: 'ftp://host', env: {} })).toThrow(/ftp is not a scheme the daemon speaks/);
    expect(() => resolveRemote({ remote: 'https://me:pw@host', env: {} })).toThrow(/user name or password; give the token with --token/);
    expect(() => resolveRemote({ remote: 'https://host/?x=1', env: {} })).toThrow(/query or fragment/);
    expect(() => resolveRemote({ remote: 'https://host:4321/api', env: {} })).toThrow(/without \/api \(codepiper adds it\): https:\/\/host:4321/);
    expect(() => resolveRemote({ remote: 'https://host', socket: '/tmp/x.sock', env: {} })).toThrow(/--socket and --remote both name a daemon/);
    expect(() => resolveRemote({ env: { CODEPIPER_REMOTE: 'nope://' } })).toThrow(/^CODEPIPER_REMOTE: /);
  });

  it('refuses plain http to another machine unless --allow-http, and allows it on loopback', () => {
    const error = (() => {
      try {
        resolveRemote({ remote: 'http://10.1.2.3:4321', token: TOKEN, env: {} });
      } catch (caught) {
        return caught as AppError;
      }
      return undefined;
    })();
    expect(error?.code).toBe('WEB_INSECURE');
    expect(error?.message).toMatch(/unencrypted.*https:\/\/.*--allow-http/);
    expect(resolveRemote({ remote: 'http://10.1.2.3:4321', allowHttp: true, env: {} })?.secure).toBe(false);
    expect(resolveRemote({ remote: 'http://10.1.2.3:4321', env: { CODEPIPER_ALLOW_HTTP: '1' } })?.secure).toBe(false);
    for (const host of ['127.0.0.1', '127.3.4.5', 'localhost', '[::1]']) expect(resolveRemote({ remote: `http://${host}:4321`, env: {} })?.secure).toBe(false);
    expect(isLoopbackHost('127.example.com')).toBe(false);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });

  it('refuses a token that is not one, without printing it', () => {
    for (const token of ['s3cret-not-a-token', 'cpt_with space', 'cpt_line\nbreak']) {
      let message = '';
      try {
        resolveRemote({ remote: 'https://host', token, env: {} });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/--token is not a CodePiper token/);
      expect(message).not.toContain(token);
    }
  });
});

describe('the client against a remote daemon', () => {
  it('sends each route to /api<path> with the bearer token and decodes the answer', async () => {
    const seen: Array<{ method?: string; url?: string; auth?: string; body: string }> = [];
    const remote = await fakeDaemon((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
        if (req.url?.startsWith('/api/sessions?')) return json(res, 200, { sessions: [] });
        if (req.url === '/api/sessions/app/send') return json(res, 200, { ok: true });
        json(res, 404, { error: { code: 'ROUTE_NOT_FOUND', message: `no route ${req.url}` } });
      });
    });
    const client = createClient({ paths, autostart: true, remote });
    expect(await client.call('sessions.list', { status: 'idle' })).toEqual({ sessions: [] });
    await client.call('sessions.send', { id: 'app', text: 'hi', newline: true });
    expect(seen).toEqual([
      { method: 'GET', url: '/api/sessions?status=idle', auth: `Bearer ${TOKEN}`, body: '' },
      { method: 'POST', url: '/api/sessions/app/send', auth: `Bearer ${TOKEN}`, body: JSON.stringify({ text: 'hi', newline: true }) },
    ]);
  });

  it('puts a proxy prefix before /api', async () => {
    let url: string | undefined;
    const port = await listen(http.createServer((req, res) => ((url = req.url), json(res, 200, { status: 'ok', version: VERSION, uptime: 1 }))));
    const remote = resolveRemote({ remote: `http://127.0.0.1:${port}/cp/`, env: {} })!;
    await createClient({ paths, autostart: false, remote }).call('health');
    expect(url).toBe('/cp/api/health');
  });

  it('turns a refused token into what to do, and never shows the token', async () => {
    const remote = await fakeDaemon((_req, res) => json(res, 401, { error: { code: 'AUTH_REQUIRED', message: 'a token or a login is needed' } }));
    const error = await failure(createClient({ paths, autostart: true, remote }).call('sessions.list'));
    expect(error.code).toBe('AUTH_REQUIRED');
    expect(error.message).toMatch(/refused the token.*check --token \/ CODEPIPER_TOKEN.*codepiper token create --name <name> --scope write/);
    expect(error.message).not.toContain(TOKEN);
    const without = { ...remote, token: undefined };
    expect((await failure(createClient({ paths, autostart: true, remote: without }).call('sessions.list'))).message).toMatch(/needs a token: give one with --token or CODEPIPER_TOKEN/);
  });

  it('names the scope a read token lacks', async () => {
    const remote = await fakeDaemon((_req, res) => json(res, 403, { error: { code: 'SCOPE_INSUFFICIENT', message: 'sessions.send needs the write scope; this token has read', details: { needed: 'write', held: 'read' } } }));
    const error = await failure(createClient({ paths, autostart: true, remote }).call('sessions.send', { id: 'a', text: 'x' }));
    expect(error.code).toBe('SCOPE_INSUFFICIENT');
    expect(error.message).toMatch(/needs the write scope.*use a token of that scope, made on its host with codepiper token create --name <name> --scope write$/);
  });

  it('refuses a socket-only route before sending it', async () => {
    let requests = 0;
    const remote = await fakeDaemon((_req, res) => (requests++, json(res, 200, {})));
    const error = await failure(createClient({ paths, autostart: true, remote }).call('daemon.shutdown'));
    expect(error.message).toMatch(/daemon.shutdown is served only on the daemon's own Unix socket/);
    expect(requests).toBe(0);
  });

  it('says when what answers is not a CodePiper daemon', async () => {
    const remote = await fakeDaemon((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    const error = await failure(createClient({ paths, autostart: true, remote }).call('sessions.list'));
    expect(error.message).toMatch(/is not a CodePiper daemon \(HTTP 502 to sessions.list/);
  });

  it('says a version difference once, and never restarts a remote daemon', async () => {
    const said: string[] = [];
    // Said once per process: earlier tests' answers (of this very version) used up the once.
    delete (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('codepiper.client.remoteVersionSaid')];
    const remote = resolveRemote({ remote: 'https://h.example', env: {} })!;
    const response = { status: 200, headers: { [VERSION_HEADER]: '0.0.1' }, body: '{}', bytes: Buffer.from('{}') };
    noteRemoteVersion(response, remote, (text) => said.push(text));
    noteRemoteVersion(response, remote, (text) => said.push(text));
    expect(said).toEqual([`codepiper: the remote daemon at https://h.example runs version 0.0.1 (older), this codepiper is ${VERSION}; a route one of them lacks fails\n`]);
  });

  it('names a daemon that does not answer, and a host that does not exist', async () => {
    const port = await listen(http.createServer());
    servers.pop()!.close();
    const remote = resolveRemote({ remote: `http://127.0.0.1:${port}`, token: TOKEN, env: {} })!;
    const refused = await failure(createClient({ paths, autostart: true, remote }).call('sessions.list'));
    expect(refused.code).toBe('DAEMON_UNAVAILABLE');
    expect(refused.message).toBe(`nothing answers at http://127.0.0.1:${port} (connection refused): is the daemon running there with --web, on this host and port?`);
    const unknown = remoteConnectionError(Object.assign(new Error('getaddrinfo ENOTFOUND nohost.invalid'), { code: 'ENOTFOUND' }), resolveRemote({ remote: 'https://nohost.invalid', env: {} })!);
    expect(unknown.message).toMatch(/cannot find the host of https:\/\/nohost.invalid/);
  });

  it('gives up on a daemon that does not answer in time', async () => {
    const remote = await fakeDaemon(() => undefined);
    const error = await failure(requestOverHttp(remote, { method: 'GET', path: '/health', timeoutMs: 200 }));
    expect(error.message).toMatch(/did not answer GET \/health within 0.2s/);
  });

  it('explains a self-signed certificate with NODE_EXTRA_CA_CERTS, and plain http spoken to TLS', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-remote-tls-'));
    dirs.push(dir);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (_req, res) => json(res, 200, { sessions: [] }));
    const port = await listen(server);
    const remote = resolveRemote({ remote: `https://127.0.0.1:${port}`, token: TOKEN, env: {} })!;
    const error = await failure(createClient({ paths, autostart: true, remote }).call('sessions.list'));
    expect(error.message).toMatch(/TLS certificate of https:\/\/127.0.0.1:\d+ is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\).*NODE_EXTRA_CA_CERTS=/);
    const plain = await failure(createClient({ paths, autostart: true, remote: { ...remote, base: `http://127.0.0.1:${port}`, label: `http://127.0.0.1:${port}`, secure: false } }).call('sessions.list'));
    expect(plain.code).toBe('DAEMON_UNAVAILABLE');
    expect(plain.message).toMatch(/closed the connection before answering \(ECONNRESET\): if the daemon serves TLS, use https:\/\//);
    // and the other way round: https to a daemon that serves plain http
    const plainDaemon = await fakeDaemon((_req, res) => json(res, 200, { sessions: [] }));
    const tlsToPlain = await failure(createClient({ paths, autostart: true, remote: { ...plainDaemon, base: plainDaemon.base.replace('http:', 'https:'), secure: true } }).call('sessions.list'));
    expect(tlsToPlain.message).toMatch(/TLS handshake with .* failed .*does the daemon serve plain http\?/);
  });
});

describe('streamOverHttp: /api/events as server-sent events', () => {
  it('follows the stream with the token, reading past keep-alive comments', async () => {
    let asked: { url?: string; auth?: string } = {};
    const remote = await fakeDaemon((req, res) => {
      asked = { url: req.url, auth: req.headers.authorization };
      res.writeHead(200, { 'content-type': 'text/event-stream', [VERSION_HEADER]: VERSION });
      res.write(': keep-alive\n\n');
      res.write('event: ready\ndata: {"topics":["session:a:output"]}\n\n');
      res.write('id: 7\nevent: output\ndata: {"session":"a","seq":0,"data":"aGk="}\n\n');
      res.end();
    });
    const events: unknown[] = [];
    const stream = streamOverHttp(remote, '/events?topic=session%3Aa%3Aoutput&since=0', (event, data) => events.push([event, data]));
    await stream.done;
    expect(asked).toEqual({ url: '/api/events?topic=session%3Aa%3Aoutput&since=0', auth: `Bearer ${TOKEN}` });
    expect(events).toEqual([
      ['ready', { topics: ['session:a:output'] }],
      ['output', { session: 'a', seq: 0, data: 'aGk=' }],
    ]);
  });

  it('follows again from the last id when the connection drops, and never retries a refusal', async () => {
    const asked: Array<string | undefined> = [];
    const remote = await fakeDaemon((req, res) => {
      asked.push(req.headers['last-event-id'] as string | undefined);
      res.writeHead(200, { 'content-type': 'text/event-stream', [VERSION_HEADER]: VERSION });
      if (asked.length === 1) {
        res.write('event: output\ndata: {"session":"a","seq":0,"data":"YQ=="}\nid: session:a:output=1\n\n');
        setTimeout(() => res.socket?.destroy(), 50); // the network drops it
        return;
      }
      res.write('event: output\ndata: {"session":"a","seq":1,"data":"Yg=="}\nid: session:a:output=2\n\n');
      res.end();
    });
    const notes: string[] = [];
    const events: unknown[] = [];
    const stream = streamOverHttp(remote, '/events?topic=session%3Aa%3Aoutput', (event, data) => events.push([event, data]), { resume: true, delaysMs: [10], note: (text) => notes.push(text) });
    await stream.done;
    expect(asked).toEqual([undefined, 'session:a:output=1']);
    expect(events.map((event) => (event as [string, { data: string }])[1].data)).toEqual(['YQ==', 'Yg==']);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^codepiper: lost the event stream of http:\/\/127.0.0.1:\d+ \(\w+\); following again in 0.01s\n$/);

    let refusals = 0;
    const refusing = await fakeDaemon((_req, res) => (refusals++, json(res, 401, { error: { code: 'AUTH_REQUIRED', message: 'revoked' } })));
    await failure(streamOverHttp(refusing, '/events?topic=sessions', () => undefined, { resume: true, delaysMs: [10, 10] }).done);
    expect(refusals).toBe(1);
  });

  it('gives up after its retries, and a close while waiting ends it at once', async () => {
    const port = await listen(http.createServer());
    servers.pop()!.close();
    const gone = resolveRemote({ remote: `http://127.0.0.1:${port}`, token: TOKEN, env: {} })!;
    const notes: string[] = [];
    const error = await failure(streamOverHttp(gone, '/events?topic=sessions', () => undefined, { resume: true, delaysMs: [5, 5], note: (text) => notes.push(text) }).done);
    expect(error.message).toMatch(/nothing answers at/);
    expect(notes).toHaveLength(2);
    const waiting = streamOverHttp(gone, '/events?topic=sessions', () => undefined, { resume: true, delaysMs: [60_000], note: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 50));
    waiting.close();
    await waiting.done;
  });

  it('rejects with the daemon refusal in words', async () => {
    const remote = await fakeDaemon((_req, res) => json(res, 401, { error: { code: 'AUTH_REQUIRED', message: 'revoked' } }));
    const error = await failure(streamOverHttp(remote, '/events?topic=sessions', () => undefined).done);
    expect(error.message).toMatch(/refused the token \(revoked\)/);
  });
});

describe('remote attach: the terminal bridge client', () => {
  it('builds the bridge address and frames', () => {
    const remote = resolveRemote({ remote: 'https://h.example:4321/cp', env: {} })!;
    expect(terminalUrl(remote, 'my app', false)).toBe('wss://h.example:4321/cp/api/sessions/my%20app/terminal');
    expect(terminalUrl({ ...remote, base: 'http://127.0.0.1:9' }, 'a', true)).toBe('ws://127.0.0.1:9/api/sessions/a/terminal?readonly=1');
    expect(terminalUrl({ ...remote, base: 'http://127.0.0.1:9' }, 'a', false, { columns: 5000, rows: 40 })).toBe('ws://127.0.0.1:9/api/sessions/a/terminal?cols=1000&rows=40');
    expect(JSON.parse(resizeFrame(120, 40))).toEqual({ type: 'resize', cols: 120, rows: 40 });
    expect(splitAtDetach(Buffer.from('ls\r'))).toEqual({ send: Buffer.from('ls\r'), detach: false });
    expect(splitAtDetach(Buffer.from([0x61, DETACH_BYTE, 0x62]))).toEqual({ send: Buffer.from('a'), detach: true });
  });

  /** A stand-in bridge: echoes typed bytes back as screen bytes, records every frame. */
  async function fakeBridge(onConnection?: (socket: WebSocket) => void) {
    const frames: Array<{ binary: boolean; text: string }> = [];
    const upgrades: Array<{ url?: string; auth?: string }> = [];
    const server = http.createServer((_req, res) => json(res, 404, { error: { code: 'ROUTE_NOT_FOUND', message: 'no' } }));
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      upgrades.push({ url: req.url, auth: req.headers.authorization });
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        const body = JSON.stringify({ error: { code: 'AUTH_REQUIRED', message: 'no such token' } });
        socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('message', (data: Buffer, binary) => {
          frames.push({ binary, text: data.toString('utf8') });
          if (binary) ws.send(Buffer.concat([Buffer.from('echo:'), data]), { binary: true });
        });
        onConnection?.(ws);
      });
    });
    const port = await listen(server);
    return { remote: resolveRemote({ remote: `http://127.0.0.1:${port}`, token: TOKEN, env: {} })!, frames, upgrades };
  }

  function terminal() {
    const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
    const out = new PassThrough();
    let screen = '';
    out.on('data', (chunk: Buffer) => (screen += chunk.toString('utf8')));
    Object.assign(out, { columns: 100, rows: 30 });
    return { stdin, stdout: out as unknown as NodeJS.WriteStream, screen: () => screen };
  }

  it('sends the size, types into the bridge, shows its bytes, and detaches on Ctrl-\\', async () => {
    const bridge = await fakeBridge();
    const tty = terminal();
    const attached = attachRemote({ remote: bridge.remote, session: 'app', label: 'app', stdin: tty.stdin, stdout: tty.stdout });
    await waitFor(() => bridge.frames.length >= 1, { what: 'the resize frame' });
    (tty.stdin as unknown as PassThrough).write('ls\r');
    await waitFor(() => tty.screen().includes('echo:ls\r'), { what: 'the echoed bytes' });
    (tty.stdin as unknown as PassThrough).write(Buffer.from([0x71, DETACH_BYTE]));
    expect(await attached).toBe(0);
    expect(bridge.upgrades).toEqual([{ url: '/api/sessions/app/terminal?cols=100&rows=30', auth: `Bearer ${TOKEN}` }]);
    expect(bridge.frames).toEqual([
      { binary: false, text: resizeFrame(100, 30) },
      { binary: true, text: 'ls\r' },
      { binary: true, text: 'q' },
    ]);
    expect(tty.screen()).toContain('[detached from app: http://127.0.0.1:');
  });

  it('ends with status 0 when the bridge closes normally (C-b d in tmux), and types nothing read-only', async () => {
    const bridge = await fakeBridge((ws) => setTimeout(() => ws.close(1000, 'tmux detached'), 100));
    const tty = terminal();
    const attached = attachRemote({ remote: bridge.remote, session: 'app', label: 'app', readonly: true, stdin: tty.stdin, stdout: tty.stdout });
    (tty.stdin as unknown as PassThrough).write('typed');
    expect(await attached).toBe(0);
    expect(bridge.upgrades[0]!.url).toBe('/api/sessions/app/terminal?readonly=1&cols=100&rows=30');
    expect(bridge.frames.filter((frame) => frame.binary)).toEqual([]);
    expect(tty.screen()).toContain('[detached from app (tmux detached)]');
  });

  it('fails with the refusal in words when the token is refused, leaving the terminal alone', async () => {
    const bridge = await fakeBridge();
    const tty = terminal();
    const error = await failure(attachRemote({ remote: { ...bridge.remote, token: 'cpt_wrong' }, session: 'app', label: 'app', stdin: tty.stdin, stdout: tty.stdout }));
    expect(error.message).toMatch(/refused the token \(no such token\).*codepiper token create/);
    expect(tty.screen()).toBe('');
  });

  it('names the token when the daemon ends the attach for it (1008)', async () => {
    const bridge = await fakeBridge((ws) => setTimeout(() => ws.close(1008, 'the token was revoked'), 50));
    const tty = terminal();
    const error = await failure(attachRemote({ remote: bridge.remote, session: 'app', label: 'app', stdin: tty.stdin, stdout: tty.stdout }));
    expect(error.code).toBe('AUTH_REQUIRED');
    expect(error.message).toMatch(/refused the token \(the token was revoked\).*codepiper token create/);
  });

  it('takes keys as text from a stream with an encoding (the dashboard sets one), Ctrl-\\ included', async () => {
    const bridge = await fakeBridge();
    const tty = terminal();
    (tty.stdin as unknown as PassThrough).setEncoding('utf8');
    const attached = attachRemote({ remote: bridge.remote, session: 'app', label: 'app', stdin: tty.stdin, stdout: tty.stdout });
    await waitFor(() => bridge.frames.length >= 1, { what: 'the resize frame' });
    (tty.stdin as unknown as PassThrough).write('é\r');
    await waitFor(() => tty.screen().includes('echo:é\r'), { what: 'the echoed text' });
    (tty.stdin as unknown as PassThrough).write('\u001c');
    expect(await attached).toBe(0);
  });

  it('says so when the bridge drops the connection', async () => {
    const bridge = await fakeBridge((ws) => setTimeout(() => ws.close(1011, 'tmux failed'), 50));
    const tty = terminal();
    const error = await failure(attachRemote({ remote: bridge.remote, session: 'app', label: 'app', stdin: tty.stdin, stdout: tty.stdout }));
    expect(error.message).toMatch(/terminal bridge of http:\/\/127.0.0.1:\d+ closed the connection \(1011: tmux failed\)/);
  });
});

describe('commands that act on this machine, against a remote daemon', () => {
  const remote = resolveRemote({ remote: 'https://h.example:4321', token: TOKEN, env: {} })!;

  function refusal(argv: string[]): string | undefined {
    const program = buildProgram();
    let command = program;
    for (const name of argv) command = command.commands.find((sub) => sub.name() === name) ?? command;
    try {
      refuseRemotely(command, { remote });
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  }

  it('refuses each one, naming it and why; every name in the table is a real command', () => {
    for (const name of Object.keys(REMOTE_REFUSALS)) {
      const message = refusal(name.split(' '));
      expect(message, name).toMatch(new RegExp(`^${name} does not work against a remote daemon \\(--remote / CODEPIPER_REMOTE: https://h.example:4321\\): .+`));
    }
    expect(refusal(['sessions'])).toBeUndefined();
    expect(refusal(['daemon', 'status'])).toBeUndefined();
    expect(refusal(['config', 'get'])).toBeUndefined();
  });

  it('refuses nothing without a remote daemon', () => {
    const program = buildProgram();
    const start = program.commands.find((sub) => sub.name() === 'daemon')!.commands.find((sub) => sub.name() === 'start')!;
    expect(() => refuseRemotely(start, {})).not.toThrow();
  });

  it('takes directories only as absolute paths on the daemon host', () => {
    expect(hostPath({ remote }, '/srv/app/', '-d')).toBe('/srv/app/');
    expect(hostPath({ remote }, '/srv/../srv/app', '-d')).toBe('/srv/app');
    expect(() => hostPath({ remote }, 'app', '-d')).toThrow(/-d "app" is relative to this machine's directory; with --remote give an absolute path on the daemon's host/);
    expect(() => hostPath({ remote }, '~/app', '--cwd')).toThrow(/--cwd "~\/app" is relative/);
    expect(hostPath({}, 'app', '-d')).toBe(path.resolve('app'));
  });
});
