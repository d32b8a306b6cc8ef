import { redactSecrets } from './policies/redact';

/** Where the daemon's services report what an operator may want to read later (daemon.log). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * Lines with an ISO time, to stderr, which is daemon.log when the daemon runs detached. If the stream breaks (a
 * foreground daemon whose terminal or pipe went away: EPIPE), logging stops and the daemon carries on: without the
 * listener each failed write would surface as an uncaught error, whose report is itself a failed write.
 */
export function createLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  let broken = false;
  stream.on('error', () => {
    broken = true;
  });
  const write = (level: string, message: string) => {
    if (broken) return;
    try {
      // Messages quote what clients sent (errors name the input): the audit log's redaction applies here too.
      stream.write(`${new Date().toISOString()} ${level} ${redactSecrets(message)}\n`);
    } catch {
      broken = true;
    }
  };
  return {
    info: (message) => write('info ', message),
    warn: (message) => write('warn ', message),
    error: (message, error) => {
      const detail = error instanceof Error ? `\n${error.stack ?? error.message}` : error === undefined ? '' : ` ${String(error)}`;
      write('error', message + detail);
    },
  };
}
