import http from 'node:http';
import type { StreamArgs } from '../core/api/events';
import { API_PREFIX, VERSION_HEADER } from '../core/api/headers';
import { AppError, isAppError } from '../core/errors';
import { followEventStream, MAX_EVENT_CHARS, MAX_RESPONSE_BYTES, readBody, type RawRequest, type RawResponse, type StreamHandle } from './transport';

/**
 * A daemon on another machine (or this one), reached over its `--web` listener: every route under `<url>/api`, with
 * an API token. No zod, no ws here: the CLI bundle loads this module on every command (scripts/build.mjs).
 */
export interface RemoteTarget {
  /** Scheme, host, port and any path prefix (a reverse proxy's), without a trailing slash: `https://host:4321`. */
  base: string;
  /** What messages name: the base, never the token. */
  label: string;
  secure: boolean;
  /** `cpt_…`, sent as `Authorization: Bearer`; never printed. */
  token: string | undefined;
}

export interface RemoteOptions {
  /** --remote, else CODEPIPER_REMOTE. */
  remote?: string;
  /** --token, else CODEPIPER_TOKEN. */
  token?: string;
  /** --allow-http, else CODEPIPER_ALLOW_HTTP=1: plain http to a host that is not this machine. */
  allowHttp?: boolean;
  /** --socket: with a remote daemon too it is a contradiction, refused. */
  socket?: string;
  env?: NodeJS.ProcessEnv;
}


/** What a token looks like: `cpt_` and printable characters, nothing a header could be broken with. */
const TOKEN_SHAPE = /^cpt_[\x21-\x7e]+$/;

/** The hosts plain http may go to without --allow-http: this machine's loopback. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host) || host === '::ffff:127.0.0.1';
}

/**
 * The remote daemon the global options (or the environment) name, checked; undefined when none is named. Plain http
 * to another machine is refused unless asked for: the token, and everything typed into sessions, would cross the
 * network readable by anyone on the way, the same risk for which the daemon refuses to listen that way.
 */
export function resolveRemote(options: RemoteOptions): RemoteTarget | undefined {
  const env = options.env ?? process.env;
  const given = options.remote ?? (env.CODEPIPER_REMOTE || undefined);
  const token = options.token ?? (env.CODEPIPER_TOKEN || undefined);
  if (given === undefined) {
    if (options.token !== undefined) throw new AppError('USAGE', '--token is for a remote daemon: give its address with --remote https://host:port (or CODEPIPER_REMOTE)');
    return undefined;
  }
  const from = options.remote !== undefined ? '--remote' : 'CODEPIPER_REMOTE';
  if (options.socket !== undefined) throw new AppError('USAGE', `--socket and ${from} both name a daemon: give one (the socket is this machine's daemon, --remote another's)`);
  let url: URL;
  try {
    url = new URL(given.includes('://') ? given : `https://${given}`);
  } catch {
    throw new AppError('USAGE', `${from}: "${given}" is not a URL; give the daemon's address as https://host:port`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AppError('USAGE', `${from}: ${url.protocol.slice(0, -1)} is not a scheme the daemon speaks; give https://host:port (or http:// for this machine)`);
  }
  if (url.username || url.password) {
    throw new AppError('USAGE', `${from}: the address carries a user name or password; give the token with --token or CODEPIPER_TOKEN instead, where it is not shown`);
  }
  if (url.search || url.hash) throw new AppError('USAGE', `${from}: the address has a query or fragment; give only https://host:port (and a path prefix, behind a proxy)`);
  const prefix = url.pathname.replace(/\/+$/, '');
  if (prefix.endsWith(API_PREFIX)) {
    throw new AppError('USAGE', `${from}: give the daemon's address without ${API_PREFIX} (codepiper adds it): ${url.origin}${prefix.slice(0, -API_PREFIX.length)}`);
  }
  const base = `${url.origin}${prefix}`;
  const allowHttp = options.allowHttp ?? env.CODEPIPER_ALLOW_HTTP === '1';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowHttp) {
    throw new AppError(
      'WEB_INSECURE',
      `${from}: ${base} is plain http to another machine: the token and everything sent to sessions would cross the network unencrypted. ` +
        'Serve the daemon with TLS (daemon start --web --tls-cert/--tls-key, or a reverse proxy) and use https://; or, on a network you trust, add --allow-http',
    );
  }
  if (token !== undefined && !TOKEN_SHAPE.test(token)) {
    const source = options.token !== undefined ? '--token' : 'CODEPIPER_TOKEN';
    throw new AppError('USAGE', `${source} is not a CodePiper token (one starts with cpt_ and has no spaces); create one on the daemon's host with codepiper token create --name <name> --scope write`);
  }
  return { base, label: base, secure: url.protocol === 'https:', token };
}

/** The request headers every remote call carries: the token, if there is one. */
export function remoteHeaders(target: RemoteTarget): Record<string, string> {
  return target.token ? { authorization: `Bearer ${target.token}` } : {};
}

/** node:https is loaded only when a remote daemon speaks TLS: TLS costs nothing to the socket's commands. */
function httpModule(target: RemoteTarget): typeof http {
  return target.secure ? (process.getBuiltinModule('node:https') as unknown as typeof http) : http;
}

/** One connection per request, as over the socket: nothing keeps the process alive after its last call. */
const REMOTE_REQUEST_OPTIONS = { agent: false } as const;

/** One request to `<base>/api<path>`, with the same answer shape as requestOverSocket's. */
export function requestOverHttp(target: RemoteTarget, request: RawRequest): Promise<RawResponse> {
  const url = new URL(`${target.base}${API_PREFIX}${request.path}`);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: 'application/json', ...remoteHeaders(target) };
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(request.body);
    }
    const req = httpModule(target).request(url, { method: request.method, headers, ...REMOTE_REQUEST_OPTIONS }, (res) => {
      readBody(req, res, request.route ?? `${request.method} ${request.path}`, request.maxBytes ?? MAX_RESPONSE_BYTES)
        .then((bytes) => ({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bytes }))
        .then(resolve, reject);
    });
    req.setTimeout(request.timeoutMs, () => {
      req.destroy(new AppError('DAEMON_UNAVAILABLE', `the remote daemon at ${target.label} did not answer ${request.method} ${request.path} within ${request.timeoutMs / 1000}s`));
    });
    req.on('error', (error: NodeJS.ErrnoException) => reject(remoteConnectionError(error, target)));
    req.end(request.body);
  });
}

/** How often, and after how long, a followed remote stream that lost its connection is opened again. */
export const STREAM_RESUME_DELAYS_MS = [250, 1000, 2000, 4000, 8000];

export interface RemoteStreamOptions {
  maxEventChars?: number;
  /**
   * Open the stream again when the connection is lost (a network stays less reliable than a socket), from the last
   * `id:` read (Last-Event-ID), so that nothing is missed or repeated; at most STREAM_RESUME_DELAYS_MS.length times in
   * a row. An error answer (a revoked token) is never retried.
   */
  resume?: boolean;
  /** Where a reconnect is said (stderr by default). */
  note?: (text: string) => void;
  delaysMs?: readonly number[];
}

/** Follows `GET <base>/api/events?topic=…` (server-sent events), as streamOverSocket follows the socket's. */
export function streamOverHttp(target: RemoteTarget, path: string, onEvent: (...message: StreamArgs) => void, options: RemoteStreamOptions = {}): StreamHandle {
  const url = new URL(`${target.base}${API_PREFIX}${path}`);
  let lastId: string | undefined;
  let current: StreamHandle | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const delays = options.delaysMs ?? STREAM_RESUME_DELAYS_MS;
  const note = options.note ?? ((text: string) => void process.stderr.write(text));
  const open = (onOpen?: () => void) =>
    followEventStream(
      (onResponse) =>
        httpModule(target).request(
          url,
          { method: 'GET', headers: { accept: 'text/event-stream', ...remoteHeaders(target), ...(lastId !== undefined ? { 'last-event-id': lastId } : {}) }, ...REMOTE_REQUEST_OPTIONS },
          onResponse,
        ),
      path,
      onEvent,
      {
        maxEventChars: options.maxEventChars ?? MAX_EVENT_CHARS,
        connectionError: (error, answered) =>
          answered
            ? new AppError('DAEMON_UNAVAILABLE', `lost the event stream of ${target.label} (${error.code ?? error.message})`, { details: { errno: error.code ?? 'ECONNRESET', remote: target.label }, cause: error })
            : remoteConnectionError(error, target),
        answerError: (error) => remoteErrorInWords(error, target),
        onId: (id) => (lastId = id),
        ...(onOpen ? { onOpen } : {}),
      },
    );
  const done = (async () => {
    let failures = 0;
    for (;;) {
      current = open(() => (failures = 0));
      try {
        return await current.done;
      } catch (error) {
        // Only a lost connection is retried: not an answer (a refused token), not a stream that ran over its limit.
        const lost = isAppError(error) && error.code === 'DAEMON_UNAVAILABLE' && (error.details as { errno?: unknown } | undefined)?.errno !== undefined;
        if (closed) return;
        if (!options.resume || !lost || failures >= delays.length) throw error;
        const wait = delays[failures++]!;
        note(`codepiper: ${(error as Error).message}; following again in ${wait / 1000}s\n`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, wait);
        });
        if (closed) return;
      }
    }
  })();
  return {
    done,
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
      wake?.();
      current?.close();
    },
  };
}

/** TLS verification failures Node reports by code: the certificate is not one Node trusts, or not for this name. */
const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** A connection that failed before any answer, in words that say what to check; never the token. */
export function remoteConnectionError(error: NodeJS.ErrnoException, target: RemoteTarget): Error {
  if (isAppError(error)) return error;
  const code = error.code ?? '';
  const at = target.label;
  const make = (message: string) => new AppError('DAEMON_UNAVAILABLE', message, { details: { errno: code, remote: at }, cause: error });
  if (code === 'ECONNREFUSED') return make(`nothing answers at ${at} (connection refused): is the daemon running there with --web, on this host and port?`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return make(`cannot find the host of ${at} (${code}): check the name in --remote / CODEPIPER_REMOTE`);
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return make(`cannot reach ${at} (${code}): check the address, and that no firewall stands between`);
  }
  if (TLS_TRUST_CODES.has(code)) {
    return make(
      `the TLS certificate of ${at} is not trusted (${code}): for a self-signed certificate, give Node its certificate (or its CA's) with ` +
        'NODE_EXTRA_CA_CERTS=/path/to/cert.pem',
    );
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return make(`the TLS certificate of ${at} is not valid now (${code}): renew it on the daemon's host`);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return make(`the TLS certificate of ${at} is not for that name (${error.message}): use the host name the certificate names in --remote`);
  }
  if (code === 'EPROTO' || code.startsWith('ERR_SSL') || /wrong version number|packet length too long/i.test(error.message)) {
    return make(`the TLS handshake with ${at} failed (${error.message.split('\n')[0]}): does the daemon serve plain http? then use http:// (on loopback) or give it --tls-cert/--tls-key`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return make(
      `${at} closed the connection before answering (${code})` + (target.secure ? '' : ': if the daemon serves TLS, use https://'),
    );
  }
  if (code.startsWith('ERR_TLS') || code.startsWith('CERT_') || code.includes('CERT')) return make(`the TLS connection to ${at} failed (${code}): ${error.message}`);
  return make(`lost the connection to the remote daemon at ${at}: ${error.message}`);
}

/**
 * An answer of the remote daemon (or of what stands in front of it) turned into the error a person can act on: a
 * refused token names the fix, and what is not a CodePiper daemon says so.
 */
export function remoteErrorInWords(error: AppError, target: RemoteTarget): AppError {
  const at = target.label;
  const again = (message: string) => new AppError(error.code, message, { status: error.status, details: error.details, cause: error });
  switch (error.code) {
    case 'AUTH_REQUIRED':
      return target.token
        ? again(
            `the remote daemon at ${at} refused the token (${error.message}): it is unknown, expired or revoked; check --token / CODEPIPER_TOKEN, ` +
              "or create another on the daemon's host with codepiper token create --name <name> --scope write",
          )
        : again(`the remote daemon at ${at} needs a token: give one with --token or CODEPIPER_TOKEN (on its host: codepiper token create --name <name> --scope write)`);
    case 'SCOPE_INSUFFICIENT': {
      const needed = (error.details as { needed?: unknown } | undefined)?.needed;
      const scope = typeof needed === 'string' && /^[a-z]+$/.test(needed) ? needed : 'write';
      return again(`${error.message} (remote daemon at ${at}): use a token of that scope, made on its host with codepiper token create --name <name> --scope ${scope}`);
    }
    case 'HOST_NOT_ALLOWED':
      return again(`${error.message} (remote daemon at ${at}): reach it by the name it serves, or add this name to its allowed hosts`);
    case 'ROUTE_NOT_FOUND':
      return again(`${error.message} (remote daemon at ${at}): a route only this machine's socket serves, or one the daemon's version does not have`);
    default:
      return error;
  }
}

/** The check a remote answer goes through: an HTTP answer without the daemon's mark is not a CodePiper daemon. */
export function checkRemoteAnswer(response: RawResponse, target: RemoteTarget, what: string): void {
  if (response.headers[VERSION_HEADER] !== undefined) return;
  const type = String(response.headers['content-type'] ?? '');
  if (type.startsWith('application/json') && response.status >= 400) return; // a proxy's JSON error is read as one
  throw new AppError(
    'DAEMON_UNAVAILABLE',
    `what answers at ${target.label} is not a CodePiper daemon (HTTP ${response.status} to ${what}, without its version header): check --remote, and that a proxy forwards ${API_PREFIX}/`,
    { status: response.status },
  );
}
