import type { RouteName } from '../core/api';
import type { StreamArgs } from '../core/api/events';
import { streamPath } from '../core/api/topics';
import type { Paths } from '../core/paths';
import { createClient, type Client } from '../client/client';
import { streamOverSocket, type StreamHandle } from '../client/transport';
import { streamOverHttp, type RemoteTarget } from '../client/remote';

/**
 * Everything the dashboard needs from the daemon: typed calls (the client the CLI uses too) and live event streams.
 * Tests of screens pass a link answering from fixed data; the real one talks to the daemon over its socket.
 */
export interface DaemonLink {
  call: Client['call'];
  /** Calls that may start a daemon when none answers (launch, and ctrl+r after the daemon went away). */
  callStarting: Client['call'];
  stream(topics: string[], onEvent: (...message: StreamArgs) => void): StreamHandle;
  /** The private tmux server, for attach; with a remote daemon, that daemon (attach goes through its terminal bridge). */
  tmux(): Promise<{ binary: string; socket: string; remote?: RemoteTarget }>;
}

/** The link to the daemon of this socket, or, with `remote`, to a daemon's --web listener (no autostart there). */
export function socketLink(paths: Paths, remote?: RemoteTarget): DaemonLink {
  const client = createClient({ paths, autostart: false, ...(remote ? { remote } : {}) });
  const starting = createClient({ paths, autostart: true, ...(remote ? { remote } : {}) });
  return {
    call: client.call,
    callStarting: starting.call,
    stream: (topics, onEvent) => (remote ? streamOverHttp(remote, streamPath(topics), onEvent) : streamOverSocket(paths.socket, streamPath(topics), onEvent)),
    async tmux() {
      // daemon.info is never served over the network; a remote attach needs only the daemon's address.
      if (remote) return { binary: '', socket: '', remote };
      const info = await client.call('daemon.info');
      return { binary: info.tmuxBinary, socket: info.tmuxSocket };
    },
  };
}

export type { RouteName };
