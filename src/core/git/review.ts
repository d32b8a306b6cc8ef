import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SimpleGit } from 'simple-git';
import { MAX_FILE_TEXT_BYTES, type Diff, type DiffStat, type GitStatus } from '../api/git';
import { looksBinary, rawBodyFor, type RawBody } from '../api/raw';
import { AppError, isAppError } from '../errors';
import type { SessionJournal } from '../sessions/journal';
import type { SessionRecord } from '../sessions/store';
import { pageDiffText } from './diff-page';
import { openInside, safeWorktreePath, type SafePath } from './paths';
import { gitAt, gitMessage } from './simple';
import { parseNumstat, parseStatusV2 } from './status';
import type { WorktreeTops } from './tops';
import type { TurnRecorder } from './turns';

const readAt = promisify(fs.read);

/** Largest file `git.fileRaw` serves. */
export const MAX_RAW_FILE_BYTES = 64 * 1024 * 1024;

export type FileAt = 'head' | 'index' | 'worktree';

/** A session's worktree: the session and the real path of the top of the work tree its cwd is in. */
export interface SessionWorktree {
  record: SessionRecord;
  top: string;
}

interface WhichChange {
  staged: boolean;
  turn?: number | undefined;
}

const STATUS_ARGS = ['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=all'];
const DIFF_BASE = ['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff', '--no-textconv', '-M'];
const LOG_FORMAT = '%H%x00%h%x00%an%x00%ae%x00%aI%x00%s%x1e';

/**
 * Review of what a session changed: git run against the top of the work tree its cwd is in. Every path goes through
 * paths.ts first; commands are argv arrays with "--" before paths and literal pathspecs (see simple.ts).
 */
export class GitReview {
  constructor(
    private readonly journal: SessionJournal,
    private readonly env: NodeJS.ProcessEnv,
    private readonly tops: WorktreeTops,
    private readonly turns: TurnRecorder,
  ) {}

  git(top: string, readOnly = false): SimpleGit {
    return gitAt(top, this.env, { readOnly });
  }

  async worktree(ref: string): Promise<SessionWorktree> {
    const record = this.journal.resolve(ref);
    const top = await this.tops.topOf(record.cwd);
    if (!top) {
      const why = fs.existsSync(record.cwd) ? 'is not inside a git work tree' : 'no longer exists';
      throw new AppError('NOT_A_GIT_REPOSITORY', `session ${record.name ?? record.id}'s directory ${record.cwd} ${why}; review needs a git repository (git init, or start the session in one)`, {
        details: { cwd: record.cwd },
      });
    }
    return { record, top };
  }

  private check(top: string, input: string): SafePath {
    return safeWorktreePath(top, input);
  }

  async status(ref: string): Promise<GitStatus> {
    const { top } = await this.worktree(ref);
    return this.statusAt(top);
  }

  private async statusAt(top: string): Promise<GitStatus> {
    const out = await this.run(this.git(top, true), STATUS_ARGS);
    return parseStatusV2(out, top);
  }

  async branches(ref: string): Promise<{ current: string | null; branches: Array<{ name: string; commit: string; current: boolean; checkedOutElsewhere: boolean }> }> {
    const { top } = await this.worktree(ref);
    const out = await this.run(this.git(top, true), ['for-each-ref', '--format=%(refname:short)%00%(objectname)%00%(HEAD)%00%(worktreepath)', 'refs/heads']);
    const branches = out
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [name = '', commit = '', head = '', worktreePath = ''] = line.split('\0');
        const current = head === '*';
        const elsewhere = !current && worktreePath !== '' && realOrSelf(worktreePath) !== top;
        return { name, commit, current, checkedOutElsewhere: elsewhere };
      });
    return { current: branches.find((branch) => branch.current)?.name ?? null, branches };
  }

  async log(ref: string, options: { limit: number; offset: number; path?: string | undefined }): Promise<{ commits: Array<ReturnType<typeof parseCommit>> }> {
    const { top } = await this.worktree(ref);
    const safe = options.path === undefined ? undefined : this.check(top, options.path);
    const git = this.git(top, true);
    if (!(await this.hasHead(git))) return { commits: [] };
    const args = ['log', `--format=${LOG_FORMAT}`, `--max-count=${options.limit}`, `--skip=${options.offset}`, 'HEAD', '--'];
    if (safe) args.push(safe.rel);
    const out = await this.run(git, args);
    return { commits: out.split('\x1e').map((chunk) => chunk.replace(/^\n/, '')).filter((chunk) => chunk !== '').map(parseCommit) };
  }

  /** The diff's argv (without paths) and what it compares, in words. */
  private async diffSpec(ref: string, which: WhichChange): Promise<{ args: string[]; compared: string }> {
    if (which.turn !== undefined) {
      const id = this.journal.resolve(ref).id;
      // A turn that has just ended may still be being written: waited for only when it is not there yet.
      let range: { from: string; to: string };
      try {
        range = this.turns.range(id, which.turn);
      } catch (error) {
        if (!this.turns.pending(id)) throw error;
        await this.turns.settled(id);
        range = this.turns.range(id, which.turn);
      }
      return { args: [range.from, range.to], compared: `turn ${which.turn} (${range.from.slice(0, 7)}..${range.to.slice(0, 7)})` };
    }
    if (which.staged) return { args: ['--cached'], compared: 'index against HEAD' };
    return { args: [], compared: 'worktree against index' };
  }

  async diff(ref: string, options: WhichChange & { path?: string | undefined; offset: number; limitBytes: number }): Promise<Diff> {
    const { top } = await this.worktree(ref);
    const safe = options.path === undefined ? undefined : this.check(top, options.path);
    const { args, compared } = await this.diffSpec(ref, options);
    const git = this.git(top, true);
    const pathArgs = safe ? ['--', safe.rel] : ['--'];
    let text = await this.run(git, [...DIFF_BASE, ...args, ...pathArgs]);
    let comparedNow = compared;
    let untrackedShown = false;
    // A new file the agent wrote is untracked: asked for by name, it is shown whole against nothing.
    if (text === '' && safe && options.turn === undefined && !options.staged) {
      const untracked = await this.run(git, ['ls-files', '--others', '--exclude-standard', '-z', '--', safe.rel]);
      if (untracked.split('\0').includes(safe.rel)) {
        text = await this.run(git, ['-c', 'core.quotePath=false', 'diff', '--no-color', '--no-ext-diff', '--no-textconv', '--no-index', '--', '/dev/null', safe.rel]);
        comparedNow = 'untracked file against nothing';
        untrackedShown = true;
      }
    }
    const hasBinary = /(^|\n)Binary files /.test(text);
    // (the untracked file shown against nothing is the one path asked for)
    const binaryFiles = !hasBinary ? [] : untrackedShown ? [safe!.rel] : await this.binaryFiles(git, args, pathArgs);
    const page = pageDiffText(text, options.offset, options.limitBytes);
    return { ...page, compared: comparedNow, binaryFiles };
  }

  private async binaryFiles(git: SimpleGit, args: string[], pathArgs: string[]): Promise<string[]> {
    const stat = parseNumstat(await this.run(git, [...DIFF_BASE, '--numstat', '-z', ...args, ...pathArgs]));
    return stat.files.filter((file) => file.binary).map((file) => file.path);
  }

  async diffStat(ref: string, which: WhichChange): Promise<DiffStat> {
    const { top } = await this.worktree(ref);
    const { args } = await this.diffSpec(ref, which);
    return parseNumstat(await this.run(this.git(top, true), [...DIFF_BASE, '--numstat', '-z', ...args, '--']));
  }

  /**
   * Review shows what git tracks or would add. An ignored file (.env, credentials, build output) is none of that, and a
   * read-scope caller has no business reading it through review: it is refused (git check-ignore; a tracked file is
   * never reported ignored).
   */
  private async refuseIgnored(top: string, safe: SafePath, input: string): Promise<void> {
    // check-ignore takes path names, not pathspecs (literal pathspecs make it refuse); it prints the ones ignored. A
    // failure of git itself is an error, never taken as "not ignored".
    const git = gitAt(top, this.env, { readOnly: true, extra: { GIT_LITERAL_PATHSPECS: '0' } });
    const printed = await this.run(git, ['check-ignore', '--', safe.rel]);
    if (printed.trim() !== '') {
      throw new AppError('PERMISSION_DENIED', `${input} is ignored by git (.gitignore or info/exclude): review serves only what git tracks or would add`, {
        details: { path: safe.rel },
      });
    }
  }

  /** A file's bytes at HEAD, in the index, or in the worktree; null when it does not exist there. */
  private async readAt(top: string, safe: SafePath, input: string, at: FileAt, limit: number): Promise<{ size: number; bytes: Buffer | null } | null> {
    if (at === 'worktree') {
      await this.refuseIgnored(top, safe, input);
      const fd = openInside(top, safe, input);
      if (fd === null) return null;
      // Read through the descriptor that was checked (not the path again), off the event loop.
      try {
        const size = fs.fstatSync(fd).size;
        if (size > limit) return { size, bytes: null };
        const bytes = Buffer.alloc(size);
        let read = 0;
        while (read < size) {
          const n = (await readAt(fd, bytes, read, size - read, read)).bytesRead;
          if (n === 0) break;
          read += n;
        }
        return { size: read, bytes: bytes.subarray(0, read) };
      } finally {
        fs.closeSync(fd);
      }
    }
    const git = this.git(top, true);
    const object = at === 'head' ? `HEAD:${safe.rel}` : `:0:${safe.rel}`;
    let type: string;
    try {
      type = (await git.raw(['cat-file', '-t', object])).trim();
    } catch {
      return null;
    }
    if (type !== 'blob') throw new AppError('USAGE', `${input} is a ${type === 'tree' ? 'directory' : type} at ${at}, not a file`);
    const size = Number((await this.run(git, ['cat-file', '-s', object])).trim());
    if (size > limit) return { size, bytes: null };
    const bytes = await git.binaryCatFile(['blob', object]);
    return { size, bytes };
  }

  async file(ref: string, input: { path: string; at: FileAt }): Promise<{ path: string; at: FileAt; exists: boolean; size: number; binary: boolean; text: string | null; tooLarge: boolean }> {
    const { top } = await this.worktree(ref);
    const safe = this.check(top, input.path);
    const got = await this.readAt(top, safe, input.path, input.at, MAX_FILE_TEXT_BYTES);
    if (!got) return { path: safe.rel, at: input.at, exists: false, size: 0, binary: false, text: null, tooLarge: false };
    if (!got.bytes) return { path: safe.rel, at: input.at, exists: true, size: got.size, binary: false, text: null, tooLarge: true };
    const binary = looksBinary(got.bytes);
    return { path: safe.rel, at: input.at, exists: true, size: got.size, binary, text: binary ? null : got.bytes.toString('utf8'), tooLarge: false };
  }

  async fileRaw(ref: string, input: { path: string; at: FileAt }): Promise<RawBody> {
    const { top } = await this.worktree(ref);
    const safe = this.check(top, input.path);
    const got = await this.readAt(top, safe, input.path, input.at, MAX_RAW_FILE_BYTES);
    if (!got) throw new AppError('USAGE', `no file ${safe.rel} ${input.at === 'worktree' ? 'in the worktree' : input.at === 'head' ? 'at HEAD' : 'in the index'}`);
    if (!got.bytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', `${safe.rel} is ${got.size} bytes, more than the ${MAX_RAW_FILE_BYTES}-byte limit of file-raw; read it from the worktree directly`, {
        details: { size: got.size, limit: MAX_RAW_FILE_BYTES },
      });
    }
    return rawBodyFor(got.bytes, safe.rel);
  }

  async stage(ref: string, paths: string[]): Promise<GitStatus> {
    const { top } = await this.worktree(ref);
    const rels = paths.map((input) => this.check(top, input).rel);
    await this.run(this.git(top), ['add', '-A', '--', ...rels], (message) => unmatched(message, rels));
    return this.statusAt(top);
  }

  async unstage(ref: string, paths: string[]): Promise<GitStatus> {
    const { top } = await this.worktree(ref);
    const rels = paths.map((input) => this.check(top, input).rel);
    const git = this.git(top);
    if (await this.hasHead(git)) await this.run(git, ['reset', '-q', 'HEAD', '--', ...rels], (message) => unmatched(message, rels));
    else await this.run(git, ['rm', '--cached', '-r', '-q', '--ignore-unmatch', '--', ...rels]);
    return this.statusAt(top);
  }

  async commit(ref: string, input: { message: string; all: boolean }): Promise<{ commit: ReturnType<typeof parseCommit>; status: GitStatus }> {
    const { top } = await this.worktree(ref);
    const git = this.git(top);
    const staged = await this.run(git, ['diff', '--cached', '--name-only', '-z', '--']);
    const tracked = input.all ? await this.run(git, ['diff', '--name-only', '-z', '--']) : '';
    if (staged === '' && tracked === '') {
      throw new AppError('NOTHING_TO_COMMIT', input.all ? 'nothing to commit: no staged change and no change to a tracked file' : 'nothing to commit: stage changes first (git stage), or commit with all');
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codepiper-commit-'));
    try {
      const file = path.join(dir, 'message');
      fs.writeFileSync(file, input.message.endsWith('\n') ? input.message : `${input.message}\n`, { mode: 0o600 });
      await this.run(git, ['commit', '-q', '--no-edit', `--file=${file}`, ...(input.all ? ['--all'] : [])], (message) =>
        /nothing to commit|no changes added/.test(message) ? new AppError('NOTHING_TO_COMMIT', 'nothing to commit') : undefined,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const out = await this.run(git, ['log', '-1', `--format=${LOG_FORMAT}`, 'HEAD', '--']);
    return { commit: parseCommit(out.replace(/\x1e\s*$/, '')), status: await this.statusAt(top) };
  }

  async checkout(ref: string, input: { ref: string; create: boolean }): Promise<GitStatus> {
    const { top } = await this.worktree(ref);
    const args = input.create ? ['checkout', '-q', '-b', input.ref] : ['checkout', '-q', input.ref, '--'];
    await this.run(this.git(top), args, (message) => checkoutError(message, input.ref));
    return this.statusAt(top);
  }

  /**
   * Throws away the unstaged changes of paths: tracked files back to their staged (or committed) content, untracked
   * ones deleted. Recorded in the session's events with what was restored and deleted.
   */
  async discard(ref: string, paths: string[], via: string): Promise<GitStatus> {
    const { record, top } = await this.worktree(ref);
    const rels = paths.map((input) => this.check(top, input).rel);
    const git = this.git(top);
    const out = await this.run(git, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...rels]);
    const restore: string[] = [];
    const remove: string[] = [];
    const parts = out.split('\0');
    for (let i = 0; i < parts.length; i++) {
      const entry = parts[i]!;
      if (entry.length < 4) continue;
      const xy = entry.slice(0, 2);
      const file = entry.slice(3);
      if (xy[0] === 'R' || xy[0] === 'C') i++; // the old path follows
      if (xy === '??') remove.push(file);
      else if (xy[1] !== ' ') restore.push(file);
    }
    if (restore.length === 0 && remove.length === 0) {
      throw new AppError('USAGE', `nothing to discard: ${rels.join(', ')} ${rels.length === 1 ? 'has' : 'have'} no unstaged change`, { details: { paths: rels } });
    }
    if (restore.length) await this.run(git, ['checkout', '-q', '--', ...restore]);
    if (remove.length) await this.run(git, ['clean', '-f', '-q', '--', ...remove]);
    this.journal.record(record.id, 'user', 'git-discard', { paths: rels, restored: restore, deleted: remove, via });
    return this.statusAt(top);
  }

  private async hasHead(git: SimpleGit): Promise<boolean> {
    try {
      await git.raw(['rev-parse', '--verify', '-q', 'HEAD^{commit}']);
      return true;
    } catch {
      return false;
    }
  }

  /** Runs git; a failure becomes the AppError `mapError` names for its message, else GIT_FAILED with git's words. */
  private async run(git: SimpleGit, args: string[], mapError?: (message: string) => AppError | undefined): Promise<string> {
    try {
      return await git.raw(args);
    } catch (error) {
      if (isAppError(error)) throw error;
      const message = gitMessage(error);
      const mapped = mapError?.(message);
      if (mapped) throw mapped;
      throw new AppError('GIT_FAILED', `git ${args.find((arg) => !arg.startsWith('-') && !arg.includes('=')) ?? ''} failed: ${message}`, { cause: error });
    }
  }
}

function parseCommit(chunk: string): { hash: string; shortHash: string; author: string; email: string; date: string; subject: string } {
  const [hash = '', shortHash = '', author = '', email = '', date = '', subject = ''] = chunk.replace(/^\n/, '').split('\0');
  return { hash, shortHash, author, email, date, subject };
}

function realOrSelf(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}

function unmatched(message: string, rels: string[]): AppError | undefined {
  const match = /pathspec '([^']*)' did not match/.exec(message);
  if (!match) return undefined;
  return new AppError('USAGE', `no file ${match[1]} in the worktree or the index`, { details: { paths: rels } });
}

function checkoutError(message: string, ref: string): AppError | undefined {
  if (/would be overwritten by checkout|Your local changes to the following files/.test(message)) {
    const files = message
      .split('\n')
      .filter((line) => line.startsWith('\t'))
      .map((line) => line.trim());
    return new AppError(
      'WORKTREE_HAS_WORK',
      `checkout of ${ref} refused: it would overwrite uncommitted changes to ${files.length ? files.join(', ') : 'files in the worktree'}; commit or discard them first`,
      { details: { files } },
    );
  }
  if (/already checked out at|is already used by worktree/.test(message)) {
    return new AppError('BRANCH_EXISTS', `branch ${ref} is checked out in another worktree: ${message.split('\n')[0]}`);
  }
  if (/already exists/.test(message)) return new AppError('BRANCH_EXISTS', `a branch named ${ref} already exists; check it out without create`);
  if (/not a valid branch name/.test(message)) return new AppError('USAGE', `${ref} is not a valid branch name`);
  if (/invalid reference|did not match any file|unknown revision|not a commit|not a tree/.test(message)) {
    return new AppError('GIT_REF_NOT_FOUND', `no branch, tag or commit named ${ref}`);
  }
  return undefined;
}
