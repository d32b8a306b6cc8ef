import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { routes } from '../core/api';
import { createCore } from '../core/app';
import { loadConfig } from '../core/config';
import { readDiscovery, removeDiscovery, writeDiscovery } from '../core/discovery';
import { AppError } from '../core/errors';
import { writeHookShim } from '../core/hooks/forward-shim';
import type { Logger } from '../core/log';
import { checkSocketPath, ensurePrivateDir, permissionError, type Paths } from '../core/paths';
import { VERSION } from '../core/version';
import type { DaemonContext, RestartPlan, Transport } from './context';
import { handlers } from './handlers';
import { createRequestListener, refuseConnect } from './http';
import { acquireHomeLock } from './lock';
import { createRouter } from './router';
import { endAllStreams } from './stream';
import { startWebListener, type WebListener } from './web/listener';
import { resolveWebOptions, type WebFlags } from './web/options';
import { routeUpgrade, webUpgrades } from './web/upgrade';
import { createTerminalBridge } from './web/terminal-bridge';
import { createWebSocketHub } from './web/ws';

export interface DaemonOptions {
  paths: Paths;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** The umask the daemon was started with (the caller's): agents run with it. */
  agentUmask?: number | undefined;
  /** How this daemon comes back after `POST /settings/daemon/restart`; without it, it refuses to restart. */
  relaunch?: RestartPlan | undefined;
  /** --web and its flags from the command line (config.json's `web` fills in the rest). */
  web?: WebFlags | undefined;
}

export interface RunningDaemon {
  context: DaemonContext;
  /** The one shutdown path; idempotent. */
  shutdown(reason: string): Promise<void>;
  /** Settles once shutdown has finished. */
  closed: Promise<void>;
  /** Set when the shutdown was a restart: whoever runs the daemon starts the next one once `closed` settles. */
  readonly restart: RestartPlan | undefined;
}

/** How long open connections get to finish once shutdown starts. */
const SHUTDOWN_GRACE_MS = 2000;

/**
 * Starts the daemon: take the home lock, clear what a killed predecessor left, open the database, listen on the
 * socket (0600 from the first instant), then publish the discovery file. Any failure undoes what was done.
 */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { paths, env, log } = options;
  checkSocketPath(paths.socket);
  ensurePrivateDir(paths.home);
  if (paths.socketDirIsOwn) ensurePrivateDir(paths.socketDir);
  else ensureSocketParent(paths.socketDir);
  const config = loadConfig(paths.config);
  // Checked before anything is taken: an unsafe or unusable listener setting refuses the start, naming the fix.
  const webOptions = resolveWebOptions(config.web, options.web);

  const locked = await acquireHomeLock(paths.home);
  if (!locked.acquired) {
    const running = readDiscovery(paths.discovery);
    const who = running ? ` (pid ${running.pid}, socket ${running.socket})` : '';
    throw new AppError('DAEMON_ALREADY_RUNNING', `a codepiper daemon is already running for ${paths.home}${who}`, {
      details: running,
    });
  }
  const cleanup: Array<() => void> = [() => locked.lock.release()];
  try {
    await clearStaleSocket(paths.socket, log);
    // We hold the lock, so a discovery file left here names a daemon that is gone.
    if (readDiscovery(paths.discovery)) log.warn(`removing discovery file left by a previous daemon: ${paths.discovery}`);
    fs.rmSync(paths.discovery, { force: true });

    const core = await createCore({ paths, env, config, log, hookCommand: hookForwardCommand(paths), agentUmask: options.agentUmask });
    cleanup.push(() => core.close());

    // `shutdown` is defined once the server exists; a request for it can only arrive after that.
    let restart: RestartPlan | undefined;
    const requestShutdown = (reason: string) => setImmediate(() => void shutdown(reason));
    let web: WebListener | undefined;
    const context: DaemonContext = {
      core,
      log,
      web: () => web,
      webFlags: options.web ?? {},
      requestShutdown,
      requestRestart: (reason) => {
        if (!options.relaunch) throw new AppError('DAEMON_UNAVAILABLE', 'this daemon runs inside another program and cannot restart itself; stop it and start it again');
        // A daemon already on its way out for another reason (a signal, `daemon stop`) is not turned into a restart.
        if (closing && !restart) throw new AppError('DAEMON_UNAVAILABLE', 'the daemon is shutting down; start it again once it has stopped');
        restart ??= options.relaunch;
        requestShutdown(`${reason} (restarting)`);
        return restart;
      },
    };
    const router = createRouter(routes, handlers, (request, responseHeaders) => ({
      daemon: context,
      transport: request.transport,
      headers: request.headers ?? {},
      grant: request.grant,
      remoteAddress: request.remoteAddress,
      secure: request.secure === true,
      responseHeaders,
    }));
    const server = http.createServer({ requestTimeout: 60_000 }, createRequestListener(router, 'unix', context));
    server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    });
    const methods = [...new Set(routes.map((route) => route.method))];
    server.on('connect', (_request, socket) => refuseConnect(socket, methods, VERSION));
    // A client that half-closes after its request (shutdown(SHUT_WR), `end()`) still gets the answer; by default node
    // drops the request when the client's side ends, although the action may already have happened.
    (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    // WebSocket upgrades: the stream at /ws and each session's terminal (the socket is the user: no grant needed).
    const hub = createWebSocketHub(context);
    const bridge = createTerminalBridge(context);
    cleanup.push(() => hub.close(), () => bridge.close());
    server.on('upgrade', (req, socket, head) => routeUpgrade(req, socket, head, { hub, bridge, access: { transport: 'unix' }, version: VERSION }));
    await listenPrivately(server, paths.socket);
    const socketInode = fs.statSync(paths.socket).ino;
    cleanup.push(() => unlinkIfSame(paths.socket, socketInode));
    cleanup.push(() => {
      if (server.listening) server.close();
    });

    if (webOptions) {
      web = await startWebListener(webOptions, { daemon: context, router, authenticator: core.auth, upgrades: webUpgrades(hub, bridge) });
      const listener = web;
      core.notify.setWebUrl(web.url);
      cleanup.push(() => void listener.close());
      log.info(`serving the API at ${web.url}/api${webOptions.tls ? '' : ' (plain HTTP)'}${core.auth.status({ local: true }).setupDone ? '' : '; web login is not set up yet (codepiper auth bootstrap)'}`);
    }

    writeDiscovery(paths.discovery, {
      pid: process.pid,
      socket: paths.socket,
      version: VERSION,
      startedAt: core.startedAt.toISOString(),
      home: paths.home,
    });
    log.info(`codepiper ${VERSION} daemon listening on ${paths.socket} (pid ${process.pid}, home ${paths.home})`);
    core.scanInBackground();

    let closing: Promise<void> | undefined;
    let markClosed!: () => void;
    const closed = new Promise<void>((resolve) => (markClosed = resolve));
    const shutdown = (reason: string): Promise<void> => {
      closing ??= (async () => {
        log.info(`shutting down: ${reason}`);
        endAllStreams();
        hub.close();
        bridge.close();
        await Promise.all([closeServer(server), web?.close()]);
        removeDiscovery(paths.discovery, process.pid);
        for (const undo of cleanup.reverse()) runQuietly(undo, log);
        log.info('stopped; agents in tmux keep running');
        markClosed();
      })();
      return closing;
    };
    return {
      context,
      shutdown,
      closed,
      get restart() {
        return restart;
      },
    };
  } catch (error) {
    for (const undo of cleanup.reverse()) runQuietly(undo, log);
    throw error;
  }
}

/** The parent of a user-chosen socket path: created 0700 when missing, left as it is otherwise. */
function ensureSocketParent(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw permissionError(error, dir) ?? error;
  }
}

/**
 * A socket file nobody answers on was left by a killed daemon: remove it. One somebody answers on belongs to another
 * daemon (another home pointed at the same socket): refuse. Anything that is not a socket is not ours to delete.
 */
async function clearStaleSocket(socket: string, log: Logger): Promise<void> {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(socket);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw permissionError(error, socket) ?? error;
  }
  if (!stat.isSocket()) {
    throw new AppError('SOCKET_IN_USE', `${socket} exists and is not a socket; remove it or choose another --socket`);
  }
  const answer = await probeSocket(socket);
  if (answer === 'alive') {
    throw new AppError('SOCKET_IN_USE', `another daemon is serving ${socket}; stop it or choose another --socket`);
  }
  if (answer === 'denied') throw permissionError(Object.assign(new Error(), { code: 'EACCES' }), socket)!;
  log.warn(`removing stale socket left by a previous daemon: ${socket}`);
  fs.rmSync(socket, { force: true });
}

function probeSocket(socket: string): Promise<'alive' | 'stale' | 'denied'> {
  return new Promise((resolve) => {
    const connection = net.connect(socket);
    const timer = setTimeout(() => finish('alive'), 1000); // connected but silent still means someone holds it
    function finish(result: 'alive' | 'stale' | 'denied') {
      clearTimeout(timer);
      connection.destroy();
      resolve(result);
    }
    connection.once('connect', () => finish('alive'));
    connection.once('error', (error: NodeJS.ErrnoException) => finish(error.code === 'EACCES' || error.code === 'EPERM' ? 'denied' : 'stale'));
  });
}

/** Binds with a umask that makes the socket 0600 at creation, so there is no moment when others could connect. */
function listenPrivately(server: http.Server, socket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const previous = process.umask(0o177);
    const restore = () => process.umask(previous);
    server.once('error', (error) => {
      restore();
      reject(permissionError(error, socket) ?? error);
    });
    server.listen(socket, () => {
      restore();
      try {
        fs.chmodSync(socket, 0o600); // belt and braces on systems that ignore the umask for sockets
        resolve();
      } catch (error) {
        reject(error);
      }
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function unlinkIfSame(file: string, inode: number): void {
  try {
    if (fs.lstatSync(file).ino === inode) fs.rmSync(file, { force: true });
  } catch {
    /* already gone */
  }
}

function runQuietly(action: () => void, log: Logger): void {
  try {
    action();
  } catch (error) {
    log.error('cleanup step failed', error);
  }
}

/**
 * The command Claude Code's hooks run: the home's hook shim, pointed at this Node and the lean hook-forward bundle next
 * to this one (see writeHookShim: sessions keep reaching the daemon across reinstalls). hook-forward loads nothing
 * but what forwarding needs, so it starts about as fast as Node itself.
 */
function hookForwardCommand(paths: Paths): string {
  return writeHookShim(paths.home, process.execPath, path.join(__dirname, 'hook.cjs'));
}
