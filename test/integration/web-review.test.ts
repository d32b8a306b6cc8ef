// A hostile look at the TCP listener, against a real daemon: what an anonymous client, or a token's holder, can make
// the daemon do before and after the checks say no.
import http from 'node:http';
import net from 'node:net';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonApi } from '../helpers/daemon-api';
import { createHarness, type Harness } from '../helpers/harness';
import { MAX_CONNECTIONS_PER_CLIENT } from '../../src/daemon/web/listener';
import { createToken, startWebDaemon } from '../helpers/web';

/** Sends `head` on a fresh connection and resolves the first line of the answer, or 'none' after `timeoutMs`. */
function firstLine(url: string, head: string, timeoutMs: number): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    let got = '';
    const done = (line: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(line);
    };
    const timer = setTimeout(() => done('none'), timeoutMs);
    socket.on('error', () => done(got.split('\r\n')[0] || 'error'));
    socket.on('data', (chunk) => {
      got += chunk.toString('latin1');
      if (got.includes('\r\n')) done(got.split('\r\n')[0]!);
    });
    socket.write(head);
  });
}

describe('the TCP listener under attack', () => {
  let harness: Harness;
  let client: Client;
  let url: string;

  beforeAll(async () => {
    harness = createHarness();
    client = new Client('http://localhost', { socketPath: harness.socket });
    url = await startWebDaemon(harness, () => client);
  });

  afterAll(async () => {
    await client?.close();
    await harness?.cleanup();
  });

  it('refuses a caller without the right to a route before reading its body, so no body of the upload size is held for it', async () => {
    const { port } = new URL(url);
    const upload = (auth: string) =>
      `POST /api/sessions/nope/upload-image HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\n${auth}content-length: 16000000\r\n\r\n`;
    // The body is announced, never sent: an answer can only come from a daemon that decided without it.
    expect(await firstLine(url, upload(''), 5000)).toBe('HTTP/1.1 401 Unauthorized');
    const read = await createToken(() => client, 'review-read', 'read');
    expect(await firstLine(url, upload(`authorization: Bearer ${read}\r\n`), 5000)).toBe('HTTP/1.1 403 Forbidden');
    expect(await firstLine(url, `POST /api/no/such/route HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-length: 1000000\r\n\r\n`, 5000)).toBe('HTTP/1.1 404 Not Found');
    // A caller with the right still gets its body read: the write token's upload reaches the route (no such session).
    const write = await createToken(() => client, 'review-write', 'write');
    const body = JSON.stringify({ dataBase64: Buffer.from('x').toString('base64') });
    const answer = await firstLine(
      url,
      `POST /api/sessions/nope/upload-image HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\nauthorization: Bearer ${write}\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      5000,
    );
    expect(answer).toBe('HTTP/1.1 404 Not Found');
  });

  it('ends an open event stream within seconds of its token being revoked, as it ends any request after that', async () => {
    const token = await createToken(() => client, 'review-stream', 'read');
    const { api } = daemonApi(() => client);
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.get(`${url}/api/events?topic=sessions`, { headers: { authorization: `Bearer ${token}` }, agent: false }, resolve);
      req.on('error', reject);
    });
    expect(stream.statusCode).toBe(200);
    stream.resume();
    const ended = new Promise<number>((resolve) => stream.once('close', () => resolve(Date.now())));
    const revoked = await api('DELETE', '/tokens/review-stream');
    expect(revoked.status).toBe(200);
    const at = Date.now();
    const outcome = await Promise.race([ended.then((time) => time - at), new Promise<'still open'>((resolve) => setTimeout(() => resolve('still open'), 8000))]);
    stream.destroy();
    expect(outcome).not.toBe('still open');
  });

  it('cuts off a client that opens more connections than one client may hold, instead of keeping each until its headers time out', async () => {
    const { hostname, port } = new URL(url);
    const sockets: net.Socket[] = [];
    let closedEarly = 0;
    try {
      await Promise.all(
        Array.from({ length: MAX_CONNECTIONS_PER_CLIENT + 20 }, () => {
          const socket = net.connect(Number(port), hostname);
          sockets.push(socket);
          socket.on('error', () => {});
          socket.on('close', () => closedEarly++);
          return new Promise<void>((resolve) => {
            socket.once('connect', () => resolve());
            socket.once('close', () => resolve());
          });
        }),
      );
      // None of them sent a byte; the listener would otherwise hold each for its 20 s headers timeout and more.
      const deadline = Date.now() + 5000;
      while (closedEarly < 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closedEarly).toBe(20);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    // Once they are gone, the same client is served again.
    const deadline = Date.now() + 5000;
    let health = 'none';
    while (health !== 'HTTP/1.1 200 OK' && Date.now() < deadline) health = await firstLine(url, `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`, 2000);
    expect(health).toBe('HTTP/1.1 200 OK');
  });
});
