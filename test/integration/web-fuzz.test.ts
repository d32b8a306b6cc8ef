// Malformed input over TCP: thousands of broken HTTP requests (raw bytes on the wire, bad request lines and headers,
// bad JSON to every route) and broken WebSocket frames, from a seeded generator so a failure can be replayed. The
// daemon must answer each with a 4xx or close the connection: never a 5xx, never a crash, and it still serves after.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../src/core/api';
import { inputInQuery } from '../../src/core/api/route';
import { createHarness, type Harness } from '../helpers/harness';
import { createToken, startWebDaemon, webRequest } from '../helpers/web';

/** mulberry32: a small seeded generator, so that a failing case is the same on every run. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}

const SEED = 20261205;
const HTTP_CASES = 8000;
const WS_FRAMES = 4000;

/** Sends raw bytes on a new connection and reads whatever comes back until the server closes or goes quiet. */
function raw(port: number, bytes: Buffer, quietMs = 150): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const quiet = () => {
      clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      quiet();
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => {
      socket.write(bytes);
      quiet();
    });
  });
}

/** Every HTTP status line in what a connection received. */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1]));
}

/** A JSON text broken or twisted in one of the ways clients get wrong. */
function badJson(rng: ReturnType<typeof seeded>): string {
  const values = ['null', 'true', '1e999', '-0', '"x"', '[]', '{}', '"\\ud800"', '"\u0000"', '9007199254740993', '"' + 'a'.repeat(5000) + '"'];
  const keys = ['id', 'name', 'text', 'keys', 'provider', 'args', 'cwd', 'path', '__proto__', 'constructor', 'limit', 'since', 'scope'];
  switch (rng.int(8)) {
    case 0:
      return '{'.repeat(rng.int(300) + 1);
    case 1:
      return `{"${rng.pick(keys)}": ${rng.pick(values)}`; // unterminated
    case 2:
      return `{"${rng.pick(keys)}": ${rng.pick(values)}, "${rng.pick(keys)}": ${rng.pick(values)}}`;
    case 3:
      return rng.bytes(rng.int(200) + 1).toString('latin1');
    case 4:
      return `[${rng.pick(values)}]`;
    case 5:
      return `{"__proto__": {"polluted": true}, "${rng.pick(keys)}": ${rng.pick(values)}}`;
    case 6:
      return rng.pick(values);
    default:
      return `{"${rng.pick(keys)}": {"${rng.pick(keys)}": [${rng.pick(values)}, ${rng.pick(values)}]}}`;
  }
}

describe('malformed input over TCP', () => {
  let harness: Harness;
  let client: Client;
  let url: string;
  let port: number;
  let token: string;
  const fiveHundreds: string[] = [];

  beforeAll(async () => {
    harness = createHarness();
    fs.mkdirSync(harness.home, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(harness.home, 'config.json'), JSON.stringify({ web: { rateLimit: { burst: 1_000_000, perSecond: 1_000_000 } } }));
    client = new Client('http://localhost', { socketPath: harness.socket });
    url = await startWebDaemon(harness, () => client);
    port = Number(new URL(url).port);
    token = await createToken(() => client, 'fuzz', 'write');
  });

  afterAll(async () => {
    await client?.close();
    await harness?.cleanup();
  });

  it(`answers ${HTTP_CASES} malformed requests with 4xx or a closed connection, never a 5xx`, { timeout: 240_000 }, async () => {
    const rng = seeded(SEED);
    const targets = routes.filter((route) => route.access !== 'local').map((route) => ({ route, path: `/api${route.path.replace(/:[A-Za-z]+/g, () => rng.pick(['no-such', '%', '..%2F..', '%00', 'x'.repeat(300)]))}` }));
    const lines = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'BREW', 'G\u0000T', ''];
    let rawCases = 0;
    let routeCases = 0;
    const pending: Array<Promise<void>> = [];
    const record = (what: string, got: number[]) => {
      for (const status of got) if (status >= 500) fiveHundreds.push(`${status} for ${what.slice(0, 200)}`);
    };
    for (let i = 0; i < HTTP_CASES; i++) {
      const kind = rng.int(4);
      let task: Promise<void>;
      if (kind === 0) {
        // Bytes on the wire that are barely HTTP, or not at all.
        const forms = [
          () => rng.bytes(rng.int(400) + 1),
          () => Buffer.from(`${rng.pick(lines)} ${rng.pick(['/api/sessions', '*', 'http://x/', '/api/' + '../'.repeat(rng.int(20)), '/\u00ff'])} HTTP/${rng.pick(['1.1', '1.0', '2.0', '9'])}\r\nHost: 127.0.0.1\r\n\r\n`, 'latin1'),
          () => Buffer.from(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X-Big: ' + 'a'.repeat(20_000)}\r\n\r\n`),
          () => Buffer.from(`POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${rng.pick(['-1', 'abc', '99999999999999999999', '5, 6'])}\r\n\r\nhello`),
          () => Buffer.from(`POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n${rng.pick(['zz', 'fffffffffff', '5\r\nab'])}\r\n\r\n`),
          () => Buffer.from(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n`),
        ];
        const bytes = rng.pick(forms)();
        task = raw(port, bytes).then((text) => record(`raw ${JSON.stringify(bytes.subarray(0, 80).toString('latin1'))}`, statuses(text)));
        rawCases++;
      } else {
        // Real routes with broken input: bad JSON, wrong types, odd queries, odd headers.
        const { route, path: routePath } = rng.pick(targets);
        const query = inputInQuery(route.method) ? `?${rng.pick(['limit=-1', 'limit=abc', 'since=1e400', 'a=%zz', 'q=' + '%00'.repeat(50), 'path=../../etc/passwd', ''])}` : '';
        const headers: Record<string, string> = { authorization: `Bearer ${rng.int(10) === 0 ? 'cpt_' + rng.bytes(8).toString('hex') : token}` };
        if (rng.int(6) === 0) headers['content-type'] = rng.pick(['multipart/form-data; boundary=x', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data']);
        const body = inputInQuery(route.method) ? undefined : badJson(rng);
        task = webRequest(url, route.method, routePath + query, { headers, ...(body === undefined ? {} : { body }) }).then(
          (answer) => record(`${route.method} ${routePath}${query} ${body?.slice(0, 100) ?? ''}`, [answer.status]),
          () => undefined, // a connection the daemon closed on a request it would not read: fine
        );
        routeCases++;
      }
      pending.push(task);
      if (pending.length >= 32) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    expect(fiveHundreds).toEqual([]);
    expect(rawCases + routeCases).toBe(HTTP_CASES);
    expect((await webRequest(url, 'GET', '/api/health')).status).toBe(200);
  });

  it(`answers ${WS_FRAMES} malformed WebSocket frames without a crash, and still streams`, { timeout: 120_000 }, async () => {
    const rng = seeded(SEED + 1);
    let sent = 0;
    let errors = 0;
    const closeCodes: number[] = [];
    while (sent < WS_FRAMES) {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/api/ws`, { headers: { authorization: `Bearer ${token}` } });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.on('message', (data) => {
        if (String(data).includes('"error"')) errors++;
      });
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      let open = true;
      ws.once('close', (code) => {
        open = false;
        closeCodes.push(code);
      });
      for (let i = 0; i < 500 && open && sent < WS_FRAMES; i++) {
        const kind = rng.int(6);
        if (kind === 0) ws.send(rng.bytes(rng.int(300) + 1), { binary: true });
        else if (kind === 1) ws.send(badJson(rng));
        else if (kind === 2) ws.send(JSON.stringify({ type: rng.pick(['hello', 'nope', '', 'subscribe', 'send', 'keys', 'paste', 'unsubscribe']), topics: rng.pick([[], ['nope'], 'x', [1], ['session:no-such:output']]), session: rng.pick(['no-such', '', 1]), text: rng.pick([1, null, 'x']), keys: rng.pick([['C-c'], 'x', [{}]]) }));
        else if (kind === 3) ws.send(JSON.stringify({ type: 'subscribe', topics: ['sessions'], since: rng.pick([-1, 'x', 1e308, null]) }));
        else if (kind === 4) ws.send(rng.int(50) === 0 ? 'x'.repeat(2 * 1024 * 1024) : '');
        else ws.ping(rng.bytes(rng.int(100)));
        sent++;
        if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
      }
      if (open) ws.close();
      await closed;
    }
    expect(sent).toBeGreaterThanOrEqual(WS_FRAMES);
    expect(errors).toBeGreaterThan(0); // it answered the broken frames, not just dropped them
    expect(closeCodes, 'frames over the size limit close the connection as too big').toContain(1009);
    // Still serving: a route, and a fresh WebSocket that says hello.
    expect((await webRequest(url, 'GET', '/api/health')).status).toBe(200);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/ws`, { headers: { authorization: `Bearer ${token}` } });
    const hello = await new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
    });
    expect(JSON.parse(hello)).toMatchObject({ type: 'hello' });
    ws.close();
    expect(fiveHundreds).toEqual([]);
  });
});
