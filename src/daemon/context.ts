import type { Core } from '../core/app';
import type { Logger } from '../core/log';

export type Transport = 'unix' | 'tcp';

/** What every handler can reach: the services, the log, and the way to stop the daemon. */
export interface DaemonContext {
  core: Core;
  log: Logger;
  /** The one shutdown path, also used by signals and the stop command. */
  requestShutdown(reason: string): void;
  /**
   * The same shutdown, after which a new daemon starts with this one's arguments and environment (see runDaemon) and
   * re-adopts the sessions; says how it will come back.
   */
  requestRestart(reason: string): RestartPlan;
}

export interface RestartPlan {
  /** What starts the new daemon: this Node and its arguments. */
  command: string[];
  /** re-exec: this process starts the new daemon as it exits; service: its service manager restarts it. */
  how: 're-exec' | 'service';
}

export interface HandlerContext {
  daemon: DaemonContext;
  transport: Transport;
  /** The request's headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
}
