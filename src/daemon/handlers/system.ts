import process from 'node:process';
import { routes } from '../../core/api';
import { buildOpenApiDocument, type OpenApiDocument } from '../../core/api/openapi';
import { COMPARED_ENV } from '../../core/doctor-env';
import { PROVIDERS, resolveProviderBinary } from '../../core/providers';
import type { Handlers } from '../router';
import type { DaemonContext } from '../context';

export const API_VERSION = 1;

/** The document depends only on the route table and the version: built on first request, once per daemon process. */
let openApiDocument: OpenApiDocument | undefined;

function uptimeSeconds(daemon: DaemonContext): number {
  return Math.max(0, (Date.now() - daemon.core.startedAt.getTime()) / 1000);
}

export const systemHandlers = {
  health: (_input, { daemon }) => ({ status: 'ok' as const, version: daemon.core.version, uptime: uptimeSeconds(daemon) }),

  version: (_input, { daemon }) => ({ version: daemon.core.version, node: process.versions.node, api: API_VERSION }),

  'providers.list': (_input, { daemon }) => ({
    providers: PROVIDERS.map((provider) => ({
      id: provider.id,
      displayName: provider.displayName,
      description: provider.description,
      capabilities: provider.capabilities,
      binary: resolveProviderBinary(provider, daemon.core.env, daemon.core.config),
    })),
  }),

  'daemon.info': (_input, { daemon }) => ({
    pid: process.pid,
    socket: daemon.core.paths.socket,
    home: daemon.core.paths.home,
    tmuxSocket: daemon.core.runner.description.tmux.socket,
    tmuxBinary: daemon.core.runner.description.tmux.binary,
    environment: Object.fromEntries(COMPARED_ENV.map((name) => [name, daemon.core.env[name] ?? null])),
    version: daemon.core.version,
    startedAt: daemon.core.startedAt.toISOString(),
    uptime: uptimeSeconds(daemon),
  }),

  'daemon.shutdown': (_input, { daemon }) => {
    daemon.requestShutdown('shutdown route');
    return { ok: true as const, pid: process.pid };
  },

  'api.openapi': (_input, { daemon }) => (openApiDocument ??= buildOpenApiDocument(routes, { version: daemon.core.version })) as unknown as Record<string, unknown>,
} satisfies Pick<Handlers, 'health' | 'version' | 'providers.list' | 'daemon.info' | 'daemon.shutdown' | 'api.openapi'>;
