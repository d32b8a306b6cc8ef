import type { RouteName } from '../core/api';
import type { StreamArgs } from '../core/api/events';
import { streamPath } from '../core/api/topics';
import type { Paths } from '../core/paths';
import { createClient, type Client } from '../client/client';
import { streamOverSocket, type StreamHandle } from '../client/transport';

/**
 * Everything the dashboard needs from the daemon: typed calls (the client the CLI uses too) and live event streams.
 * Tests of screens pass a link answering from fixed data; the real one talks to the daemon over its socket.
 */
export interface DaemonLink {
  call: Client['call'];
  /** Calls that may start a daemon when none answers (launch, and ctrl+r after the daemon went away). */
  callStarting: Client['call'];
  stream(topics: string[], onEvent: (...message: StreamArgs) => void): StreamHandle;
  /** The private tmux server, for attach. */
  tmux(): Promise<{ binary: string; socket: string }>;
}

export function socketLink(paths: Paths): DaemonLink {
  const client = createClient({ paths, autostart: false });
  const starting = createClient({ paths, autostart: true });
  return {
    call: client.call,
    callStarting: starting.call,
    stream: (topics, onEvent) => streamOverSocket(paths.socket, streamPath(topics), onEvent),
    async tmux() {
      const info = await client.call('daemon.info');
      return { binary: info.tmuxBinary, socket: info.tmuxSocket };
    },
  };
}

export type { RouteName };
