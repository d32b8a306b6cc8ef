import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WS_PATH, terminalSessionRef } from '../../core/api/ws';
import { AppError } from '../../core/errors';
import { refuseUpgrade } from './refuse';
import type { TerminalBridge } from './terminal-bridge';
import type { UpgradeAccess, WebSocketHub } from './ws';

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

/** The upgrade targets of the network listener (paths without its /api prefix): the same hub and bridge as the socket's. */
export function webUpgrades(hub: WebSocketHub, bridge: TerminalBridge): { resolve(path: string): { target: WebSocketHub | TerminalBridge; params: string[] } | undefined } {
  return {
    resolve(path) {
      if (path === WS_PATH) return { target: hub, params: [] };
      const session = terminalSessionRef(path);
      return session === undefined ? undefined : { target: bridge, params: [session] };
    },
  };
}
