// The daemon over TCP (--web), end to end: a real daemon process listening on loopback, real tokens made over its
// socket, requests with node:http so that Host, Origin and every other header is the test's to choose.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '../../src/core/api';
import { inputInQuery } from '../../src/core/api/route';
import { createHarness, type Harness } from '../helpers/harness';
import { createToken, startWebDaemon, webRequest } from '../helpers/web';

/** A route's path with every parameter filled, and the access level it declares. */
function concrete(route: (typeof routes)[number]): string {
  return route.path.replace(/:[A-Za-z]+/g, 'no-such-thing');
}

describe('the TCP listener', () => {
  let harness: Harness;
  let client: Client;
  let url: string;
  const tokens: Record<'read' | 'write' | 'admin', string> = { read: '', write: '', admin: '' };

  beforeAll(async () => {
    harness = createHarness();
    // The sweep makes hundreds of requests at once: a rate limit that never bites here (its own test has another).
    fs.mkdirSync(harness.home, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(harness.home, 'config.json'), JSON.stringify({ web: { rateLimit: { burst: 100000, perSecond: 100000 } } }));
    client = new Client('http://localhost', { socketPath: harness.socket });
    url = await startWebDaemon(harness, () => client);
    for (const scope of ['read', 'write', 'admin'] as const) tokens[scope] = await createToken(() => client, `sweep-${scope}`, scope);
  });

  afterAll(async () => {
    await client?.close();
    await harness?.cleanup();
  });

  it('serves on loopback and says so in `web status`', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const status = await harness.run(['web', 'status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ enabled: true, url, tls: false, setupDone: false });
    const text = await harness.run(['web', 'status']);
    expect(text.stdout).toContain(`${url}/api`);
    expect(text.stdout).toMatch(/not set up/);
  });

  it('sweeps the whole route table: no credentials 401, a lower scope 403, local routes 404', async () => {
    const failures: string[] = [];
    const expectStatus = (route: string, who: string, got: { status: number; json: any }, want: number, code?: string) => {
      if (got.status !== want || (code && got.json?.error?.code !== code)) failures.push(`${route} as ${who}: ${got.status} ${got.json?.error?.code ?? ''}, wanted ${want} ${code ?? ''}`);
    };
    const ask = (route: (typeof routes)[number], token?: string) =>
      webRequest(url, route.method, `/api${concrete(route)}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(inputInQuery(route.method) ? {} : { body: '{}' }),
      });
    for (const route of routes) {
      const anonymous = await ask(route);
      if (route.access === 'public') {
        if (anonymous.status === 401 || anonymous.status === 403 || anonymous.json?.error?.code === 'ROUTE_NOT_FOUND') failures.push(`${route.name} (public) refused: ${anonymous.status}`);
        continue;
      }
      if (route.access === 'local') {
        expectStatus(route.name, 'nobody', anonymous, 404, 'ROUTE_NOT_FOUND');
        expectStatus(route.name, 'admin', await ask(route, tokens.admin), 404, 'ROUTE_NOT_FOUND');
        continue;
      }
      expectStatus(route.name, 'nobody', anonymous, 401, 'AUTH_REQUIRED');
      if (route.access === 'write' || route.access === 'admin') expectStatus(route.name, 'read', await ask(route, tokens.read), 403, 'SCOPE_INSUFFICIENT');
      if (route.access === 'admin') expectStatus(route.name, 'write', await ask(route, tokens.write), 403, 'SCOPE_INSUFFICIENT');
      if (route.access === 'read' && route.method === 'GET') {
        const read = await ask(route, tokens.read);
        if (read.status === 401 || read.status === 403) failures.push(`${route.name} refused a read token: ${read.status}`);
      }
    }
    expect(failures).toEqual([]);
    // The sweep covered the table as it is: every level has routes in it.
    expect(new Set(routes.map((route) => route.access))).toEqual(new Set(['public', 'read', 'write', 'admin', 'local']));
  });

  it('serves routes only under /api, and the event stream there behind a token', async () => {
    expect((await webRequest(url, 'GET', '/health')).status).toBe(404);
    expect((await webRequest(url, 'GET', '/api/health')).json).toMatchObject({ status: 'ok' });
    expect((await webRequest(url, 'GET', '/api/events?topic=sessions')).status).toBe(401);
    const unknown = await webRequest(url, 'GET', '/api/sessions', { headers: { authorization: 'Bearer cpt_not-a-real-token' } });
    expect(unknown).toMatchObject({ status: 401, json: { error: { code: 'AUTH_REQUIRED' } } });
    expect(unknown.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('refuses a Host it does not answer to (DNS rebinding), before anything else', async () => {
    const port = new URL(url).port;
    const rebound = await webRequest(url, 'GET', '/api/health', { headers: { host: `attacker.example:${port}` } });
    expect(rebound).toMatchObject({ status: 421, json: { error: { code: 'HOST_NOT_ALLOWED' } } });
    expect((await webRequest(url, 'GET', '/api/health', { headers: { host: `localhost:${port}` } })).status).toBe(200);
  });

  it('refuses a cross-origin state change and a cross-origin WebSocket upgrade (CSRF)', async () => {
    const port = new URL(url).port;
    const evil = { origin: 'https://attacker.example', authorization: `Bearer ${tokens.admin}` };
    const post = await webRequest(url, 'POST', '/api/auth/login', { headers: { origin: 'https://attacker.example' }, body: '{"password":"x"}' });
    expect(post).toMatchObject({ status: 403, json: { error: { code: 'ORIGIN_NOT_ALLOWED' } } });
    expect((await webRequest(url, 'POST', '/api/policies', { headers: evil, body: '{}' })).status).toBe(403);
    const upgrade = await webRequest(url, 'GET', '/api/ws', {
      headers: { ...evil, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    });
    expect(upgrade).toMatchObject({ status: 403, json: { error: { code: 'ORIGIN_NOT_ALLOWED' } } });
    // Its own origin may.
    const own = await webRequest(url, 'POST', '/api/auth/login', { headers: { origin: `http://127.0.0.1:${port}` }, body: '{"password":"x"}' });
    expect(own.json?.error?.code).not.toBe('ORIGIN_NOT_ALLOWED');
  });

  it('sends the security headers on every answer, and hides internal details', async () => {
    for (const answer of [await webRequest(url, 'GET', '/api/health'), await webRequest(url, 'GET', '/api/sessions'), await webRequest(url, 'GET', '/nowhere')]) {
      expect(answer.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      });
      expect(answer.headers['content-security-policy']).toMatch(/default-src 'none'/);
      expect(answer.headers['strict-transport-security']).toBeUndefined(); // plain HTTP on loopback
    }
  });

  it('limits bodies as the socket does', async () => {
    const big = await webRequest(url, 'POST', '/api/policies', { headers: { authorization: `Bearer ${tokens.admin}` }, body: Buffer.alloc(2 * 1024 * 1024, 0x20) });
    expect(big).toMatchObject({ status: 413, json: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
  });

  it('refuses plain HTTP beyond loopback, naming the risk and the fixes', async () => {
    // Checked before the home's lock: this second start fails on the setting, not on the running daemon.
    const refused = await harness.run(['daemon', 'start', '--web', '--host', '0.0.0.0']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/refusing to serve plain HTTP on 0\.0\.0\.0/);
    expect(refused.stderr).toMatch(/--tls-cert/);
    expect(refused.stderr).toMatch(/--insecure-http/);
    const stray = await harness.run(['daemon', 'start', '--port', '5000']);
    expect(stray.stderr).toMatch(/go with --web/);
  });
});

describe('the TCP listener with TLS and a rate limit', () => {
  let harness: Harness;
  let client: Client;
  let url: string;
  let ca: Buffer;

  beforeAll(async () => {
    harness = createHarness();
    const cert = path.join(harness.dir, 'cert.pem');
    const key = path.join(harness.dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    ca = fs.readFileSync(cert);
    fs.mkdirSync(harness.home, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(harness.home, 'config.json'), JSON.stringify({ web: { rateLimit: { burst: 5, perSecond: 0.5 } } }));
    client = new Client('http://localhost', { socketPath: harness.socket });
    url = await startWebDaemon(harness, () => client, ['--tls-cert', cert, '--tls-key', key]);
  });

  afterAll(async () => {
    await client?.close();
    await harness?.cleanup();
  });

  it('serves HTTPS with the given certificate and says so with HSTS', async () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await webRequest(url, 'GET', '/api/health', { ca });
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toMatch(/max-age=/);
    // Plain HTTP to the TLS port is not answered as HTTP.
    await expect(webRequest(url.replace('https:', 'http:'), 'GET', '/api/health', { timeoutMs: 3000 })).rejects.toThrow();
  });

  it('answers 429 with Retry-After once an address asks too often, and serves again later', async () => {
    let limited: Awaited<ReturnType<typeof webRequest>> | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const answer = await webRequest(url, 'GET', '/api/health', { ca });
      if (answer.status === 429) limited = answer;
    }
    expect(limited, 'a 429 within 10 requests of a burst of 5').toBeDefined();
    expect(limited!.json).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The socket is never rate-limited: it is the owner's.
    expect((await client.request({ method: 'GET', path: '/health' })).statusCode).toBe(200);
  });
});
