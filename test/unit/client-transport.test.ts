import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestOverSocket, streamOverSocket } from '../../src/client/transport';
import { isAppError } from '../../src/core/errors';

let dir: string;
let socket: string;
let server: http.Server | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-'));
  socket = path.join(dir, 's.sock');
});

afterEach(async () => {
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** An HTTP server on this test's socket; `closeAllConnections` ends whatever the client left open. */
async function serve(handler: http.RequestListener): Promise<void> {
  server = http.createServer(handler);
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(socket, resolve));
  const close = listening.close.bind(listening);
  listening.close = (callback) => {
    listening.closeAllConnections();
    return close(callback);
  };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('requestOverSocket', () => {
  it('reads an answer up to its limit', async () => {
    await serve((_req, res) => res.setHeader('x-codepiper-version', 'stand-in').end('x'.repeat(1000)));
    const answer = await requestOverSocket(socket, { method: 'GET', path: '/health', timeoutMs: 5000, maxBytes: 1000 });
    expect(answer).toMatchObject({ status: 200, body: 'x'.repeat(1000) });
  });

  it('stops reading an answer past its limit, naming the route and the limit', async () => {
    let written = 0;
    let closed: () => void;
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
    // An answer that never ends: only the limit stops the client.
    await serve((_req, res) => {
      res.on('close', () => closed());
      const more = () => {
        while (!res.destroyed) {
          written += 16 * 1024;
          if (!res.write(Buffer.alloc(16 * 1024, 'x'))) return void res.once('drain', more);
        }
      };
      more();
    });
    const error = await failure(requestOverSocket(socket, { method: 'GET', path: '/library/sessions/x/export', route: 'library.export', timeoutMs: 5000, maxBytes: 64 * 1024 }));
    expect(isAppError(error) && error.code).toBe('DAEMON_UNAVAILABLE');
    expect(error.message).toBe("the daemon's answer to library.export is larger than the client's limit of 65536 bytes");
    await serverSawClose; // the request was destroyed, not left to drain
    expect(written).toBeGreaterThan(64 * 1024);
  });
});

describe('streamOverSocket', () => {
  it('hands over complete events, however the bytes are cut', async () => {
    await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: ready\ndata: {"topics":["sessions"]}\n');
      res.write('\nevent: session\nda');
      res.end('ta: {"id":"a"}\n\n');
    });
    const events: Array<[string, unknown]> = [];
    await streamOverSocket(socket, '/events?topic=sessions', (event, data) => events.push([event, data])).done;
    expect(events).toEqual([
      ['ready', { topics: ['sessions'] }],
      ['session', { id: 'a' }],
    ]);
  });

  it('gives up on an event that grows past its limit', async () => {
    await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: ready\ndata: {}\n\n');
      res.write(`event: output\ndata: "${'x'.repeat(10_000)}`); // never finished
    });
    const events: string[] = [];
    const stream = streamOverSocket(socket, '/events?topic=sessions', (...[event]) => void events.push(event), { maxEventChars: 4096 });
    const error = await failure(stream.done);
    expect(isAppError(error) && error.code).toBe('DAEMON_UNAVAILABLE');
    expect(error.message).toBe("an event on the daemon's stream /events?topic=sessions is larger than the client's limit of 4096 bytes");
    expect(events).toEqual(['ready']);
  });
});
