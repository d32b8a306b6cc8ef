import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routes } from '../../src/core/api';
import type { RouteDef } from '../../src/core/api/route';
import { AuthService } from '../../src/core/auth/service';
import type { Grant } from '../../src/core/auth/types';
import { openDatabase } from '../../src/core/db/open';
import { newSealKey, parseSealKey } from '../../src/core/seal';
import type { DaemonContext, HandlerContext } from '../../src/daemon/context';
import { handlers } from '../../src/daemon/handlers';
import { createRouter, type DispatchRequest, type Router } from '../../src/daemon/router';

/**
 * The auth routes in-process, through the real router and handlers over 'tcp', as the network listener dispatches
 * them: the cookie a login sets, what a token may and may not call, and what the socket alone may.
 */
const PASSWORD = 'correct horse battery';
let dir: string;
let db: Database.Database;
let auth: AuthService;
let router: Router;
const key = parseSealKey(newSealKey())!;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-auth-routes-'));
  db = openDatabase(path.join(dir, 'codepiper.db'));
  auth = new AuthService({ db, sealKey: () => key });
  const daemon = { core: { auth }, log: { info: () => {}, warn: () => {}, error: () => {} } } as unknown as DaemonContext;
  router = createRouter(routes as unknown as RouteDef[], handlers, (request: DispatchRequest, responseHeaders): HandlerContext => ({
    daemon,
    transport: request.transport,
    headers: request.headers ?? {},
    grant: request.grant,
    remoteAddress: request.remoteAddress,
    secure: request.secure ?? false,
    responseHeaders,
  }));
  await auth.setup({ password: PASSWORD, bootstrapPassword: auth.ensureBootstrap()! }, { local: true });
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function tcp(method: string, url: string, body?: unknown, options: { grant?: Grant | undefined; secure?: boolean } = {}) {
  return router.dispatch({
    method,
    url,
    transport: 'tcp',
    remoteAddress: '203.0.113.5',
    secure: options.secure ?? false,
    grant: options.grant,
    headers: { 'content-type': 'application/json', 'user-agent': 'test-agent/1' },
    ...(body === undefined ? {} : { body: Buffer.from(JSON.stringify(body)) }),
  });
}

function cookieValue(header: unknown): string {
  return /^codepiper_session=([^;]*)/.exec(String(header))![1]!;
}

describe('auth routes over tcp', () => {
  it('login sets an HttpOnly, SameSite=Strict cookie, Secure over TLS, and logout clears it', async () => {
    const plain = await tcp('POST', '/auth/login', { password: PASSWORD });
    expect(plain.status).toBe(200);
    expect(String(plain.headers!['set-cookie'])).not.toMatch(/Secure/);
    const login = await tcp('POST', '/auth/login', { password: PASSWORD }, { secure: true });
    const header = String(login.headers!['set-cookie']);
    expect(header).toMatch(/^codepiper_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+; Secure$/);
    const grant = auth.authenticate({ cookie: cookieValue(header) })!;

    expect((await tcp('GET', '/auth/status', undefined, { grant })).body).toMatchObject({ loggedIn: true, setupDone: true });
    expect((await tcp('GET', '/auth/status')).body).toMatchObject({ loggedIn: false });
    const sessions = (await tcp('GET', '/auth/sessions', undefined, { grant })).body as { sessions: Array<{ current: boolean; userAgent: string; ip: string }> };
    expect(sessions.sessions.filter((session) => session.current)).toHaveLength(1);
    expect(sessions.sessions[0]).toMatchObject({ userAgent: 'test-agent/1', ip: '203.0.113.5' });
    expect(JSON.stringify(sessions)).not.toContain(cookieValue(header));

    const logout = await tcp('POST', '/auth/logout', {}, { grant });
    expect(logout.body).toEqual({ loggedOut: true });
    expect(String(logout.headers!['set-cookie'])).toMatch(/^codepiper_session=; .*Max-Age=0/);
    expect(() => auth.authenticate({ cookie: cookieValue(header) })).toThrow(/ended/);
  });

  it('answers a lockout with 429 and the seconds left', async () => {
    for (let i = 0; i < 4; i++) expect((await tcp('POST', '/auth/login', { password: 'wrong password!' })).status).toBe(401);
    const locked = await tcp('POST', '/auth/login', { password: PASSWORD + 'x' });
    expect(locked.status).toBe(429);
    expect(locked.body).toMatchObject({ error: { code: 'LOGIN_LOCKED', details: { retryAfterSeconds: 900 } } });
    expect((await tcp('POST', '/auth/login', { password: PASSWORD })).status).toBe(429);
  });

  it('lets an admin token list and revoke, but not act as the person', async () => {
    const made = auth.createToken({ name: 'ops', scope: 'admin' }, { local: true });
    const grant = auth.authenticate({ bearer: made.token })!;
    for (const [method, url] of [['GET', '/tokens'], ['GET', '/auth/sessions'], ['GET', '/auth/log']] as const) {
      expect((await tcp(method, url, undefined, { grant })).status, url).toBe(200);
    }
    expect((await tcp('POST', '/auth/sessions/revoke-all', {}, { grant })).status).toBe(200);
    for (const [url, body] of [
      ['/auth/password', { currentPassword: PASSWORD, newPassword: 'another long password' }],
      ['/auth/mfa/setup', {}],
      ['/auth/mfa/verify', { code: '123456' }],
      ['/tokens', { name: 'successor', scope: 'admin' }],
    ] as const) {
      const refused = await tcp('POST', url, body, { grant });
      expect(refused.status, url).toBe(403);
      expect(refused.body).toMatchObject({ error: { code: 'SCOPE_INSUFFICIENT' } });
    }
    const readToken = auth.authenticate({ bearer: auth.createToken({ name: 'look', scope: 'read' }, { local: true }).token })!;
    expect((await tcp('GET', '/tokens', undefined, { grant: readToken })).status).toBe(403);
    expect((await tcp('POST', '/auth/logout', {}, { grant: readToken })).body).toEqual({ loggedOut: false });
    // A token revokes itself: the next request with it is refused.
    expect((await tcp('DELETE', '/tokens/ops', undefined, { grant })).status).toBe(200);
    expect(() => auth.authenticate({ bearer: made.token })).toThrow(/revoked/);
  });

  it('keeps the resets and the bootstrap password off the network', async () => {
    const grant = auth.authenticate({ cookie: (await auth.login({ password: PASSWORD }, { local: false })).sessionId })!;
    for (const url of ['/auth/bootstrap', '/auth/cli/reset-password', '/auth/cli/reset-mfa']) {
      expect((await tcp('POST', url, { newPassword: 'another long password' }, { grant })).status, url).toBe(404);
    }
  });

  it('password change over tcp keeps the caller logged in and ends the others', async () => {
    const mine = await tcp('POST', '/auth/login', { password: PASSWORD });
    const grant = auth.authenticate({ cookie: cookieValue(mine.headers!['set-cookie']) })!;
    const changed = await tcp('POST', '/auth/password', { currentPassword: PASSWORD, newPassword: 'another long password' }, { grant });
    // The setup's login and nobody else's: the caller's survives.
    expect(changed.body).toEqual({ changed: true, sessionsRevoked: 1 });
    expect(auth.authenticate({ cookie: cookieValue(mine.headers!['set-cookie']) })?.scope).toBe('admin');
    const revokeAll = await tcp('POST', '/auth/sessions/revoke-all', {}, { grant });
    expect(revokeAll.body).toEqual({ revoked: 1 });
    expect(String(revokeAll.headers!['set-cookie'])).toMatch(/Max-Age=0/);
  });
});
