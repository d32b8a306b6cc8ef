import type { Duplex } from 'node:stream';
import { VERSION_HEADER } from '../../core/api/headers';
import type { AppError } from '../../core/errors';

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
