import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { startWebDaemon, webRequest } from '../helpers/web';

/** Web login end to end over the real TCP listener: setup, the cookie, logout, tokens revoked mid-use, lockout. */
const PASSWORD = 'a long enough web password';

describe('web login over TCP', () => {
  let harness: Harness;
  let client: Client;
  let url: string;
  const { api } = daemonApi(() => client);

  beforeAll(async () => {
    harness = createHarness();
    client = new Client('http://localhost', { socketPath: harness.socket });
    url = await startWebDaemon(harness, () => client);
  });

  afterAll(async () => {
    await client?.close();
    await harness?.cleanup();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    webRequest(url, 'POST', `/api${path}`, { body: JSON.stringify(body), headers: { origin: url, ...headers } });
  const get = (path: string, headers: Record<string, string> = {}) => webRequest(url, 'GET', `/api${path}`, { headers });

  it('sets up with the bootstrap password, logs in with a cookie, and logs out', async () => {
    expect((await get('/auth/status')).json).toMatchObject({ setupDone: false, loggedIn: false });
    const bootstrap = (await harness.run(['auth', 'bootstrap', '--json'])).stdout;
    const setup = await post('/auth/setup', { password: PASSWORD, bootstrapPassword: JSON.parse(bootstrap).bootstrapPassword });
    expect(setup.status, setup.text).toBe(200);
    expect(String(setup.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Path=\//);

    const login = await post('/auth/login', { password: PASSWORD });
    expect(login.status, login.text).toBe(200);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    expect((await get('/auth/status', { cookie })).json).toMatchObject({ setupDone: true, loggedIn: true });
    expect((await get('/sessions', { cookie })).status).toBe(200);
    expect((await get('/auth/sessions', { cookie })).json.sessions.filter((session: { current: boolean }) => session.current)).toHaveLength(1);

    const logout = await post('/auth/logout', {}, { cookie });
    expect(logout.status, logout.text).toBe(200);
    expect(String(logout.headers['set-cookie'])).toMatch(/Max-Age=0/);
    const after = await get('/sessions', { cookie });
    expect(after.status).toBe(401);
    expect(after.json.error.message).toMatch(/ended/);
  });

  it('refuses a token from the request after its revocation, and says why', async () => {
    const token = JSON.parse((await harness.run(['token', 'create', '--name', 'remote', '--scope', 'admin', '--json'])).stdout).token as string;
    const bearer = { authorization: `Bearer ${token}` };
    expect((await get('/sessions', bearer)).status).toBe(200);
    expect((await get('/tokens', bearer)).json.tokens[0].lastUsedAt).not.toBeNull();
    // An admin token is not the person: it cannot change the password or mint a successor.
    expect((await post('/auth/password', { currentPassword: PASSWORD, newPassword: 'another long password' }, bearer)).status).toBe(403);
    expect((await post('/tokens', { name: 'successor', scope: 'admin' }, bearer)).status).toBe(403);
    expect((await post('/auth/cli/reset-password', { newPassword: 'another long password' }, bearer)).status).toBe(404);

    expect((await harness.run(['token', 'revoke', 'remote'])).code).toBe(0);
    const refused = await get('/sessions', bearer);
    expect(refused.status).toBe(401);
    expect(refused.json.error).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(refused.json.error.message).toMatch(/revoked/);
  });

  it('locks logins after 5 failures with 429 and Retry-After, and the socket can reset', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await post('/auth/login', { password: `wrong password ${i}` })).status);
    expect(codes).toEqual([401, 401, 401, 401, 429]);
    const locked = await post('/auth/login', { password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(locked.json.error.code).toBe('LOGIN_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect(locked.json.error.details.retryAfterSeconds).toBe(Number(locked.headers['retry-after']));

    const reset = await harness.run(['auth', 'reset-password', '--password-stdin'], { input: 'the password after reset\n' });
    expect(reset.code, reset.stderr).toBe(0);
    expect((await post('/auth/login', { password: 'the password after reset' })).status).toBe(200);
    const log = (await api('GET', '/auth/log?event=lockout')).json.entries;
    expect(log.length).toBeGreaterThanOrEqual(1);
    expect(log[0].ip).toMatch(/127\.0\.0\.1/);
  });
});
