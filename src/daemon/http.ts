import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { VERSION_HEADER } from '../core/api/headers';
import { isRawBody, rawBodyHeaders } from '../core/api/raw';
import { AppError } from '../core/errors';
import type { DaemonContext, Transport } from './context';
import type { DispatchRequest, DispatchResult, Router } from './router';
import { STREAM_PATH, serveStream } from './stream';

/** Largest request body accepted, unless the route declares its own limit (RouteDef.body). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Past the limit the rest of an oversized body is read and dropped so the client sees the 413; past this, it is cut. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** Adapts node:http to the router on the Unix socket: the event stream, else a route. */
export function createRequestListener(router: Router, transport: Transport, daemon: DaemonContext): http.RequestListener {
  return (req, res) => {
    // Every answer says who gave it, event streams and errors included: clients compare it with their own version.
    res.setHeader(VERSION_HEADER, daemon.core.version);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (method === 'GET' && (url === STREAM_PATH || url.startsWith(`${STREAM_PATH}?`))) {
      serveStream(req, res, daemon);
      return;
    }
    serveRoute(req, res, router, daemon, { url, transport });
  };
}

/** How a listener dispatches one request: where it goes (the path without any prefix) and what is known of its caller. */
export type RouteRequest = Omit<DispatchRequest, 'method' | 'body' | 'headers'> & {
  /** Rewrites an answer before it is sent (the TCP listener hides internal details). */
  present?: (result: DispatchResult) => DispatchResult;
};

/** Reads the body within the route's limit, dispatches, writes the answer. */
export function serveRoute(req: http.IncomingMessage, res: http.ServerResponse, router: Router, daemon: DaemonContext, request: RouteRequest): void {
  const log = daemon.log;
  const method = req.method ?? 'GET';
  const { present = (result: DispatchResult) => result, ...dispatchRequest } = request;
  // Over TCP, a caller without the right to the route is answered before its body is read: an anonymous client must
  // not make the daemon hold bodies of the largest route's size (16 MiB uploads) in memory, a hundred at a time.
  const refused = request.transport === 'tcp' ? router.refusal({ ...dispatchRequest, method }) : undefined;
  if (refused) {
    req.on('error', () => {});
    req.resume(); // dropped as it arrives, never kept
    send(res, present(refused), true);
    return;
  }
  const declared = Number(req.headers['content-length'] ?? NaN);
  const limit = router.bodyLimit(method, request.url, MAX_BODY_BYTES);
  const chunks: Buffer[] = [];
  let received = 0;
  let tooLarge = Number.isFinite(declared) && declared > limit;

  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
    else chunks.length = 0;
    if (received > MAX_DRAIN_BYTES) {
      send(res, tooLargeResult(limit), true);
      req.destroy();
    }
  });
  req.on('error', () => {
    /* the client went away; nothing to answer */
  });
  req.on('end', () => {
    if (tooLarge) {
      send(res, present(tooLargeResult(limit)), true);
      return;
    }
    router
      .dispatch({ ...dispatchRequest, method, body: received > 0 ? Buffer.concat(chunks) : undefined, headers: req.headers })
      .then((result) => send(res, present(result), false))
      .catch((error: unknown) => {
        // dispatch turns every error into a result; reaching here is a bug in the router itself
        log.error('router failed', error);
        send(res, { status: 500, body: new AppError('INTERNAL', 'internal error').toJSON() }, true);
      });
  });
}

function tooLargeResult(limit: number): DispatchResult {
  return {
    status: 413,
    body: new AppError('PAYLOAD_TOO_LARGE', `request body is larger than the ${limit}-byte limit${limit === MAX_BODY_BYTES ? '' : ' of this route'}`, {
      details: { limit },
    }).toJSON(),
  };
}

export function send(res: http.ServerResponse, result: DispatchResult, closeAfter: boolean): void {
  if (res.headersSent || res.destroyed) return;
  if (isRawBody(result.body)) {
    // A file's bytes (git.fileRaw): its own content type, never sniffed into something a browser would run.
    res.writeHead(result.status, { ...(closeAfter ? { connection: 'close' } : {}), ...result.headers, ...rawBodyHeaders(result.body) });
    res.end(result.body.bytes);
    return;
  }
  const payload = JSON.stringify(result.body);
  res.writeHead(result.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    ...(closeAfter ? { connection: 'close' } : {}),
    ...result.headers,
  });
  res.end(payload);
}

/**
 * The answer to CONNECT, which asks for a tunnel: node hands it to the server's 'connect' listeners, and without one
 * closes the connection unanswered. The daemon serves JSON routes only, so it says so (405, with the methods it takes).
 */
export function refuseConnect(socket: Duplex, allowed: readonly string[], version: string): void {
  socket.on('error', () => {
    /* the client went away; nothing more to say */
  });
  const payload = JSON.stringify(
    new AppError('METHOD_NOT_ALLOWED', `CONNECT is not served: the daemon answers ${allowed.join(', ')} requests on its routes, and opens no tunnels`, {
      details: { allowed },
    }).toJSON(),
  );
  const head = [
    'HTTP/1.1 405 Method Not Allowed',
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(payload)}`,
    `allow: ${allowed.join(', ')}`,
    `${VERSION_HEADER}: ${version}`,
    'connection: close',
  ];
  if (socket.writable) socket.end(`${head.join('\r\n')}\r\n\r\n${payload}`);
  else socket.destroy();
}
