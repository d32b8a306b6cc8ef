import type { RouteInput, RouteName, RouteOutput } from '../core/api';
import { routeManifest } from '../core/api/manifest';
import { inputInQuery, pathParamNames } from '../core/api/route';
import { AppError, isAppError, type ErrorEnvelope } from '../core/errors';
import type { Paths } from '../core/paths';
import { startDetachedDaemon } from './daemon-process';
import { requestOverSocket } from './transport';

export interface ClientOptions {
  paths: Paths;
  /** Start a daemon when none answers (every command but `daemon status|stop` and `doctor`). */
  autostart: boolean;
  timeoutMs?: number;
}

type InputArgs<N extends RouteName> = {} extends RouteInput<N> ? [input?: RouteInput<N>] : [input: RouteInput<N>];

export interface Client {
  call<N extends RouteName>(name: N, ...args: InputArgs<N>): Promise<RouteOutput<N>>;
}

/**
 * The typed client: `call('health')` reaches the route declared under that name in the contract. Answers are the
 * daemon's (validated by it against the output schema); errors come back as the AppError the daemon raised.
 */
export function createClient(options: ClientOptions): Client {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let started = false;

  async function call<N extends RouteName>(name: N, ...args: InputArgs<N>): Promise<RouteOutput<N>> {
    const request = buildRequest(name, (args[0] ?? {}) as Record<string, unknown>);
    let response;
    try {
      response = await requestOverSocket(options.paths.socket, { ...request, timeoutMs });
    } catch (error) {
      if (!(options.autostart && !started && isAppError(error) && error.code === 'DAEMON_NOT_RUNNING')) throw error;
      started = true;
      await startDetachedDaemon(options.paths);
      response = await requestOverSocket(options.paths.socket, { ...request, timeoutMs });
    }
    return decodeResponse(response.status, response.body) as RouteOutput<N>;
  }

  return { call };
}

function buildRequest(name: string, input: Record<string, unknown>): { method: string; path: string; body?: string; route: string } {
  const entry = routeManifest[name];
  if (!entry) throw new AppError('INTERNAL', `unknown route ${name}`);
  const rest = { ...input };
  let path = entry.path;
  for (const param of pathParamNames(entry.path)) {
    const value = rest[param];
    if (value === undefined || value === null || value === '') throw new AppError('USAGE', `missing ${param}`);
    path = path.replace(`:${param}`, encodeURIComponent(String(value)));
    delete rest[param];
  }
  if (inputInQuery(entry.method)) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(rest)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item));
    }
    const text = query.toString();
    return { method: entry.method, path: text ? `${path}?${text}` : path, route: name };
  }
  return { method: entry.method, path, body: JSON.stringify(rest), route: name };
}

function decodeResponse(status: number, body: string): unknown {
  let value: unknown;
  try {
    value = body === '' ? undefined : JSON.parse(body);
  } catch {
    throw new AppError('DAEMON_UNAVAILABLE', `the daemon answered ${status} with a body that is not JSON`);
  }
  if (status >= 200 && status < 300) return value;
  const envelope = (value as Partial<ErrorEnvelope> | undefined)?.error;
  if (envelope && typeof envelope.code === 'string' && typeof envelope.message === 'string') {
    throw new AppError(envelope.code, envelope.message, { status, details: envelope.details });
  }
  throw new AppError('DAEMON_UNAVAILABLE', `the daemon answered ${status} without an error description`, { status });
}
