import process from 'node:process';
import { PROVIDERS, resolveProviderBinary } from '../../core/providers';
import { tmuxBinary } from '../../core/tmux/binary';
import type { Handlers } from '../router';
import type { DaemonContext } from '../context';

export const API_VERSION = 1;

function uptimeSeconds(daemon: DaemonContext): number {
  return Math.max(0, (Date.now() - daemon.startedAt.getTime()) / 1000);
}

export const systemHandlers = {
  health: (_input, { daemon }) => ({ status: 'ok' as const, version: daemon.version, uptime: uptimeSeconds(daemon) }),

  version: (_input, { daemon }) => ({ version: daemon.version, node: process.versions.node, api: API_VERSION }),

  'providers.list': (_input, { daemon }) => ({
    providers: PROVIDERS.map((provider) => ({
      id: provider.id,
      displayName: provider.displayName,
      description: provider.description,
      capabilities: provider.capabilities,
      binary: resolveProviderBinary(provider, daemon.env, daemon.config),
    })),
  }),

  'daemon.info': (_input, { daemon }) => ({
    pid: daemon.pid,
    socket: daemon.paths.socket,
    home: daemon.paths.home,
    tmuxSocket: daemon.paths.tmuxSocketName,
    tmuxBinary: tmuxBinary(daemon.env, daemon.config),
    version: daemon.version,
    startedAt: daemon.startedAt.toISOString(),
    uptime: uptimeSeconds(daemon),
  }),

  'daemon.shutdown': (_input, { daemon }) => {
    daemon.requestShutdown('shutdown route');
    return { ok: true as const, pid: daemon.pid };
  },
} satisfies Pick<Handlers, 'health' | 'version' | 'providers.list' | 'daemon.info' | 'daemon.shutdown'>;
