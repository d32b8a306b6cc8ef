import net from 'node:net';
import type http from 'node:http';
import { AppError } from '../../core/errors';

/**
 * The checks every request to the TCP listener passes before any route sees it, as small functions of what the
 * request says, so each can be tested alone: whom the Host names, where a state-changing request comes from, how
 * often one address asks, and what an answer may reveal.
 */

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x) and `localhost`: names that only ever reach this machine. */
export function isLoopback(host: string): boolean {
  const name = unbracket(host).toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (net.isIPv4(name)) return name.startsWith('127.');
  if (net.isIPv6(name)) return name === '::1' || /^::ffff:127\./.test(name);
  return false;
}

/** `[::1]:4321` → `::1`, `example.com:80` → `example.com`; undefined for what is not a host[:port]. */
export function hostName(hostHeader: string): string | undefined {
  const value = hostHeader.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(value);
  if (bracketed) return net.isIPv6(bracketed[1]!) ? bracketed[1] : undefined;
  const plain = /^([a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(value);
  return plain?.[1] || undefined;
}

export interface HostRules {
  /** The address or name the listener was bound to. */
  boundHost: string;
  /** Names configured as the listener's own (web.allowedHosts). */
  allowedHosts: readonly string[];
}

/**
 * The Host a request names must be one the listener answers to: an IP address (a page cannot rebind a name onto an
 * address typed as such), localhost, the name it was bound to, or a configured name. Anything else is a page of
 * another site whose name was pointed at this machine (DNS rebinding), or a misconfigured proxy: refused with 421.
 */
export function checkHost(hostHeader: string | undefined, rules: HostRules): void {
  if (!hostHeader) throw new AppError('HOST_NOT_ALLOWED', 'the request has no Host header');
  const name = hostName(hostHeader);
  if (name === undefined) throw new AppError('HOST_NOT_ALLOWED', `the Host header is not a host name: ${JSON.stringify(hostHeader.slice(0, 100))}`);
  if (net.isIP(name) || name === 'localhost') return;
  const own = [rules.boundHost, ...rules.allowedHosts].map((host) => unbracket(host).toLowerCase());
  if (own.includes(name)) return;
  throw new AppError('HOST_NOT_ALLOWED', `this daemon does not answer to the name "${name}"; add it to web.allowedHosts if it is yours`, {
    details: { host: name },
  });
}

export interface OriginRules {
  /** This listener's own origin as the request reached it: scheme://host[:port] from its Host (or forwarded) header. */
  ownOrigin: string;
  /** Other origins allowed to call (web.allowedOrigins). */
  allowedOrigins: readonly string[];
}

/** Methods that never change state (the contract keeps them so), and need no Origin check. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF: a state-changing request (or a WebSocket upgrade, whatever its method) from a browser page must come from
 * this listener's own origin or an allowed one. Browsers send Origin on such requests; when it is missing, the
 * request must not be riding on a login cookie alone (a tool sends a bearer token, which no page can attach), and
 * a Sec-Fetch-Site saying it crossed sites is believed.
 */
export function checkOrigin(
  request: { method: string; origin?: string | undefined; secFetchSite?: string | undefined; hasCookie: boolean; hasBearer: boolean; upgrade: boolean },
  rules: OriginRules,
): void {
  if (!request.upgrade && SAFE_METHODS.has(request.method)) return;
  const what = request.upgrade ? 'a WebSocket connection' : `a ${request.method} request`;
  if (request.origin !== undefined) {
    const origin = normalizeOrigin(request.origin);
    const allowed = [rules.ownOrigin, ...rules.allowedOrigins].map(normalizeOrigin);
    if (origin !== undefined && allowed.includes(origin)) return;
    throw new AppError('ORIGIN_NOT_ALLOWED', `${what} from the page origin ${JSON.stringify(request.origin.slice(0, 200))} is refused; add it to web.allowedOrigins if it is yours`, {
      details: { origin: request.origin.slice(0, 200) },
    });
  }
  const site = request.secFetchSite?.toLowerCase();
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new AppError('ORIGIN_NOT_ALLOWED', `${what} from another site (Sec-Fetch-Site: ${site}) is refused`);
  }
  if (request.hasCookie && !request.hasBearer) {
    throw new AppError('ORIGIN_NOT_ALLOWED', `${what} authenticated by a login cookie must carry an Origin header`);
  }
}

/** `HTTPS://Example.com:443` → `https://example.com`; undefined for `null` and anything that is not an origin. */
export function normalizeOrigin(value: string): string | undefined {
  if (value === 'null') return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * A token bucket per client address: `burst` requests at once, refilled at `perSecond`. The map is bounded: past
 * MAX_TRACKED addresses the oldest entries go (an address forgotten starts with a full bucket, which only ever errs
 * on the side of serving).
 */
export class RateLimiter {
  static readonly MAX_TRACKED = 10_000;
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 when `key` may go ahead (and is charged one request), else the seconds until it may. */
  take(key: string): number {
    const now = this.now();
    const bucket = this.buckets.get(key);
    let tokens = this.burst;
    if (bucket) {
      tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      this.buckets.delete(key); // re-inserted below: the map's order is the order of last use
    } else if (this.buckets.size >= RateLimiter.MAX_TRACKED) {
      this.buckets.delete(this.buckets.keys().next().value!);
    }
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) / this.perSecond));
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return 0;
  }

  get tracked(): number {
    return this.buckets.size;
  }
}

/**
 * Whom the rate limiter counts an address as. An IPv4 address is one client; an IPv6 address counts as its /64, the
 * block a single host or site is handed: one client holds 2^64 addresses, and stepping through them would give it a
 * fresh bucket per request (and push real clients out of the bounded map).
 */
export function rateLimitKey(address: string): string {
  const bare = address.split('%')[0]!.toLowerCase();
  if (!net.isIPv6(bare)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1]!;
  const groups = (part: string) => (part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])));
  const [head = '', tail] = bare.split('::');
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const full = tail === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return `${full
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** What a request says of its client once trustProxy is applied. */
export interface ClientView {
  address: string;
  secure: boolean;
  /** The Host the client used (the proxy's X-Forwarded-Host when trusted). */
  host: string | undefined;
}

/**
 * The client's address, scheme and host. Forwarded headers are believed only with trustProxy and only from a peer on
 * loopback (the proxy on this machine): anyone else could write them. X-Forwarded-For's last entry is the address
 * the proxy saw (earlier ones are whatever the client claimed).
 */
export function clientView(req: http.IncomingMessage, tls: boolean, trustProxy: boolean): ClientView {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const view: ClientView = { address: peer, secure: tls, host: header(req, 'host') };
  if (!trustProxy || !isLoopback(peer)) return view;
  const forwardedFor = header(req, 'x-forwarded-for')
    ?.split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .pop();
  if (forwardedFor && net.isIP(forwardedFor)) view.address = forwardedFor;
  const proto = header(req, 'x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  if (proto === 'https') view.secure = true;
  const forwardedHost = header(req, 'x-forwarded-host')?.split(',')[0]?.trim();
  if (forwardedHost) view.host = forwardedHost;
  return view;
}

/** Sent with every answer of the TCP listener. The API serves JSON only: nothing it answers may run or be framed. */
export function securityHeaders(secure: boolean): Record<string, string> {
  return {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=()',
    ...(secure ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

/** An answer about to be sent: the router's result, or a refusal of the listener's own. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string | string[]> | undefined;
}

/**
 * An answer as the network may see it: an internal failure says what kind (its code) and that the daemon's log has
 * the rest, never the message, whose text may hold paths, SQL or a stack; a 401 names the scheme it wants.
 */
export function presentOverTcp(result: Answer): Answer & { headers: Record<string, string | string[]> } {
  const headers = { ...result.headers };
  if (result.status === 401) headers['www-authenticate'] = 'Bearer realm="codepiper"';
  if (result.status < 500) return { ...result, headers };
  const code = (result.body as { error?: { code?: unknown } } | undefined)?.error?.code;
  const safeCode = typeof code === 'string' && /^[A-Z_]{1,64}$/.test(code) ? code : 'INTERNAL';
  return {
    status: result.status,
    headers,
    body: new AppError(safeCode, `the daemon could not answer (${safeCode}); its log (daemon.log in the daemon's home) has the details`).toJSON(),
  };
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** The token of `Authorization: Bearer <token>`. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return match?.[1];
}

/** A request header's value, the first one when it came more than once. */
export function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
