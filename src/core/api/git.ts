import { z } from 'zod';
import { queryFlag } from './fields';
import { rawBodySchema } from './raw';
import { defineRoute } from './route';

/**
 * Review: git against a session's worktree (or, for a session without one, the repository its cwd is in). Every
 * `path` is relative to the worktree's top and is checked to stay inside it after resolving ".." and symlinks;
 * anything else is PATH_OUTSIDE_WORKTREE (400) and nothing is read.
 *
 * Access: looking is `read`; stage, unstage, commit, checkout and discard change the user's files or history and are
 * `write` (as typing into the session is).
 */

const idParam = z.strictObject({ id: z.string().min(1) });

/** A path inside the worktree, as git prints it (relative to the top, "/" separated). */
export const worktreePath = z
  .string()
  .min(1)
  .max(4096)
  // NUL, "..", absolute paths and links out are refused by core/git/paths.ts as PATH_OUTSIDE_WORKTREE, before any read.
  .describe("relative to the worktree's top; must stay inside it");

/** Largest diff text one answer carries unless the caller asks for less; the rest is paged with `offset`. */
export const DIFF_PAGE_BYTES = 1024 * 1024;
export const MAX_DIFF_PAGE_BYTES = 8 * 1024 * 1024;
/** Largest file content `git.file` returns as text; bigger files say so and `git.fileRaw` serves the bytes. */
export const MAX_FILE_TEXT_BYTES = 2 * 1024 * 1024;

/** git's two status letters: X for the index, Y for the worktree (`git status --porcelain=v1`), e.g. "M", "A", "?". */
const statusLetter = z.string().max(1);

export const gitFileStatusSchema = z.strictObject({
  path: z.string(),
  /** The old path of a rename or copy. */
  from: z.string().nullable(),
  index: statusLetter.describe('staged change: " " none, M, A, D, R, C, U, ? untracked, ! ignored'),
  worktree: statusLetter.describe('unstaged change, same letters'),
  staged: z.boolean(),
  unstaged: z.boolean(),
  untracked: z.boolean(),
  conflicted: z.boolean(),
});

export const gitStatusSchema = z.strictObject({
  root: z.string().describe("the worktree's top directory"),
  branch: z.string().nullable().describe('null on a detached HEAD'),
  head: z.string().nullable().describe('the commit HEAD points at; null in a repository without commits'),
  upstream: z.string().nullable(),
  ahead: z.number().int(),
  behind: z.number().int(),
  clean: z.boolean(),
  files: z.array(gitFileStatusSchema),
});
export type GitStatus = z.output<typeof gitStatusSchema>;

export const diffStatFileSchema = z.strictObject({
  path: z.string(),
  from: z.string().nullable(),
  additions: z.number().int(),
  deletions: z.number().int(),
  binary: z.boolean(),
});

export const diffStatSchema = z.strictObject({
  files: z.array(diffStatFileSchema),
  additions: z.number().int(),
  deletions: z.number().int(),
});
export type DiffStat = z.output<typeof diffStatSchema>;

export const diffSchema = z.strictObject({
  /** Unified diff text of this page (git's own format, no colour). */
  text: z.string(),
  /** What was compared, in words: "worktree against index", "index against HEAD", "turn 3 (abc1234..def5678)". */
  compared: z.string(),
  offset: z.number().int().describe('byte offset of this page in the whole diff'),
  totalBytes: z.number().int().describe('size of the whole diff'),
  truncated: z.boolean().describe('true when the whole diff is larger than this page; nextOffset continues it'),
  nextOffset: z.number().int().nullable(),
  binaryFiles: z.array(z.string()).describe('files that differ but are binary (git shows no text for them)'),
});
export type Diff = z.output<typeof diffSchema>;

const whichChange = {
  staged: queryFlag.default(false).describe('the index against HEAD instead of the worktree against the index'),
  turn: z.coerce.number().int().min(1).optional().describe('what that turn of the agent changed (see sessions.turns); staged is then ignored'),
};

export const commitSchema = z.strictObject({
  hash: z.string(),
  shortHash: z.string(),
  author: z.string(),
  email: z.string(),
  date: z.string().describe('ISO 8601'),
  subject: z.string(),
});

export const branchSchema = z.strictObject({
  name: z.string(),
  commit: z.string(),
  current: z.boolean(),
  /** Checked out in another worktree (git refuses to check it out here). */
  checkedOutElsewhere: z.boolean(),
});

export const turnSchema = z.strictObject({
  turn: z.number().int().describe('1 for the first turn recorded in this session'),
  at: z.string(),
  /** The snapshot's tree: a private ref refs/codepiper/<session>/<turn>, never the user's index or branches. */
  ref: z.string(),
  files: z.array(diffStatFileSchema).describe('what this turn changed against the snapshot before it'),
  additions: z.number().int(),
  deletions: z.number().int(),
  trigger: z.string().describe('what ended the turn: stop-hook (Claude Code Stop) or idle (any session quiet after running)'),
});
export type Turn = z.output<typeof turnSchema>;

const paths = z.array(worktreePath).min(1).max(10_000);

export const gitRoutes = [
  defineRoute({
    name: 'git.status',
    method: 'GET',
    path: '/sessions/:id/git/status',
    summary: "The session worktree's branch, ahead/behind its upstream, and every changed, staged and untracked file.",
    access: 'read',
    input: idParam,
    output: gitStatusSchema,
  }),
  defineRoute({
    name: 'git.branches',
    method: 'GET',
    path: '/sessions/:id/git/branches',
    summary: 'Local branches of the repository, the current one marked, and those checked out in another worktree.',
    access: 'read',
    input: idParam,
    output: z.strictObject({ current: z.string().nullable(), branches: z.array(branchSchema) }),
  }),
  defineRoute({
    name: 'git.log',
    method: 'GET',
    path: '/sessions/:id/git/log',
    summary: 'Commits reachable from HEAD, newest first (limit, offset, and path to follow one file).',
    access: 'read',
    input: idParam.extend({
      limit: z.coerce.number().int().min(1).max(1000).default(50),
      offset: z.coerce.number().int().min(0).default(0),
      path: worktreePath.optional(),
    }),
    output: z.strictObject({ commits: z.array(commitSchema) }),
  }),
  defineRoute({
    name: 'git.diff',
    method: 'GET',
    path: '/sessions/:id/git/diff',
    summary:
      'Unified diff of the worktree against the index (staged=1: the index against HEAD; turn=N: what that turn changed), ' +
      `for one path or all, paged (${DIFF_PAGE_BYTES} bytes unless limitBytes) with a flag when truncated.`,
    access: 'read',
    input: idParam.extend({
      path: worktreePath.optional(),
      ...whichChange,
      offset: z.coerce.number().int().min(0).default(0),
      limitBytes: z.coerce.number().int().min(1).max(MAX_DIFF_PAGE_BYTES).default(DIFF_PAGE_BYTES),
    }),
    output: diffSchema,
  }),
  defineRoute({
    name: 'git.diffStat',
    method: 'GET',
    path: '/sessions/:id/git/diff-stat',
    summary: 'Lines added and deleted per file (staged=1 for the index, turn=N for one turn); binary files flagged.',
    access: 'read',
    input: idParam.extend(whichChange),
    output: diffStatSchema,
  }),
  defineRoute({
    name: 'git.file',
    method: 'GET',
    path: '/sessions/:id/git/file',
    summary: `A file's content at HEAD, in the index or in the worktree, as text (binary or over ${MAX_FILE_TEXT_BYTES} bytes: text is null and says why); a file git ignores is refused (403).`,
    access: 'read',
    input: idParam.extend({ path: worktreePath, at: z.enum(['head', 'index', 'worktree']).default('worktree') }),
    output: z.strictObject({
      path: z.string(),
      at: z.enum(['head', 'index', 'worktree']),
      exists: z.boolean(),
      size: z.number().int(),
      binary: z.boolean(),
      text: z.string().nullable(),
      tooLarge: z.boolean(),
    }),
  }),
  defineRoute({
    name: 'git.fileRaw',
    method: 'GET',
    path: '/sessions/:id/git/file-raw',
    summary: "A file's bytes at HEAD, in the index or in the worktree, with a content type from its bytes and name (never rendered as HTML).",
    access: 'read',
    input: idParam.extend({ path: worktreePath, at: z.enum(['head', 'index', 'worktree']).default('worktree') }),
    // The router sends a RawBody (see core/api/raw.ts) as bytes with its own content type instead of JSON.
    output: rawBodySchema,
  }),
  defineRoute({
    name: 'git.stage',
    method: 'POST',
    path: '/sessions/:id/git/stage',
    summary: 'Stages paths (as git add, deletions included); returns the status after.',
    access: 'write',
    input: idParam.extend({ paths }),
    output: gitStatusSchema,
  }),
  defineRoute({
    name: 'git.unstage',
    method: 'POST',
    path: '/sessions/:id/git/unstage',
    summary: 'Unstages paths (the index back to HEAD for them; the worktree is untouched); returns the status after.',
    access: 'write',
    input: idParam.extend({ paths }),
    output: gitStatusSchema,
  }),
  defineRoute({
    name: 'git.commit',
    method: 'POST',
    path: '/sessions/:id/git/commit',
    summary: 'Commits what is staged (all=true stages tracked changes first); refuses an empty commit (NOTHING_TO_COMMIT).',
    access: 'write',
    input: idParam.extend({ message: z.string().trim().min(1, 'a commit needs a message').max(100_000), all: z.boolean().default(false) }),
    output: z.strictObject({ commit: commitSchema, status: gitStatusSchema }),
  }),
  defineRoute({
    name: 'git.checkout',
    method: 'POST',
    path: '/sessions/:id/git/checkout',
    summary: "Switches the worktree to a branch (create=true makes it at HEAD); refuses when git would overwrite changes.",
    access: 'write',
    input: idParam.extend({
      ref: z.string().min(1).max(1000).regex(/^[^-\0][^\0]*$/, 'a ref must not start with "-" or contain a NUL byte'),
      create: z.boolean().default(false),
    }),
    output: gitStatusSchema,
  }),
  defineRoute({
    name: 'git.discard',
    method: 'POST',
    path: '/sessions/:id/git/discard',
    summary: "Throws away the unstaged changes of paths (untracked files are deleted); recorded in the session's events.",
    access: 'write',
    input: idParam.extend({ paths }),
    output: gitStatusSchema,
  }),
  defineRoute({
    name: 'sessions.turns',
    method: 'GET',
    path: '/sessions/:id/turns',
    summary: "The agent's turns as recorded when each ended (Stop hook, or idle after running), with the files each changed.",
    access: 'read',
    input: idParam,
    output: z.strictObject({ turns: z.array(turnSchema) }),
  }),
] as const;
