import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { VERSION_HEADER } from '../../core/api/headers';
import { WS_PATH, terminalSessionRef } from '../../core/api/ws';
import { AppError } from '../../core/errors';
import type { TerminalBridge } from './terminal-bridge';
import type { UpgradeAccess, WebSocketHub } from './ws';

const REASONS: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 500: 'Internal Server Error' };

/**
 * Answers an upgrade request that will not become a WebSocket with a plain HTTP error (the same JSON envelope as every
 * route) and closes the connection: node hands upgrades to the listeners as raw sockets, without a response object.
 */
export function refuseUpgrade(socket: Duplex, error: AppError, version: string): void {
  socket.on('error', () => {
    /* the client went away; nothing more to say */
  });
  const payload = JSON.stringify(error.toJSON());
  const head = [
    `HTTP/1.1 ${error.status} ${REASONS[error.status] ?? 'Error'}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(payload)}`,
    `${VERSION_HEADER}: ${version}`,
    'connection: close',
  ];
  if (socket.writable) socket.end(`${head.join('\r\n')}\r\n\r\n${payload}`);
  else socket.destroy();
}

/**
 * Routes an upgrade request by its path (as the Unix socket names them; a network listener strips its /api first):
 * the stream at WS_PATH, a session's terminal at /sessions/<ref>/terminal; anything else is a 404 and the connection closes.
 */
export function routeUpgrade(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: { hub: WebSocketHub; bridge: TerminalBridge; access: UpgradeAccess; version: string; pathname?: string },
): void {
  let pathname: string;
  try {
    pathname = target.pathname ?? new URL(req.url ?? '/', 'http://codepiper.invalid').pathname;
  } catch {
    return refuseUpgrade(socket, new AppError('USAGE', 'malformed request target'), target.version);
  }
  if (req.method !== 'GET') return refuseUpgrade(socket, new AppError('METHOD_NOT_ALLOWED', 'a WebSocket upgrade is a GET request'), target.version);
  if (pathname === WS_PATH) return target.hub.handleUpgrade(req, socket, head, target.access);
  const session = terminalSessionRef(pathname);
  if (session !== undefined) return target.bridge.handleUpgrade(req, socket, head, target.access, session);
  refuseUpgrade(socket, new AppError('ROUTE_NOT_FOUND', `no WebSocket at ${pathname}; upgrade ${WS_PATH} or /sessions/<id>/terminal`), target.version);
}
