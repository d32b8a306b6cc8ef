import type { SessionWorktree } from '../api/worktrees';
import { AppError, isAppError } from '../errors';
import type { WorktreeManager, WorktreeRemoval } from '../git/worktrees';
import type { Logger } from '../log';
import type { SessionJournal } from './journal';
import { isLive } from './state';
import type { SessionRecord } from './store';

/** How many worktrees the list looks at together. */
const LOOKS_AT_ONCE = 8;

type Removed = WorktreeRemoval & { sessionId: string; path: string; branch: string };

/**
 * The worktrees of sessions as a whole: which ones CodePiper made and how they are now, removing one, and pruning the
 * clean, merged ones of ended sessions. A worktree removed by hand is reported as missing, never an error of the list.
 */
export class SessionWorktrees {
  constructor(
    private readonly journal: SessionJournal,
    private readonly git: WorktreeManager,
    private readonly log: Logger,
  ) {}

  /** Every worktree CodePiper made and has not removed, oldest session first. */
  async list() {
    const records = this.withWorktrees();
    const listed = [];
    // A few at a time: each look runs several git processes, and a list of fifty must not start two hundred at once.
    for (let start = 0; start < records.length; start += LOOKS_AT_ONCE) {
      listed.push(
        ...(await Promise.all(
          records.slice(start, start + LOOKS_AT_ONCE).map(async (record) => {
            const { removedAt: _removedAt, ...worktree } = record.worktree;
            const look = await this.git.look(record.worktree);
            return { sessionId: record.id, sessionName: record.name, sessionState: record.state, ...worktree, ...look };
          }),
        )),
      );
    }
    return listed;
  }

  async remove(ref: string, force: boolean): Promise<Removed> {
    const record = this.journal.resolve(ref);
    const worktree = record.worktree;
    if (!worktree) throw new AppError('WORKTREE_NOT_FOUND', `session ${record.id} has no worktree (it was started without --worktree)`);
    if (worktree.removedAt) throw new AppError('WORKTREE_NOT_FOUND', `the worktree of session ${record.id} (${worktree.path}) was removed already, at ${worktree.removedAt}`);
    if (isLive(record.state)) {
      throw new AppError('SESSION_ALREADY_RUNNING', `session ${record.id} is ${record.state.replace('_', ' ')} in ${worktree.path}; stop or kill it first (codepiper kill ${record.name ?? record.id})`);
    }
    return this.removeRecord(record as SessionRecord & { worktree: SessionWorktree }, force);
  }

  /** Removes the worktrees of ended sessions that hold no work (and forgets the ones already gone); keeps the rest, saying why. */
  async prune(): Promise<{ removed: Removed[]; kept: Array<{ sessionId: string; path: string; branch: string; reason: string }> }> {
    const removed: Removed[] = [];
    const kept: Array<{ sessionId: string; path: string; branch: string; reason: string }> = [];
    for (const record of this.withWorktrees()) {
      const { path, branch } = record.worktree;
      if (isLive(record.state)) {
        kept.push({ sessionId: record.id, path, branch, reason: `session is ${record.state.replace('_', ' ')}` });
        continue;
      }
      try {
        removed.push(await this.removeRecord(record, false));
      } catch (error) {
        kept.push({ sessionId: record.id, path, branch, reason: isAppError(error) ? error.message : String(error) });
      }
    }
    return { removed, kept };
  }

  private async removeRecord(record: SessionRecord & { worktree: SessionWorktree }, force: boolean): Promise<Removed> {
    const worktree = record.worktree;
    const result = await this.git.remove(worktree, force, record.name ?? record.id);
    const at = new Date().toISOString();
    this.journal.store.setWorktreeRemoved(record.id, at);
    this.journal.record(record.id, 'user', 'worktree-removed', {
      path: worktree.path,
      branch: worktree.branch,
      force,
      wasMissing: result.wasMissing,
      branchDeleted: result.branchDeleted,
      lostFiles: result.lost.files.length,
      lostCommits: result.lost.commits.length,
    });
    this.journal.publish(record.id);
    if (result.lost.files.length || result.lost.commits.length) {
      this.log.info(`worktree ${worktree.path} of session ${record.id} removed with --force: ${result.lost.files.length} uncommitted files, ${result.lost.commits.length} commits discarded`);
    }
    return { sessionId: record.id, path: worktree.path, branch: worktree.branch, ...result };
  }

  private withWorktrees(): Array<SessionRecord & { worktree: SessionWorktree }> {
    return this.journal.store.all().filter((record): record is SessionRecord & { worktree: SessionWorktree } => record.worktree !== null && record.worktree.removedAt === null);
  }

  /** Logs the worktrees of sessions that are gone (after a daemon restart, say): noticed, and reported by the list. */
  async reportMissing(): Promise<void> {
    const missing = (await this.list()).filter((entry) => entry.missing);
    for (const entry of missing) this.log.info(`worktree ${entry.path} of session ${entry.sessionId} is missing: ${entry.missingReason}`);
  }
}
