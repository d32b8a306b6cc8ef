import crypto from 'node:crypto';
import os from 'node:os';
import type Database from 'better-sqlite3';
import { Secret, TOTP } from 'otpauth';
import type { AuthLogEntry, LoginSession } from '../api/auth';
import type { ApiToken } from '../api/tokens';
import { AppError } from '../errors';
import { seal, unseal, type SealKey } from '../seal';
import { AuthAudit, type AuditFields } from './audit';
import { hashPassword, verifyPassword } from './passwords';
import { normaliseReadable, random256, readable, sha256 } from './secret-values';
import { TokenService } from './tokens';
import type { Authenticator, Credentials, Grant, Scope } from './types';

/** A login session lives this long after its last use. */
export const LOGIN_SESSION_MS = 7 * 86_400_000;
/** A login session's last use (and so its expiry) is written at most this often: most requests only read. */
export const SLIDE_EVERY_MS = 60_000;
/** This many failed logins within LOCKOUT_WINDOW_MS lock the account (or the address) for LOCKOUT_MS. */
export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_WINDOW_MS = 15 * 60_000;
export const LOCKOUT_MS = 15 * 60_000;
export const RECOVERY_CODES = 10;
/** Revoked and expired login sessions are forgotten this long after they ended. */
const FORGET_ENDED_MS = 30 * 86_400_000;
const TOTP_CONTEXT = 'auth:totp';
/**
 * A refusal anyone may provoke without credentials (a login while locked out, a setup once set up) is logged once per
 * caller address and kind within this time: the first says what happened, the next thousand would only fill the disk.
 */
export const REPEATED_REFUSAL_QUIET_MS = 60_000;

/** Who is calling, as auth needs to know it: the grant over TCP, the address for lockouts and the log. */
export interface AuthCaller {
  grant?: Grant | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
  /** Over the Unix socket: the owner at this machine. */
  local: boolean;
}

export interface AuthServiceOptions {
  db: Database.Database;
  /** The key the TOTP secret is sealed with; throws (naming why) when there is none. */
  sealKey: () => SealKey;
  now?: () => Date;
}

interface AccountRow {
  password_hash: string | null;
  bootstrap_hash: string | null;
  setup_at: string | null;
  mfa_secret_sealed: string | null;
  mfa_pending_sealed: string | null;
  mfa_enabled_at: string | null;
  mfa_last_step: number | null;
}

interface SessionRow {
  id_hash: string;
  handle: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  revoked_at: string | null;
}

/** A new login session: its id goes into the cookie, and nowhere else. */
export interface NewLogin {
  sessionId: string;
  handle: string;
  expiresAt: string;
}

/**
 * Web login for the one person who owns the daemon, and the API tokens of their tools: setup with a bootstrap
 * password, login with a password (argon2id) and TOTP, login sessions, lockouts, and the auth audit log. Every
 * secret it hands out is random and kept hashed; the TOTP secret, which must be read back, is sealed. Time comes from
 * `now`, so tests move it.
 */
export class AuthService implements Authenticator {
  readonly tokens: TokenService;
  readonly audit: AuthAudit;
  private readonly now: () => Date;
  private readonly sealKey: () => SealKey;
  private readonly db: Database.Database;
  private readonly sql;
  /** The end of the queue of password checks (see serial). */
  private checks: Promise<unknown> = Promise.resolve();
  /** When each repeated refusal (event, outcome, address) was last logged: see REPEATED_REFUSAL_QUIET_MS. */
  private readonly refusalsLogged = new Map<string, number>();

  constructor(options: AuthServiceOptions) {
    const { db } = options;
    this.db = db;
    this.now = options.now ?? (() => new Date());
    this.sealKey = options.sealKey;
    this.audit = new AuthAudit(db, this.now);
    this.tokens = new TokenService(db, this.now, this.audit);
    this.sql = {
      account: db.prepare<[], AccountRow>('SELECT * FROM auth_account WHERE id = 1'),
      setBootstrap: db.prepare('UPDATE auth_account SET bootstrap_hash = ?, bootstrap_at = ? WHERE id = 1 AND password_hash IS NULL'),
      setup: db.prepare(
        'UPDATE auth_account SET password_hash = @hash, bootstrap_hash = NULL, bootstrap_at = NULL, setup_at = @at, password_at = @at WHERE id = 1 AND password_hash IS NULL AND bootstrap_hash = @bootstrap',
      ),
      setPassword: db.prepare('UPDATE auth_account SET password_hash = @hash, bootstrap_hash = NULL, bootstrap_at = NULL, setup_at = COALESCE(setup_at, @at), password_at = @at WHERE id = 1'),
      setPending: db.prepare('UPDATE auth_account SET mfa_pending_sealed = ? WHERE id = 1'),
      enableMfa: db.prepare('UPDATE auth_account SET mfa_secret_sealed = mfa_pending_sealed, mfa_pending_sealed = NULL, mfa_enabled_at = ?, mfa_last_step = ? WHERE id = 1'),
      useStep: db.prepare('UPDATE auth_account SET mfa_last_step = ? WHERE id = 1 AND (mfa_last_step IS NULL OR mfa_last_step < ?)'),
      resetMfa: db.prepare('UPDATE auth_account SET mfa_secret_sealed = NULL, mfa_pending_sealed = NULL, mfa_enabled_at = NULL, mfa_last_step = NULL WHERE id = 1'),
      clearRecovery: db.prepare('DELETE FROM auth_recovery_codes'),
      addRecovery: db.prepare('INSERT INTO auth_recovery_codes (code_hash, created_at) VALUES (?, ?)'),
      useRecovery: db.prepare('UPDATE auth_recovery_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL'),
      recoveryLeft: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM auth_recovery_codes WHERE used_at IS NULL'),
      insertSession: db.prepare(
        'INSERT INTO auth_sessions (id_hash, handle, created_at, last_seen_at, expires_at, ip, user_agent) VALUES (@idHash, @handle, @at, @at, @expiresAt, @ip, @userAgent)',
      ),
      sessionByHash: db.prepare<[string], SessionRow>('SELECT * FROM auth_sessions WHERE id_hash = ?'),
      liveSessions: db.prepare<[string], SessionRow>('SELECT * FROM auth_sessions WHERE revoked_at IS NULL AND expires_at > ? ORDER BY last_seen_at DESC'),
      slide: db.prepare('UPDATE auth_sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?'),
      revokeHandle: db.prepare('UPDATE auth_sessions SET revoked_at = ? WHERE handle = ? AND revoked_at IS NULL'),
      revokeAllBut: db.prepare('UPDATE auth_sessions SET revoked_at = ? WHERE revoked_at IS NULL AND expires_at > ? AND handle IS NOT ?'),
      forgetEnded: db.prepare('DELETE FROM auth_sessions WHERE coalesce(revoked_at, expires_at) < ?'),
      addFailure: db.prepare('INSERT INTO auth_failures (key, at) VALUES (?, ?)'),
      failures: db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM auth_failures WHERE key = ? AND at > ?'),
      clearFailures: db.prepare('DELETE FROM auth_failures WHERE key = ?'),
      forgetFailures: db.prepare('DELETE FROM auth_failures WHERE at <= ?'),
      lockout: db.prepare<[string], { until: string }>('SELECT until FROM auth_lockouts WHERE key = ?'),
      lock: db.prepare('INSERT INTO auth_lockouts (key, until) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET until = excluded.until'),
      clearLockouts: db.prepare('DELETE FROM auth_lockouts'),
      clearAllFailures: db.prepare('DELETE FROM auth_failures'),
    };
  }

  // --- status and bootstrap -------------------------------------------------------------------------------------

  status(caller: AuthCaller): { setupDone: boolean; mfaEnabled: boolean; loggedIn: boolean; bootstrapPending: boolean } {
    const account = this.account();
    return {
      setupDone: account.password_hash !== null,
      mfaEnabled: account.mfa_secret_sealed !== null,
      loggedIn: caller.grant?.principal.kind === 'login',
      bootstrapPending: account.password_hash === null && account.bootstrap_hash !== null,
    };
  }

  /**
   * The bootstrap password, in plain text, when this call made it: setup is not done and none is pending. Undefined
   * otherwise: a pending one is never shown again (only its hash is kept); `newBootstrap` replaces it.
   */
  ensureBootstrap(): string | undefined {
    const account = this.account();
    if (account.password_hash !== null || account.bootstrap_hash !== null) return undefined;
    return this.makeBootstrap({ principal: 'daemon start' });
  }

  /** A new bootstrap password, replacing any pending one; refused once setup is done. */
  newBootstrap(caller: AuthCaller): string {
    if (this.account().password_hash !== null) {
      this.audit.record('bootstrap', 'refused', { ...this.who(caller), detail: 'setup is done' });
      throw alreadySetUp();
    }
    return this.makeBootstrap(this.who(caller));
  }

  private makeBootstrap(who: AuditFields): string {
    const password = readable(4, 5);
    this.sql.setBootstrap.run(sha256(normaliseReadable(password)), this.now().toISOString());
    this.audit.record('bootstrap', 'ok', { ...who, detail: 'a new bootstrap password' });
    return password;
  }

  // --- setup, login, logout -------------------------------------------------------------------------------------

  /** Sets the password with the bootstrap password, which then dies, and logs the caller in. */
  setup(input: { password: string; bootstrapPassword: string }, caller: AuthCaller): Promise<NewLogin> {
    return this.serial(() => this.setupNow(input, caller));
  }

  private async setupNow(input: { password: string; bootstrapPassword: string }, caller: AuthCaller): Promise<NewLogin> {
    const who = this.who(caller);
    const account = this.account();
    if (account.password_hash !== null) {
      this.recordRepeated('setup', 'refused', { ...who, detail: 'already set up' });
      throw alreadySetUp();
    }
    this.refuseWhileLocked('setup', caller);
    if (account.bootstrap_hash === null) {
      this.audit.record('setup', 'refused', { ...who, detail: 'no bootstrap password pending' });
      throw new AppError('AUTH_FAILED', 'no bootstrap password is waiting: make one on the daemon\'s machine with codepiper auth bootstrap');
    }
    if (!sameHash(account.bootstrap_hash, sha256(normaliseReadable(input.bootstrapPassword)))) {
      this.failed('setup', caller, 'wrong bootstrap password');
      throw new AppError('AUTH_FAILED', 'wrong bootstrap password (codepiper auth bootstrap on the daemon\'s machine makes a new one)');
    }
    const hash = await hashPassword(input.password);
    const at = this.now().toISOString();
    const done = this.sql.setup.run({ hash, at, bootstrap: account.bootstrap_hash });
    if (done.changes === 0) {
      // Another setup won the race while this one hashed, or a new bootstrap password replaced this one.
      if (this.account().password_hash !== null) throw alreadySetUp();
      throw new AppError('AUTH_FAILED', 'the bootstrap password was replaced meanwhile; use the new one');
    }
    this.clearFailures(caller);
    this.audit.record('setup', 'ok', who);
    return this.startLogin(caller);
  }

  /**
   * Logs in with the password and, when MFA is on, a TOTP code or a recovery code. Refused while the account or the
   * caller's address is locked out, even with the right password.
   */
  login(input: { password: string; totpCode?: string | undefined }, caller: AuthCaller): Promise<NewLogin & { recoveryCodesLeft?: number }> {
    return this.serial(() => this.loginNow(input, caller));
  }

  private async loginNow(input: { password: string; totpCode?: string | undefined }, caller: AuthCaller): Promise<NewLogin & { recoveryCodesLeft?: number }> {
    const account = this.account();
    if (account.password_hash === null) throw new AppError('AUTH_SETUP_REQUIRED', 'web login is not set up yet: POST /auth/setup with the bootstrap password first');
    this.refuseWhileLocked('login', caller);
    const mfa = account.mfa_secret_sealed;
    if (mfa !== null && input.totpCode === undefined) {
      // Not a failure: nothing was checked, and the answer says nothing about the password.
      throw new AppError('AUTH_FAILED', 'MFA is on: send the code from your authenticator app (or a recovery code) as totpCode', { details: { mfaRequired: true } });
    }
    const passwordRight = await verifyPassword(account.password_hash, input.password);
    if (!passwordRight) {
      this.failed('login', caller, 'wrong password');
      throw wrongCredentials(mfa !== null);
    }
    let recoveryCodesLeft: number | undefined;
    if (mfa !== null) {
      const code = input.totpCode!.trim();
      if (/^\d{6}$/.test(code)) {
        if (!this.acceptTotp(mfa, code)) {
          this.failed('login', caller, 'wrong or reused TOTP code');
          throw wrongCredentials(true);
        }
      } else {
        const used = this.sql.useRecovery.run(this.now().toISOString(), sha256(normaliseReadable(code)));
        if (used.changes === 0) {
          this.failed('login', caller, 'wrong or used recovery code');
          throw wrongCredentials(true);
        }
        recoveryCodesLeft = this.sql.recoveryLeft.get()!.n;
      }
    }
    this.clearFailures(caller);
    const login = this.startLogin(caller);
    this.audit.record('login', 'ok', { ...this.who(caller), principal: `login:${login.handle}`, ...(recoveryCodesLeft !== undefined ? { detail: `with a recovery code (${recoveryCodesLeft} left)` } : {}) });
    return recoveryCodesLeft === undefined ? login : { ...login, recoveryCodesLeft };
  }

  /** Ends the caller's login session; false when the caller has none (a token, the socket). */
  logout(caller: AuthCaller): boolean {
    const principal = caller.grant?.principal;
    if (principal?.kind !== 'login') return false;
    this.sql.revokeHandle.run(this.now().toISOString(), principal.sessionId);
    this.audit.record('logout', 'ok', this.who(caller));
    return true;
  }

  // --- the password -------------------------------------------------------------------------------------------

  /** Changes the password (the current one is needed) and ends every other login session. A person only. */
  changePassword(input: { currentPassword: string; newPassword: string }, caller: AuthCaller): Promise<number> {
    return this.serial(() => this.changePasswordNow(input, caller));
  }

  private async changePasswordNow(input: { currentPassword: string; newPassword: string }, caller: AuthCaller): Promise<number> {
    this.requirePerson(caller, 'changing the password');
    const account = this.account();
    if (account.password_hash === null) throw new AppError('AUTH_SETUP_REQUIRED', 'web login is not set up yet: there is no password to change');
    this.refuseWhileLocked('password-change', caller);
    if (!(await verifyPassword(account.password_hash, input.currentPassword))) {
      this.failed('password-change', caller, 'wrong current password');
      throw new AppError('AUTH_FAILED', 'the current password is wrong');
    }
    this.sql.setPassword.run({ hash: await hashPassword(input.newPassword), at: this.now().toISOString() });
    const revoked = this.revokeAll(this.currentHandle(caller));
    this.audit.record('password-change', 'ok', { ...this.who(caller), detail: `${revoked} other login session${revoked === 1 ? '' : 's'} ended` });
    return revoked;
  }

  /** Over the socket: a new password without the old one (setting it up if it never was); every login session ends. */
  async resetPassword(newPassword: string, caller: AuthCaller): Promise<number> {
    const hash = await hashPassword(newPassword);
    const revoked = this.db.transaction(() => {
      this.sql.setPassword.run({ hash, at: this.now().toISOString() });
      // The owner is at the machine: whatever lockout a guesser caused ends too.
      this.sql.clearLockouts.run();
      this.sql.clearAllFailures.run();
      return this.revokeAll(undefined);
    })();
    this.audit.record('password-reset', 'ok', { ...this.who(caller), detail: `${revoked} login session${revoked === 1 ? '' : 's'} ended` });
    return revoked;
  }

  // --- MFA ------------------------------------------------------------------------------------------------------

  /** A new TOTP secret, pending until a code from it is verified. A person only; refused while MFA is on. */
  mfaSetup(caller: AuthCaller): { secret: string; uri: string } {
    this.requirePerson(caller, 'setting up MFA');
    const account = this.account();
    if (account.password_hash === null) throw new AppError('AUTH_SETUP_REQUIRED', 'set up web login first (a password), then MFA');
    if (account.mfa_secret_sealed !== null) {
      this.audit.record('mfa-setup', 'refused', { ...this.who(caller), detail: 'MFA is already on' });
      throw new AppError('MFA_ALREADY_ENABLED', 'MFA is already on; to move it to another device, turn it off on the daemon\'s machine first (codepiper auth reset-mfa)');
    }
    const totp = totpOf(new Secret({ size: 20 }));
    this.sql.setPending.run(seal(this.sealKey(), totp.secret.base32, TOTP_CONTEXT));
    this.audit.record('mfa-setup', 'ok', this.who(caller));
    return { secret: totp.secret.base32, uri: totp.toString() };
  }

  /** Turns MFA on with a code of the pending secret; the 10 recovery codes, in plain text this once. */
  mfaVerify(code: string, caller: AuthCaller): string[] {
    this.requirePerson(caller, 'turning MFA on');
    const account = this.account();
    if (account.mfa_secret_sealed !== null) throw new AppError('MFA_ALREADY_ENABLED', 'MFA is already on');
    if (account.mfa_pending_sealed === null) throw new AppError('USAGE', 'no MFA setup is waiting: POST /auth/mfa/setup (codepiper auth mfa) first');
    const step = this.totpStep(account.mfa_pending_sealed, code.trim(), null);
    if (step === undefined) {
      this.audit.record('mfa-enable', 'failed', { ...this.who(caller), detail: 'wrong code' });
      throw new AppError('AUTH_FAILED', 'that code does not match the new secret (is the device clock right?); try the next one');
    }
    const codes = Array.from({ length: RECOVERY_CODES }, () => readable(2, 5));
    const at = this.now().toISOString();
    this.db.transaction(() => {
      this.sql.enableMfa.run(at, step);
      this.sql.clearRecovery.run();
      for (const recovery of codes) this.sql.addRecovery.run(sha256(normaliseReadable(recovery)), at);
    })();
    this.audit.record('mfa-enable', 'ok', this.who(caller));
    return codes;
  }

  /** Over the socket: MFA off, its secret and recovery codes forgotten. */
  resetMfa(caller: AuthCaller): boolean {
    const wasEnabled = this.account().mfa_secret_sealed !== null;
    this.db.transaction(() => {
      this.sql.resetMfa.run();
      this.sql.clearRecovery.run();
    })();
    this.audit.record('mfa-reset', 'ok', { ...this.who(caller), detail: wasEnabled ? 'MFA was on' : 'MFA was off' });
    return wasEnabled;
  }

  // --- login sessions -------------------------------------------------------------------------------------------

  sessions(caller: AuthCaller): LoginSession[] {
    const current = this.currentHandle(caller);
    return this.sql.liveSessions.all(this.now().toISOString()).map((row) => ({
      handle: row.handle,
      createdAt: row.created_at,
      lastSeenAt: row.last_seen_at,
      expiresAt: row.expires_at,
      ip: row.ip,
      userAgent: row.user_agent,
      current: row.handle === current,
    }));
  }

  /** Ends every live login session, or every one but the caller's. */
  revokeSessions(exceptCurrent: boolean, caller: AuthCaller): number {
    const revoked = this.revokeAll(exceptCurrent ? this.currentHandle(caller) : undefined);
    this.audit.record('sessions-revoke', 'ok', { ...this.who(caller), detail: `${revoked} login session${revoked === 1 ? '' : 's'} ended${exceptCurrent ? ' (not the caller\'s)' : ''}` });
    return revoked;
  }

  // --- API tokens -----------------------------------------------------------------------------------------------

  /**
   * A new API token, in plain text this once. A person only: a token that could mint tokens could outlive its own
   * expiry or revocation through a successor.
   */
  createToken(input: { name: string; scope: Scope; expiresIn?: string | undefined }, caller: AuthCaller): ApiToken & { token: string } {
    this.requirePerson(caller, 'creating an API token');
    return this.tokens.create(input, this.who(caller));
  }

  /** By id or name; a token may revoke itself, or another. */
  revokeToken(ref: string, caller: AuthCaller): ApiToken {
    return this.tokens.revoke(ref, this.who(caller));
  }

  log(limit: number, event?: AuthLogEntry['event']): AuthLogEntry[] {
    return this.audit.list(limit, event);
  }

  /**
   * The grant a request's credentials carry: a bearer token (it wins when both are sent: a tool says what it means)
   * with its scope, or a login cookie with admin. AUTH_REQUIRED naming why for credentials that are unknown, expired
   * or revoked; undefined when none were sent.
   */
  authenticate(credentials: Credentials): Grant | undefined {
    if (credentials.bearer) return this.tokens.authenticate(credentials.bearer);
    if (credentials.cookie) return this.authenticateCookie(credentials.cookie);
    return undefined;
  }

  // --- the rest -------------------------------------------------------------------------------------------------

  /**
   * Password checks run one at a time. A check awaits argon2, so without this, a burst of guesses sent at once would
   * all pass the lockout check before the first failure was counted: the limit of 5 would be a limit per round trip.
   */
  private serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.checks.then(run);
    this.checks = result.catch(() => undefined);
    return result;
  }

  private authenticateCookie(cookie: string): Grant {
    const row = /^[A-Za-z0-9_-]{43}$/.test(cookie) ? this.sql.sessionByHash.get(sha256(cookie)) : undefined;
    if (!row) throw new AppError('AUTH_REQUIRED', 'this login session is not known (logged out long ago, or from another daemon): log in again');
    if (row.revoked_at) throw new AppError('AUTH_REQUIRED', 'this login session was ended (logout, a password change, or revoke-all): log in again');
    const now = this.now();
    if (row.expires_at <= now.toISOString()) throw new AppError('AUTH_REQUIRED', 'this login session expired (7 days without use): log in again');
    if (now.getTime() - Date.parse(row.last_seen_at) >= SLIDE_EVERY_MS) {
      this.sql.slide.run(now.toISOString(), new Date(now.getTime() + LOGIN_SESSION_MS).toISOString(), row.id_hash);
    }
    return { scope: 'admin', principal: { kind: 'login', sessionId: row.handle } };
  }

  private startLogin(caller: AuthCaller): NewLogin {
    const now = this.now();
    this.sql.forgetEnded.run(new Date(now.getTime() - FORGET_ENDED_MS).toISOString());
    const sessionId = random256();
    const handle = crypto.randomBytes(4).toString('hex');
    const expiresAt = new Date(now.getTime() + LOGIN_SESSION_MS).toISOString();
    this.sql.insertSession.run({ idHash: sha256(sessionId), handle, at: now.toISOString(), expiresAt, ip: caller.ip ?? null, userAgent: caller.userAgent?.slice(0, 200) ?? null });
    return { sessionId, handle, expiresAt };
  }

  private revokeAll(except: string | undefined): number {
    const now = this.now().toISOString();
    return this.sql.revokeAllBut.run(now, now, except ?? null).changes;
  }

  /** The time step of a right code not used before, marking it used; undefined otherwise. */
  private acceptTotp(sealed: string, code: string): boolean {
    const step = this.totpStep(sealed, code, this.account().mfa_last_step);
    return step !== undefined && this.sql.useStep.run(step, step).changes === 1;
  }

  /** The previous, current and next 30-second windows are accepted (clocks drift); a step at or before `after`, not. */
  private totpStep(sealed: string, code: string, after: number | null): number | undefined {
    if (!/^\d{6}$/.test(code)) return undefined;
    const totp = totpOf(Secret.fromBase32(unseal(this.sealKey(), sealed, TOTP_CONTEXT)));
    const timestamp = this.now().getTime();
    const delta = totp.validate({ token: code, timestamp, window: 1 });
    if (delta === null) return undefined;
    const step = totp.counter({ timestamp }) + delta;
    return after !== null && step <= after ? undefined : step;
  }

  private refuseWhileLocked(event: AuthLogEntry['event'], caller: AuthCaller): void {
    const now = this.now().getTime();
    let until = 0;
    for (const key of lockKeys(caller)) {
      const row = this.sql.lockout.get(key);
      if (row) until = Math.max(until, Date.parse(row.until));
    }
    if (until <= now) return;
    const retryAfterSeconds = Math.ceil((until - now) / 1000);
    this.recordRepeated(event, 'locked', { ...this.who(caller), detail: `locked for ${retryAfterSeconds} s more` });
    throw locked(retryAfterSeconds);
  }

  /** Counts a failure against the account and the address; the one that reaches the limit locks and says so. */
  private failed(event: AuthLogEntry['event'], caller: AuthCaller, why: string): void {
    const now = this.now();
    const at = now.toISOString();
    this.audit.record(event, 'failed', { ...this.who(caller), detail: why });
    this.sql.forgetFailures.run(new Date(now.getTime() - LOCKOUT_WINDOW_MS).toISOString());
    let lockedNow = false;
    for (const key of lockKeys(caller)) {
      this.sql.addFailure.run(key, at);
      if (this.sql.failures.get(key, new Date(now.getTime() - LOCKOUT_WINDOW_MS).toISOString())!.n < LOCKOUT_FAILURES) continue;
      this.sql.lock.run(key, new Date(now.getTime() + LOCKOUT_MS).toISOString());
      this.sql.clearFailures.run(key);
      this.audit.record('lockout', 'locked', { ...this.who(caller), detail: `${key === 'account' ? 'the account' : 'this address'} is locked for ${LOCKOUT_MS / 60_000} minutes after ${LOCKOUT_FAILURES} failures` });
      lockedNow = true;
    }
    if (lockedNow) throw locked(LOCKOUT_MS / 1000);
  }

  /** Logs a refusal unless the same one (event, outcome, address) was logged within REPEATED_REFUSAL_QUIET_MS. */
  private recordRepeated(event: AuthLogEntry['event'], outcome: AuthLogEntry['outcome'], fields: AuditFields): void {
    const now = this.now().getTime();
    const key = `${event}|${outcome}|${fields.ip ?? ''}`;
    const last = this.refusalsLogged.get(key);
    if (last !== undefined && now - last < REPEATED_REFUSAL_QUIET_MS) return;
    if (this.refusalsLogged.size >= 10_000) {
      for (const [seen, at] of this.refusalsLogged) if (now - at >= REPEATED_REFUSAL_QUIET_MS) this.refusalsLogged.delete(seen);
      if (this.refusalsLogged.size >= 10_000) this.refusalsLogged.clear();
    }
    this.refusalsLogged.set(key, now);
    this.audit.record(event, outcome, { ...fields, detail: `${fields.detail ?? outcome}; the same from this address is logged at most once a minute` });
  }

  private clearFailures(caller: AuthCaller): void {
    for (const key of lockKeys(caller)) this.sql.clearFailures.run(key);
  }

  private requirePerson(caller: AuthCaller, what: string): void {
    const principal = caller.grant?.principal;
    if (principal?.kind !== 'token') return;
    throw new AppError('SCOPE_INSUFFICIENT', `${what} needs a person logged in (or the daemon's socket); an API token cannot, whatever its scope (this is "${principal.name}")`, {
      details: { needed: 'login', held: 'token' },
    });
  }

  private currentHandle(caller: AuthCaller): string | undefined {
    const principal = caller.grant?.principal;
    return principal?.kind === 'login' ? principal.sessionId : undefined;
  }

  private who(caller: AuthCaller): AuditFields {
    return { ip: caller.ip, principal: principalName(caller) };
  }

  private account(): AccountRow {
    return this.sql.account.get()!;
  }
}

/** How the audit log names a caller: login:<handle>, token:<name>, socket, or nothing for an anonymous one. */
export function principalName(caller: AuthCaller): string | undefined {
  const principal = caller.grant?.principal;
  if (principal?.kind === 'login') return `login:${principal.sessionId}`;
  if (principal?.kind === 'token') return `token:${principal.name}`;
  return caller.local ? 'socket' : undefined;
}

function lockKeys(caller: AuthCaller): string[] {
  return caller.ip ? ['account', `ip:${caller.ip}`] : ['account'];
}

function totpOf(secret: Secret): TOTP {
  return new TOTP({ issuer: 'CodePiper', label: `codepiper@${os.hostname()}`, algorithm: 'SHA1', digits: 6, period: 30, secret });
}

function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}

function alreadySetUp(): AppError {
  return new AppError('AUTH_ALREADY_SET_UP', 'web login is already set up, and the bootstrap password is dead; a lost password is reset on the daemon\'s machine (codepiper auth reset-password)');
}

function wrongCredentials(mfa: boolean): AppError {
  return new AppError('AUTH_FAILED', mfa ? 'wrong password or code' : 'wrong password');
}

function locked(retryAfterSeconds: number): AppError {
  return new AppError('LOGIN_LOCKED', `too many failed logins: try again in ${formatWait(retryAfterSeconds)}`, { details: { retryAfterSeconds } });
}

function formatWait(seconds: number): string {
  return seconds >= 90 ? `${Math.ceil(seconds / 60)} minutes` : `${seconds} seconds`;
}
