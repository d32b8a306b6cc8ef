import type { Paths } from '../core/paths';
import { createLogger } from '../core/log';
import { startDaemon, type RunningDaemon } from './daemon';

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * Runs the daemon in this process until it is stopped. Signals, the stop command and the shutdown route all end in
 * the same `shutdown`. Resolves when the daemon has closed; rejects if it could not start.
 */
export async function runDaemon(paths: Paths, env: NodeJS.ProcessEnv = process.env): Promise<void> {
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
    daemon = await startDaemon({ paths, env, log, agentUmask });
    if (pendingSignal) void daemon.shutdown(`received ${pendingSignal}`);
    await daemon.closed;
  } finally {
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUncaught);
  }
}
