import http from 'node:http';
import { AppError, isAppError } from '../core/errors';
import { checkSocketPath } from '../core/paths';

export interface RawRequest {
  method: string;
  path: string;
  body?: string;
  timeoutMs: number;
}

export interface RawResponse {
  status: number;
  body: string;
}

/** Connection failures that mean "nobody is serving this socket" (as opposed to a daemon that failed to answer). */
export const NOT_RUNNING_ERRNOS = new Set(['ENOENT', 'ECONNREFUSED', 'ENOTSOCK']);

/**
 * One HTTP/1.1 request over the Unix socket with node:http. The CLI is a short-lived process: node:http's native
 * parser costs nothing to load, whereas undici compiles its WebAssembly parser on first use (about 100 ms per process
 * on these machines, more than Node's whole start-up), which would dominate every command.
 */
export function requestOverSocket(socket: string, request: RawRequest): Promise<RawResponse> {
  checkSocketPath(socket);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(request.body);
    }
    const req = http.request({ socketPath: socket, method: request.method, path: request.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
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

function connectionError(error: NodeJS.ErrnoException, socket: string): Error {
  if (isAppError(error)) return error;
  const code = error.code ?? '';
  if (NOT_RUNNING_ERRNOS.has(code)) {
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
  return new AppError('DAEMON_UNAVAILABLE', `lost the connection to the daemon on ${socket}: ${error.message}`, { cause: error });
}
