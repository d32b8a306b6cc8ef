// The WebSocket stream and the terminal bridge over the TCP listener (--web), with real tokens: the grant decides what
// a connection may do. The listener checks Host, Origin and credentials before handing the upgrade over.
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicName } from '../../src/core/api/topics';
import { createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';
import { createToken, startWebDaemon } from '../helpers/web';
import { openUrl, type TestSocket } from '../helpers/ws-client';

let harness: Harness;
let client: Client;
let url: string;
const tokens = { read: '', write: '' };
let id: string;
const { api, screen, untilScreen } = daemonApi(() => client);

beforeAll(async () => {
  harness = createHarness();
  client = new Client('http://localhost', { socketPath: harness.socket });
  url = await startWebDaemon(harness, () => client);
  tokens.read = await createToken(() => client, 'viewer', 'read');
  tokens.write = await createToken(() => client, 'typist', 'write');
  const created = await api('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['bash', '--norc', '--noprofile'] });
  expect(created.status).toBe(200);
  id = created.json.id;
  await untilScreen(id, /[$#] ?$/m);
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

const open = (path: string, token: string) => openUrl(`${url.replace(/^http/, 'ws')}/api${path}`, { headers: { authorization: `Bearer ${token}` } });
const outputOf = (socket: TestSocket) =>
  socket.frames
    .filter((f) => f.json?.type === 'event' && f.json.event === 'output')
    .map((f) => Buffer.from(f.json.data.data, 'base64').toString('utf8'))
    .join('');

describe('the WebSocket stream over TCP', () => {
  it('lets a read token follow output but not type: SCOPE_INSUFFICIENT', async () => {
    const viewer = await open('/ws', tokens.read);
    expect(await viewer.next((f) => f.type === 'hello', 'hello')).toMatchObject({ scope: 'read' });
    viewer.sendJson({ type: 'subscribe', topics: [topicName('output', id)] });
    await viewer.next((f) => f.type === 'ready', 'ready');
    viewer.sendJson({ type: 'send', session: id, text: 'echo viewer-$((1+2))', ref: 'v' });
    viewer.sendJson({ type: 'keys', session: id, keys: ['ctrl+c'], ref: 'k' });
    expect(await viewer.next((f) => f.ref === 'v', 'the answer')).toMatchObject({ type: 'error', code: 'SCOPE_INSUFFICIENT' });
    expect(await viewer.next((f) => f.ref === 'k', 'the answer')).toMatchObject({ type: 'error', code: 'SCOPE_INSUFFICIENT' });

    const typist = await open('/ws', tokens.write);
    expect(await typist.next((f) => f.type === 'hello', 'hello')).toMatchObject({ scope: 'write' });
    typist.sendJson({ type: 'send', session: id, text: 'echo typist-$((2+2))', ref: 't' });
    expect(await typist.next((f) => f.ref === 't', 'the answer')).toMatchObject({ type: 'ok' });
    // The viewer sees what the typist typed, and nothing the viewer tried.
    await waitFor(() => outputOf(viewer).includes('typist-4'), { what: "the typist's output on the viewer's stream" });
    expect(await screen(id)).not.toContain('viewer-3');
    await viewer.close();
    await typist.close();
  });

  it('ends an open stream and an open attach once their token is revoked, at their next keystroke', async () => {
    const doomed = await createToken(() => client, 'doomed', 'write');
    const stream = await open('/ws', doomed);
    await stream.next((f) => f.type === 'hello', 'hello');
    const attach = await open(`/sessions/${id}/terminal`, doomed);
    await attach.next((f) => f.type === 'attached', 'attached');
    const closes = [stream, attach].map((socket) => new Promise<number>((resolve) => socket.ws.once('close', (code) => resolve(code))));
    expect((await api('DELETE', '/tokens/doomed')).status).toBe(200);
    stream.sendJson({ type: 'send', session: id, text: 'echo revoked-$((3+3))', ref: 'r' });
    attach.ws.send(Buffer.from('echo revoked-bridge-$((3+4))\r'), { binary: true });
    // 1008 when the frame finds the credentials gone; 1006 when the listener's own periodic check cut the connection
    // first (it re-checks every open connection every few seconds). Either way it is closed and typed nothing.
    for (const code of await Promise.all(closes)) expect([1008, 1006]).toContain(code);
    const text = await screen(id);
    expect(text).not.toContain('revoked-6');
    expect(text).not.toContain('revoked-bridge-7');
  });

  it('refuses an upgrade without a token', async () => {
    await expect(openUrl(`${url.replace(/^http/, 'ws')}/api/ws`)).rejects.toMatchObject({ status: 401 });
  });
});

describe('the terminal bridge over TCP', () => {
  it('attaches a read token read-only, and a write token may type (unless it asks for readonly)', async () => {
    const viewer = await open(`/sessions/${id}/terminal`, tokens.read);
    expect(await viewer.next((f) => f.type === 'attached', 'attached')).toMatchObject({ readOnly: true });
    viewer.ws.send(Buffer.from('echo from-read-$((4+4))\r'), { binary: true });
    await viewer.next((f) => f.type === 'readonly', 'the read-only notice');

    const polite = await open(`/sessions/${id}/terminal?readonly=1`, tokens.write);
    expect(await polite.next((f) => f.type === 'attached', 'attached')).toMatchObject({ readOnly: true });
    polite.ws.send(Buffer.from('echo from-polite-$((5+5))\r'), { binary: true });
    await polite.next((f) => f.type === 'readonly', 'the read-only notice');

    const typist = await open(`/sessions/${id}/terminal`, tokens.write);
    expect(await typist.next((f) => f.type === 'attached', 'attached')).toMatchObject({ readOnly: false });
    typist.ws.send(Buffer.from('echo from-write-$((6+6))\r'), { binary: true });
    await untilScreen(id, /^from-write-12$/m);
    await waitFor(() => viewer.bytes().includes('from-write-12'), { what: 'the read-only viewer to see it' });
    const text = await screen(id);
    expect(text).not.toContain('from-read-');
    expect(text).not.toContain('from-polite-');
    const attaches = (await api('GET', `/sessions/${id}/events?limit=1000`)).json.events.filter((e: any) => e.type === 'attach' && !String(e.data.by).includes('doomed'));
    expect(attaches.map((e: any) => `${e.data.transport} ${e.data.by} ${e.data.readOnly}`)).toEqual(['tcp token viewer true', 'tcp token typist true', 'tcp token typist false']);
    for (const socket of [viewer, polite, typist]) await socket.close();
  });
});
