/**
 * HTTP headers of the daemon's protocol (and the network listener's path prefix), declared once for the daemon and its clients. No zod here: the CLI bundle
 * imports this module, and must stay lean (scripts/build.mjs).
 */

/**
 * On every answer of the daemon, its version: a client learns which daemon it talks to from the answer it came for,
 * without a request of its own.
 */
export const VERSION_HEADER = 'x-codepiper-version';

/** Where the network listener (--web) serves every route of the table: `/health` on the socket is `/api/health` there. */
export const API_PREFIX = '/api';

/** On a hook request (hooks.claude): the session whose agent's hook is calling. */
export const HOOK_SESSION_HEADER = 'x-codepiper-session';

/** On a hook request: the daemon's hook secret, which proves the caller can read the daemon's home. */
export const HOOK_SECRET_HEADER = 'x-codepiper-secret';

/**
 * On a hook request, optional: when the caller stops waiting (epoch milliseconds). An answer decided after it never
 * reaches the agent, and the audit log says the decision timed out.
 */
export const HOOK_DEADLINE_HEADER = 'x-codepiper-hook-deadline';
