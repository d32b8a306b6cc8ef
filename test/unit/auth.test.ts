import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { Secret, TOTP } from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCKOUT_MS, LOGIN_SESSION_MS, AuthService, type AuthCaller } from '../../src/core/auth/service';
import { sha256 } from '../../src/core/auth/secret-values';
import type { Grant } from '../../src/core/auth/types';
import { openDatabase } from '../../src/core/db/open';
import { isAppError } from '../../src/core/errors';
import { newSealKey, parseSealKey } from '../../src/core/seal';

const PASSWORD = 'correct horse battery';
const START = Date.parse('2026-03-01T10:00:00.000Z');

async function errorOf(run: () => unknown): Promise<{ code: string; message: string; details?: unknown }> {
  try {
    await run();
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('expected an error');
}

let dir: string;
let db: Database.Database;
let clock: number;
let auth: AuthService;
const key = parseSealKey(newSealKey())!;

const anonymous = (ip = '203.0.113.7'): AuthCaller => ({ ip, local: false });
const socket: AuthCaller = { local: true };
const as = (grant: Grant, ip = '203.0.113.7'): AuthCaller => ({ grant, ip, local: false });

function advance(ms: number): void {
  clock += ms;
}

/** Sets up and returns the grant of the first login. */
async function setUp(): Promise<{ grant: Grant; sessionId: string }> {
  const bootstrap = auth.ensureBootstrap()!;
  const login = await auth.setup({ password: PASSWORD, bootstrapPassword: bootstrap }, anonymous());
  return { grant: auth.authenticate({ cookie: login.sessionId })!, sessionId: login.sessionId };
}

async function login(caller: AuthCaller = anonymous(), totpCode?: string): Promise<{ sessionId: string; grant: Grant }> {
  const done = await auth.login({ password: PASSWORD, ...(totpCode !== undefined ? { totpCode } : {}) }, caller);
  return { sessionId: done.sessionId, grant: auth.authenticate({ cookie: done.sessionId })! };
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-auth-'));
  db = openDatabase(path.join(dir, 'codepiper.db'));
  clock = START;
  auth = new AuthService({ db, sealKey: () => key, now: () => new Date(clock) });
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('bootstrap and setup', () => {
  it('shows a bootstrap password once, keeps only its hash, and kills it at setup', async () => {
    const bootstrap = auth.ensureBootstrap();
    expect(bootstrap).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    expect(auth.ensureBootstrap()).toBeUndefined();
    const stored = db.prepare('SELECT bootstrap_hash FROM auth_account').get() as { bootstrap_hash: string };
    expect(stored.bootstrap_hash).not.toContain(bootstrap!);
    expect(auth.status(anonymous())).toEqual({ setupDone: false, mfaEnabled: false, loggedIn: false, bootstrapPending: true });

    expect((await errorOf(() => auth.setup({ password: PASSWORD, bootstrapPassword: 'wrong-wrong' }, anonymous()))).code).toBe('AUTH_FAILED');
    const login = await auth.setup({ password: PASSWORD, bootstrapPassword: bootstrap!.toUpperCase() }, anonymous());
    expect(auth.authenticate({ cookie: login.sessionId })?.scope).toBe('admin');
    const hash = (db.prepare('SELECT password_hash FROM auth_account').get() as { password_hash: string }).password_hash;
    expect(hash.startsWith('$argon2id$')).toBe(true);

    // Dead after setup: the same bootstrap password, a new one, or ensureBootstrap all refuse.
    expect((await errorOf(() => auth.setup({ password: 'another long password', bootstrapPassword: bootstrap! }, anonymous()))).code).toBe('AUTH_ALREADY_SET_UP');
    expect((await errorOf(() => auth.newBootstrap(socket))).code).toBe('AUTH_ALREADY_SET_UP');
    expect(auth.ensureBootstrap()).toBeUndefined();
  });

  it('replaces the pending bootstrap password when a new one is asked for', async () => {
    const first = auth.ensureBootstrap()!;
    const second = auth.newBootstrap(socket);
    expect(second).not.toBe(first);
    expect((await errorOf(() => auth.setup({ password: PASSWORD, bootstrapPassword: first }, anonymous()))).code).toBe('AUTH_FAILED');
    await auth.setup({ password: PASSWORD, bootstrapPassword: second }, anonymous());
    expect(auth.status(socket).setupDone).toBe(true);
  });

  it('refuses login before setup', async () => {
    expect((await errorOf(() => auth.login({ password: PASSWORD }, anonymous()))).code).toBe('AUTH_SETUP_REQUIRED');
  });
});

describe('login sessions', () => {
  it('stores only a hash of the id, slides the expiry with use (at most once a minute) and expires after 7 idle days', async () => {
    const { sessionId } = await setUp();
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const row = () => db.prepare('SELECT * FROM auth_sessions').get() as { id_hash: string; expires_at: string; last_seen_at: string };
    expect(row().id_hash).toBe(sha256(sessionId));
    expect(JSON.stringify(db.prepare('SELECT * FROM auth_sessions').all())).not.toContain(sessionId);

    advance(30_000);
    auth.authenticate({ cookie: sessionId });
    expect(Date.parse(row().expires_at)).toBe(START + LOGIN_SESSION_MS); // within the minute: not written
    advance(6 * 86_400_000);
    auth.authenticate({ cookie: sessionId });
    expect(Date.parse(row().expires_at)).toBe(clock + LOGIN_SESSION_MS);
    advance(LOGIN_SESSION_MS - 1000);
    expect(auth.authenticate({ cookie: sessionId })?.scope).toBe('admin');
    advance(LOGIN_SESSION_MS);
    expect((await errorOf(() => auth.authenticate({ cookie: sessionId }))).message).toMatch(/expired/);
  });

  it('tells unknown, revoked and absent credentials apart', async () => {
    const { grant } = await setUp();
    expect(auth.authenticate({})).toBeUndefined();
    expect((await errorOf(() => auth.authenticate({ cookie: 'not-a-session' }))).code).toBe('AUTH_REQUIRED');
    const { sessionId, grant: second } = await login();
    expect(auth.logout(as(second))).toBe(true);
    const revoked = await errorOf(() => auth.authenticate({ cookie: sessionId }));
    expect(revoked).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(revoked.message).toMatch(/ended/);
    expect(auth.sessions(as(grant)).map((session) => session.current)).toEqual([true]);
  });

  it('password change ends every other login session but not the caller\'s', async () => {
    const first = await setUp();
    const second = await login(anonymous('198.51.100.1'));
    const third = await login(anonymous('198.51.100.2'));
    const revoked = await auth.changePassword({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' }, as(second.grant));
    expect(revoked).toBe(2);
    expect(auth.authenticate({ cookie: second.sessionId })?.scope).toBe('admin');
    for (const dead of [first, third]) expect((await errorOf(() => auth.authenticate({ cookie: dead.sessionId }))).code).toBe('AUTH_REQUIRED');
    expect((await errorOf(() => auth.login({ password: PASSWORD }, anonymous()))).code).toBe('AUTH_FAILED');
    await auth.login({ password: 'a brand new passphrase' }, anonymous());
  });

  it('refuses a token the person-only routes whatever its scope', async () => {
    await setUp();
    const made = auth.createToken({ name: 'ci', scope: 'admin' }, socket);
    const tokenGrant = auth.authenticate({ bearer: made.token })!;
    for (const run of [
      () => auth.changePassword({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' }, as(tokenGrant)),
      () => auth.mfaSetup(as(tokenGrant)),
      () => auth.mfaVerify('123456', as(tokenGrant)),
      () => auth.createToken({ name: 'successor', scope: 'admin' }, as(tokenGrant)),
    ]) {
      const error = await errorOf(run);
      expect(error.code).toBe('SCOPE_INSUFFICIENT');
      expect(error.message).toMatch(/person/);
    }
  });

  it('reset over the socket sets a new password, ends every session and lifts lockouts', async () => {
    const { sessionId } = await setUp();
    for (let i = 0; i < 5; i++) await errorOf(() => auth.login({ password: 'wrong password!' }, anonymous()));
    expect((await errorOf(() => auth.login({ password: PASSWORD }, anonymous()))).code).toBe('LOGIN_LOCKED');
    expect(await auth.resetPassword('the reset passphrase', socket)).toBe(1);
    expect((await errorOf(() => auth.authenticate({ cookie: sessionId }))).code).toBe('AUTH_REQUIRED');
    await auth.login({ password: 'the reset passphrase' }, anonymous());
  });
});

describe('lockout', () => {
  it('locks the account after 5 failures for 15 minutes, refusing even the right password, then lets it in', async () => {
    await setUp();
    const errors = [];
    for (let i = 0; i < 5; i++) errors.push((await errorOf(() => auth.login({ password: `wrong guess ${i}!` }, anonymous(`192.0.2.${i}`)))).code);
    expect(errors).toEqual(['AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED', 'AUTH_FAILED', 'LOGIN_LOCKED']);
    // Another address, the right password: the account is locked.
    const locked = await errorOf(() => auth.login({ password: PASSWORD }, anonymous('192.0.2.200')));
    expect(locked.code).toBe('LOGIN_LOCKED');
    expect(locked.details).toEqual({ retryAfterSeconds: LOCKOUT_MS / 1000 });
    advance(LOCKOUT_MS - 60_000);
    expect(await errorOf(() => auth.login({ password: PASSWORD }, anonymous('192.0.2.200')))).toMatchObject({ code: 'LOGIN_LOCKED', details: { retryAfterSeconds: 60 } });
    advance(60_000);
    await login(anonymous('192.0.2.200'));
    const events = auth.log(100).map((entry) => `${entry.event}:${entry.outcome}`);
    expect(events.filter((event) => event === 'login:failed')).toHaveLength(5);
    expect(events).toContain('lockout:locked');
    expect(events).toContain('login:locked');
    expect(JSON.stringify(auth.log(100))).not.toContain(PASSWORD);
  });

  it('does not let an anonymous caller grow the audit log without bound: a refusal repeated from one address is logged once a minute', async () => {
    await setUp();
    for (let i = 0; i < 5; i++) await errorOf(() => auth.login({ password: `wrong guess ${i}!` }, anonymous()));
    for (let i = 0; i < 200; i++) {
      expect((await errorOf(() => auth.login({ password: PASSWORD }, anonymous()))).code).toBe('LOGIN_LOCKED');
      expect((await errorOf(() => auth.setup({ password: PASSWORD, bootstrapPassword: 'guess' }, anonymous()))).code).toBe('AUTH_ALREADY_SET_UP');
    }
    const count = (event: string, outcome: string) => auth.log(10_000).filter((entry) => entry.event === event && entry.outcome === outcome).length;
    expect(count('login', 'locked')).toBe(1);
    expect(count('setup', 'refused')).toBe(1);
    // Another address is its own line; a minute later the same address is logged again.
    await errorOf(() => auth.login({ password: PASSWORD }, anonymous('198.51.100.1')));
    expect(count('login', 'locked')).toBe(2);
    advance(60_000);
    await errorOf(() => auth.login({ password: PASSWORD }, anonymous()));
    expect(count('login', 'locked')).toBe(3);
  });

  it('locks one address after 5 failures from it while the account is not locked', async () => {
    await setUp();
    // 4 failures from one address, then a success from elsewhere resets the account's count only.
    for (let i = 0; i < 4; i++) await errorOf(() => auth.login({ password: 'wrong password!' }, anonymous('192.0.2.9')));
    await login(anonymous('198.51.100.50'));
    expect((await errorOf(() => auth.login({ password: 'wrong password!' }, anonymous('192.0.2.9')))).code).toBe('LOGIN_LOCKED');
    expect((await errorOf(() => auth.login({ password: PASSWORD }, anonymous('192.0.2.9')))).code).toBe('LOGIN_LOCKED');
    await login(anonymous('198.51.100.50'));
    advance(LOCKOUT_MS);
    await login(anonymous('192.0.2.9'));
  });

  it('counts a burst of guesses sent at once one by one: 5 are checked, the rest are refused unread', async () => {
    await setUp();
    const codes = await Promise.all(Array.from({ length: 12 }, (_, i) => errorOf(() => auth.login({ password: `burst guess ${i}!` }, anonymous()))));
    expect(codes.map((error) => error.code)).toEqual([...Array(4).fill('AUTH_FAILED'), ...Array(8).fill('LOGIN_LOCKED')]);
    expect(auth.log(100, 'login').filter((entry) => entry.outcome === 'failed')).toHaveLength(5);
  });

  it('forgets failures older than the window', async () => {
    await setUp();
    for (let i = 0; i < 4; i++) await errorOf(() => auth.login({ password: 'wrong password!' }, anonymous()));
    advance(16 * 60_000);
    expect((await errorOf(() => auth.login({ password: 'wrong password!' }, anonymous()))).code).toBe('AUTH_FAILED');
  });
});

describe('MFA', () => {
  async function enableMfa(grant: Grant): Promise<{ totp: TOTP; recoveryCodes: string[] }> {
    const { secret, uri } = auth.mfaSetup(as(grant));
    expect(uri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    const totp = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
    const recoveryCodes = auth.mfaVerify(totp.generate({ timestamp: clock }), as(grant));
    return { totp, recoveryCodes };
  }

  it('keeps the secret sealed and needs a code once on', async () => {
    const { grant } = await setUp();
    const { secret } = auth.mfaSetup(as(grant));
    expect(JSON.stringify(db.prepare('SELECT * FROM auth_account').get())).not.toContain(secret);
    expect((await errorOf(() => auth.mfaVerify('000000', as(grant)))).code).toBe('AUTH_FAILED');
    const totp = new TOTP({ secret: Secret.fromBase32(secret) });
    auth.mfaVerify(totp.generate({ timestamp: clock }), as(grant));
    expect(auth.status(socket).mfaEnabled).toBe(true);
    expect((await errorOf(() => auth.mfaSetup(as(grant)))).code).toBe('MFA_ALREADY_ENABLED');
    expect(await errorOf(() => auth.login({ password: PASSWORD }, anonymous()))).toMatchObject({ code: 'AUTH_FAILED', details: { mfaRequired: true } });
  });

  it('accepts the previous and next windows, refuses older ones and refuses a code used before', async () => {
    const { grant } = await setUp();
    const { totp } = await enableMfa(grant);
    advance(10 * 60_000);
    const code = (offsetSteps: number) => totp.generate({ timestamp: clock + offsetSteps * 30_000 });
    expect((await errorOf(() => login(anonymous(), code(-2)))).code).toBe('AUTH_FAILED');
    expect((await errorOf(() => login(anonymous(), code(2)))).code).toBe('AUTH_FAILED');
    await login(anonymous(), code(-1));
    const next = code(1);
    await login(anonymous(), next);
    // Replay of the same code, and of the current window's (older than the step just used), both refused.
    expect((await errorOf(() => login(anonymous(), next))).code).toBe('AUTH_FAILED');
    expect((await errorOf(() => login(anonymous(), code(0)))).code).toBe('AUTH_FAILED');
    advance(60_000);
    await login(anonymous(), code(0));
    // The wrong password with a right code fails as well.
    advance(30_000);
    expect((await errorOf(() => auth.login({ password: 'wrong password!', totpCode: code(0) }, anonymous()))).message).toBe('wrong password or code');
  });

  it('takes each of 10 recovery codes once, in place of a TOTP code', async () => {
    const { grant } = await setUp();
    const { recoveryCodes } = await enableMfa(grant);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    const stored = JSON.stringify(db.prepare('SELECT * FROM auth_recovery_codes').all());
    for (const code of recoveryCodes) expect(stored).not.toContain(code);
    const done = await auth.login({ password: PASSWORD, totpCode: recoveryCodes[3]! }, anonymous());
    expect(done.recoveryCodesLeft).toBe(9);
    expect((await errorOf(() => auth.login({ password: PASSWORD, totpCode: recoveryCodes[3]! }, anonymous()))).code).toBe('AUTH_FAILED');
    await auth.login({ password: PASSWORD, totpCode: recoveryCodes[4]!.toUpperCase() }, anonymous());
  });

  it('reset over the socket turns MFA off and forgets the recovery codes', async () => {
    const { grant } = await setUp();
    const { recoveryCodes } = await enableMfa(grant);
    expect(auth.resetMfa(socket)).toBe(true);
    expect(auth.status(socket).mfaEnabled).toBe(false);
    expect(db.prepare('SELECT count(*) AS n FROM auth_recovery_codes').get()).toEqual({ n: 0 });
    await login(anonymous());
    expect(recoveryCodes).toHaveLength(10);
    expect(auth.log(100, 'mfa-reset')).toHaveLength(1);
  });
});

describe('API tokens', () => {
  it('keeps a hash and a short prefix, and grants the token\'s scope', async () => {
    const made = auth.createToken({ name: 'ci', scope: 'read' }, socket);
    expect(made.token).toMatch(/^cpt_[A-Za-z0-9_-]{43}$/);
    expect(made.token.startsWith(made.prefix)).toBe(true);
    expect(made.prefix.length).toBeLessThan(16);
    expect(JSON.stringify(db.prepare('SELECT * FROM api_tokens').all())).not.toContain(made.token);
    expect(auth.authenticate({ bearer: made.token })).toEqual({ scope: 'read', principal: { kind: 'token', tokenId: made.id, name: 'ci' } });
    expect((await errorOf(() => auth.createToken({ name: 'ci', scope: 'admin' }, socket))).code).toBe('NAME_TAKEN');
    expect(auth.tokens.list().map((token) => token.name)).toEqual(['ci']);
  });

  it('records the last use at most once a minute', () => {
    const made = auth.createToken({ name: 'ci', scope: 'write' }, socket);
    auth.authenticate({ bearer: made.token });
    expect(auth.tokens.list()[0]!.lastUsedAt).toBe(new Date(START).toISOString());
    advance(20_000);
    auth.authenticate({ bearer: made.token });
    expect(auth.tokens.list()[0]!.lastUsedAt).toBe(new Date(START).toISOString());
    advance(60_000);
    auth.authenticate({ bearer: made.token });
    expect(auth.tokens.list()[0]!.lastUsedAt).toBe(new Date(clock).toISOString());
  });

  it('expires, and says so', async () => {
    const made = auth.createToken({ name: 'short', scope: 'read', expiresIn: '30m' }, socket);
    advance(29 * 60_000);
    expect(auth.authenticate({ bearer: made.token })?.scope).toBe('read');
    advance(60_000);
    expect((await errorOf(() => auth.authenticate({ bearer: made.token }))).message).toMatch(/expired/);
    expect(auth.tokens.list()[0]!.expired).toBe(true);
    expect((await errorOf(() => auth.createToken({ name: 'forever', scope: 'read', expiresIn: '999999w' }, socket))).message).toMatch(/ten years/);
  });

  it('is refused from the next request on once revoked, by id or name, and frees its name', async () => {
    const made = auth.createToken({ name: 'ci', scope: 'admin' }, socket);
    auth.revokeToken('ci', socket);
    const error = await errorOf(() => auth.authenticate({ bearer: made.token }));
    expect(error).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(error.message).toMatch(/revoked/);
    expect((await errorOf(() => auth.revokeToken(made.id, socket))).code).toBe('TOKEN_NOT_FOUND');
    const again = auth.createToken({ name: 'ci', scope: 'read' }, socket);
    auth.revokeToken(again.id, socket);
    expect(auth.tokens.list()).toEqual([]);
    expect((await errorOf(() => auth.authenticate({ bearer: 'cpt_unknown' }))).message).toMatch(/not known/);
    expect(auth.log(10, 'token-revoke')).toHaveLength(2);
  });

  it('prefers the bearer token when a request sends both', async () => {
    const { sessionId } = await setUp();
    const made = auth.createToken({ name: 'ci', scope: 'read' }, socket);
    expect(auth.authenticate({ cookie: sessionId, bearer: made.token })?.scope).toBe('read');
  });
});
