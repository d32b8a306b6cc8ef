import fs from 'node:fs';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import type { SessionWorktree } from '../api/worktrees';
import { AppError } from '../errors';
import {
  aheadBehind,
  commitsOnlyOn,
  gitFailed,
  gitIn,
  inspectRepository,
  listWorktrees,
  localBranchExists,
  resolveCommit,
  parsePorcelainStatus,
  statusEntries,
  validBranchName,
  type CommitLine,
  type WorktreeEntry,
} from './repository';
import { chosenBranch, mappedCwd, worktreeIssues, worktreePath, type WorktreeIssue, type WorktreePlan, type WorktreeRequest } from './validate';

/** A file a worktree holds uncommitted, with its `git status --porcelain` letters. */
export interface ChangedFile {
  path: string;
  status: string;
}

/** What removing a worktree would lose, and what it would keep. */
export interface WorktreeWork {
  /** Uncommitted changes: tracked, untracked, and ignored files (not ignored directories, which builds make again). */
  files: ChangedFile[];
  /** Commits at the worktree's HEAD that neither its base, nor any other branch, nor a remote-tracking branch has. */
  commits: CommitLine[];
  /** The branch checked out there now, null when detached (its commits are then reachable from nothing else). */
  currentBranch: string | null;
}

/** How a worktree is now, for the list. */
export interface WorktreeLook {
  missing: boolean;
  missingReason: string | null;
  currentBranch: string | null;
  changed: number | null;
  untracked: number | null;
  ahead: number | null;
  behind: number | null;
  problem: string | null;
}

/** What removing one did. */
export interface WorktreeRemoval {
  wasMissing: boolean;
  branchDeleted: boolean;
  branchNote: string;
  lost: { files: ChangedFile[]; commits: CommitLine[] };
}

export interface WorktreeManagerOptions {
  /** worktrees.root from config.json, read when a worktree is planned (so a changed config applies to the next one). */
  root: () => string | undefined;
}

/**
 * Git worktrees for sessions: planning one (every problem at once), making it (with its undo), looking at it, and
 * removing it without losing work unless told to. Knows nothing of sessions beyond the worktree a record keeps;
 * the session engine decides when.
 */
export class WorktreeManager {
  /** One git change at a time per repository: two `git worktree add` at once race for the same lock files. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: WorktreeManagerOptions) {}

  /**
   * Every problem with making a worktree for `request` (errors and warnings), and the worktree that would be made.
   * `label` is the session's name or id; null in a dry run of a session without a name (its id is not known yet, so a
   * branch and a directory named after it cannot clash with anything).
   */
  async plan(request: WorktreeRequest, label: string | null, options: { forCreate?: boolean } = {}): Promise<{ issues: WorktreeIssue[]; plan: WorktreePlan | null; labelled: boolean }> {
    const shown = label ?? '<session id>';
    const branch = chosenBranch(request, shown);
    const existing = request.branch !== undefined;
    const defaultName = request.branch === undefined && request.createBranch === undefined;
    const knowable = label !== null || !defaultName;
    // Everything asked at once, from cwd (git finds the repository from any directory in it): one round of processes.
    const git = gitIn(request.cwd);
    const [repo, nameValid, exists, namedCommit] = await Promise.all([
      // A create has no one to show a warning to: it does not pay for the status the warning needs. Nor does it ask
      // whether a new branch exists: `git worktree add -b` refuses one itself, at the moment it would make it (no
      // window for another create in between), and that refusal is reported as BRANCH_EXISTS with its fix.
      inspectRepository(request.cwd, { dirty: !options.forCreate }),
      validBranchName(knowable ? branch : 'cp/x'),
      git && knowable && !options.forCreate ? localBranchExists(git, branch) : false,
      !git ? null : existing ? resolveCommit(git, `refs/heads/${branch}`) : request.baseRef !== undefined ? resolveCommit(git, request.baseRef) : null,
    ]);
    const facts = { repo, baseCommit: null as string | null, branchNameValid: true, branchExists: false, branchCheckedOutAt: null as string | null, pathTaken: null as 'exists' | 'registered' | null };
    if (!repo.root) return { issues: worktreeIssues(request, facts, { branch, path: '' }), plan: null, labelled: label !== null };
    const target = worktreePath(repo.root, shown, this.options.root());
    const entries = repo.worktrees;
    const baseCommit = existing || request.baseRef !== undefined ? namedCommit : repo.headCommit;
    facts.branchNameValid = nameValid;
    // An existing branch to check out exists when it names a commit (asked above for its tip either way).
    facts.branchExists = existing ? namedCommit !== null : exists;
    facts.baseCommit = baseCommit;
    facts.branchCheckedOutAt = (knowable && entries.find((entry) => entry.branch === branch)?.path) || null;
    if (label !== null) {
      if (fs.existsSync(target)) facts.pathTaken = 'exists';
      else if (entries.some((entry) => samePath(entry.path, target))) facts.pathTaken = 'registered';
    }
    const issues = worktreeIssues(request, facts, { branch, path: target });
    const plan: WorktreePlan = {
      repoRoot: repo.root,
      path: target,
      branch,
      baseRef: request.baseRef ?? repo.headBranch ?? repo.headCommit ?? 'HEAD',
      baseCommit: baseCommit ?? '',
      createBranch: !existing,
      cwd: mappedCwd(target, repo.subdir),
    };
    return { issues, plan, labelled: label !== null };
  }

  /**
   * Makes the planned worktree; returns its undo (remove the worktree, the branch it created, the directories it
   * made for it). The branch starts at the commit the plan checked, not at the ref again: what was validated is what
   * is made, and no upstream is set from a remote ref (the agent's branch does not track origin/main).
   */
  async create(plan: WorktreePlan): Promise<() => Promise<void>> {
    const git = gitIn(plan.repoRoot);
    if (!git) throw new AppError('NOT_A_GIT_REPOSITORY', `${plan.repoRoot} is gone`);
    const madeDirs = missingParents(plan.path);
    return this.exclusive(plan.repoRoot, async () => {
      const argv = plan.createBranch
        ? ['worktree', 'add', '-b', plan.branch, '--', plan.path, plan.baseCommit]
        : ['worktree', 'add', '--', plan.path, plan.branch];
      try {
        await git.raw(argv);
      } catch (error) {
        // git made nothing (it cleans up a failed add itself); what is at that path or under that branch name now is
        // someone else's (a create that raced this one): only the empty directories made for this one go.
        removeEmptyDirs(madeDirs);
        throw classifyAddFailure(plan, error);
      }
      return () => this.exclusive(plan.repoRoot, () => this.undo(git, plan, madeDirs));
    });
  }

  private async undo(git: SimpleGit, plan: WorktreePlan, madeDirs: string[]): Promise<void> {
    // Each step on its own: one that fails must not keep the next from running.
    await git.raw(['worktree', 'remove', '--force', '--force', '--', plan.path]).catch(() => undefined);
    fs.rmSync(plan.path, { recursive: true, force: true });
    await git.raw(['worktree', 'prune']).catch(() => undefined);
    if (plan.createBranch) await git.raw(['branch', '-D', '--', plan.branch]).catch(() => undefined);
    removeEmptyDirs(madeDirs);
  }

  /** How the worktree is now; never throws (what went wrong is in `problem`). */
  async look(worktree: SessionWorktree): Promise<WorktreeLook> {
    const look: WorktreeLook = { missing: false, missingReason: null, currentBranch: null, changed: null, untracked: null, ahead: null, behind: null, problem: null };
    try {
      const repoGit = gitIn(worktree.repoRoot);
      const where = await this.whereabouts(worktree, repoGit);
      if (where.missingReason) {
        look.missing = true;
        look.missingReason = where.missingReason;
      }
      if (!repoGit) return look;
      let tip: string | null;
      if (!look.missing) {
        const git = gitIn(worktree.path)!;
        const entries = (await statusEntries(git));
        look.untracked = entries.filter((entry) => entry.code === '??').length;
        look.changed = entries.length - look.untracked;
        look.currentBranch = where.entry?.branch ?? null;
        tip = where.entry?.head ?? (await resolveCommit(git, 'HEAD'));
      } else {
        tip = await resolveCommit(repoGit, `refs/heads/${worktree.branch}`);
      }
      const base = (await resolveCommit(repoGit, worktree.baseRef)) ?? worktree.baseCommit;
      if (tip) Object.assign(look, await aheadBehind(repoGit, base, tip));
    } catch (error) {
      look.problem = (error instanceof Error ? error.message : String(error)).trim();
    }
    return look;
  }

  /** What removing the worktree would lose: its uncommitted files, and the commits only it has. */
  async work(worktree: SessionWorktree): Promise<WorktreeWork> {
    const repoGit = gitIn(worktree.repoRoot);
    const where = await this.whereabouts(worktree, repoGit);
    const work: WorktreeWork = { files: [], commits: [], currentBranch: null };
    if (!repoGit) return work;
    const also = await this.baseCommits(repoGit, worktree);
    if (where.missingReason) {
      // The files are gone already; the branch may still hold commits nothing else has.
      const tip = await resolveCommit(repoGit, `refs/heads/${worktree.branch}`);
      if (tip) work.commits = await commitsOnlyOn(repoGit, tip, worktree.branch, also);
      work.currentBranch = worktree.branch;
      return work;
    }
    const git = gitIn(worktree.path)!;
    try {
      // Ignored files count too, but not ignored directories: a .env or a local database copied into the worktree is
      // nobody's build output, while node_modules/ or dist/ (listed as a directory under --ignored=matching) can be
      // made again. `git worktree remove --force` would delete both without a word.
      const entries = parsePorcelainStatus(await git.raw(['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=matching']));
      work.files = entries.filter((entry) => entry.code !== '!!' || !entry.path.endsWith('/')).map((entry) => ({ path: entry.path, status: entry.code }));
      work.currentBranch = where.entry?.branch ?? null;
      const tip = where.entry?.head ?? (await resolveCommit(git, 'HEAD'));
      if (tip) work.commits = await commitsOnlyOn(repoGit, tip, work.currentBranch, also);
    } catch (error) {
      throw gitFailed(`looking at the work in ${worktree.path}`, error);
    }
    return work;
  }

  /**
   * Removes the worktree. Without `force`, a worktree with work (see `work`) is refused with WORKTREE_HAS_WORK, which
   * says exactly what. The branch is deleted only when CodePiper created it and nothing is on it that another branch
   * (or the base) has not; otherwise it stays, so commits made there are never lost by a removal.
   */
  async remove(worktree: SessionWorktree, force: boolean, who: string): Promise<WorktreeRemoval> {
    const before = await this.whereabouts(worktree, gitIn(worktree.repoRoot));
    // A directory git no longer counts as a worktree (its .git file gone, say): git cannot tell what in it is work.
    const stray = before.missingReason !== null && before.entry === undefined && fs.existsSync(worktree.path);
    if (stray && !force) {
      throw new AppError(
        'WORKTREE_HAS_WORK',
        `the worktree of session ${who} (${worktree.path}) is still there, but git no longer knows it as a worktree, so what in it is uncommitted ` +
          'cannot be told; look at it, then remove it anyway with --force (force: true): the directory is deleted',
        { details: { path: worktree.path, branch: worktree.branch, files: [], commits: [], commitsKeptOn: null } },
      );
    }
    const work = await this.work(worktree);
    if (!force && (work.files.length || work.commits.length)) throw hasWork(worktree, work, who);
    const repoGit = gitIn(worktree.repoRoot);
    if (!repoGit) {
      return { wasMissing: true, branchDeleted: false, branchNote: `the repository ${worktree.repoRoot} is gone, and its branch with it`, lost: { files: [], commits: [] } };
    }
    return this.exclusive(worktree.repoRoot, async () => {
      const where = await this.whereabouts(worktree, repoGit);
      if (where.entry && !where.missingReason) {
        await repoGit.raw(['worktree', 'remove', ...(force ? ['--force'] : []), '--', where.entry.path]).catch((error: unknown) => {
          throw gitFailed(`git worktree remove ${worktree.path}`, error);
        });
      } else {
        // Gone by hand: only git's record of it (if any) is left to clear, and a stray directory with --force.
        if (stray) fs.rmSync(worktree.path, { recursive: true, force: true });
        await repoGit.raw(['worktree', 'prune']).catch(() => undefined);
      }
      for (const dir of [path.dirname(worktree.path)]) {
        try {
          fs.rmdirSync(dir); // the <repo>.worktrees directory, once its last worktree is gone
        } catch {
          /* not empty, or not ours to remove */
        }
      }
      const branch = await this.settleBranch(repoGit, worktree);
      return { wasMissing: where.missingReason !== null, ...branch, lost: force ? { files: work.files, commits: work.currentBranch ? [] : work.commits } : { files: [], commits: [] } };
    });
  }

  private async settleBranch(git: SimpleGit, worktree: SessionWorktree): Promise<{ branchDeleted: boolean; branchNote: string }> {
    const { branch } = worktree;
    if (!worktree.createdBranch) return { branchDeleted: false, branchNote: `${branch} was not created by CodePiper: kept` };
    const tip = await resolveCommit(git, `refs/heads/${branch}`);
    if (!tip) return { branchDeleted: false, branchNote: `${branch} no longer exists` };
    const checkedOut = (await listWorktrees(git).catch(() => [] as WorktreeEntry[])).find((entry) => entry.branch === branch);
    if (checkedOut) return { branchDeleted: false, branchNote: `${branch} is checked out in ${checkedOut.path}: kept` };
    const unmerged = await commitsOnlyOn(git, tip, branch, await this.baseCommits(git, worktree, false));
    if (unmerged.length) {
      return { branchDeleted: false, branchNote: `${branch} has ${plural(unmerged.length, 'commit')} no other branch has: kept (git branch -D ${branch} drops it)` };
    }
    await git.raw(['branch', '-D', '--', branch]).catch((error: unknown) => {
      throw gitFailed(`deleting branch ${branch}`, error);
    });
    return { branchDeleted: true, branchNote: `${branch} was created by CodePiper and is merged: deleted (it was at ${tip.slice(0, 12)})` };
  }

  /**
   * What counts as already kept elsewhere besides other branches: the base as it is now and, unless only merges are
   * asked about, the commit the worktree started at (history from before the session is not its work).
   */
  private async baseCommits(git: SimpleGit, worktree: SessionWorktree, withStart = true): Promise<string[]> {
    const base = await resolveCommit(git, worktree.baseRef);
    const start = withStart && worktree.baseCommit && (await resolveCommit(git, worktree.baseCommit));
    return [...new Set([base, start].filter((commit): commit is string => Boolean(commit)))];
  }

  /**
   * Whether the worktree is still there: its directory exists and git lists it. A directory removed with rm -rf is
   * still listed (as prunable) until `git worktree prune`; `git worktree remove` removes both.
   */
  private async whereabouts(worktree: SessionWorktree, repoGit: SimpleGit | undefined): Promise<{ entry: WorktreeEntry | undefined; missingReason: string | null }> {
    if (!repoGit) return { entry: undefined, missingReason: `its repository ${worktree.repoRoot} is gone` };
    const entries = await listWorktrees(repoGit).catch(() => [] as WorktreeEntry[]);
    const entry = entries.find((candidate) => samePath(candidate.path, worktree.path));
    const exists = fs.existsSync(worktree.path);
    if (!exists && entry) return { entry, missingReason: 'its directory was deleted (git still lists it until git worktree prune)' };
    if (!exists) return { entry, missingReason: 'it was removed outside CodePiper (git worktree remove, or deleted and pruned)' };
    // Without its .git link the directory is no worktree: git run there would not look at it (or at another repository).
    if (!entry || !fs.existsSync(path.join(worktree.path, '.git'))) {
      return { entry: undefined, missingReason: 'git no longer knows it as a worktree (its .git link is gone; its directory is still there)' };
    }
    return { entry, missingReason: null };
  }

  private exclusive<T>(repoRoot: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(repoRoot) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.queues.set(repoRoot, settled);
    void settled.then(() => {
      if (this.queues.get(repoRoot) === settled) this.queues.delete(repoRoot);
    });
    return next;
  }
}

/** The error that refuses a removal: what exactly would be lost, in the message and in the details. */
export function hasWork(worktree: SessionWorktree, work: WorktreeWork, who: string): AppError {
  const parts: string[] = [];
  if (work.files.length) {
    const names = work.files.slice(0, 20).map((file) => file.path).join(', ') + (work.files.length > 20 ? `, and ${work.files.length - 20} more` : '');
    parts.push(`${plural(work.files.length, 'uncommitted file')} would be lost: ${names}`);
  }
  if (work.commits.length) {
    const list = work.commits.slice(0, 10).map((commit) => `${commit.sha.slice(0, 12)} ${commit.subject}`).join('; ') + (work.commits.length > 10 ? `; and ${work.commits.length - 10} more` : '');
    const fate = work.currentBranch
      ? `not merged into ${worktree.baseRef} or any other branch (they stay on branch ${work.currentBranch}, which removing keeps)`
      : `on a detached HEAD that no branch holds (they would be lost)`;
    parts.push(`${plural(work.commits.length, 'commit')} ${fate}: ${list}`);
  }
  return new AppError(
    'WORKTREE_HAS_WORK',
    `the worktree of session ${who} (${worktree.path}) has work: ${parts.join('; ')}. Commit or merge it first, or remove anyway with --force (force: true)`,
    { details: { path: worktree.path, branch: worktree.branch, files: work.files, commits: work.commits, commitsKeptOn: work.currentBranch } },
  );
}

function classifyAddFailure(plan: WorktreePlan, error: unknown): AppError {
  const words = error instanceof Error ? error.message : String(error);
  if (/already exists/.test(words) && /branch/.test(words)) {
    return new AppError(
      'BRANCH_EXISTS',
      `createBranch: branch "${plan.branch}" already exists in ${plan.repoRoot}; fix: choose another name (createBranch, --branch NAME, or another session name), ` +
        `or check it out: branch "${plan.branch}" (--checkout ${plan.branch})`,
      { cause: error, details: { issues: [{ path: 'createBranch', level: 'error', message: `branch "${plan.branch}" already exists in ${plan.repoRoot}`, fix: 'choose another name, or check it out with --checkout' }] } },
    );
  }
  if (/invalid reference|not a valid/.test(words)) return new AppError('GIT_REF_NOT_FOUND', `"${plan.branch}" names no branch`, { cause: error });
  return gitFailed(`git worktree add ${plan.path}`, error);
}

/** Removes `dirs` (deepest first) while they are empty; one that is not (another worktree is there) stays, with its parents. */
function removeEmptyDirs(dirs: string[]): void {
  for (const dir of dirs) {
    try {
      fs.rmdirSync(dir);
    } catch {
      return;
    }
  }
}

/** The directories `git worktree add` will create for `target` (the target's missing parents), deepest first. */
function missingParents(target: string): string[] {
  const made: string[] = [];
  for (let dir = path.dirname(target); !fs.existsSync(dir); dir = path.dirname(dir)) {
    made.push(dir);
    if (path.dirname(dir) === dir) break;
  }
  return made;
}

function samePath(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    return fs.realpathSync(a) === fs.realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
