import type { Core } from '../core/app';
import type { Logger } from '../core/log';

export type Transport = 'unix' | 'tcp';

/** What every handler can reach: the services, the log, and the way to stop the daemon. */
export interface DaemonContext {
  core: Core;
  log: Logger;
  /** The one shutdown path, also used by signals and the stop command. */
  requestShutdown(reason: string): void;
}

export interface HandlerContext {
  daemon: DaemonContext;
  transport: Transport;
  /** The request's headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
}
