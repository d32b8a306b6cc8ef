import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { VERSION_HEADER } from '../core/api/headers';
import { AppError } from '../core/errors';
import type { DaemonContext, Transport } from './context';
import type { DispatchResult, Router } from './router';
import { STREAM_PATH, serveStream } from './stream';

/** Largest request body accepted, unless the route declares its own limit (RouteDef.body). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Past the limit the rest of an oversized body is read and dropped so the client sees the 413; past this, it is cut. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** Adapts node:http to the router: reads the body within the limit, dispatches, writes JSON. */
export function createRequestListener(router: Router, transport: Transport, daemon: DaemonContext): http.RequestListener {
  const log = daemon.log;
  return (req, res) => {
    // Every answer says who gave it, event streams and errors included: clients compare it with their own version.
    res.setHeader(VERSION_HEADER, daemon.core.version);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (method === 'GET' && (url === STREAM_PATH || url.startsWith(`${STREAM_PATH}?`))) {
      serveStream(req, res, daemon);
      return;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    const limit = router.bodyLimit(method, url, MAX_BODY_BYTES);
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
        send(res, tooLargeResult(limit), true);
        return;
      }
      router
        .dispatch({ method, url, body: received > 0 ? Buffer.concat(chunks) : undefined, transport, headers: req.headers })
        .then((result) => send(res, result, false))
        .catch((error: unknown) => {
          // dispatch turns every error into a result; reaching here is a bug in the router itself
          log.error('router failed', error);
          send(res, { status: 500, body: new AppError('INTERNAL', 'internal error').toJSON() }, true);
        });
    });
  };
}

function tooLargeResult(limit: number): DispatchResult {
  return {
    status: 413,
    body: new AppError('PAYLOAD_TOO_LARGE', `request body is larger than the ${limit}-byte limit${limit === MAX_BODY_BYTES ? '' : ' of this route'}`, {
      details: { limit },
    }).toJSON(),
  };
}

function send(res: http.ServerResponse, result: DispatchResult, closeAfter: boolean): void {
  if (res.headersSent || res.destroyed) return;
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
