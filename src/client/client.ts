import type { RouteInput, RouteName, RouteOutput } from '../core/api';
import { VERSION_HEADER } from '../core/api/headers';
import { routeManifest } from '../core/api/manifest';
import { inputInQuery, pathParamNames } from '../core/api/route';
import { readDiscovery } from '../core/discovery';
import { AppError, isAppError, type ErrorEnvelope } from '../core/errors';
import type { Paths } from '../core/paths';
import { VERSION } from '../core/version';
import { awaitDaemonExit, daemonAnswers, startDetachedDaemon, waitForDaemonExit } from './daemon-process';
import type { RawBody } from '../core/api/raw';
import { requestOverSocket, type RawRequest, type RawResponse } from './transport';
import { checkRemoteAnswer, remoteErrorInWords, requestOverHttp, type RemoteTarget } from './remote';

export interface ClientOptions {
  paths: Paths;
  /**
   * Start a daemon when none answers, and restart one of another version (every command but `daemon status|stop`
   * and `doctor`).
   */
  autostart: boolean;
  timeoutMs?: number;
  /**
   * A daemon on another machine, over its --web listener (--remote / CODEPIPER_REMOTE): routes under /api with a
   * token; never started or restarted from here (autostart is ignored), a version difference is only said.
   */
  remote?: RemoteTarget;
}

type InputArgs<N extends RouteName> = {} extends RouteInput<N> ? [input?: RouteInput<N>] : [input: RouteInput<N>];

export interface Client {
  call<N extends RouteName>(name: N, ...args: InputArgs<N>): Promise<RouteOutput<N>>;
}

/** The requests of a restart: short, whatever the calls of the client that restarts wait for. */
const RESTART_REQUEST_TIMEOUT_MS = 10_000;
/** How long a restart waits for a daemon that another client shut down to be gone. */
const RESTART_EXIT_WAIT_MS = 10_000;

/**
 * The typed client: `call('health')` reaches the route declared under that name in the contract. Answers are the
 * daemon's (validated by it against the output schema); errors come back as the AppError the daemon raised.
 */
export function createClient(options: ClientOptions): Client {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let started = false;

  async function call<N extends RouteName>(name: N, ...args: InputArgs<N>): Promise<RouteOutput<N>> {
    const request = buildRequest(name, (args[0] ?? {}) as Record<string, unknown>);
    if (options.remote) return callRemote(options.remote, name, request, timeoutMs) as Promise<RouteOutput<N>>;
    const state = versionCheck();
    // A restart under way in this process: this call goes to the daemon it brings up.
    await state.restarting;
    const send = async () => {
      state.inFlight++;
      try {
        return await requestOverSocket(options.paths.socket, { ...request, timeoutMs });
      } finally {
        state.inFlight--;
      }
    };
    let response;
    try {
      response = await send();
    } catch (error) {
      if (!(options.autostart && !started && isAppError(error) && error.code === 'DAEMON_NOT_RUNNING')) throw error;
      started = true;
      await startDetachedDaemon(options.paths);
      response = await send();
    }
    if (options.autostart && (await checkDaemonVersion(options.paths, response)) && request.method === 'GET') {
      // The old daemon's answer may be in its own shape: a question is asked again of the new one.
      response = await send();
    }
    const raw = rawAnswer(response);
    if (raw) return raw as RouteOutput<N>;
    return decodeResponse(response.status, response.body) as RouteOutput<N>;
  }

  return { call };
}

/**
 * A call to a remote daemon. A route the contract serves only on the socket (`local`) is refused before it is sent:
 * the daemon would answer 404, which says less than why.
 */
async function callRemote(remote: RemoteTarget, name: string, request: Omit<RawRequest, 'timeoutMs'>, timeoutMs: number): Promise<unknown> {
  if (routeManifest[name]?.access === 'local') {
    throw new AppError('USAGE', `${name} is served only on the daemon's own Unix socket, never over the network: run this on the daemon's host, without --remote`, {
      details: { route: name, remote: remote.label },
    });
  }
  const response = await requestOverHttp(remote, { ...request, timeoutMs });
  checkRemoteAnswer(response, remote, name);
  noteRemoteVersion(response, remote);
  const raw = rawAnswer(response);
  if (raw) return raw;
  try {
    return decodeResponse(response.status, response.body);
  } catch (error) {
    throw isAppError(error) ? remoteErrorInWords(error, remote) : error;
  }
}

interface VersionCheck {
  /** An answer was compared with VERSION already: the check is made once per process. */
  checked: boolean;
  /** The version of an older daemon that is to be restarted once no call of this process is waiting for it. */
  owed: string | undefined;
  /** Requests of this process on their way, which a restart would cut. */
  inFlight: number;
  /** The restart under way, if any; it never rejects. */
  restarting: Promise<void> | undefined;
}

const VERSION_CHECK = Symbol.for('codepiper.client.versionCheck');

/**
 * The state of the version check, one for the whole process. The CLI and the dashboard are separate bundles, each
 * with its own copy of this module, and both talk to the daemon from one process: a registered symbol spans them
 * (as isAppError's mark does).
 */
function versionCheck(): VersionCheck {
  const holder = globalThis as unknown as Record<symbol, VersionCheck | undefined>;
  return (holder[VERSION_CHECK] ??= { checked: false, owed: undefined, inFlight: 0, restarting: undefined });
}

/**
 * The first answer of the process says which version the daemon runs (every answer carries it in a header, so this
 * costs no request). An older daemon is restarted, once: it may not speak this client's contract. A newer one (this
 * client is the old install) is left running, with a word: restarting it would start older code on a database it may
 * already have moved on. An answer without the header comes from a daemon older than the header, whose version is
 * unknown: it is left alone. The restart waits until no other request of this process is on its way (a long scan,
 * say), so that it cuts none. Resolves true when this call restarted the daemon (a new one of this version answers).
 */
async function checkDaemonVersion(paths: Paths, response: RawResponse): Promise<boolean> {
  const state = versionCheck();
  if (!state.checked) {
    state.checked = true;
    const running = response.headers[VERSION_HEADER];
    if (typeof running === 'string' && running !== VERSION) {
      const order = compareVersions(running, VERSION);
      if (order !== undefined && order < 0) state.owed = running;
      else process.stderr.write(`codepiper: the running daemon is version ${running}, not this codepiper's ${VERSION}; leaving it running\n`);
    }
  }
  if (state.owed === undefined || state.inFlight > 0 || state.restarting) return false;
  const running = state.owed;
  state.owed = undefined;
  let restarted = false;
  state.restarting = restartDaemon(paths, running).then(
    () => void (restarted = true),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`codepiper: could not restart the daemon: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    },
  );
  try {
    await state.restarting;
  } finally {
    state.restarting = undefined;
  }
  return restarted;
}

/**
 * -1, 0 or 1 as version `a` is older than, the same as or newer than `b` (major.minor.patch; a pre-release comes
 * before its release); undefined when either is not such a version.
 */
export function compareVersions(a: string, b: string): number | undefined {
  const parse = (version: string) => /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$/.exec(version);
  const [x, y] = [parse(a), parse(b)];
  if (!x || !y) return undefined;
  for (let i = 1; i <= 3; i++) if (Number(x[i]) !== Number(y[i])) return Number(x[i]) < Number(y[i]) ? -1 : 1;
  if (x[4] === y[4]) return 0;
  if (x[4] === undefined || y[4] === undefined) return x[4] === undefined ? 1 : -1;
  return x[4] < y[4] ? -1 : 1;
}

/**
 * What a person should know when the daemon runs another version than this CLI, or undefined when they agree: an
 * older daemon is restarted by the next command that may start one; a newer one is left alone (this CLI is the old
 * install, see checkDaemonVersion).
 */
export function versionDifference(daemon: string, cli: string): string | undefined {
  if (daemon === cli) return undefined;
  const order = compareVersions(daemon, cli);
  if (order !== undefined && order < 0) return `differs: the daemon is older, and the next command that needs it restarts it as ${cli}`;
  if (order !== undefined && order > 0) return `differs: this codepiper is older than the daemon, which it leaves running; upgrade it or use the newer one`;
  return `differs from the daemon's ${daemon}; \`codepiper daemon stop\` and the next command starts this version`;
}

/**
 * Stops the daemon through its shutdown route, waits for that pid to exit, and starts one of this version. Other
 * clients may be doing the same at the same time: a daemon that runs this version already is left alone, one that
 * is gone or going away (shut down by another client) is waited for by the pid it wrote in its discovery file, and a
 * start that loses the race to another starter waits for the winner. Only the pid's exit is awaited, not the
 * socket's removal: another client's new daemon may have made a new one by then.
 */
async function restartDaemon(paths: Paths, running: string): Promise<void> {
  const ask = (name: string) => requestOverSocket(paths.socket, { ...buildRequest(name, {}), timeoutMs: RESTART_REQUEST_TIMEOUT_MS });
  const known = readDiscovery(paths.discovery);
  const now = await ask('health').catch(unlessGone);
  const version = now?.headers[VERSION_HEADER];
  // Restarted by another client meanwhile (or replaced by a daemon that does not say its version): leave it.
  if (now && (version === VERSION || typeof version !== 'string')) return;
  process.stderr.write(
    `codepiper: the running daemon is version ${running}, this codepiper is ${VERSION}; restarting it (sessions keep running in tmux and are re-adopted)\n`,
  );
  const shutdown = now && (await ask('daemon.shutdown').catch(unlessGone));
  if (shutdown) await awaitDaemonExit((decodeResponse(shutdown.status, shutdown.body) as RouteOutput<'daemon.shutdown'>).pid);
  // Shut down by another client: its pid, read before, is only waited for (by now it may name another process).
  else if (known?.socket === paths.socket) await waitForDaemonExit(known.pid, undefined, RESTART_EXIT_WAIT_MS);
  if (!(await daemonAnswers(paths.socket))) await startDetachedDaemon(paths);
}

/** Connection failures of a daemon that is shutting down: it closed its listener, or dropped the connection. */
const GOING_ERRNOS = new Set(['ECONNRESET', 'EPIPE']);

/** For a request to a daemon that may be gone or going away: undefined then, the error otherwise. */
function unlessGone(error: unknown): undefined {
  if (isAppError(error) && error.code === 'DAEMON_NOT_RUNNING') return undefined;
  const errno = isAppError(error) ? (error.details as { errno?: string } | undefined)?.errno : undefined;
  if (isAppError(error) && error.code === 'DAEMON_UNAVAILABLE' && errno !== undefined && GOING_ERRNOS.has(errno)) return undefined;
  throw error;
}

function buildRequest(name: string, input: Record<string, unknown>): Omit<RawRequest, 'timeoutMs'> {
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

/**
 * A successful answer that is not JSON is a route's bytes (git.fileRaw): handed back as the RawBody the handler made,
 * its content type and file name read from the headers.
 */
function rawAnswer(response: RawResponse): RawBody | undefined {
  const type = String(response.headers['content-type'] ?? '');
  if (response.status < 200 || response.status >= 300 || type.startsWith('application/json')) return undefined;
  const disposition = String(response.headers['content-disposition'] ?? '');
  const encoded = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1];
  let fileName = /filename="([^"]*)"/.exec(disposition)?.[1] ?? 'file';
  try {
    if (encoded) fileName = decodeURIComponent(encoded);
  } catch {
    // keep the plain name
  }
  return { raw: true, contentType: type, bytes: response.bytes, fileName, disposition: disposition.startsWith('attachment') ? 'attachment' : 'inline' };
}

const REMOTE_VERSION_SAID = Symbol.for('codepiper.client.remoteVersionSaid');

/**
 * A remote daemon of another version is never restarted from here (that is for its own user, on its host): the
 * difference is said once per process on stderr, and the command goes on.
 */
export function noteRemoteVersion(response: RawResponse, target: RemoteTarget, write: (text: string) => void = (text) => process.stderr.write(text)): void {
  const holder = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (holder[REMOTE_VERSION_SAID]) return;
  const running = response.headers[VERSION_HEADER];
  if (typeof running !== 'string') return;
  holder[REMOTE_VERSION_SAID] = true;
  if (running === VERSION) return;
  const order = compareVersions(running, VERSION);
  const which = order === undefined ? 'another version' : order < 0 ? 'older' : 'newer';
  write(`codepiper: the remote daemon at ${target.label} runs version ${running} (${which}), this codepiper is ${VERSION}; a route one of them lacks fails\n`);
}
