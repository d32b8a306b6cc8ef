import fs from 'node:fs';
import http from 'node:http';
import { VERSION_HEADER } from '../core/api/headers';
import type { StreamArgs } from '../core/api/events';
import { AppError, isAppError } from '../core/errors';
import { checkSocketPath } from '../core/paths';

export interface RawRequest {
  method: string;
  path: string;
  body?: string;
  timeoutMs: number;
  /** The contract's name of the route, for messages. */
  route?: string;
  /** The largest answer read: MAX_RESPONSE_BYTES unless told less (tests). */
  maxBytes?: number;
  /** Accept an answer without the daemon's version header as it is (the probe that checks such a server). */
  unmarkedIsFine?: boolean;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body as received: the bytes of an answer that is not JSON (a file's content). */
  bytes: Buffer;
}

/**
 * Largest answer read. The largest legitimate one is a library export of a long conversation (HTML or JSON); past
 * this, whatever serves the socket is misbehaving, and the client stops instead of growing without end. The text is
 * decoded into one string, and this stays well under the largest string V8 makes.
 */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/**
 * Largest unfinished event of a stream held while its end is awaited. The daemon's events are small (a session, an
 * output chunk, a log entry) and it drops a follower once 8 MiB wait for it (src/daemon/stream.ts): an event past
 * twice that is a stream gone wrong.
 */
export const MAX_EVENT_CHARS = 16 * 1024 * 1024;

/** Connection failures that mean "nobody is serving this socket" (as opposed to a daemon that failed to answer). */
export const NOT_RUNNING_ERRNOS = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);

/**
 * One HTTP/1.1 request over the Unix socket with node:http. The CLI is a short-lived process: node:http's native
 * parser costs nothing to load, whereas undici compiles its WebAssembly parser on first use (about 100 ms per process
 * on these machines, more than Node's whole start-up), which would dominate every command.
 */
/**
 * One connection per request (no keep-alive pool to hold the process open). An empty servername: without it Node
 * works out a TLS server name for the socket, compiling its IPv6 expression on the way, about 5 ms of every command.
 */
const UNIX_SOCKET_OPTIONS = { agent: false, servername: '' } as const;

export function requestOverSocket(socket: string, request: RawRequest): Promise<RawResponse> {
  checkSocketPath(socket);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(request.body);
    }
    const req = http.request({ socketPath: socket, method: request.method, path: request.path, headers, ...UNIX_SOCKET_OPTIONS }, (res) => {
      // Every answer of a CodePiper daemon carries its version. One without it may come through a link to another
      // server altogether: name the link rather than read its answer as ours.
      const unmarked = res.headers[VERSION_HEADER] === undefined && !request.unmarkedIsFine;
      if (unmarked) {
        try {
          checkSocketFile(socket);
        } catch (error) {
          req.destroy();
          return reject(error);
        }
      }
      readBody(req, res, request.route ?? `${request.method} ${request.path}`, request.maxBytes ?? MAX_RESPONSE_BYTES)
        .then(async (bytes) => {
          const body = bytes.toString('utf8');
          // A daemon older than the header still answers /health as a daemon does; anything else is not CodePiper.
          if (unmarked && !(await speaksCodepiper(socket, request.path === '/health' ? body : undefined, request.timeoutMs))) {
            throw new AppError(
              'SOCKET_IN_USE',
              `what answers on ${socket} is not a CodePiper daemon (GET /health is not its answer); stop it, or choose another socket with CODEPIPER_SOCKET or --socket`,
              { details: { path: socket } },
            );
          }
          return { status: res.statusCode ?? 0, headers: res.headers, body, bytes };
        })
        .then(resolve, reject);
    });
    req.setTimeout(request.timeoutMs, () => {
      req.destroy(
        new AppError('DAEMON_UNAVAILABLE', `the daemon on ${socket} did not answer ${request.method} ${request.path} within ${request.timeoutMs / 1000}s`),
      );
    });
    req.on('error', (error: NodeJS.ErrnoException) => reject(connectionError(error, socket)));
    req.end(request.body);
  });
}

/** Sockets whose server was found to answer /health as a CodePiper daemon does, in this process. */
const KNOWN_DAEMONS = new Set<string>();

/**
 * Whether the server on `socket`, whose answers lack the version header, is a CodePiper daemon all the same (one
 * older than the header): its /health says `{"status": "ok", "version": …}`. Asked once per socket and process.
 */
async function speaksCodepiper(socket: string, healthBody: string | undefined, timeoutMs: number): Promise<boolean> {
  if (KNOWN_DAEMONS.has(socket)) return true;
  try {
    const body = healthBody ?? (await requestOverSocket(socket, { method: 'GET', path: '/health', timeoutMs, unmarkedIsFine: true, maxBytes: 64 * 1024 })).body;
    const health = JSON.parse(body) as { status?: unknown; version?: unknown } | null;
    if (health?.status !== 'ok' || typeof health.version !== 'string') return false;
  } catch {
    return false;
  }
  KNOWN_DAEMONS.add(socket);
  return true;
}

/**
 * Refuses a socket path that holds something other than a socket: the daemon would refuse to start there (it never
 * deletes what is not its own), and a symbolic link may lead to a server that is not CodePiper at all. Said at once,
 * with what is there, instead of after the start deadline.
 */
export function checkSocketFile(socket: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(socket);
  } catch {
    return; // nothing there (or nothing we may look at: connecting will say so)
  }
  if (stat.isSocket()) return;
  let what: string;
  if (stat.isSymbolicLink()) {
    let target = '?';
    try {
      target = fs.readlinkSync(socket);
    } catch {
      /* gone meanwhile */
    }
    what = `a symbolic link (to ${target}), not the daemon's socket`;
  } else what = `a ${stat.isDirectory() ? 'directory' : 'regular file'}, not a socket`;
  throw new AppError('SOCKET_IN_USE', `${socket} is ${what}; remove it, or choose another socket with CODEPIPER_SOCKET or --socket`, {
    details: { path: socket },
  });
}

/** The whole body of an answer, within `limit` bytes: past it, the request is destroyed and the read fails. */
export function readBody(req: http.ClientRequest, res: http.IncomingMessage, what: string, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    res.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received <= limit) return void chunks.push(chunk);
      const error = new AppError('DAEMON_UNAVAILABLE', `the daemon's answer to ${what} is larger than the client's limit of ${describeBytes(limit)}`, {
        details: { limit },
      });
      chunks.length = 0;
      reject(error);
      req.destroy(error);
    });
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
}

/** 268435456 → "256 MiB"; a limit that is not a whole number of MiB stays in bytes. */
function describeBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

function connectionError(error: NodeJS.ErrnoException, socket: string): Error {
  if (isAppError(error)) return error;
  const code = error.code ?? '';
  // A reset while connecting: the daemon closed its listener with this connection still waiting to be accepted.
  if (NOT_RUNNING_ERRNOS.has(code) || (code === 'ECONNRESET' && error.syscall === 'connect')) {
    return new AppError('DAEMON_NOT_RUNNING', `no codepiper daemon is running on ${socket}`, { details: { errno: code }, cause: error });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new AppError(
      'PERMISSION_DENIED',
      `permission denied connecting to ${socket} (${code}): the socket belongs to another user or lost its 0600 mode; ` +
        'check it with ls -l, or set CODEPIPER_SOCKET / --socket to your own',
      { cause: error },
    );
  }
  return new AppError('DAEMON_UNAVAILABLE', `lost the connection to the daemon on ${socket}: ${error.message}`, { details: { errno: code }, cause: error });
}

export interface StreamHandle {
  /** Settles when the stream ends (the daemon closed it, or close() was called); rejects on a connection error. */
  done: Promise<void>;
  close(): void;
}

/**
 * Follows a server-sent event stream from the daemon (`GET /events?topic=…`): each complete event is handed to
 * `onEvent` with its name and parsed JSON data.
 */
export function streamOverSocket(
  socket: string,
  path: string,
  onEvent: (...message: StreamArgs) => void,
  { maxEventChars = MAX_EVENT_CHARS }: { maxEventChars?: number } = {},
): StreamHandle {
  checkSocketPath(socket);
  return followEventStream(
    (onResponse) => http.request({ socketPath: socket, method: 'GET', path, headers: { accept: 'text/event-stream' }, ...UNIX_SOCKET_OPTIONS }, onResponse),
    path,
    onEvent,
    { maxEventChars, connectionError: (error) => connectionError(error, socket) },
  );
}

export interface EventStreamOptions {
  maxEventChars: number;
  /** A connection that failed, in the words of the transport (a socket, a remote address); `answered` once it streamed. */
  connectionError(error: NodeJS.ErrnoException, answered?: boolean): Error;
  /** An error answer (not 200), as the daemon described it, in the words of the transport. */
  answerError?(error: AppError): Error;
  /** Each event's `id:` (the stream's cursor, to resume from with Last-Event-ID), as it is read. */
  onId?(id: string): void;
  /** Told once the daemon accepted the stream (200), before any event. */
  onOpen?(): void;
}

/**
 * Reads a server-sent event stream from the request `open` makes, whatever carries it (the socket, or a remote
 * daemon's TCP listener): each complete event goes to `onEvent` with its name and parsed JSON data. Comment lines
 * (`: keep-alive`) and `id:` lines are read past.
 */
export function followEventStream(
  open: (onResponse: (res: http.IncomingMessage) => void) => http.ClientRequest,
  path: string,
  onEvent: (...message: StreamArgs) => void,
  options: EventStreamOptions,
): StreamHandle {
  const { maxEventChars } = options;
  let req: http.ClientRequest | undefined;
  let closed = false;
  const done = new Promise<void>((resolve, reject) => {
    req = open((res) => {
      if (res.statusCode !== 200) {
        readBody(req!, res, path, MAX_RESPONSE_BYTES).then((body) => {
          let error: AppError;
          try {
            const envelope = JSON.parse(body.toString('utf8')) as { error: { code: string; message: string; details?: unknown } };
            error = new AppError(envelope.error.code, envelope.error.message, { status: res.statusCode, details: envelope.error.details });
          } catch {
            error = new AppError('DAEMON_UNAVAILABLE', `the daemon answered ${res.statusCode} to ${path}`);
          }
          reject(options.answerError ? options.answerError(error) : error);
        }, reject);
        return;
      }
      options.onOpen?.();
      res.setEncoding('utf8');
      let pending = '';
      /** Where to look for the end of the unfinished event: the text before it was searched already. */
      let searched = 0;
      res.on('data', (text: string) => {
        pending += text;
        for (let end = pending.indexOf('\n\n', searched); end >= 0; end = pending.indexOf('\n\n')) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          let event: string | undefined;
          let data: string | undefined;
          let id: string | undefined;
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = (data ?? '') + line.slice(6);
            else if (line.startsWith('id: ')) id = line.slice(4);
          }
          if (id !== undefined) options.onId?.(id);
          if (event === undefined && data === undefined) continue; // comments only: a keep-alive
          try {
            // The daemon writes messages of the contract (api/events.ts); like answers, they are not checked again here.
            onEvent(...([event ?? 'message', data ? JSON.parse(data) : undefined] as StreamArgs));
          } catch (error) {
            req?.destroy(error as Error);
          }
        }
        searched = Math.max(0, pending.length - 1);
        if (pending.length > maxEventChars) {
          const error = new AppError('DAEMON_UNAVAILABLE', `an event on the daemon's stream ${path} is larger than the client's limit of ${describeBytes(maxEventChars)}`, {
            details: { limit: maxEventChars },
          });
          pending = '';
          reject(error);
          req?.destroy(error);
        }
      });
      res.on('end', () => resolve());
      res.on('error', (error: NodeJS.ErrnoException) => (closed ? resolve() : reject(options.connectionError(error, true))));
    });
    req.on('error', (error: NodeJS.ErrnoException) => (closed ? resolve() : reject(options.connectionError(error))));
    req.end();
  });
  return {
    done,
    close: () => {
      closed = true;
      req?.destroy();
    },
  };
}
