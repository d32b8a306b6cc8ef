import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { API_PREFIX, VERSION_HEADER } from '../../core/api/headers';
import { STREAM_PATH } from '../../core/api/topics';
import { SESSION_COOKIE, scopeIncludes, type Authenticator, type Credentials, type Grant } from '../../core/auth/types';
import { AppError, isAppError } from '../../core/errors';
import type { DaemonContext } from '../context';
import { send, serveRoute } from '../http';
import type { Router } from '../router';
import { serveStream } from '../stream';
import { bearerToken, checkHost, header, checkOrigin, clientView, cookieValue, isLoopback, presentOverTcp, RateLimiter, rateLimitKey, securityHeaders, type ClientView } from './guards';
import type { WebOptions } from './options';
import type { UpgradeAccess } from './ws';


/**
 * Where a WebSocket upgrade goes once the listener has checked and authenticated it: `/api/ws` (the stream hub) and
 * `/api/sessions/:id/terminal` (the terminal bridge). `rest` holds the path's parameters (the session).
 */
export interface UpgradeTarget {
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, access: UpgradeAccess, ...rest: string[]): void;
}

export interface WebUpgrades {
  /** The target for an upgrade path (without /api) and its parameters, or undefined for a path nothing serves. */
  resolve(path: string): { target: UpgradeTarget; params: string[] } | undefined;
}

export interface WebListener {
  /** The URL clients use: scheme, the bound host (loopback names as given), the real port (also when 0 was asked). */
  url: string;
  port: number;
  options: WebOptions;
  close(): Promise<void>;
}

/** How long open connections get to finish once the listener closes. */
const CLOSE_GRACE_MS = 2000;
/**
 * How often the credentials of a long-lived connection (an event stream, a WebSocket) are checked again: a revoked
 * token, a logout or a password change ends it within this time, not whenever the client happens to go away.
 */
export const RECHECK_CREDENTIALS_MS = 2000;
/**
 * Open connections one client (an address, an IPv6 /64) may hold at once, and all clients together. The rate limit
 * counts requests; a connection that never finishes its request costs the daemon a descriptor and memory for up to
 * the headers timeout, so a client opening thousands of them is cut off here instead.
 */
export const MAX_CONNECTIONS_PER_CLIENT = 256;
export const MAX_CONNECTIONS = 8192;

/**
 * The daemon over TCP (--web): the same router as the socket, under /api, behind the guards of guards.ts and
 * authentication. The order of checks is the order of cost and of what may be revealed: Host (a rebinding page
 * learns nothing), rate limit (guessing is slow), Origin (a cross-site page changes nothing), credentials, then the
 * route's access level (router.ts).
 */
export async function startWebListener(
  options: WebOptions,
  deps: { daemon: DaemonContext; router: Router; authenticator: Authenticator; upgrades?: WebUpgrades | undefined },
): Promise<WebListener> {
  const { daemon, router, authenticator } = deps;
  const limiter = new RateLimiter(options.rateLimit.burst, options.rateLimit.perSecond);
  const tls = options.tls !== undefined;
  const serverOptions: http.ServerOptions = { requestTimeout: 60_000, headersTimeout: 20_000, keepAliveTimeout: 5_000, maxHeaderSize: 16 * 1024 };
  const server = options.tls
    ? https.createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' })
    : http.createServer(serverOptions);
  server.maxRequestsPerSocket = 1000;
  server.maxConnections = MAX_CONNECTIONS;
  const connections = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const peer = socket.remoteAddress ?? 'unknown';
    // A trusted proxy on this machine carries every client's requests: its connections are not one client's.
    if (options.trustProxy && isLoopback(peer)) return;
    const key = rateLimitKey(peer);
    const open = (connections.get(key) ?? 0) + 1;
    if (open > MAX_CONNECTIONS_PER_CLIENT) return void socket.destroy();
    connections.set(key, open);
    socket.once('close', () => {
      const left = (connections.get(key) ?? 1) - 1;
      if (left > 0) connections.set(key, left);
      else connections.delete(key);
    });
  });

  /** Long-lived connections and the credentials that opened them, checked again every RECHECK_CREDENTIALS_MS. */
  const longLived = new Set<{ credentials: Credentials; end: () => void }>();
  const keepAlive = (credentials: Credentials, end: () => void, closed: NodeJS.EventEmitter) => {
    const entry = { credentials, end };
    longLived.add(entry);
    closed.once('close', () => longLived.delete(entry));
  };
  const recheck = setInterval(() => {
    for (const entry of longLived) {
      let live = false;
      try {
        live = authenticator.authenticate(entry.credentials) !== undefined;
      } catch {
        live = false;
      }
      if (live) continue;
      longLived.delete(entry);
      entry.end();
    }
  }, RECHECK_CREDENTIALS_MS);
  recheck.unref();
  server.on('close', () => clearInterval(recheck));

  /** The checks shared by requests and upgrades; throws the AppError to answer with. */
  const admit = (req: http.IncomingMessage, view: ClientView, upgrade: boolean): { grant: Grant | undefined; authFailure: AppError | undefined; credentials: Credentials } => {
    checkHost(view.host, { boundHost: options.host, allowedHosts: options.allowedHosts });
    // The Host header itself must name us too when a proxy forwarded another one.
    if (view.host !== req.headers.host) checkHost(req.headers.host, { boundHost: options.host, allowedHosts: options.allowedHosts });
    const wait = limiter.take(rateLimitKey(view.address));
    if (wait > 0) throw new AppError('RATE_LIMITED', `too many requests from ${view.address}; retry in ${wait}s`, { details: { retryAfterSeconds: wait } });
    const cookie = cookieValue(header(req, 'cookie'), SESSION_COOKIE);
    const bearer = bearerToken(header(req, 'authorization'));
    checkOrigin(
      {
        method: req.method ?? 'GET',
        origin: header(req, 'origin'),
        secFetchSite: header(req, 'sec-fetch-site'),
        hasCookie: cookie !== undefined,
        hasBearer: bearer !== undefined,
        upgrade,
      },
      { ownOrigin: `${view.secure ? 'https' : 'http'}://${view.host ?? ''}`, allowedOrigins: options.allowedOrigins },
    );
    const credentials = { cookie, bearer };
    try {
      return { grant: authenticator.authenticate(credentials), authFailure: undefined, credentials };
    } catch (error) {
      if (isAppError(error) && error.status === 401) return { grant: undefined, authFailure: error, credentials };
      throw error;
    }
  };

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const view = clientView(req, tls, options.trustProxy);
    res.setHeader(VERSION_HEADER, daemon.core.version);
    for (const [name, value] of Object.entries(securityHeaders(view.secure))) res.setHeader(name, value);
    res.setHeader('cache-control', 'no-store');
    const answer = (error: unknown) => {
      req.resume(); // the body is not read: let it drain so the answer is seen
      send(res, presentOverTcp(errorResult(error)), true);
    };
    let admitted: ReturnType<typeof admit>;
    try {
      admitted = admit(req, view, false);
    } catch (error) {
      return answer(error);
    }
    const url = req.url ?? '/';
    const inner = stripPrefix(url);
    if (inner === undefined) {
      return answer(new AppError('ROUTE_NOT_FOUND', `no route for ${req.method} ${url.split('?')[0]}; the API is under ${API_PREFIX}/`));
    }
    if (req.method === 'GET' && (inner === STREAM_PATH || inner.startsWith(`${STREAM_PATH}?`))) {
      // The event stream carries what read routes show: it needs the read scope.
      if (admitted.authFailure) return answer(admitted.authFailure);
      if (!admitted.grant) return answer(new AppError('AUTH_REQUIRED', 'log in (POST /api/auth/login) or send an API token (Authorization: Bearer cpt_…)'));
      serveStream(req, res, daemon);
      if (!res.writableEnded) keepAlive(admitted.credentials, () => res.end(), res);
      return;
    }
    serveRoute(req, res, deps.router, daemon, {
      url: inner,
      transport: 'tcp',
      grant: admitted.grant,
      authFailure: admitted.authFailure,
      remoteAddress: view.address,
      secure: view.secure,
      present: presentOverTcp,
    });
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {
      /* the client went away */
    });
    const view = clientView(req, tls, options.trustProxy);
    try {
      const { grant, authFailure, credentials } = admit(req, view, true);
      const inner = stripPrefix(req.url ?? '/');
      const resolved = inner === undefined ? undefined : deps.upgrades?.resolve(inner.split('?')[0]!);
      if (!resolved) throw new AppError('ROUTE_NOT_FOUND', `nothing upgrades to a WebSocket at ${(req.url ?? '/').split('?')[0]}`);
      if (authFailure) throw authFailure;
      if (!grant || !scopeIncludes(grant.scope, 'read')) throw new AppError('AUTH_REQUIRED', 'a WebSocket needs a login or an API token');
      // An open connection keeps checking its credentials: a revoked token or login ends it, politely (1008) at its
      // next frame through UpgradeAccess.revalidate, and in any case within RECHECK_CREDENTIALS_MS (keepAlive).
      const revalidate = () => authenticator.authenticate(credentials);
      keepAlive(credentials, () => socket.destroy(), socket);
      resolved.target.handleUpgrade(req, socket, head, { grant, transport: 'tcp', remoteAddress: view.address, secure: view.secure, revalidate }, ...resolved.params);
    } catch (error) {
      refuseUpgrade(socket, presentOverTcp(errorResult(error)), daemon.core.version, view.secure);
    }
  });

  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  server.on('connect', (_req, socket: Duplex) => {
    socket.on('error', () => {});
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  // TLS handshakes that fail (a client speaking HTTP to HTTPS, a scanner) are the client's problem, not the daemon's.
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'the port is in use (choose another with --port)' : error.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : error.message;
      reject(new AppError('WEB_INSECURE', `cannot listen on ${options.host}:${options.port}: ${why}`, { details: { host: options.host, port: options.port, errno: error.code } }));
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => daemon.log.error('web listener error', error));
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${tls ? 'https' : 'http'}://${hostInUrl}:${port}`;

  return {
    url,
    port,
    options,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/** `/api/sessions?x` → `/sessions?x`; undefined for a path outside the prefix. */
function stripPrefix(url: string): string | undefined {
  if (url === API_PREFIX || url.startsWith(`${API_PREFIX}?`)) return `/${url.slice(API_PREFIX.length)}`;
  if (url.startsWith(`${API_PREFIX}/`)) return url.slice(API_PREFIX.length);
  return undefined;
}

function errorResult(error: unknown): { status: number; body: unknown; headers: Record<string, string> } {
  const appError = isAppError(error) ? error : new AppError('INTERNAL', 'internal error');
  const headers: Record<string, string> = {};
  const retry = (appError.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (appError.status === 429 && typeof retry === 'number') headers['retry-after'] = String(retry);
  return { status: appError.status, body: appError.toJSON(), headers };
}

/** An upgrade refused: a plain HTTP answer with the error envelope, then the connection closed. */
function refuseUpgrade(socket: Duplex, result: { status: number; body: unknown; headers?: Record<string, string | string[]> }, version: string, secure: boolean): void {
  if (!socket.writable) return void socket.destroy();
  const payload = JSON.stringify(result.body);
  const lines = [
    `HTTP/1.1 ${result.status} ${http.STATUS_CODES[result.status] ?? 'Error'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(payload)}`,
    `${VERSION_HEADER}: ${version}`,
    ...Object.entries({ ...securityHeaders(secure), ...result.headers }).map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : value}`),
    'connection: close',
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${payload}`);
}
