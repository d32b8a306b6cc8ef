import net from 'node:net';
import { Readable } from 'node:stream';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness';

let harness: Harness;
let client: Client;
let daemonPid: number;

beforeAll(async () => {
  harness = createHarness();
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code).toBe(0);
  daemonPid = harness.discovery()!.pid;
  client = new Client('http://localhost', { socketPath: harness.socket });
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

async function send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  const response = await client.request({ method: method as 'GET', path, body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await response.body.text();
  return { status: response.statusCode, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

/** After every bad request the same daemon must still answer. */
async function expectStillServing() {
  const health = await send('GET', '/health');
  expect(health.status).toBe(200);
  expect(health.json.status).toBe('ok');
  expect(harness.discovery()?.pid).toBe(daemonPid);
}

function expectEnvelope(json: unknown, code: string) {
  expect(json).toMatchObject({ error: { code, message: expect.any(String) } });
  expect(Object.keys((json as { error: object }).error).every((key) => ['code', 'message', 'details'].includes(key))).toBe(true);
}

describe('bad input over the socket', () => {
  it('answers the good routes', async () => {
    const health = await send('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok', version: expect.any(String), uptime: expect.any(Number) });
    const version = await send('GET', '/version');
    expect(version.json).toEqual({ version: health.json.version, node: process.versions.node, api: 1 });
    expect(version.headers['content-type']).toContain('application/json');
  });

  it('malformed JSON → 400 INVALID_JSON', async () => {
    const result = await send('POST', '/daemon/shutdown', '{"oops": ');
    expect(result.status).toBe(400);
    expectEnvelope(result.json, 'INVALID_JSON');
    expect(result.json.error.message).toMatch(/not valid JSON/);
    await expectStillServing();
  });

  it('wrong type → 400 VALIDATION_FAILED naming what was wrong', async () => {
    for (const body of ['42', '"shutdown"', '[1,2]', 'null']) {
      const result = await send('POST', '/daemon/shutdown', body);
      expect(result.status).toBe(400);
      expectEnvelope(result.json, 'VALIDATION_FAILED');
      expect(result.json.error.message).toMatch(/expected object/);
      expect(result.json.error.details.issues[0]).toMatchObject({ path: '(body)' });
    }
    await expectStillServing();
  });

  it('unknown fields on strict inputs → 400 with the field named (and nothing happens)', async () => {
    const body = await send('POST', '/daemon/shutdown', JSON.stringify({ force: true }));
    expect(body.status).toBe(400);
    expectEnvelope(body.json, 'VALIDATION_FAILED');
    expect(body.json.error.message).toContain('force');
    const query = await send('GET', '/health?verbose=1');
    expect(query.status).toBe(400);
    expect(query.json.error.message).toContain('verbose');
    await expectStillServing();
  });

  it('oversized body → 413, with or without a content-length', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 'a');
    const declared = await send('POST', '/daemon/shutdown', big);
    expect(declared.status).toBe(413);
    expectEnvelope(declared.json, 'PAYLOAD_TOO_LARGE');

    async function* chunks() {
      for (let i = 0; i < 40; i++) yield Buffer.alloc(64 * 1024, 'b');
    }
    const response = await client.request({ method: 'POST', path: '/daemon/shutdown', body: Readable.from(chunks()) });
    expect(response.statusCode).toBe(413);
    expectEnvelope(await response.body.json(), 'PAYLOAD_TOO_LARGE');
    await expectStillServing();
  });

  it('unknown route → 404, wrong method → 405 with Allow', async () => {
    const missing = await send('GET', '/no/such/route');
    expect(missing.status).toBe(404);
    expectEnvelope(missing.json, 'ROUTE_NOT_FOUND');
    expect(missing.json.error.message).toBe('no route for GET /no/such/route');

    const wrong = await send('DELETE', '/health');
    expect(wrong.status).toBe(405);
    expectEnvelope(wrong.json, 'METHOD_NOT_ALLOWED');
    expect(wrong.headers.allow).toBe('GET');
    const post = await send('POST', '/health', '{}');
    expect(post.status).toBe(405);
    await expectStillServing();
  });

  it('garbage that is not HTTP gets a 400 and the connection is closed', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(harness.socket);
      let data = '';
      socket.on('data', (chunk) => (data += chunk));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write('HELLO THERE\r\n\r\n');
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    await expectStillServing();
  });

  it('many bad requests in parallel do not disturb it', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? send('POST', '/daemon/shutdown', '{') : send('GET', `/x${i}`))),
    );
    expect(results.every((r) => r.status === 400 || r.status === 404)).toBe(true);
    await expectStillServing();
  });
});
