import { z } from 'zod';
import { SESSION_STATES } from '../sessions/state';
import { queryFlag } from './fields';
import { defineRoute } from './route';

/** A branch or ref as a caller gives it: git checks the rest; this only keeps out what could be read as an option. */
const refName = z
  .string()
  .min(1)
  .max(250)
  .refine((value) => !value.startsWith('-'), 'must not start with "-"')
  .refine((value) => !/[\0\s]/.test(value), 'must not contain whitespace or a NUL byte');

/** What a create request may say about the session's worktree (fields of POST /sessions and /sessions/validate-git). */
export const worktreeRequestFields = {
  worktree: z.boolean().optional().describe('run the session in a new git worktree of the repository cwd is in, on its own branch'),
  createBranch: refName.optional().describe('the new branch for the worktree (default cp/<name-or-id>)'),
  baseRef: refName.optional().describe("where the new branch starts: any ref or commit, e.g. origin/main (default the repository's HEAD)"),
  branch: refName.optional().describe('an existing branch to check out in the new worktree, instead of creating one'),
};

/** The worktree a session lives in, as its record keeps it. */
export const sessionWorktreeSchema = z.strictObject({
  repoRoot: z.string().describe('the repository it was made from (the top level of the checkout cwd was in)'),
  path: z.string().describe("the worktree's directory; the session's cwd is this, or the same subdirectory cwd was in"),
  branch: z.string(),
  baseRef: z.string().describe('what it was made from: the given baseRef, else the branch HEAD was on, else the commit'),
  baseCommit: z.string().describe('the commit the worktree started at'),
  createdBranch: z.boolean().describe('whether CodePiper created the branch (only such a branch is deleted with the worktree, and only once merged)'),
  removedAt: z.string().nullable().describe('when the worktree was removed (codepiper worktree rm / prune)'),
});
export type SessionWorktree = z.output<typeof sessionWorktreeSchema>;

const gitIssue = z.strictObject({
  path: z.string().describe('the request field: cwd, createBranch, baseRef, branch, or worktree (the directory)'),
  level: z.enum(['error', 'warning']).describe('a warning (uncommitted changes in the source) does not stop the session'),
  message: z.string(),
  fix: z.string(),
});

const commitLine = z.strictObject({ sha: z.string(), subject: z.string() });
const changedFile = z.strictObject({ path: z.string(), status: z.string().describe('git status --porcelain letters, e.g. " M", "??"') });

export const worktreeStatusSchema = sessionWorktreeSchema.omit({ removedAt: true }).extend({
  sessionId: z.string(),
  sessionName: z.string().nullable(),
  sessionState: z.enum(SESSION_STATES),
  missing: z.boolean().describe('its directory or its repository is gone (removed by hand: rm -rf, or git worktree remove)'),
  missingReason: z.string().nullable(),
  currentBranch: z.string().nullable().describe('the branch checked out there now (the agent may have switched), null when detached or missing'),
  changed: z.number().int().nullable().describe('tracked files with uncommitted changes; null when it cannot be looked at'),
  untracked: z.number().int().nullable(),
  ahead: z.number().int().nullable().describe('commits on it that the base has not'),
  behind: z.number().int().nullable().describe('commits on the base (as it is now) that it has not'),
  problem: z.string().nullable().describe('what went wrong looking at it, if anything'),
});

const removal = z.strictObject({
  sessionId: z.string(),
  path: z.string(),
  branch: z.string(),
  wasMissing: z.boolean().describe("it was already gone (or no longer a git worktree): git's record of it was cleared, and with force a stray directory deleted"),
  branchDeleted: z.boolean(),
  branchNote: z.string().describe('what became of the branch, and why'),
  lost: z.strictObject({ files: z.array(changedFile), commits: z.array(commitLine) }).describe('what --force threw away (empty otherwise)'),
});

export const worktreeRoutes = [
  defineRoute({
    name: 'sessions.validateGit',
    method: 'POST',
    path: '/sessions/validate-git',
    summary:
      'Dry run of a session in its own worktree: every git problem at once (not a repository, bare, detached HEAD, branch taken, base unknown, ' +
      'directory taken; uncommitted changes in the source as a warning), each with its fix, and the worktree that would be made.',
    // admin, as sessions.validate: it probes the daemon's filesystem and repositories for whoever may create sessions.
    access: 'admin',
    input: z.strictObject({
      cwd: z.string().min(1).describe('absolute path of a directory in the repository'),
      name: z.string().min(1).max(64).optional().describe('the session name the defaults derive from (cp/<name>, <repo>.worktrees/<name>)'),
      createBranch: worktreeRequestFields.createBranch,
      baseRef: worktreeRequestFields.baseRef,
      branch: worktreeRequestFields.branch,
    }),
    output: z.strictObject({
      valid: z.boolean().describe('no errors (warnings allowed)'),
      issues: z.array(gitIssue),
      plan: z
        .strictObject({ repoRoot: z.string(), path: z.string(), branch: z.string(), createBranch: z.boolean(), baseRef: z.string(), baseCommit: z.string().nullable(), cwd: z.string() })
        .nullable()
        .describe('the worktree that would be made (null when cwd is in no usable repository)'),
    }),
  }),
  defineRoute({
    name: 'worktrees.list',
    method: 'GET',
    path: '/worktrees',
    summary:
      'Every worktree CodePiper made and has not removed: its session, branch, uncommitted files, ahead/behind its base; missing ones (removed by hand) are reported, not hidden.',
    access: 'read',
    input: z.strictObject({}),
    output: z.strictObject({ worktrees: z.array(worktreeStatusSchema) }),
  }),
  defineRoute({
    name: 'worktrees.remove',
    method: 'DELETE',
    path: '/worktrees/:id',
    summary:
      "Removes an ended session's worktree; refuses (WORKTREE_HAS_WORK, listing the files and commits) while it holds uncommitted changes or commits " +
      'no other branch has, unless force. The branch goes too only when CodePiper created it and it is merged.',
    // write, like git/discard: it only ever removes what CodePiper itself made (the worktree, and a branch it created
    // and that is merged), runs no program of the caller's choosing and changes no rule; force throws away the same
    // kind of thing discard does (an agent's uncommitted edits), and the refusal without it says exactly what.
    access: 'write',
    input: z.strictObject({ id: z.string().min(1), force: queryFlag.default(false) }),
    output: removal,
  }),
  defineRoute({
    name: 'worktrees.prune',
    method: 'POST',
    path: '/worktrees/prune',
    summary: "Removes the worktrees of ended sessions that are clean and merged (and the ones already gone); says what it removed and what it kept, and why.",
    // write, as worktrees.remove without force: nothing with work in it is touched.
    access: 'write',
    input: z.strictObject({}),
    output: z.strictObject({
      removed: z.array(removal),
      kept: z.array(z.strictObject({ sessionId: z.string(), path: z.string(), branch: z.string(), reason: z.string() })),
    }),
  }),
] as const;
