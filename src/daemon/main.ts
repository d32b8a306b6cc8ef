import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Paths } from '../core/paths';
import { isProcessAlive, SERVICE_VARIABLE } from '../core/discovery';
import { createLogger, type Logger } from '../core/log';
import type { RestartPlan } from './context';
import { startDaemon, type RunningDaemon } from './daemon';
import type { WebFlags } from './web/options';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Set by the daemon that restarts into this one, to its own pid: the new daemon waits for it to be gone before it
 * takes the home's lock, so that the two never race for it. Not passed on further.
 */
const RESTART_OF_VARIABLE = 'CODEPIPER_RESTART_OF';
/** How long a new daemon waits for the one it replaces to exit. */
const PREDECESSOR_EXIT_MS = 15_000;
/** The exit status of a daemon that exits so that its service manager starts it again (EX_TEMPFAIL; Restart=on-failure). */
export const RESTART_EXIT_CODE = 75;

/**
 * Runs the daemon in this process until it is stopped. Signals, the stop command and the shutdown route all end in
 * the same `shutdown`. Resolves when the daemon has closed; rejects if it could not start.
 */
export async function runDaemon(paths: Paths, env: NodeJS.ProcessEnv = process.env, web: WebFlags = {}): Promise<void> {
  const log = createLogger();
  // Everything the daemon creates (database, logs, secrets) is private to the user unless made otherwise on purpose.
  // Agents are the user's programs, not the daemon's: they get the umask of whoever started the daemon (the CLI that
  // auto-started it passes its own on by inheritance).
  const agentUmask = process.umask(0o077);

  // Handlers go in before start-up: a signal that lands while the daemon is starting (its discovery file may already
  // be visible) must still end in a clean shutdown, not in the default action that would leave a stale socket behind.
  let daemon: RunningDaemon | undefined;
  let pendingSignal: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (daemon) void daemon.shutdown(`received ${signal}`);
    else pendingSignal ??= signal;
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  // A bug in one request must not take every agent's supervisor down with it.
  const onUncaught = (error: unknown) => log.error('uncaught exception (daemon keeps running)', error);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  try {
    await awaitPredecessor(env, log);
    daemon = await startDaemon({ paths, env, log, agentUmask, relaunch: relaunchPlan(env), web });
    if (pendingSignal) void daemon.shutdown(`received ${pendingSignal}`);
    showBootstrap(daemon);
    await daemon.closed;
    if (daemon.restart) relaunch(daemon.restart, paths, env, log);
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
}

/**
 * A daemon started with --web in the foreground, on a terminal, while web login is not set up: the bootstrap
 * password goes to that terminal, once, never to the log (a detached start's CLI prints its own, see daemon start).
 */
function showBootstrap(daemon: RunningDaemon): void {
  const web = daemon.context.web();
  if (!web || !process.stdout.isTTY) return;
  const auth = daemon.context.core.auth;
  if (auth.status({ local: true }).setupDone) return;
  const password = auth.newBootstrap({ local: true });
  process.stdout.write(`\nweb login is not set up. Bootstrap password (shown once; needed by POST ${web.url}/api/auth/setup): ${password}\n\n`);
}

/** The same Node, its flags, and the same arguments (`codepiper daemon start --socket ...`). */
function relaunchPlan(env: NodeJS.ProcessEnv): RestartPlan {
  return { command: [process.execPath, ...process.execArgv, ...process.argv.slice(1)], how: env[SERVICE_VARIABLE] === 'systemd' ? 'service' : 're-exec' };
}

/**
 * Node cannot exec(2) itself: the closest is a new daemon, started as this one exits, with the same arguments,
 * environment and working directory, detached, its output in daemon.log (a terminal that ran this daemon in the
 * foreground gets its prompt back). It re-adopts the sessions as any daemon does when it starts. Under a service
 * manager, the manager restarts the daemon instead, so that it keeps supervising the running one.
 */
function relaunch(plan: RestartPlan, paths: Paths, env: NodeJS.ProcessEnv, log: Logger): void {
  if (plan.how === 'service') {
    log.info(`exiting with status ${RESTART_EXIT_CODE} so that the service manager starts the daemon again`);
    process.exitCode = RESTART_EXIT_CODE;
    return;
  }
  let logFd: number | 'ignore' = 'ignore';
  try {
    logFd = fs.openSync(paths.log, 'a', 0o600);
  } catch (error) {
    log.warn(`cannot open ${paths.log} for the new daemon: ${(error as Error).message}`);
  }
  let cwd = process.cwd();
  try {
    fs.accessSync(cwd);
  } catch {
    cwd = paths.home; // the directory it was started in is gone
  }
  const [command, ...args] = plan.command;
  const child = spawn(command!, args, { detached: true, stdio: ['ignore', logFd, logFd], cwd, env: { ...env, [RESTART_OF_VARIABLE]: String(process.pid) } });
  if (typeof logFd === 'number') fs.closeSync(logFd);
  child.on('error', (error) => log.error('the new daemon could not be started', error));
  child.unref();
  log.info(`started the new daemon (pid ${child.pid ?? 'unknown'}); this one exits`);
}

/** A daemon started by a restart waits until the one it replaces has exited (and released the home's lock). */
async function awaitPredecessor(env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  const pid = Number(env[RESTART_OF_VARIABLE]);
  delete env[RESTART_OF_VARIABLE];
  if (!Number.isSafeInteger(pid) || pid <= 0) return;
  const deadline = Date.now() + PREDECESSOR_EXIT_MS;
  while (isProcessAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  if (isProcessAlive(pid)) log.warn(`the daemon this one replaces (pid ${pid}) has not exited after ${PREDECESSOR_EXIT_MS / 1000}s; starting anyway`);
}
