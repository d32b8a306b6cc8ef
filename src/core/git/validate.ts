import path from 'node:path';
import type { RepositoryFacts } from './repository';

/**
 * Whether a worktree can be made for a session, and where: pure functions over facts gathered from git (see
 * worktrees.ts), so that every rule here is tested without a repository and every problem is reported at once.
 */

/** What a create request asks of its worktree. */
export interface WorktreeRequest {
  /** The directory the session was asked to start in (a repository's top level or any directory inside it). */
  cwd: string;
  /** A new branch to create (default `cp/<name-or-id>`). */
  createBranch?: string | undefined;
  /** What the new branch starts from (default the repository's HEAD). */
  baseRef?: string | undefined;
  /** An existing branch to check out instead of creating one. */
  branch?: string | undefined;
}

/** One problem, with what to do about it; a warning does not stop the session from being created. */
export interface WorktreeIssue {
  /** The request field it is about: cwd, createBranch, baseRef, branch or worktree (the place). */
  path: string;
  level: 'error' | 'warning';
  message: string;
  fix: string;
}

/** What gathering the facts found out, beyond the repository itself. */
export interface WorktreeFacts {
  repo: RepositoryFacts;
  /** The commit the worktree would start at (baseRef's, the branch's, or HEAD's), null when it names none. */
  baseCommit: string | null;
  /** Whether the branch name is one git accepts. */
  branchNameValid: boolean;
  /** Whether a local branch of that name exists. */
  branchExists: boolean;
  /** Where that branch is checked out already, if anywhere. */
  branchCheckedOutAt: string | null;
  /** Why the worktree's directory cannot be used: it exists, or git still has a worktree registered there. */
  pathTaken: 'exists' | 'registered' | null;
}

/** The worktree a session gets, once every check passed. */
export interface WorktreePlan {
  repoRoot: string;
  path: string;
  branch: string;
  /** What the worktree was made from: the given baseRef, else the branch HEAD was on, else HEAD's commit. */
  baseRef: string;
  baseCommit: string;
  /** Whether CodePiper creates the branch (only such a branch may be deleted with the worktree). */
  createBranch: boolean;
  /** The session's directory: the same place inside the worktree as cwd was inside the repository. */
  cwd: string;
}

/** The branch a request uses: the one to check out, the one to create, or `cp/<name-or-id>`. */
export function chosenBranch(request: WorktreeRequest, label: string): string {
  return request.branch ?? request.createBranch ?? `cp/${label}`;
}

/**
 * Where a session's worktree goes: under `root` from config.json (as `<root>/<repo>/<name-or-id>`, so two repositories
 * never share a directory), else beside the repository as `<repo-parent>/<repo>.worktrees/<name-or-id>`.
 */
export function worktreePath(repoRoot: string, label: string, root?: string): string {
  const repo = path.basename(repoRoot);
  return root ? path.join(root, repo, label) : path.join(path.dirname(repoRoot), `${repo}.worktrees`, label);
}

/** Problems with the shape of the request, before any git is asked: fields that go together or exclude each other. */
export function requestIssues(request: WorktreeRequest & { worktree?: boolean | undefined }): WorktreeIssue[] {
  const issues: WorktreeIssue[] = [];
  if (!request.worktree) {
    for (const field of ['createBranch', 'baseRef', 'branch'] as const) {
      if (request[field] !== undefined) {
        issues.push({ path: field, level: 'error', message: `${field} applies to a session in its own worktree`, fix: 'add worktree: true (codepiper start --worktree)' });
      }
    }
    return issues;
  }
  if (request.branch !== undefined && request.createBranch !== undefined) {
    issues.push({
      path: 'branch',
      level: 'error',
      message: 'give either branch (check out an existing branch) or createBranch (make a new one), not both',
      fix: 'drop one of them',
    });
  }
  if (request.branch !== undefined && request.baseRef !== undefined) {
    issues.push({
      path: 'baseRef',
      level: 'error',
      message: `baseRef is where a new branch starts; an existing branch (${request.branch}) is checked out at its own tip`,
      fix: `drop baseRef, or create a new branch from it: createBranch <new name> with baseRef ${request.baseRef} (--branch NEW --base ${request.baseRef})`,
    });
  }
  return issues;
}

/** Every problem with making the worktree, from the facts; `label` is the session's name or id (null in a dry run without a name). */
export function worktreeIssues(request: WorktreeRequest, facts: WorktreeFacts, target: { branch: string; path: string }): WorktreeIssue[] {
  const { repo } = facts;
  const issues: WorktreeIssue[] = [];
  if (repo.bare) {
    issues.push({
      path: 'cwd',
      level: 'error',
      message: `${request.cwd} is a bare repository: it has no working tree to start a session in`,
      fix: 'start in a checkout of it (git worktree add, or git clone), not in the bare repository',
    });
    return issues;
  }
  if (!repo.root) {
    issues.push({
      path: 'cwd',
      level: 'error',
      message: `${request.cwd} is not inside a git repository`,
      fix: `start in a repository's directory, or make this one a repository (git init, then a first commit)`,
    });
    return issues;
  }
  const existing = request.branch !== undefined;
  if (request.baseRef === undefined && !existing) {
    if (!repo.headCommit) {
      issues.push({
        path: 'cwd',
        level: 'error',
        message: `${repo.root} has no commit yet: a worktree starts from a commit`,
        fix: 'make a first commit (git commit), or give baseRef',
      });
    } else if (!repo.headBranch) {
      issues.push({
        path: 'baseRef',
        level: 'error',
        message: `HEAD in ${repo.root} is detached (at ${repo.headCommit.slice(0, 12)}): there is no current branch to start the new one from`,
        fix: 'give the base to start from: baseRef (--base REF), e.g. main, origin/main or a commit; or check out a branch there',
      });
    }
  }
  if (request.baseRef !== undefined && facts.baseCommit === null) {
    issues.push({
      path: 'baseRef',
      level: 'error',
      message: `base ref "${request.baseRef}" names no commit in ${repo.root}`,
      fix: 'check the name (git branch -a, git tag), or fetch it first (git fetch)',
    });
  }
  const branchField = existing ? 'branch' : 'createBranch';
  if (!facts.branchNameValid) {
    issues.push({
      path: branchField,
      level: 'error',
      message: `"${target.branch}" is not a valid branch name`,
      fix: 'use letters, digits and "/", "-", "_", "." (git check-ref-format --branch tells why a name is refused)',
    });
  } else if (existing) {
    if (!facts.branchExists) {
      issues.push({
        path: 'branch',
        level: 'error',
        message: `branch "${target.branch}" does not exist in ${repo.root}`,
        fix: `create it instead: createBranch "${target.branch}" (--branch ${target.branch}); or check the name (git branch)`,
      });
    } else if (facts.branchCheckedOutAt) {
      issues.push({
        path: 'branch',
        level: 'error',
        message: `branch "${target.branch}" is already checked out in ${facts.branchCheckedOutAt}; git checks a branch out in one worktree at a time`,
        fix: `start the session there (-d ${facts.branchCheckedOutAt}, without a worktree), or start a new branch from it (--branch NEW --base ${target.branch})`,
      });
    }
  } else if (facts.branchExists) {
    issues.push({
      path: 'createBranch',
      level: 'error',
      message: `branch "${target.branch}" already exists in ${repo.root}`,
      fix:
        facts.branchCheckedOutAt
          ? `choose another name (createBranch, --branch NAME, or another session name); it is checked out in ${facts.branchCheckedOutAt}`
          : `choose another name (createBranch, --branch NAME, or another session name), or check it out: branch "${target.branch}" (--checkout ${target.branch})`,
    });
  }
  if (facts.pathTaken) {
    issues.push({
      path: 'worktree',
      level: 'error',
      message:
        facts.pathTaken === 'exists'
          ? `the worktree's directory ${target.path} exists already`
          : `git still has a worktree registered at ${target.path} (its directory is gone)`,
      fix:
        facts.pathTaken === 'exists'
          ? 'give the session another name, remove that directory (codepiper worktree rm, or git worktree remove), or set worktrees.root in config.json'
          : `run git worktree prune in ${repo.root}, or give the session another name`,
    });
  }
  if (repo.dirty.length && issues.every((issue) => issue.level !== 'error' || issue.path !== 'cwd')) {
    const shown = repo.dirty.slice(0, 5).join(', ') + (repo.dirty.length > 5 ? `, and ${repo.dirty.length - 5} more` : '');
    issues.push({
      path: 'cwd',
      level: 'warning',
      message:
        `${repo.root} has ${repo.dirty.length} uncommitted change${repo.dirty.length === 1 ? '' : 's'} (${shown}): the new worktree starts from ` +
        `${facts.baseCommit ? facts.baseCommit.slice(0, 12) : 'the base commit'} and will not contain them`,
      fix: 'fine if the agent does not need them; otherwise commit them first (the worktree is made from commits only)',
    });
  }
  return issues;
}

/** The session's directory inside the worktree: cwd's place relative to the repository's top level. */
export function mappedCwd(worktree: string, subdir: string): string {
  return subdir ? path.join(worktree, subdir) : worktree;
}

/** An issue as one line: the message, then what to do. */
export function issueLine(issue: WorktreeIssue): string {
  return `${issue.message}; fix: ${issue.fix}`;
}
