import type Database from 'better-sqlite3';
import type { CodepiperConfig } from '../core/config';
import type { EventBus } from '../core/events/bus';
import type { Paths } from '../core/paths';
import type { PolicyService } from '../core/policies/service';
import type { Secrets } from '../core/secrets';
import type { SessionManager } from '../core/sessions/manager';
import type { Analytics } from '../core/analytics/analytics';
import type { Library } from '../core/library/library';
import type { Search } from '../core/search/search';
import type { TranscriptService } from '../core/transcripts/service';

export type Transport = 'unix' | 'tcp';

/** What every handler can reach: the daemon's own facts and resources. */
export interface DaemonContext {
  pid: number;
  version: string;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  config: CodepiperConfig;
  startedAt: Date;
  db: Database.Database;
  log: Logger;
  bus: EventBus;
  sessions: SessionManager;
  policies: PolicyService;
  secrets: Secrets;
  transcripts: TranscriptService;
  analytics: Analytics;
  search: Search;
  library: Library;
  /** The command Claude Code hooks run (hook-forward), and the events they are registered for. */
  hookCommand: string;
  hookEvents: string[];
  /** The one shutdown path, also used by signals and the stop command. */
  requestShutdown(reason: string): void;
}

export interface HandlerContext {
  daemon: DaemonContext;
  transport: Transport;
  /** The request's headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
}

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
      stream.write(`${new Date().toISOString()} ${level} ${message}\n`);
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
