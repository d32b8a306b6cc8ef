import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/core/errors';
import {
  bearerToken,
  checkHost,
  checkOrigin,
  cookieValue,
  hostName,
  isLoopback,
  normalizeOrigin,
  presentOverTcp,
  RateLimiter,
  rateLimitKey,
} from '../../src/daemon/web/guards';
import { resolveWebOptions } from '../../src/daemon/web/options';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return isAppError(error) ? error.code : `not an AppError: ${String(error)}`;
  }
}

describe('the Host check (DNS rebinding)', () => {
  const rules = { boundHost: '127.0.0.1', allowedHosts: ['codepiper.example.org'] };
  it('answers IP addresses, localhost, the bound name and configured names', () => {
    for (const host of ['127.0.0.1:4321', 'localhost:4321', '[::1]:4321', '10.1.2.3', 'codepiper.example.org', 'CODEPIPER.example.org:443']) {
      expect(codeOf(() => checkHost(host, rules)), host).toBeUndefined();
    }
  });
  it('refuses any other name, a missing Host and garbage', () => {
    expect(codeOf(() => checkHost('evil.example.com:4321', rules))).toBe('HOST_NOT_ALLOWED');
    expect(codeOf(() => checkHost('localhost.evil.example.com', rules))).toBe('HOST_NOT_ALLOWED');
    expect(codeOf(() => checkHost(undefined, rules))).toBe('HOST_NOT_ALLOWED');
    expect(codeOf(() => checkHost('a b', rules))).toBe('HOST_NOT_ALLOWED');
    expect(codeOf(() => checkHost('[zz]:1', rules))).toBe('HOST_NOT_ALLOWED');
  });
  it('reads host names out of Host headers', () => {
    expect(hostName('[::1]:80')).toBe('::1');
    expect(hostName('Example.COM:8080')).toBe('example.com');
    expect(hostName('user@host')).toBeUndefined();
  });
  it('knows loopback', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', '192.168.1.1', 'example.com'].some(isLoopback)).toBe(false);
  });
});

describe('the Origin check (CSRF)', () => {
  const rules = { ownOrigin: 'http://127.0.0.1:4321', allowedOrigins: ['https://dash.example.org'] };
  const request = (over: Partial<Parameters<typeof checkOrigin>[0]>) => ({ method: 'POST', hasCookie: true, hasBearer: false, upgrade: false, ...over });
  it('lets reads through whatever their origin', () => {
    expect(codeOf(() => checkOrigin(request({ method: 'GET', origin: 'https://evil.example' }), rules))).toBeUndefined();
  });
  it('takes state changes from its own origin and allowed ones', () => {
    expect(codeOf(() => checkOrigin(request({ origin: 'http://127.0.0.1:4321' }), rules))).toBeUndefined();
    expect(codeOf(() => checkOrigin(request({ origin: 'https://dash.example.org:443' }), rules))).toBeUndefined();
  });
  it('refuses another origin, the null origin, a cross-site fetch, and a cookie without an Origin', () => {
    expect(codeOf(() => checkOrigin(request({ origin: 'https://evil.example' }), rules))).toBe('ORIGIN_NOT_ALLOWED');
    expect(codeOf(() => checkOrigin(request({ origin: 'http://127.0.0.1:4322' }), rules))).toBe('ORIGIN_NOT_ALLOWED');
    expect(codeOf(() => checkOrigin(request({ origin: 'null' }), rules))).toBe('ORIGIN_NOT_ALLOWED');
    expect(codeOf(() => checkOrigin(request({ secFetchSite: 'cross-site' }), rules))).toBe('ORIGIN_NOT_ALLOWED');
    expect(codeOf(() => checkOrigin(request({}), rules))).toBe('ORIGIN_NOT_ALLOWED');
    expect(codeOf(() => checkOrigin(request({ method: 'GET', upgrade: true, origin: 'https://evil.example' }), rules))).toBe('ORIGIN_NOT_ALLOWED');
  });
  it('takes a tool with a bearer token and no Origin', () => {
    expect(codeOf(() => checkOrigin(request({ hasCookie: false, hasBearer: true }), rules))).toBeUndefined();
    expect(codeOf(() => checkOrigin(request({ hasCookie: false, hasBearer: false }), rules))).toBeUndefined();
  });
  it('normalizes origins', () => {
    expect(normalizeOrigin('HTTPS://Example.org:443')).toBe('https://example.org');
    expect(normalizeOrigin('file:///x')).toBeUndefined();
    expect(normalizeOrigin('not a url')).toBeUndefined();
  });
});

describe('the rate limiter', () => {
  it('allows a burst, then refuses with the seconds to wait, then refills', () => {
    let now = 0;
    const limiter = new RateLimiter(3, 1, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBe(0); // per address
    now += 1000;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
  });
  it('counts an IPv6 client by its /64, so stepping through its own addresses gains nothing', () => {
    expect(rateLimitKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:DB8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateLimitKey('2001:db8:1:3::1')).not.toBe(rateLimitKey('2001:db8:1:2::1'));
    expect(rateLimitKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(rateLimitKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(rateLimitKey('192.0.2.7')).toBe('192.0.2.7');
    const limiter = new RateLimiter(3, 1, () => 0);
    const waits = Array.from({ length: 6 }, (_, i) => limiter.take(rateLimitKey(`2001:db8:1:2::${(i + 1).toString(16)}`)));
    expect(waits.filter((wait) => wait > 0)).toHaveLength(3);
  });
  it('tracks a bounded number of addresses', () => {
    const limiter = new RateLimiter(1, 1, () => 0);
    for (let i = 0; i < RateLimiter.MAX_TRACKED + 500; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.tracked).toBe(RateLimiter.MAX_TRACKED);
  });
});

describe('what the network sees of an answer', () => {
  it('hides an internal error behind its code, and names the scheme of a 401', () => {
    const shown = presentOverTcp({ status: 500, body: { error: { code: 'INTERNAL', message: 'internal error: ENOENT /home/me/.codepiper/x.db at Object.<anonymous> (/src/a.ts:1)' } } });
    expect(JSON.stringify(shown.body)).not.toMatch(/\/home\/me|a\.ts|ENOENT|anonymous/);
    expect(shown.body).toMatchObject({ error: { code: 'INTERNAL' } });
    expect(presentOverTcp({ status: 507, body: { error: { code: 'STORAGE_FULL', message: '/x full' } } }).body).toMatchObject({ error: { code: 'STORAGE_FULL' } });
    expect(presentOverTcp({ status: 401, body: {} }).headers).toMatchObject({ 'www-authenticate': 'Bearer realm="codepiper"' });
    expect(presentOverTcp({ status: 404, body: { error: { code: 'SESSION_NOT_FOUND', message: 'no session x' } } }).body).toMatchObject({ error: { message: 'no session x' } });
  });
  it('reads cookies and bearer tokens', () => {
    expect(cookieValue('a=1; codepiper_session=abc; b=2', 'codepiper_session')).toBe('abc');
    expect(cookieValue('codepiper_sessionx=1', 'codepiper_session')).toBeUndefined();
    expect(bearerToken('Bearer cpt_abc')).toBe('cpt_abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });
});

describe('the listener settings', () => {
  it('is off unless asked for, on loopback port 4321 by default', () => {
    expect(resolveWebOptions(undefined, {})).toBeUndefined();
    expect(resolveWebOptions({ enabled: true }, {})).toMatchObject({ host: '127.0.0.1', port: 4321, tls: undefined });
    expect(resolveWebOptions({ enabled: false, port: 5000 }, { web: true, port: 6000 })).toMatchObject({ port: 6000 });
  });
  it('refuses plain HTTP beyond loopback unless told to, naming the risk and the fixes', () => {
    let message = '';
    try {
      resolveWebOptions(undefined, { web: true, host: '0.0.0.0' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/plain HTTP on 0\.0\.0\.0/);
    expect(message).toMatch(/--tls-cert/);
    expect(message).toMatch(/trustProxy/);
    expect(message).toMatch(/--insecure-http/);
    expect(resolveWebOptions(undefined, { web: true, host: '0.0.0.0', insecureHttp: true })).toMatchObject({ host: '0.0.0.0', insecureHttp: true });
  });
  it('needs both TLS files, readable, in PEM', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-web-'));
    try {
      const cert = path.join(dir, 'cert.pem');
      fs.writeFileSync(cert, '-----BEGIN CERTIFICATE-----\n');
      const junk = path.join(dir, 'key.txt');
      fs.writeFileSync(junk, 'hello');
      expect(codeOf(() => resolveWebOptions(undefined, { web: true, tlsCert: cert }))).toBe('WEB_INSECURE');
      expect(codeOf(() => resolveWebOptions(undefined, { web: true, tlsCert: cert, tlsKey: path.join(dir, 'missing') }))).toBe('WEB_INSECURE');
      expect(codeOf(() => resolveWebOptions(undefined, { web: true, tlsCert: cert, tlsKey: junk }))).toBe('WEB_INSECURE');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
