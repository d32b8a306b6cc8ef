import type { Handlers } from '../router';

/** Env sets: thin adapters to the env-set service (values go in, only names and masks come out). */
export const envSetHandlers = {
  'envSets.list': (_input, { daemon }) => ({ envSets: daemon.core.envSets.list() }),
  'envSets.create': (input, { daemon }) => daemon.core.envSets.create(input),
  'envSets.get': ({ id }, { daemon }) => daemon.core.envSets.get(id),
  'envSets.update': ({ id, ...changes }, { daemon }) => daemon.core.envSets.update(id, changes),
  'envSets.delete': ({ id }, { daemon }) => daemon.core.envSets.delete(id),
} satisfies Pick<Handlers, 'envSets.list' | 'envSets.create' | 'envSets.get' | 'envSets.update' | 'envSets.delete'>;
