import type { Migration } from '../migrate';
import { migration001 } from './001-meta';
import { migration002 } from './002-sessions';
import { migration003 } from './003-policies';
import { migration004 } from './004-transcript-path';
import { migration005 } from './005-transcripts';
import { migration006 } from './006-library-kept';
import { migration007 } from './007-session-caller-env';
import { migration008 } from './008-audit-outcomes';
import { migration009 } from './009-session-worktrees';
import { migration010 } from './010-session-turns';
import { migration011 } from './011-env-sets-workspaces';
import { migration012 } from './012-auth';
import { migration013 } from './013-notify-deliveries';

/** Every migration, in order. A migration, once released, is never edited: add the next number instead. */
export const migrations: readonly Migration[] = [migration001, migration002, migration003, migration004, migration005, migration006, migration007, migration008, migration009, migration010, migration011, migration012, migration013];
