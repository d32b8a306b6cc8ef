import type { Migration } from '../migrate';
import { migration001 } from './001-meta';
import { migration002 } from './002-sessions';

/** Every migration, in order. A migration, once released, is never edited: add the next number instead. */
export const migrations: readonly Migration[] = [migration001, migration002];
