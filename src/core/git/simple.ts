import { simpleGit, type SimpleGit } from 'simple-git';
import { neutralizingEnv, OVERRIDE_ENV_NAMES, overriddenKeys } from './neutralize';

/**
 * The git variables a review route may pass on to git: who commits (the daemon's environment, as a shell would give
 * them), which config files count, and the ones this code sets itself. simple-git strips every other GIT_* variable of
 * the daemon's environment (a daemon started from a git hook must not aim git at that hook's repository).
 */
const ALLOWED_GIT_ENV = [
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_AUTHOR_DATE',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'GIT_COMMITTER_DATE',
  'GIT_CONFIG_GLOBAL',
  'GIT_CONFIG_NOSYSTEM',
  'GIT_CEILING_DIRECTORIES',
  'GIT_INDEX_FILE',
  'GIT_LITERAL_PATHSPECS',
  'GIT_OPTIONAL_LOCKS',
  'GIT_TERMINAL_PROMPT',
];
const ALLOWED = new Set(ALLOWED_GIT_ENV);

/**
 * Where git finds the user's own config (their identity, their ignore files): simple-git asks to be told these may
 * pass. Review never opens an editor, a pager or a password prompt, so those variables are dropped instead.
 */
const CONFIG_PLACES = ['HOME', 'XDG_CONFIG_HOME', 'PREFIX'];
const DROPPED = new Set(['EDITOR', 'VISUAL', 'PAGER', 'SSH_ASKPASS']);

export interface GitEnvOptions {
  /** A private index (snapshots), instead of the worktree's own. */
  indexFile?: string;
  /** Extra variables (a snapshot's own identity). */
  extra?: Record<string, string>;
  /** Reads may skip the index refresh git would write back (it would take index.lock from under the agent). */
  readOnly?: boolean;
}

/**
 * simple-git at `dir` with the environment every review command runs in: pathspecs literal (a path is a file name,
 * never ":(top)" or a glob), no prompt for credentials, git's messages in English (some are read to tell errors apart).
 */
export function gitAt(dir: string, baseEnv: NodeJS.ProcessEnv, options: GitEnvOptions = {}): SimpleGit {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(baseEnv)) {
    if (value === undefined) continue;
    const upper = key.toUpperCase();
    if ((upper.startsWith('GIT_') && !ALLOWED.has(upper)) || DROPPED.has(upper)) continue;
    env[key] = value;
  }
  env.GIT_LITERAL_PATHSPECS = '1';
  env.GIT_TERMINAL_PROMPT = '0';
  env.LC_ALL = 'C';
  if (options.readOnly) env.GIT_OPTIONAL_LOCKS = '0';
  if (options.indexFile) env.GIT_INDEX_FILE = options.indexFile;
  const neutral = neutralizingEnv(dir);
  Object.assign(env, neutral, options.extra ?? {});
  // A git that prints nothing for a minute (a lock held, a hook that hangs) is stopped rather than left to hold a request.
  return simpleGit({ baseDir: dir, allowEnvironment: [...ALLOWED_GIT_ENV, ...CONFIG_PLACES, ...OVERRIDE_ENV_NAMES], allowConfig: ['core.quotePath', ...overriddenKeys(neutral)], maxConcurrentProcesses: 8, trimmed: false, timeout: { block: 60_000 } }).env(env);
}

/** The words git printed when it failed (simple-git's GitError message), for matching and for the user. */
export function gitMessage(error: unknown): string {
  return String((error as Error)?.message ?? error).trim();
}
