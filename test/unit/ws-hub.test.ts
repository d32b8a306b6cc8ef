import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Grant } from '../../src/core/auth/types';
import { AppError } from '../../src/core/errors';
import { EventBus } from '../../src/core/events/bus';
import type { DaemonContext } from '../../src/daemon/context';
import { createWebSocketHub, type UpgradeAccess, type WebSocketHub } from '../../src/daemon/web/ws';
import { openSocket, upgradeStatus } from '../helpers/ws-client';
import { waitFor } from '../helpers/wait';

/**
 * The hub in-process, over a temporary Unix socket, with the access a network listener would pass: the grant decides
 * what a connection may do. A fake core answers what these frames reach (no session exists).
 */
const bus = new EventBus();
const typed: string[] = [];
const notFound = (ref: string) => new AppError('SESSION_NOT_FOUND', `no session "${ref}"`);
const daemon = {
  log: { info() {}, warn() {}, error() {} },
  core: {
    version: '9.9.9-test',
    bus,
    sessions: {
      resolve: (ref: string) => {
        throw notFound(ref);
      },
      list: () => [],
    },
    terminal: {
      send: async (ref: string, text: string) => {
        typed.push(text);
        if (ref !== 'known') throw notFound(ref);
        return { ok: true, bytes: Buffer.byteLength(text) };
      },
    },
  },
} as unknown as DaemonContext;

const read: Grant = { scope: 'read', principal: { kind: 'token', tokenId: 't1', name: 'viewer' } };
const write: Grant = { scope: 'write', principal: { kind: 'token', tokenId: 't2', name: 'ci' } };

let dir: string;
let socketPath: string;
let server: http.Server;
let hub: WebSocketHub;
/** What the next upgrade is given, as the listener would after authenticating. */
let access: UpgradeAccess = { transport: 'tcp' };

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpws-'));
  socketPath = path.join(dir, 's.sock');
  hub = createWebSocketHub(daemon, { heartbeatMs: 150, maxQueuedBytes: 64 * 1024 });
  server = http.createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => hub.handleUpgrade(req, socket, head, access));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  hub.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the WebSocket hub over TCP', () => {
  it('refuses an upgrade without a grant (401)', async () => {
    access = { transport: 'tcp' };
    const refused = await upgradeStatus(socketPath, '/api/ws');
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error.code).toBe('AUTH_REQUIRED');
  });

  it('says hello with the versions and the scope, follows topics, and answers pings', async () => {
    access = { transport: 'tcp', grant: read };
    const client = await openSocket(socketPath, '/api/ws');
    const hello = await client.next((f) => f.type === 'hello', 'hello');
    expect(hello).toMatchObject({ version: '9.9.9-test', protocol: 1, scope: 'read', limits: { heartbeatMs: 150, maxQueuedBytes: 64 * 1024 }, topics: expect.arrayContaining(['sessions', 'session:<id>:output']) });
    client.sendJson({ type: 'subscribe', topics: ['sessions'], ref: 's' });
    expect(await client.next((f) => f.type === 'ready', 'ready')).toMatchObject({ ref: 's', topics: ['sessions'] });
    bus.publish('sessions', { id: 'x1' } as never);
    expect(await client.next((f) => f.type === 'event', 'an event')).toEqual({ type: 'event', topic: 'sessions', event: 'session', data: { id: 'x1' } });
    client.sendJson({ type: 'subscribe', topics: ['session:nope:output'], ref: 7 });
    expect(await client.next((f) => f.type === 'error', 'an error')).toMatchObject({ ref: 7, code: 'SESSION_NOT_FOUND' });
    client.sendJson({ type: 'ping', ref: 'p' });
    expect(await client.next((f) => f.type === 'pong', 'pong')).toEqual({ type: 'pong', ref: 'p' });
    await client.close();
  });

  it('refuses input from a read grant with SCOPE_INSUFFICIENT, before anything is typed', async () => {
    access = { transport: 'tcp', grant: read };
    const client = await openSocket(socketPath, '/api/ws');
    typed.length = 0;
    client.sendJson({ type: 'send', session: 'known', text: 'rm -rf /', ref: 'r' });
    client.sendJson({ type: 'keys', session: 'known', keys: ['ctrl+c'], ref: 'k' });
    expect(await client.next((f) => f.ref === 'r', 'the answer to send')).toMatchObject({ type: 'error', code: 'SCOPE_INSUFFICIENT' });
    expect(await client.next((f) => f.ref === 'k', 'the answer to keys')).toMatchObject({ type: 'error', code: 'SCOPE_INSUFFICIENT' });
    expect(typed).toEqual([]);
    await client.close();
  });

  it('dispatches input from a write grant to the route (paste is send without Enter)', async () => {
    access = { transport: 'tcp', grant: write };
    const client = await openSocket(socketPath, '/api/ws');
    typed.length = 0;
    client.sendJson({ type: 'paste', session: 'known', text: 'pasted', ref: 1 });
    expect(await client.next((f) => f.ref === 1, 'the answer')).toEqual({ type: 'ok', ref: 1, result: { ok: true, bytes: 6 } });
    client.sendJson({ type: 'send', session: 'missing', text: 'hello', ref: 2 });
    expect(await client.next((f) => f.ref === 2, 'the answer')).toMatchObject({ type: 'error', code: 'SESSION_NOT_FOUND' });
    // The route's own schema checks the input: a NUL cannot be typed.
    client.sendJson({ type: 'send', session: 'known', text: 'a\u0000b', ref: 3 });
    expect(await client.next((f) => f.ref === 3, 'the answer')).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED', message: expect.stringContaining('NUL') });
    expect(typed).toEqual(['pasted', 'hello']);
    await client.close();
  });

  it('disconnects a client that does not answer pings', async () => {
    access = { transport: 'tcp', grant: read };
    const client = await openSocket(socketPath, '/api/ws', { autoPong: false });
    const closed = await Promise.race([client.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 3000))]);
    expect(closed).toMatchObject({ code: 1006 });
  });

  it('keeps a client that answers pings', async () => {
    access = { transport: 'tcp', grant: read };
    const client = await openSocket(socketPath, '/api/ws');
    let pings = 0;
    client.ws.on('ping', () => pings++);
    await waitFor(() => pings >= 3, { what: 'three heartbeats' });
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    await client.close();
  });

  it('tells a client that stops reading, and disconnects it, once its queue is full', async () => {
    access = { transport: 'tcp', grant: read };
    const client = await openSocket(socketPath, '/api/ws', { autoPong: true });
    client.sendJson({ type: 'subscribe', topics: ['sessions'] });
    await client.next((f) => f.type === 'ready', 'ready');
    const raw = (client.ws as unknown as { _socket: Duplex })._socket;
    raw.pause();
    const big = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 2000; i++) bus.publish('sessions', { id: `s${i}`, big } as never);
    raw.resume();
    const closed = await client.closed;
    expect(closed).toEqual({ code: 1013, reason: 'overflow: client too slow' });
    const last = client.frames.at(-1)!.json;
    expect(last).toMatchObject({ type: 'overflow', message: expect.stringContaining('too slow') });
    // Far less than was published reached (or waited for) the client: the rest was never queued.
    const events = client.frames.filter((f) => f.json?.type === 'event').length;
    expect(events).toBeGreaterThan(0);
    expect(events).toBeLessThan(200);
    await waitFor(() => !bus.hasSubscribers('sessions'), { what: 'the subscription to be dropped' });
  });
});

describe('revoked credentials', () => {
  it('closes a connection whose credentials no longer hold, before its next input frame is typed', async () => {
    let valid = true;
    access = { transport: 'tcp', grant: write, revalidate: () => (valid ? write : undefined) };
    const client = await openSocket(socketPath, '/api/ws');
    typed.length = 0;
    client.sendJson({ type: 'send', session: 'known', text: 'before', ref: 1 });
    await client.next((f) => f.ref === 1, 'the answer');
    valid = false;
    client.sendJson({ type: 'send', session: 'known', text: 'after', ref: 2 });
    expect(await client.closed).toEqual({ code: 1008, reason: 'credentials revoked or expired' });
    expect(typed).toEqual(['before']);
  });

  it('closes an idle connection at the next heartbeat once its token is revoked', async () => {
    let valid = true;
    access = { transport: 'tcp', grant: read, revalidate: () => {
      if (!valid) throw new AppError('AUTH_REQUIRED', 'token revoked');
      return read;
    } };
    const client = await openSocket(socketPath, '/api/ws');
    await client.next((f) => f.type === 'hello', 'hello');
    valid = false;
    expect(await client.closed).toMatchObject({ code: 1008 });
  });
});
