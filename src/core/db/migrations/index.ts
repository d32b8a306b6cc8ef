import type { Migration } from '../migrate';
import { migration001 } from './001-meta';
import { migration002 } from './002-sessions';
import { migration003 } from './003-policies';
import { migration004 } from './004-transcript-path';
import { migration005 } from './005-transcripts';
import { migration006 } from './006-library-kept';
import { migration007 } from './007-session-caller-env';
import { migration008 } from './008-audit-outcomes';
import { migration011 } from './011-env-sets-workspaces';

/** Every migration, in order. A migration, once released, is never edited: add the next number instead. */
export const migrations: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007, migration008, ...issue14Reserved(9, 10), migration011];

/**
 * Issue 14 was built in parallel branches, each with its own migration number; 9 and 10 belong to other parts of it.
 * On this branch alone they are empty stand-ins so the numbering stays contiguous. At merge, the real 009 and 010
 * replace this (delete the function and the spread above).
 */
function issue14Reserved(...versions: number[]): Migration[] {
  return versions.map((version) => ({ version, name: `reserved for another part of issue 14 (${version})`, up: 'SELECT 1;' }));
}
