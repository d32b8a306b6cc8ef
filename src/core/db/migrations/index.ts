import type { Migration } from '../migrate';
import { migration001 } from './001-meta';

/** Every migration, in order. A migration, once released, is never edited: add the next number instead. */
export const migrations: readonly Migration[] = [migration001];
