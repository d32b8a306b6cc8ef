import type { Command } from 'commander';
import type { StreamArgs } from '../core/api/events';
import { resolvePaths, type Paths } from '../core/paths';
import { createClient, type Client } from '../client/client';
import { resolveRemote, streamOverHttp, type RemoteTarget } from '../client/remote';
import { streamOverSocket, type StreamHandle } from '../client/transport';

/** What a command needs from the global options: where things are, and a client that may start the daemon. */
export interface CommandContext {
  paths: Paths;
  client(options?: { autostart?: boolean; timeoutMs?: number }): Client;
  /** The remote daemon of --remote / CODEPIPER_REMOTE, when the commands go to one instead of the local socket. */
  remote?: RemoteTarget;
  /** Follows the daemon's event stream (`streamPath(...)`), over the socket or the remote daemon's /api/events. */
  stream(path: string, onEvent: (...message: StreamArgs) => void): StreamHandle;
}

/** The global options that say which daemon the commands go to. */
export interface DaemonChoice {
  socket?: string;
  remote?: string;
  token?: string;
  allowHttp?: boolean;
}

export function commandContext(command: Command): CommandContext {
  return contextFor(command.optsWithGlobals<DaemonChoice>());
}

/** The context of the global options as given (also for the dashboard, opened without commander). */
export function contextFor(globals: DaemonChoice, env: NodeJS.ProcessEnv = process.env): CommandContext {
  const paths = resolvePaths({ socket: globals.socket });
  const remote = resolveRemote({ ...globals, env });
  return {
    paths,
    ...(remote ? { remote } : {}),
    client: (options = {}) =>
      createClient({ paths, autostart: options.autostart ?? true, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}), ...(remote ? { remote } : {}) }),
    // A command that follows a remote stream follows it again where it was when the network drops it.
    stream: (path, onEvent) => (remote ? streamOverHttp(remote, path, onEvent, { resume: true }) : streamOverSocket(paths.socket, path, onEvent)),
  };
}
