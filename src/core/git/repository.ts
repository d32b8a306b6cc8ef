import fs from 'node:fs';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { AppError } from '../errors';
import { neutralizingEnv, OVERRIDE_ENV_NAMES, overriddenKeys } from './neutralize';

/**
 * Looking at a repository and its worktrees through simple-git: every command an argv array, never a shell string
 * (branch names and refs come from callers). Worktree management itself is in worktrees.ts; what makes a request
 * valid is in validate.ts.
 */

/** A git instance for `dir`, or undefined when the directory does not exist (simple-git refuses one). */
export function gitIn(dir: string): SimpleGit | undefined {
  try {
    if (!fs.statSync(dir).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  // No editor, pager or password prompt: nothing here is interactive (and simple-git refuses them unless allowed).
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^GIT_CONFIG_(COUNT|KEY_|VALUE_)/.test(key) || ['EDITOR', 'VISUAL', 'PAGER', 'GIT_PAGER', 'SSH_ASKPASS', 'GIT_ASKPASS', 'GIT_EDITOR'].includes(key.toUpperCase())) continue;
    env[key] = value;
  }
  // A hung git (a lock held, a hook waiting) is stopped rather than left to hold a route.
  const neutral = neutralizingEnv(dir);
  return simpleGit({
    baseDir: dir,
    trimmed: false,
    allowEnvironment: [...OVERRIDE_ENV_NAMES, ...Object.keys(env).filter((key) => key.startsWith('GIT_')), 'HOME', 'XDG_CONFIG_HOME', 'PREFIX'],
    allowConfig: overriddenKeys(neutral),
    timeout: { block: 60_000 },
  }).env({ ...env, ...neutral });
}

/** What a directory is, as far as a new worktree is concerned. */
export interface RepositoryFacts {
  /** The working tree that holds `dir` (its top level), or null when `dir` is in no repository or in a bare one. */
  root: string | null;
  /** `dir` relative to `root` ("" at the top). */
  subdir: string;
  bare: boolean;
  /** The branch checked out at `root`, or null when HEAD is detached (or unborn: see headCommit). */
  headBranch: string | null;
  /** The commit HEAD is at, or null for a repository without a commit yet. */
  headCommit: string | null;
  /** Files with uncommitted changes (tracked, staged or untracked) in the working tree at `root`. */
  dirty: string[];
}

/**
 * The facts of `dir`; never throws for a directory that is no repository (root is null then). What a session's create
 * waits for, so as few git processes as can tell: the worktree list alone says which worktree holds `dir` (the
 * deepest one whose directory contains it), whether that is bare, and its HEAD; status runs beside it only when the
 * uncommitted changes are asked for (`dirty`, for the warning of a dry run). rev-parse is asked only when the list
 * cannot tell (no repository, or `dir` inside a .git directory).
 */
export async function inspectRepository(dir: string, options: { dirty?: boolean } = {}): Promise<RepositoryFacts & { worktrees: WorktreeEntry[] }> {
  const none = { root: null, subdir: '', bare: false, headBranch: null, headCommit: null, dirty: [], worktrees: [] };
  const git = gitIn(dir);
  if (!git) return none;
  const [worktrees, dirty] = await Promise.all([
    listWorktrees(git).catch(() => null),
    // Untracked directories as one entry (-unormal): this is for a warning, and a large untracked tree is not walked.
    options.dirty === false ? ([] as string[]) : changedFiles(git, 'normal'),
  ]);
  const real = fs.realpathSync(dir);
  const holder = worktrees && deepestHolder(worktrees, real);
  if (!worktrees || !holder || holder.subdir.split(path.sep)[0] === '.git') {
    // No repository, or one the list does not place `dir` in (inside a .git directory, a bare repository's insides).
    const answer = await git.raw(['rev-parse', '--is-bare-repository']).catch(() => '');
    return { ...none, bare: answer.trim() === 'true' };
  }
  const { entry, root, subdir } = holder;
  if (entry.bare) return { ...none, bare: true };
  const headCommit = entry.head && !/^0+$/.test(entry.head) ? entry.head : null;
  return { root, subdir, bare: false, headBranch: entry.branch, headCommit, dirty: dirty.filter(Boolean), worktrees };
}

/** The worktree whose directory holds `real` (a real path), the deepest when several nest; with `real` relative to it. */
function deepestHolder(entries: WorktreeEntry[], real: string): { entry: WorktreeEntry; root: string; subdir: string } | undefined {
  let best: { entry: WorktreeEntry; root: string; subdir: string } | undefined;
  for (const entry of entries) {
    const root = realpathOrSelf(entry.path);
    const subdir = path.relative(root, real);
    if (subdir.startsWith('..') || path.isAbsolute(subdir)) continue;
    if (!best || root.length > best.root.length) best = { entry, root, subdir };
  }
  return best;
}

function realpathOrSelf(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

/** The commit `ref` names (any ref: a branch, `origin/main`, a tag, a sha), or null when it names none. */
export async function resolveCommit(git: SimpleGit, ref: string): Promise<string | null> {
  // "--end-of-options" so a ref cannot be read as an option; --verify --quiet prints nothing for an unknown ref.
  const out = await git.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).catch(() => '');
  return out.trim() || null;
}

export async function localBranchExists(git: SimpleGit, branch: string): Promise<boolean> {
  return (await resolveCommit(git, `refs/heads/${branch}`)) !== null;
}

/**
 * Whether `name` is a valid branch name, by git's rules (git-check-ref-format(1), with --branch): a pure check, since
 * asking `git check-ref-format` costs a process on the path every create waits for. The unit test holds it to git's
 * own answers.
 */
export function validBranchName(name: string): boolean {
  if (name === '' || name === '@' || name === 'HEAD' || name.startsWith('-') || name.startsWith('/') || name.endsWith('/') || name.endsWith('.')) return false;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what git refuses
  if (/[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\//.test(name)) return false;
  return name.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.endsWith('.lock'));
}

/**
 * Paths with uncommitted changes in the working tree of `git`: untracked files each named (`all`), or an untracked
 * directory as one entry (`normal`). Without optional locks: a look must not take the index lock a user's git needs.
 */
export async function changedFiles(git: SimpleGit, untracked: 'all' | 'normal' = 'all'): Promise<string[]> {
  return (await statusEntries(git, untracked).catch(() => [])).map((entry) => entry.path);
}

export async function statusEntries(git: SimpleGit, untracked: 'all' | 'normal' = 'all'): Promise<Array<{ code: string; path: string }>> {
  return parsePorcelainStatus(await git.raw(['--no-optional-locks', 'status', '--porcelain=v1', '-z', `--untracked-files=${untracked}`]));
}

/** `git status --porcelain=v1 -z`: each entry's two status letters and path (a rename's new path; its old one is skipped). */
export function parsePorcelainStatus(out: string): Array<{ code: string; path: string }> {
  const entries: Array<{ code: string; path: string }> = [];
  const fields = out.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.length < 4) continue;
    const code = field.slice(0, 2);
    entries.push({ code, path: field.slice(3) });
    // A rename or copy is followed by its source path in the next field.
    if (code[0] === 'R' || code[0] === 'C') i++;
  }
  return entries;
}

/** One entry of `git worktree list --porcelain`. */
export interface WorktreeEntry {
  path: string;
  head: string | null;
  /** The branch checked out there (short name), or null when detached or bare. */
  branch: string | null;
  bare: boolean;
  detached: boolean;
  /** git's own note that the directory is gone (the entry is stale until `git worktree prune`). */
  prunable: boolean;
}

export async function listWorktrees(git: SimpleGit): Promise<WorktreeEntry[]> {
  return parseWorktreeList(await git.raw(['worktree', 'list', '--porcelain', '-z']));
}

/** `git worktree list --porcelain -z`: attributes are NUL-terminated, entries end with an empty one. */
export function parseWorktreeList(out: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | undefined;
  for (const line of out.split('\0')) {
    if (line === '') {
      if (current) entries.push(current);
      current = undefined;
      continue;
    }
    const space = line.indexOf(' ');
    const key = space < 0 ? line : line.slice(0, space);
    const value = space < 0 ? '' : line.slice(space + 1);
    if (key === 'worktree') current = { path: value, head: null, branch: null, bare: false, detached: false, prunable: false };
    else if (!current) continue;
    else if (key === 'HEAD') current.head = value;
    else if (key === 'branch') current.branch = value.replace(/^refs\/heads\//, '');
    else if (key === 'bare') current.bare = true;
    else if (key === 'detached') current.detached = true;
    else if (key === 'prunable') current.prunable = true;
  }
  if (current) entries.push(current);
  return entries;
}

/** One commit, as a person reads it in a list of what would be lost. */
export interface CommitLine {
  sha: string;
  subject: string;
}

/**
 * Commits reachable from `tip` that no other branch, no remote-tracking branch, and none of `also` contain: the work
 * that exists only there (what deleting that branch or a detached worktree would lose).
 */
export async function commitsOnlyOn(git: SimpleGit, tip: string, ownBranch: string | null, also: string[] = []): Promise<CommitLine[]> {
  // A pattern for --branches is written without refs/heads/ (git's rule); branch names cannot hold glob characters.
  const exclude = ownBranch ? [`--exclude=${ownBranch}`] : [];
  const out = await git.raw(['rev-list', '--format=%H%x09%s', '--no-commit-header', tip, '--not', ...exclude, '--branches', '--remotes', ...also, '--']);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      return { sha: line.slice(0, tab), subject: line.slice(tab + 1) };
    });
}

/** How far `tip` is ahead of and behind `base` (commits on one side only). */
export async function aheadBehind(git: SimpleGit, base: string, tip: string): Promise<{ ahead: number; behind: number }> {
  const out = await git.raw(['rev-list', '--left-right', '--count', `${base}...${tip}`, '--']);
  const [behind, ahead] = out.trim().split(/\s+/).map(Number);
  return { ahead: ahead ?? 0, behind: behind ?? 0 };
}

/** git's own words from a failed command, as a GIT_FAILED error that says what was being done. */
export function gitFailed(doing: string, error: unknown): AppError {
  const words = (error instanceof Error ? error.message : String(error)).trim().replace(/\s+/g, ' ');
  return new AppError('GIT_FAILED', `${doing} failed: ${words}`, { cause: error });
}
