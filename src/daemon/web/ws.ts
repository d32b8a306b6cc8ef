import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { routes } from '../../core/api';
import { STREAM_ACCESS, type StreamMessage } from '../../core/api/events';
import { TOPIC_KINDS } from '../../core/api/topics';
import {
  WS_CLOSE_OVERFLOW,
  WS_HEARTBEAT_MS,
  WS_INPUT_ROUTES,
  WS_MAX_FRAME_BYTES,
  WS_MAX_QUEUED_BYTES,
  WS_PROTOCOL,
  parseClientFrame,
  type WsClientFrame,
  type WsServerFrame,
} from '../../core/api/ws';
import { scopeIncludes, type Grant, type Scope } from '../../core/auth/types';
import { AppError, isAppError } from '../../core/errors';
import type { DaemonContext, Transport } from '../context';
import { followTopic, resolveTopic, type Following } from '../follow';
import { handlers } from '../handlers';
import { createRouter, type Router } from '../router';
import { refuseUpgrade } from './refuse';

/** Who is upgrading: on the socket nobody (the user); over TCP the grant the listener authenticated. */
export interface UpgradeAccess {
  grant?: Grant | undefined;
  transport: Transport;
  /** Over TCP, the client's address (after trustProxy), for the handlers the input frames reach. */
  remoteAddress?: string | undefined;
  secure?: boolean | undefined;
  /**
   * Over TCP, authenticates the connection's credentials again (a revoked token, a logged-out session): called at every
   * heartbeat and before each input frame; a connection whose credentials no longer hold (undefined, or it throws)
   * is closed with 1008. Without it, a connection keeps the grant it was opened with.
   */
  revalidate?: (() => Grant | undefined) | undefined;
}

/** Whether the connection's credentials still hold (see UpgradeAccess.revalidate). */
export function stillAuthorized(access: UpgradeAccess): boolean {
  if (access.transport === 'unix' || !access.revalidate) return true;
  try {
    return access.revalidate() !== undefined;
  } catch {
    return false;
  }
}

/** The close code for a connection whose credentials were revoked. */
export const CLOSE_REVOKED = 1008;

export interface WebSocketHub {
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, access: UpgradeAccess): void;
  /** Closes every connection (1001, going away) and stops the heartbeat. */
  close(): void;
}

export interface WebSocketHubOptions {
  /** How often connections are pinged (WS_HEARTBEAT_MS); tests shorten it. */
  heartbeatMs?: number | undefined;
  /** What may be queued for one client before it is cut off (WS_MAX_QUEUED_BYTES). */
  maxQueuedBytes?: number | undefined;
}

/** Input frames one connection may have waiting for their answers; more is refused, so a client cannot queue without bound. */
const MAX_INPUT_IN_FLIGHT = 32;
/** After `overflow` the client gets this long to read what was queued and close; then its connection is cut. */
const OVERFLOW_GRACE_MS = 10_000;

/**
 * The WebSocket stream (api/ws.ts): topics as on /events with resume, input frames that are the sessions.send and
 * sessions.keys routes (dispatched through the route table, so the access level, the input schema, the policy check
 * and its audit row are the routes' own), heartbeats, and a bounded queue per connection.
 */
export function createWebSocketHub(daemon: DaemonContext, options: WebSocketHubOptions = {}): WebSocketHub {
  const heartbeatMs = options.heartbeatMs ?? WS_HEARTBEAT_MS;
  const maxQueued = options.maxQueuedBytes ?? WS_MAX_QUEUED_BYTES;
  // No per-message compression: it costs CPU per subscriber and memory per connection for terminal bytes.
  const server = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
  const connections = new Set<Connection>();
  const router = createRouter(routes, handlers, (request, responseHeaders) => ({
    daemon,
    transport: request.transport,
    headers: request.headers ?? {},
    grant: request.grant,
    remoteAddress: request.remoteAddress,
    secure: request.secure === true,
    responseHeaders,
  }));
  const heartbeat = setInterval(() => {
    for (const connection of connections) connection.beat();
  }, heartbeatMs);
  heartbeat.unref();

  return {
    handleUpgrade(req, socket, head, access) {
      socket.on('error', () => {
        /* the client went away during the handshake */
      });
      const scope = grantedScope(access);
      if (!scope) {
        refuseUpgrade(socket, new AppError('AUTH_REQUIRED', 'log in or send a token to follow the stream'), daemon.core.version);
        return;
      }
      if (!scopeIncludes(scope, STREAM_ACCESS)) {
        refuseUpgrade(socket, new AppError('SCOPE_INSUFFICIENT', `the stream needs the ${STREAM_ACCESS} scope`), daemon.core.version);
        return;
      }
      server.handleUpgrade(req, socket, head, (ws) => {
        const connection = new Connection(ws, daemon, router, { ...access, scope }, { maxQueued, heartbeatMs }, () => connections.delete(connection));
        connections.add(connection);
      });
    },
    close() {
      clearInterval(heartbeat);
      for (const connection of [...connections]) connection.end(1001, 'daemon shutting down');
      connections.clear();
      server.close();
    },
  };
}

/** The scope a connection acts with: on the socket everything (it is the user); over TCP its grant's, if any. */
function grantedScope(access: UpgradeAccess): Scope | undefined {
  return access.transport === 'unix' ? 'admin' : access.grant?.scope;
}

class Connection {
  private readonly followings = new Map<string, Following>();
  private alive = true;
  private inFlight = 0;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly daemon: DaemonContext,
    private readonly router: Router,
    private readonly access: UpgradeAccess & { scope: Scope },
    private readonly limits: { maxQueued: number; heartbeatMs: number },
    private readonly onGone: () => void,
  ) {
    // ws reports protocol violations (a frame over maxPayload: 1009, bad UTF-8, …) here, closing the connection itself.
    ws.on('error', () => {
      /* ws closes the connection itself, with the code that says why */
    });
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.dispose());
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.send({
      type: 'hello',
      version: daemon.core.version,
      protocol: WS_PROTOCOL,
      topics: Object.values(TOPIC_KINDS).map((kind) => kind.pattern),
      scope: access.scope,
      limits: { maxFrameBytes: WS_MAX_FRAME_BYTES, maxQueuedBytes: limits.maxQueued, heartbeatMs: limits.heartbeatMs },
    });
  }

  /** Called every heartbeat interval: a client that did not answer the last ping is gone. */
  beat(): void {
    if (!stillAuthorized(this.access)) return this.end(CLOSE_REVOKED, 'credentials revoked or expired');
    if (!this.alive) {
      this.ws.terminate();
      this.dispose();
      return;
    }
    this.alive = false;
    try {
      this.ws.ping();
    } catch {
      /* closing already */
    }
  }

  end(code: number, reason: string): void {
    this.dispose();
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
    // A client that never answers the close is not waited for.
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const following of this.followings.values()) following.stop();
    this.followings.clear();
    this.onGone();
  }

  /**
   * Queues a frame, unless the client has fallen too far behind: then it is told (`overflow`, behind what it has not
   * read yet), its topics are dropped, and it is disconnected; nothing more is queued for it.
   */
  private send(frame: WsServerFrame): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    const text = JSON.stringify(frame);
    if (this.ws.bufferedAmount + text.length > this.limits.maxQueued) {
      this.ws.send(JSON.stringify({ type: 'overflow', message: `client too slow: over ${this.limits.maxQueued} bytes waiting to be read; disconnected` } satisfies WsServerFrame));
      this.dispose();
      this.ws.close(WS_CLOSE_OVERFLOW, 'overflow: client too slow');
      setTimeout(() => this.ws.terminate(), OVERFLOW_GRACE_MS).unref();
      return;
    }
    this.ws.send(text);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    const parsed = parseClientFrame(data, isBinary);
    if (!parsed.ok) return this.send(parsed.error);
    const frame = parsed.frame;
    try {
      switch (frame.type) {
        case 'ping':
          return this.send({ type: 'pong', ...withRef(frame) });
        case 'subscribe':
          return this.subscribe(frame);
        case 'unsubscribe':
          for (const name of frame.topics) {
            const topic = this.topicName(name);
            this.followings.get(topic)?.stop();
            this.followings.delete(topic);
          }
          return this.send({ type: 'ready', ...withRef(frame), topics: [...this.followings.keys()], positions: this.positions() });
        case 'send':
        case 'paste':
        case 'keys':
          return this.input(frame);
      }
    } catch (error) {
      this.fail(error, frame);
    }
  }

  /** All topics are resolved before any is followed: a subscribe that names one bad topic changes nothing. */
  private subscribe(frame: Extract<WsClientFrame, { type: 'subscribe' }>): void {
    const topics = frame.topics.map((name) => resolveTopic(name, this.daemon));
    for (const topic of topics) {
      // Subscribing again (to resume from another point) replaces the previous subscription.
      this.followings.get(topic.name)?.stop();
      const following = followTopic(
        this.daemon,
        topic,
        (message: StreamMessage, position) => this.send({ type: 'event', topic: topic.name, event: message.event, ...(position === undefined ? {} : { seq: position }), data: message.data }),
        frame.since,
      );
      if (this.closed) return following.stop();
      this.followings.set(topic.name, following);
    }
    this.send({ type: 'ready', ...withRef(frame), topics: [...this.followings.keys()], positions: this.positions() });
  }

  private positions(): Record<string, number> {
    const positions: Record<string, number> = {};
    for (const [topic, following] of this.followings) if (following.position !== undefined) positions[topic] = following.position;
    return positions;
  }

  private topicName(name: string): string {
    try {
      return resolveTopic(name, this.daemon).name;
    } catch {
      return name; // a session deleted since: its subscription is still known by the name it was given
    }
  }

  /**
   * Input frames are requests to their routes, dispatched through the same table as HTTP: over TCP the route's access
   * level is checked against the grant (SCOPE_INSUFFICIENT for a read token), the input is parsed by the route's
   * schema, and the handler applies the input policy and writes its audit row.
   */
  private input(frame: Extract<WsClientFrame, { type: 'send' | 'paste' | 'keys' }>): void {
    if (!stillAuthorized(this.access)) return this.end(CLOSE_REVOKED, 'credentials revoked or expired');
    if (this.inFlight >= MAX_INPUT_IN_FLIGHT) {
      return this.send({ type: 'error', ...withRef(frame), code: 'RATE_LIMITED', message: `more than ${MAX_INPUT_IN_FLIGHT} input frames are waiting to be typed; wait for their answers` });
    }
    const routeName = WS_INPUT_ROUTES[frame.type];
    const route = routes.find((candidate) => candidate.name === routeName)!;
    const body =
      frame.type === 'keys' ? { keys: frame.keys } : { text: frame.text, newline: frame.type === 'paste' ? false : frame.enter ?? true };
    const url = route.path.replace(':id', encodeURIComponent(frame.session));
    this.inFlight++;
    void this.router
      .dispatch({
        method: route.method,
        url,
        body: Buffer.from(JSON.stringify(body)),
        transport: this.access.transport,
        headers: { 'content-type': 'application/json' },
        grant: this.access.grant,
        remoteAddress: this.access.remoteAddress,
        secure: this.access.secure,
      })
      .then((result) => {
        if (result.status === 200) return this.send({ type: 'ok', ...withRef(frame), result: result.body });
        const error = (result.body as { error?: { code: string; message: string; details?: unknown } }).error ?? { code: 'INTERNAL', message: 'internal error' };
        this.send(this.errorFrame(error, result.status, frame));
      })
      .finally(() => this.inFlight--);
  }

  private fail(error: unknown, frame: WsClientFrame): void {
    if (isAppError(error)) return this.send(this.errorFrame(error.toJSON().error, error.status, frame));
    this.daemon.log.error('websocket frame failed', error);
    this.send({ type: 'error', ...withRef(frame), code: 'INTERNAL', message: 'internal error' });
  }

  /** Over TCP a server error says no more than that it happened (no paths, no causes); the log has the rest. */
  private errorFrame(error: { code: string; message: string; details?: unknown }, status: number, frame: WsClientFrame): WsServerFrame {
    if (status >= 500 && this.access.transport === 'tcp') return { type: 'error', ...withRef(frame), code: error.code, message: 'internal error' };
    return { type: 'error', ...withRef(frame), code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) };
  }
}

function withRef(frame: { ref?: string | number | undefined }): { ref?: string | number } {
  return frame.ref === undefined ? {} : { ref: frame.ref };
}
