import type { Handlers } from '../router';

/** Workspaces: thin adapters to the workspace service. */
export const workspaceHandlers = {
  'workspaces.list': (_input, { daemon }) => ({ workspaces: daemon.core.workspaces.list() }),
  'workspaces.create': (input, { daemon }) => daemon.core.workspaces.create(input),
  'workspaces.get': ({ id }, { daemon }) => daemon.core.workspaces.get(id),
  'workspaces.update': ({ id, ...changes }, { daemon }) => daemon.core.workspaces.update(id, changes),
  'workspaces.delete': ({ id }, { daemon }) => daemon.core.workspaces.delete(id),
} satisfies Pick<Handlers, 'workspaces.list' | 'workspaces.create' | 'workspaces.get' | 'workspaces.update' | 'workspaces.delete'>;
