import { SESSION_COOKIE } from '../../core/auth/types';
import type { AuthCaller } from '../../core/auth/service';
import type { HandlerContext } from '../context';
import type { Handlers } from '../router';

/**
 * The browser keeps the cookie long (400 days, its own cap); the daemon decides when the login ends (7 days after
 * its last use, sliding, or when it is revoked), since the cookie cannot be sent again on every request that slides it.
 */
const COOKIE_MAX_AGE_SECONDS = 400 * 86_400;

function caller(ctx: HandlerContext): AuthCaller {
  const agent = ctx.headers['user-agent'];
  return { grant: ctx.grant, ip: ctx.remoteAddress, userAgent: typeof agent === 'string' ? agent : undefined, local: ctx.transport === 'unix' };
}

function setSessionCookie(ctx: HandlerContext, value: string, maxAge: number): void {
  ctx.responseHeaders['set-cookie'] = `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}${ctx.secure ? '; Secure' : ''}`;
}

/**
 * Web login: thin adapters to the auth service, plus the cookie, which is HTTP's business and so lives here. A
 * lockout (LOGIN_LOCKED) carries details.retryAfterSeconds, which the listener turns into Retry-After.
 */
export const authHandlers = {
  'auth.status': (_input, ctx) => ctx.daemon.core.auth.status(caller(ctx)),
  'auth.setup': async (input, ctx) => {
    const login = await ctx.daemon.core.auth.setup(input, caller(ctx));
    setSessionCookie(ctx, login.sessionId, COOKIE_MAX_AGE_SECONDS);
    return { setupDone: true as const, expiresAt: login.expiresAt };
  },
  'auth.login': async (input, ctx) => {
    const login = await ctx.daemon.core.auth.login(input, caller(ctx));
    setSessionCookie(ctx, login.sessionId, COOKIE_MAX_AGE_SECONDS);
    return { loggedIn: true as const, expiresAt: login.expiresAt, ...(login.recoveryCodesLeft !== undefined ? { recoveryCodesLeft: login.recoveryCodesLeft } : {}) };
  },
  'auth.logout': (_input, ctx) => {
    const loggedOut = ctx.daemon.core.auth.logout(caller(ctx));
    if (loggedOut) setSessionCookie(ctx, '', 0);
    return { loggedOut };
  },
  'auth.password': async (input, ctx) => ({ changed: true as const, sessionsRevoked: await ctx.daemon.core.auth.changePassword(input, caller(ctx)) }),
  'auth.mfaSetup': (_input, ctx) => ctx.daemon.core.auth.mfaSetup(caller(ctx)),
  'auth.mfaVerify': ({ code }, ctx) => ({ mfaEnabled: true as const, recoveryCodes: ctx.daemon.core.auth.mfaVerify(code, caller(ctx)) }),
  'auth.sessions': (_input, ctx) => ({ sessions: ctx.daemon.core.auth.sessions(caller(ctx)) }),
  'auth.revokeSessions': ({ exceptCurrent }, ctx) => {
    const revoked = ctx.daemon.core.auth.revokeSessions(exceptCurrent, caller(ctx));
    // The caller's own cookie is dead now too: the browser may as well forget it.
    if (!exceptCurrent && ctx.grant?.principal.kind === 'login') setSessionCookie(ctx, '', 0);
    return { revoked };
  },
  'auth.log': ({ limit, event }, ctx) => ({ entries: ctx.daemon.core.auth.log(limit, event) }),
  'auth.bootstrap': (_input, ctx) => ({ bootstrapPassword: ctx.daemon.core.auth.newBootstrap(caller(ctx)) }),
  'auth.resetPassword': async ({ newPassword }, ctx) => ({ reset: true as const, sessionsRevoked: await ctx.daemon.core.auth.resetPassword(newPassword, caller(ctx)) }),
  'auth.resetMfa': (_input, ctx) => ({ mfaEnabled: false as const, wasEnabled: ctx.daemon.core.auth.resetMfa(caller(ctx)) }),
} satisfies Pick<
  Handlers,
  | 'auth.status'
  | 'auth.setup'
  | 'auth.login'
  | 'auth.logout'
  | 'auth.password'
  | 'auth.mfaSetup'
  | 'auth.mfaVerify'
  | 'auth.sessions'
  | 'auth.revokeSessions'
  | 'auth.log'
  | 'auth.bootstrap'
  | 'auth.resetPassword'
  | 'auth.resetMfa'
>;

/** API tokens: made by a person (a token minting tokens could outlive its own revocation), listed and revoked by admin. */
export const tokenHandlers = {
  'tokens.list': (_input, ctx) => ({ tokens: ctx.daemon.core.auth.tokens.list() }),
  'tokens.create': (input, ctx) => ctx.daemon.core.auth.createToken(input, caller(ctx)),
  'tokens.revoke': ({ id }, ctx) => ctx.daemon.core.auth.revokeToken(id, caller(ctx)),
} satisfies Pick<Handlers, 'tokens.list' | 'tokens.create' | 'tokens.revoke'>;
