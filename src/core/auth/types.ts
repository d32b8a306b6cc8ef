/**
 * What the network listener needs from authentication, and what a handler learns of its caller. On the Unix socket
 * nobody authenticates (the socket is 0600 in a 0700 directory: whoever reaches it is the user) and there is no grant.
 */

/** Scopes nest: write includes read, admin includes both. A logged-in person holds admin. */
export const SCOPES = ['read', 'write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export function scopeIncludes(held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed);
}

/** Who made a request over TCP: a person through a login session, or a tool through an API token. */
export type Principal = { kind: 'login'; sessionId: string } | { kind: 'token'; tokenId: string; name: string };

export interface Grant {
  scope: Scope;
  principal: Principal;
}

/** The credentials a request carried: the login cookie's value and the bearer token, as sent. */
export interface Credentials {
  cookie?: string | undefined;
  bearer?: string | undefined;
}

/** The name of the login cookie. */
export const SESSION_COOKIE = 'codepiper_session';

/**
 * Resolves a request's credentials to a grant. Undefined when none were sent; an AppError (AUTH_REQUIRED, 401)
 * when some were sent but are unknown, expired or revoked: a client is told its token is dead rather than treated as
 * anonymous. A login session's expiry slides forward with use; a token's last use is recorded.
 */
export interface Authenticator {
  authenticate(credentials: Credentials): Grant | undefined;
}
