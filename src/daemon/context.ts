import type { Core } from '../core/app';
import type { Grant } from '../core/auth/types';
import type { WebFlags, WebOptions } from './web/options';
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
  /** --web and its flags as given on the command line (a restart starts with the same). */
  webFlags: WebFlags;
  /** The TCP listener when --web is on: its URL and settings. */
  web(): { url: string; port: number; options: WebOptions } | undefined;
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
  /** Over TCP, who is calling (a login or a token) and with what scope; undefined on the socket and for anonymous calls. */
  grant?: Grant | undefined;
  /** Over TCP, the client's address (after trustProxy); undefined on the socket. */
  remoteAddress?: string | undefined;
  /** Over TCP, whether the client came over TLS (a login cookie is then marked Secure). */
  secure: boolean;
  /** Headers added to a successful answer (a login's Set-Cookie). */
  responseHeaders: Record<string, string | string[]>;
}
