import type { Migration } from '../migrate';

/**
 * PLACEHOLDER on branch i13-audit only: version 7 belongs to the environment work of issue 13, which lands
 * separately. It exists so that migration 8 can be applied and tested here; drop this file when merging.
 */
export const migration007: Migration = {
  version: 7,
  name: 'reserved for the environment work',
  up: '',
};
