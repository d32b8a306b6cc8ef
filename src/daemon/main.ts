import type { Paths } from '../core/paths';
import { createLogger } from './context';
import { startDaemon } from './daemon';

/**
 * Runs the daemon in this process until it is stopped. Signals, the stop command and the shutdown route all end in
 * the same `shutdown`. Resolves when the daemon has closed; rejects if it could not start.
 */
export async function runDaemon(paths: Paths, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = createLogger();
  // Everything the daemon creates (database, logs, secrets) is private to the user unless made otherwise on purpose.
  process.umask(0o077);
  const daemon = await startDaemon({ paths, env, log });

  const onSignal = (signal: NodeJS.Signals) => void daemon.shutdown(`received ${signal}`);
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, onSignal);
  // A bug in one request must not take every agent's supervisor down with it.
  const onUncaught = (error: unknown) => log.error('uncaught exception (daemon keeps running)', error);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);

  await daemon.closed;
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(signal, onSignal);
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
}
