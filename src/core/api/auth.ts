import { z } from 'zod';
import { defineRoute } from './route';

/**
 * Web login: one account (the person who owns the daemon), set up once with the bootstrap password, then logged in
 * with a password and, when MFA is on, a TOTP code or a recovery code.
 *
 * Who may call what over TCP: status, setup and login are public (they are how one gets in). Logging out needs any
 * login (read). The rest is admin, and of those, the routes that change the person's own credentials (password, MFA
 * setup and verify) need the PERSON: a token is refused with a 403 whatever its scope, so a leaked token cannot take
 * the account over or lock its owner out. An admin token may list and revoke login sessions and read the log: an
 * admin token already runs programs as the owner, and revoking is a defence, never a way in. Resets and the bootstrap
 * password are socket-only (local): who can reach the socket is the owner at this machine.
 */

/** At least 12 characters (length is what makes a password strong); at most 1024 so hashing stays bounded. */
export const passwordSchema = z.string().min(12, 'a password is at least 12 characters').max(1024, 'a password is at most 1024 characters');

const code = z.string().trim().min(1).max(64);

export const authStatusSchema = z.strictObject({
  setupDone: z.boolean(),
  mfaEnabled: z.boolean(),
  loggedIn: z.boolean().describe("whether the caller's login cookie is a live login session"),
  bootstrapPending: z.boolean().describe('a bootstrap password waits for setup (it is shown only when made)'),
});

export const loginSessionSchema = z.strictObject({
  handle: z.string().describe('a short public name of the login session (never its secret id)'),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  expiresAt: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  current: z.boolean().describe("the caller's own login session"),
});
export type LoginSession = z.output<typeof loginSessionSchema>;

export const AUTH_EVENTS = [
  'bootstrap',
  'setup',
  'login',
  'lockout',
  'logout',
  'password-change',
  'password-reset',
  'mfa-setup',
  'mfa-enable',
  'mfa-reset',
  'sessions-revoke',
  'token-create',
  'token-revoke',
] as const;

export const authLogEntrySchema = z.strictObject({
  id: z.number().int(),
  at: z.string(),
  event: z.enum(AUTH_EVENTS),
  outcome: z.enum(['ok', 'failed', 'locked', 'refused']),
  ip: z.string().nullable(),
  principal: z.string().nullable().describe('login:<handle>, token:<name>, socket, or null for an anonymous caller'),
  detail: z.string().nullable(),
});
export type AuthLogEntry = z.output<typeof authLogEntrySchema>;

export const authRoutes = [
  defineRoute({
    name: 'auth.status',
    method: 'GET',
    path: '/auth/status',
    summary: 'Whether web login is set up, whether MFA is on, and whether the caller is logged in.',
    access: 'public',
    input: z.strictObject({}),
    output: authStatusSchema,
  }),
  defineRoute({
    name: 'auth.setup',
    method: 'POST',
    path: '/auth/setup',
    summary: 'Sets the password (at least 12 characters) with the bootstrap password, which dies then; logs the caller in.',
    access: 'public',
    input: z.strictObject({ password: passwordSchema, bootstrapPassword: code }),
    output: z.strictObject({ setupDone: z.literal(true), expiresAt: z.string() }),
  }),
  defineRoute({
    name: 'auth.login',
    method: 'POST',
    path: '/auth/login',
    summary: 'Logs in with the password and, when MFA is on, a TOTP code or a recovery code (totpCode); sets the session cookie. 5 failures lock for 15 minutes.',
    access: 'public',
    input: z.strictObject({ password: z.string().min(1).max(1024), totpCode: code.optional() }),
    output: z.strictObject({ loggedIn: z.literal(true), expiresAt: z.string(), recoveryCodesLeft: z.number().int().optional().describe('when a recovery code was used') }),
  }),
  defineRoute({
    name: 'auth.logout',
    method: 'POST',
    path: '/auth/logout',
    summary: "Ends the caller's login session and clears its cookie (a token has nothing to log out).",
    // read: any login may end itself.
    access: 'read',
    input: z.strictObject({}),
    output: z.strictObject({ loggedOut: z.boolean() }),
  }),
  defineRoute({
    name: 'auth.password',
    method: 'POST',
    path: '/auth/password',
    summary: 'Changes the password (the current one is needed) and ends every other login session. A person only: tokens are refused.',
    access: 'admin',
    input: z.strictObject({ currentPassword: z.string().min(1).max(1024), newPassword: passwordSchema }),
    output: z.strictObject({ changed: z.literal(true), sessionsRevoked: z.number().int() }),
  }),
  defineRoute({
    name: 'auth.mfaSetup',
    method: 'POST',
    path: '/auth/mfa/setup',
    summary: 'Starts MFA: a new TOTP secret and its otpauth:// URI (for a QR code); it takes effect with /auth/mfa/verify. A person only.',
    access: 'admin',
    input: z.strictObject({}),
    output: z.strictObject({ secret: z.string().describe('base32'), uri: z.string().describe('otpauth://totp/…') }),
  }),
  defineRoute({
    name: 'auth.mfaVerify',
    method: 'POST',
    path: '/auth/mfa/verify',
    summary: 'Turns MFA on with a code from the new secret; answers 10 single-use recovery codes, shown this once. A person only.',
    access: 'admin',
    input: z.strictObject({ code }),
    output: z.strictObject({ mfaEnabled: z.literal(true), recoveryCodes: z.array(z.string()) }),
  }),
  defineRoute({
    name: 'auth.sessions',
    method: 'GET',
    path: '/auth/sessions',
    summary: 'Live login sessions by handle (their ids are never shown), with which one is the caller\'s.',
    // admin, and a token may call it: it shows no secret.
    access: 'admin',
    input: z.strictObject({}),
    output: z.strictObject({ sessions: z.array(loginSessionSchema) }),
  }),
  defineRoute({
    name: 'auth.revokeSessions',
    method: 'POST',
    path: '/auth/sessions/revoke-all',
    summary: "Ends every login session (exceptCurrent keeps the caller's); they must log in again.",
    // admin, and a token may call it: ending sessions is a defence, never a way in.
    access: 'admin',
    input: z.strictObject({ exceptCurrent: z.boolean().default(false) }),
    output: z.strictObject({ revoked: z.number().int() }),
  }),
  defineRoute({
    name: 'auth.log',
    method: 'GET',
    path: '/auth/log',
    summary: 'The auth audit log, newest first: logins, failures, lockouts, setup, resets, MFA and token changes.',
    access: 'admin',
    input: z.strictObject({ limit: z.coerce.number().int().min(1).max(10_000).default(100), event: z.enum(AUTH_EVENTS).optional() }),
    output: z.strictObject({ entries: z.array(authLogEntrySchema) }),
  }),
  defineRoute({
    name: 'auth.bootstrap',
    method: 'POST',
    path: '/auth/bootstrap',
    summary: 'A new bootstrap password for setup (the old one stops working); refused once setup is done.',
    // local: the bootstrap password is what lets someone set the password; only the owner at this machine gets one.
    access: 'local',
    input: z.strictObject({}),
    output: z.strictObject({ bootstrapPassword: z.string() }),
  }),
  defineRoute({
    name: 'auth.resetPassword',
    method: 'POST',
    path: '/auth/cli/reset-password',
    summary: 'Sets a new password without the old one (sets it up if it never was) and ends every login session.',
    access: 'local',
    input: z.strictObject({ newPassword: passwordSchema }),
    output: z.strictObject({ reset: z.literal(true), sessionsRevoked: z.number().int() }),
  }),
  defineRoute({
    name: 'auth.resetMfa',
    method: 'POST',
    path: '/auth/cli/reset-mfa',
    summary: 'Turns MFA off and forgets its secret and recovery codes (set it up again with codepiper auth mfa).',
    access: 'local',
    input: z.strictObject({}),
    output: z.strictObject({ mfaEnabled: z.literal(false), wasEnabled: z.boolean() }),
  }),
] as const;
