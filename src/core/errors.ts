/**
 * Typed errors that travel: the daemon puts `{error: {code, message, details?}}` on the wire with the HTTP status of
 * the code, the client rebuilds the same AppError, and the CLI turns its family into an exit code.
 */

export type ErrorFamily = 'usage' | 'not_found' | 'conflict' | 'unavailable' | 'permission' | 'too_large' | 'storage' | 'internal';

interface ErrorKind {
  status: number;
  family: ErrorFamily;
}

/** Every error code the project uses, with its HTTP status and family. Add new codes here, nowhere else. */
export const ERROR_CODES = {
  // bad input
  INVALID_JSON: { status: 400, family: 'usage' },
  VALIDATION_FAILED: { status: 400, family: 'usage' },
  USAGE: { status: 400, family: 'usage' },
  SOCKET_PATH_TOO_LONG: { status: 400, family: 'usage' },
  CONFIG_INVALID: { status: 400, family: 'usage' },
  // routing
  ROUTE_NOT_FOUND: { status: 404, family: 'not_found' },
  METHOD_NOT_ALLOWED: { status: 405, family: 'usage' },
  PAYLOAD_TOO_LARGE: { status: 413, family: 'too_large' },
  // daemon lifecycle
  DAEMON_ALREADY_RUNNING: { status: 409, family: 'conflict' },
  DAEMON_NOT_RUNNING: { status: 503, family: 'unavailable' },
  DAEMON_UNAVAILABLE: { status: 503, family: 'unavailable' },
  DAEMON_START_FAILED: { status: 503, family: 'unavailable' },
  SOCKET_IN_USE: { status: 409, family: 'conflict' },
  PERMISSION_DENIED: { status: 403, family: 'permission' },
  // sessions
  SESSION_NOT_FOUND: { status: 404, family: 'not_found' },
  SESSION_NOT_RUNNING: { status: 409, family: 'conflict' },
  SESSION_ALREADY_RUNNING: { status: 409, family: 'conflict' },
  SESSION_NOT_WAITING: { status: 409, family: 'conflict' },
  SESSION_AMBIGUOUS: { status: 400, family: 'usage' },
  SESSION_NAME_TAKEN: { status: 409, family: 'conflict' },
  PROVIDER_BINARY_MISSING: { status: 400, family: 'usage' },
  RESUME_UNSUPPORTED: { status: 409, family: 'conflict' },
  /** A value kept encrypted (a session's environment) cannot be decrypted: another key, or changed since. */
  SEALED_VALUE_UNREADABLE: { status: 409, family: 'conflict' },
  TMUX_FAILED: { status: 500, family: 'internal' },
  // policies and hooks
  POLICY_NOT_FOUND: { status: 404, family: 'not_found' },
  POLICY_SET_NOT_FOUND: { status: 404, family: 'not_found' },
  NAME_TAKEN: { status: 409, family: 'conflict' },
  HOOK_UNAUTHORIZED: { status: 401, family: 'permission' },
  INPUT_DENIED: { status: 403, family: 'permission' },
  INPUT_NEEDS_APPROVAL: { status: 409, family: 'conflict' },
  // transcripts, library, search
  LIBRARY_SESSION_NOT_FOUND: { status: 404, family: 'not_found' },
  LIBRARY_SESSION_AMBIGUOUS: { status: 400, family: 'usage' },
  TAG_NOT_FOUND: { status: 404, family: 'not_found' },
  SEARCH_QUERY_INVALID: { status: 400, family: 'usage' },
  TRASH_FAILED: { status: 500, family: 'internal' },
  // git: worktrees and review
  NOT_A_GIT_REPOSITORY: { status: 400, family: 'usage' },
  /** A path given to a git route resolves (through "..", or a symlink) outside the session's worktree, or holds a NUL. */
  PATH_OUTSIDE_WORKTREE: { status: 400, family: 'usage' },
  GIT_REF_NOT_FOUND: { status: 404, family: 'not_found' },
  BRANCH_EXISTS: { status: 409, family: 'conflict' },
  NOTHING_TO_COMMIT: { status: 409, family: 'conflict' },
  WORKTREE_NOT_FOUND: { status: 404, family: 'not_found' },
  /** A worktree still holds uncommitted or unmerged work: removing it would lose it (the details list what). */
  WORKTREE_HAS_WORK: { status: 409, family: 'conflict' },
  TURN_NOT_FOUND: { status: 404, family: 'not_found' },
  /** git itself failed for a reason none of the codes above names; the message carries git's own words. */
  GIT_FAILED: { status: 500, family: 'internal' },
  // workspaces, env sets, settings, per-session controls
  WORKSPACE_NOT_FOUND: { status: 404, family: 'not_found' },
  ENV_SET_NOT_FOUND: { status: 404, family: 'not_found' },
  /** A set (env set, policy set) a workspace still uses: deleting it is refused; the details list the workspaces. */
  SET_IN_USE: { status: 409, family: 'conflict' },
  /** The agent is working: a change that types into it (a model switch) waits until it is idle. */
  SESSION_BUSY: { status: 409, family: 'conflict' },
  MODEL_SWITCH_UNSUPPORTED: { status: 409, family: 'conflict' },
  /** An upload whose bytes are not an image type we accept (PNG, JPEG, GIF, WebP), whatever its name says. */
  UNSUPPORTED_MEDIA_TYPE: { status: 415, family: 'usage' },
  // authentication and the network listener (--web)
  /** A route that needs a login or a token was called over TCP without one, or with one that is unknown, expired or revoked. */
  AUTH_REQUIRED: { status: 401, family: 'permission' },
  /** The caller's token has a scope below what the route needs (read < write < admin). */
  SCOPE_INSUFFICIENT: { status: 403, family: 'permission' },
  /** A wrong password, TOTP code, recovery code or bootstrap password. */
  AUTH_FAILED: { status: 401, family: 'permission' },
  /** Too many failed logins: refused until the lockout ends (details.retryAfterSeconds). */
  LOGIN_LOCKED: { status: 429, family: 'permission' },
  /** Too many requests from one address: retry after the Retry-After header's seconds. */
  RATE_LIMITED: { status: 429, family: 'unavailable' },
  /** The Host header names no name the listener serves (a DNS-rebinding page, or a wrong allowedHosts). */
  HOST_NOT_ALLOWED: { status: 421, family: 'permission' },
  /** A state-changing request or a WebSocket upgrade from a page of another origin (CSRF). */
  ORIGIN_NOT_ALLOWED: { status: 403, family: 'permission' },
  /** Web login is not set up yet: `POST /auth/setup` with the bootstrap password first. */
  AUTH_SETUP_REQUIRED: { status: 409, family: 'conflict' },
  /** Web login is already set up: the bootstrap password is dead; reset over the socket if the password is lost. */
  AUTH_ALREADY_SET_UP: { status: 409, family: 'conflict' },
  TOKEN_NOT_FOUND: { status: 404, family: 'not_found' },
  /** MFA is already on: setting up another secret is refused; turn it off over the socket first (codepiper auth reset-mfa). */
  MFA_ALREADY_ENABLED: { status: 409, family: 'conflict' },
  /** --web was asked to listen somewhere unsafe (a non-loopback address without TLS), or its TLS files are unusable. */
  WEB_INSECURE: { status: 400, family: 'usage' },
  // storage
  DATABASE_TOO_NEW: { status: 500, family: 'internal' },
  MIGRATION_FAILED: { status: 500, family: 'internal' },
  /** The disk (or the database's size limit) is full: nothing was written; free space and retry. */
  STORAGE_FULL: { status: 507, family: 'storage' },
  /** The home or the database cannot be opened or written: a read-only filesystem, or permissions. */
  STORAGE_UNAVAILABLE: { status: 503, family: 'storage' },
  // anything we did not foresee
  INTERNAL: { status: 500, family: 'internal' },
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Exit codes of the CLI, one per family (0 is success, 2 is also what commander uses for usage errors). */
export const EXIT_CODES: Record<ErrorFamily, number> = {
  internal: 1,
  usage: 2,
  unavailable: 3,
  not_found: 4,
  conflict: 5,
  permission: 6,
  too_large: 7,
  storage: 8,
};

const APP_ERROR = Symbol.for('codepiper.AppError');

export class AppError extends Error {
  readonly [APP_ERROR] = true;
  readonly code: string;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode | (string & {}), message: string, options: { status?: number; details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? kindOf(code)?.status ?? 500;
    this.details = options.details;
  }

  get family(): ErrorFamily {
    return kindOf(this.code)?.family ?? familyOfStatus(this.status);
  }

  toJSON(): ErrorEnvelope {
    const error: ErrorEnvelope['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export interface ErrorEnvelope {
  error: { code: string; message: string; details?: unknown };
}

/** Works across bundles (each dist entry carries its own copy of this module), unlike instanceof. */
export function isAppError(value: unknown): value is AppError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[APP_ERROR] === true;
}

export function exitCodeFor(error: unknown): number {
  return isAppError(error) ? EXIT_CODES[error.family] : EXIT_CODES.internal;
}

function kindOf(code: string): ErrorKind | undefined {
  return (ERROR_CODES as Record<string, ErrorKind>)[code];
}

function familyOfStatus(status: number): ErrorFamily {
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'too_large';
  if (status === 507) return 'storage';
  if (status === 401 || status === 403) return 'permission';
  if (status === 503) return 'unavailable';
  if (status >= 400 && status < 500) return 'usage';
  return 'internal';
}
