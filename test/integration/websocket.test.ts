import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamPath, topicName } from '../../src/core/api/topics';
import { createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';
import { openSocket, upgradeStatus, type TestSocket } from '../helpers/ws-client';

/**
 * The WebSocket stream and the terminal bridge of a real daemon, over its Unix socket (the TCP listener hands the same
 * hub and bridge its upgrades, after authenticating): real bash sessions in the harness's private tmux server.
 */
let harness: Harness;
let client: Client;
const { api, screen, untilScreen } = daemonApi(() => client);

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

async function ok(method: string, route: string, body?: unknown): Promise<any> {
  const { status, json } = await api(method, route, body);
  expect(status, `${method} ${route}: ${JSON.stringify(json)}`).toBe(200);
  return json;
}

async function bashSession(): Promise<string> {
  const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['bash', '--norc', '--noprofile'] });
  await untilScreen(session.id, /[$#] ?$/m);
  return session.id;
}

const ws = (path = '/ws') => openSocket(harness.socket, path);
/** The output a client received for a session, decoded. */
const outputOf = (socket: TestSocket, from = 0) =>
  socket.frames
    .slice(from)
    .filter((f) => f.json?.type === 'event' && f.json.event === 'output')
    .map((f) => Buffer.from(f.json.data.data, 'base64').toString('utf8'))
    .join('');

function daemonRss(): number {
  const pid = harness.discovery()!.pid;
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

describe('the WebSocket stream', () => {
  let id: string;

  it("streams a real session's output to a subscribed client, and a resuming client gets what it missed", async () => {
    id = await bashSession();
    const first = await ws();
    expect(await first.next((f) => f.type === 'hello', 'hello')).toMatchObject({ protocol: 1, scope: 'admin' });
    first.sendJson({ type: 'subscribe', topics: [topicName('output', id), topicName('events', id)], ref: 'sub' });
    const ready = await first.next((f) => f.type === 'ready', 'ready');
    expect(ready.topics).toEqual([topicName('output', id), topicName('events', id)]);
    expect(ready.positions[topicName('output', id)]).toBeGreaterThan(0);
    // Input through the socket itself: answered with the route's own answer.
    first.sendJson({ type: 'send', session: id, text: 'echo first-$((6*7))', ref: 'in' });
    expect(await first.next((f) => f.ref === 'in', 'the answer to send')).toEqual({ type: 'ok', ref: 'in', result: { ok: true, bytes: 19 } });
    await waitFor(() => outputOf(first).includes('first-42'), { what: 'the output on the stream' });
    // The input's event log row arrives too, with its id as the resume point.
    const input = await first.next((f) => f.type === 'event' && f.event === 'event' && f.data.type === 'input', 'the input event');
    expect(input.seq).toBe(input.data.id);
    const lastOutput = first.frames.filter((f) => f.json?.event === 'output').at(-1)!.json;
    expect(lastOutput.seq).toBe(lastOutput.data.seq + Buffer.from(lastOutput.data.data, 'base64').length);
    await first.close();

    await ok('POST', `/sessions/${id}/send`, { text: 'echo missed-$((7*7))' });
    await untilScreen(id, /^missed-49$/m);
    const second = await ws();
    second.sendJson({ type: 'subscribe', topics: [topicName('output', id)], since: lastOutput.seq });
    await second.next((f) => f.type === 'ready', 'ready');
    await waitFor(() => outputOf(second).includes('missed-49'), { what: 'the missed output replayed' });
    expect(outputOf(second)).not.toContain('first-42');
    // The event log resumes from an event id.
    second.sendJson({ type: 'subscribe', topics: [topicName('events', id)], since: input.seq, ref: 'ev' });
    const replayed = await second.next((f) => f.type === 'event' && f.event === 'event' && f.data.type === 'input', 'the missed input event');
    expect(replayed.data.data.preview).toBe('echo missed-$((7*7))');
    // The sessions topic resumes with every session as it is now.
    second.sendJson({ type: 'subscribe', topics: ['sessions'], since: 0 });
    expect(await second.next((f) => f.type === 'event' && f.event === 'session', 'a session snapshot')).toMatchObject({ data: { id } });
    await second.close();
  });

  it('resumes /events from Last-Event-ID', async () => {
    const streamClient = new Client('http://localhost', { socketPath: harness.socket, bodyTimeout: 0 });
    const read = async (headers: Record<string, string>, until: (text: string) => boolean) => {
      const stream = await streamClient.request({ method: 'GET', path: streamPath([topicName('output', id), topicName('events', id)]), headers });
      expect(stream.statusCode).toBe(200);
      let text = '';
      for await (const chunk of stream.body) {
        text += chunk.toString();
        if (until(text)) break;
      }
      stream.body.destroy();
      return text;
    };
    const sending = ok('POST', `/sessions/${id}/send`, { text: 'echo sse-$((8*8))' });
    const seen = await read({}, (text) => /sse-64/.test(decodeSse(text)) && /"type":"input"[^\n]*\nid: /.test(text));
    await sending;
    const cursor = [...seen.matchAll(/^id: (.*)$/gm)].at(-1)![1]!;
    expect(cursor).toMatch(new RegExp(`^${topicName('output', id)}=\\d+ ${topicName('events', id)}=\\d+$`));
    await ok('POST', `/sessions/${id}/send`, { text: 'echo gap-$((9*9))' });
    await untilScreen(id, /^gap-81$/m);
    const resumed = await read({ 'last-event-id': cursor }, (text) => /gap-81/.test(decodeSse(text)) && /event: ready/.test(text) && text.includes('echo gap-'));
    expect(decodeSse(resumed)).not.toContain('sse-64');
    // A plain number means what ?since= means.
    const position = Number(/output=(\d+)/.exec(cursor)![1]);
    const plain = await read({ 'last-event-id': String(position) }, (text) => /gap-81/.test(decodeSse(text)));
    expect(decodeSse(plain)).not.toContain('sse-64');
    const bad = await streamClient.request({ method: 'GET', path: streamPath(['sessions']), headers: { 'last-event-id': 'garbage' } });
    expect(bad.statusCode).toBe(400);
    expect((await bad.body.json()) as any).toMatchObject({ error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('Last-Event-ID') } });
    await streamClient.destroy();
  });

  it('input frames obey a deny input policy, and the refusal is audited', async () => {
    await ok('POST', '/policies', {
      name: 'no-secrets-over-ws',
      priority: 5,
      sessionId: id,
      rules: [{ action: 'deny', tool: 'terminal_input', args: { text: '*forbidden*' }, reason: 'not over the wire' }],
    });
    const socket = await ws();
    socket.sendJson({ type: 'send', session: id, text: 'echo forbidden-1', ref: 'a' });
    socket.sendJson({ type: 'paste', session: id, text: 'echo forbidden-2', ref: 'b' });
    socket.sendJson({ type: 'send', session: id, text: 'echo allowed-$((5*5))', ref: 'c' });
    expect(await socket.next((f) => f.ref === 'a', 'the answer to a')).toMatchObject({ type: 'error', code: 'INPUT_DENIED', message: expect.stringContaining('not over the wire') });
    expect(await socket.next((f) => f.ref === 'b', 'the answer to b')).toMatchObject({ type: 'error', code: 'INPUT_DENIED' });
    expect(await socket.next((f) => f.ref === 'c', 'the answer to c')).toMatchObject({ type: 'ok' });
    await untilScreen(id, /^allowed-25$/m);
    expect(await screen(id)).not.toContain('forbidden');
    const { decisions } = await ok('GET', `/policy-decisions?sessionId=${id}`);
    const denied = decisions.filter((d: any) => d.decision === 'deny');
    expect(denied.map((d: any) => `${d.event} ${d.tool} ${d.args.text}`).sort()).toEqual(['InputPreflight terminal_input echo forbidden-1', 'InputPreflight terminal_input echo forbidden-2']);
    await socket.close();
  });

  it('answers malformed frames with error frames, closes on a huge one, and keeps serving', async () => {
    const socket = await ws();
    await socket.next((f) => f.type === 'hello', 'hello');
    socket.ws.send('{"type": "subscribe", ');
    socket.ws.send(JSON.stringify({ type: 'teleport', ref: 'u' }));
    socket.ws.send(Buffer.from([0xff, 0x00, 0x13]), { binary: true });
    socket.sendJson({ type: 'subscribe', topics: ['nonsense'], ref: 'n' });
    socket.sendJson({ type: 'keys', session: id, keys: ['not-a-key-name'], ref: 'k' });
    await waitFor(() => socket.frames.filter((f) => f.json?.type === 'error').length >= 5, { what: 'five error frames' });
    const errors = socket.frames.filter((f) => f.json?.type === 'error').map((f) => f.json);
    expect(errors.map((e) => e.code)).toEqual(['INVALID_JSON', 'VALIDATION_FAILED', 'UNSUPPORTED_MEDIA_TYPE', 'VALIDATION_FAILED', expect.any(String)]);
    expect(errors[1]).toMatchObject({ ref: 'u', message: expect.stringContaining('unknown frame type "teleport"') });
    expect(errors[3]).toMatchObject({ ref: 'n', message: expect.stringContaining('unknown topic "nonsense"') });
    expect(errors[4]).toMatchObject({ ref: 'k' });
    socket.ws.send('x'.repeat(2 * 1024 * 1024));
    expect(await socket.closed).toMatchObject({ code: 1009 });
    // Still serving: routes, and new connections.
    expect((await api('GET', '/health')).status).toBe(200);
    const again = await ws();
    again.sendJson({ type: 'ping', ref: 1 });
    expect(await again.next((f) => f.type === 'pong', 'pong')).toEqual({ type: 'pong', ref: 1 });
    await again.close();
    expect((await upgradeStatus(harness.socket, '/nowhere')).status).toBe(404);
  });

  it('survives 10,000 malformed frames: each answered with an error frame, the daemon still serving', async () => {
    let state = 15;
    const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const junk = () => Array.from({ length: Math.floor(random() * 40) }, () => String.fromCharCode(32 + Math.floor(random() * 95))).join('');
    const makers: Array<() => string | Buffer> = [
      () => junk(),
      () => JSON.stringify({ type: 'subscribe', topics: [junk()] }).slice(0, Math.floor(random() * 30)),
      () => JSON.stringify({ type: junk() }),
      () => JSON.stringify({ type: pick(['subscribe', 'send', 'keys', 'paste', 'unsubscribe']), topics: pick([7, null, [], [{}]]), session: pick([3, '', null]), text: pick([1, {}]), keys: pick(['x', [1]]) }),
      () => JSON.stringify(pick([[], 1, 'text', null, true])),
      () => Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256))),
      () => JSON.stringify({ type: 'ping', ref: { deep: [1] } }),
    ];
    const socket = await ws();
    await socket.next((f) => f.type === 'hello', 'hello');
    const count = 10_000;
    for (let i = 0; i < count; i++) {
      const frame = pick(makers)();
      if (Buffer.isBuffer(frame)) socket.ws.send(frame, { binary: true });
      else socket.ws.send(frame);
    }
    // Every one is malformed (a ping whose ref is an object too), so every answer is an error frame, one per frame.
    await waitFor(() => socket.frames.filter((f) => f.json?.type === 'error').length >= count, { what: 'an answer to every frame', timeoutMs: 60_000 });
    socket.sendJson({ type: 'ping', ref: 'last' });
    await socket.next((f) => f.type === 'pong', 'the pong after them');
    expect(socket.frames.filter((f) => f.json?.type === 'error')).toHaveLength(count);
    expect(new Set(socket.frames.filter((f) => f.json?.type === 'error').map((f) => f.json.code))).toEqual(new Set(['INVALID_JSON', 'VALIDATION_FAILED', 'UNSUPPORTED_MEDIA_TYPE']));
    expect(socket.ws.readyState).toBe(socket.ws.OPEN);
    await socket.close();
    expect((await api('GET', '/health')).status).toBe(200);
  }, 90_000);

  it("cuts off a client that stops reading, and the daemon's memory stays flat", async () => {
    const flooder = await bashSession();
    const flood = 32 * 1024 * 1024;
    const output = async () => (await ok('GET', `/sessions/${flooder}/output`)).seq as number;
    let peak = 0;
    const floodThrough = async () => {
      const start = await output();
      await ok('POST', `/sessions/${flooder}/send`, { text: `yes 'flood line with some width to it, over and over again' | head -c ${flood}` });
      await waitFor(async () => {
        peak = Math.max(peak, daemonRss());
        return (await output()) - start > flood;
      }, { what: 'the flood to pass through the daemon', timeoutMs: 120_000, intervalMs: 100 });
    };
    // A first flood with nobody following: the daemon's heap grows to what handling that much output takes.
    await floodThrough();
    const before = Math.max(peak, daemonRss());
    peak = before;
    const socket = await ws();
    socket.sendJson({ type: 'subscribe', topics: [topicName('output', flooder)] });
    await socket.next((f) => f.type === 'ready', 'ready');
    (socket.ws as unknown as { _socket: Duplex })._socket.pause();
    // The same flood to a client that reads nothing: without the bound its 43 MiB of frames would pile up in the daemon.
    await floodThrough();
    (socket.ws as unknown as { _socket: Duplex })._socket.resume();
    const closed = await socket.closed;
    expect(closed).toEqual({ code: 1013, reason: 'overflow: client too slow' });
    expect(socket.frames.at(-1)!.json).toMatchObject({ type: 'overflow' });
    const received = socket.frames.reduce((sum, f) => sum + (f.json?.type === 'event' ? f.json.data.data.length : 0), 0);
    // What the client got is bounded by the queue (4 MiB of frames plus what the kernel held), not by the flood.
    expect(received).toBeLessThan(8 * 1024 * 1024);
    expect(peak - before, `RSS grew from ${before} to ${peak}`).toBeLessThan(24 * 1024 * 1024);
    await ok('POST', `/sessions/${flooder}/kill`);
  }, 150_000);
});

describe('the terminal bridge', () => {
  let id: string;

  it('types into a real session through tmux attach, and a read-only attach cannot', async () => {
    id = await bashSession();
    const term = await ws(`/sessions/${id}/terminal?cols=100&rows=30`);
    expect(await term.next((f) => f.type === 'attached', 'attached')).toEqual({ type: 'attached', session: id, readOnly: false, cols: 100, rows: 30 });
    await waitFor(() => /bash/.test(term.bytes()), { what: 'the screen through the attach' });
    term.ws.send(Buffer.from('echo typed-$((2+3))\r'), { binary: true });
    await untilScreen(id, /^typed-5$/m);
    await waitFor(() => term.bytes().includes('typed-5'), { what: 'the echo through the attach' });
    // A resize frame sizes the viewer's pty, not the agent's window.
    term.sendJson({ type: 'resize', cols: 50, rows: 10 });
    term.sendJson({ type: 'resize', cols: 0, rows: 10 });
    expect(await term.next((f) => f.type === 'error', 'an error for a bad resize')).toMatchObject({ code: 'VALIDATION_FAILED' });
    const session = await ok('GET', `/sessions/${id}`);
    const tmux = (...args: string[]) => spawnSync('tmux', ['-L', harness.tmuxSocket, ...args], { encoding: 'utf8' }).stdout.trim();
    // Once tmux has the viewer's new size, the window is still the session's.
    await waitFor(() => tmux('list-clients', '-t', `=${session.tmuxSession}`, '-F', '#{client_width}x#{client_height}').split('\n').includes('50x10'), { what: "tmux to see the viewer's size" });
    const width = spawnSync('tmux', ['-L', harness.tmuxSocket, 'display-message', '-p', '-t', `=${session.tmuxSession}:`, '#{window_width}x#{window_height}'], { encoding: 'utf8' }).stdout.trim();
    expect(width).toBe(`${session.cols}x${session.rows}`);

    const viewer = await ws(`/sessions/${id}/terminal?readonly=1`);
    expect(await viewer.next((f) => f.type === 'attached', 'attached')).toMatchObject({ readOnly: true });
    viewer.ws.send(Buffer.from('echo sneaky-$((3+4))\r'), { binary: true });
    viewer.ws.send('echo sneaky-$((3+4))\r');
    expect(await viewer.next((f) => f.type === 'readonly', 'the read-only notice')).toMatchObject({ message: expect.stringContaining('read-only') });
    // Whatever the viewer typed would have arrived before this marker.
    term.ws.send(Buffer.from('echo marker-$((1+1))\r'), { binary: true });
    await untilScreen(id, /^marker-2$/m);
    await waitFor(() => viewer.bytes().includes('marker-2'), { what: 'the viewer to see the session' });
    expect(await screen(id)).not.toContain('sneaky-7');
    expect(viewer.frames.filter((f) => f.json?.type === 'readonly')).toHaveLength(1);
    const events = (await ok('GET', `/sessions/${id}/events?limit=1000`)).events.filter((e: any) => e.type === 'attach');
    expect(events.map((e: any) => e.data.readOnly)).toEqual([false, true]);

    // The attaches end with the session.
    await ok('POST', `/sessions/${id}/kill`);
    expect((await term.closed).code).toBe(1000);
    expect((await viewer.closed).code).toBe(1000);
  });

  it('refuses an attach to a session that does not exist', async () => {
    const refused = await upgradeStatus(harness.socket, '/sessions/nosuch/terminal');
    expect(refused.status).toBe(404);
    expect(JSON.parse(refused.body).error.code).toBe('SESSION_NOT_FOUND');
    expect((await upgradeStatus(harness.socket, `/sessions/${id}/terminal?cols=99999`)).status).toBe(400);
  });
});

function decodeSse(text: string): string {
  return [...text.matchAll(/event: output\ndata: (.*)\n/g)].map((m) => Buffer.from(JSON.parse(m[1]!).data, 'base64').toString('utf8')).join('');
}

describe('shutdown', () => {
  it('closes every stream and attach (1001) and stops promptly', async () => {
    const id = await bashSession();
    const stream = await ws();
    const term = await ws(`/sessions/${id}/terminal`);
    await term.next((f) => f.type === 'attached', 'attached');
    const started = Date.now();
    const stopped = await harness.run(['daemon', 'stop']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((await stream.closed).code).toBe(1001);
    expect((await term.closed).code).toBe(1001);
    expect(Date.now() - started).toBeLessThan(5000);
    // The session itself lives on in tmux, without the viewer's attach.
    const clients = spawnSync('tmux', ['-L', harness.tmuxSocket, 'list-clients', '-t', `=cp-${id}`, '-F', '#{client_pid}'], { encoding: 'utf8' });
    expect(clients.status).toBe(0);
    await waitFor(() => spawnSync('tmux', ['-L', harness.tmuxSocket, 'list-clients', '-t', `=cp-${id}`, '-F', '#{client_pid}'], { encoding: 'utf8' }).stdout.trim() === '', { what: 'the attach to end' });
  });
});
