import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { DiffStat, Turn } from '../api/git';
import type { Session } from '../api/sessions';
import { AppError } from '../errors';
import type { Logger } from '../log';
import type { SessionState } from '../sessions/state';
import { gitAt, gitMessage } from './simple';
import { parseNumstat } from './status';

/** States a turn runs in, and the states it ends in (the agent waits for the person again). */
const WORKING: ReadonlySet<SessionState> = new Set(['running', 'needs_permission']);
const WAITING: ReadonlySet<SessionState> = new Set(['idle', 'needs_input']);
const ENDED: ReadonlySet<SessionState> = new Set(['stopped', 'crashed']);

/** Who the snapshot commits say made them: they are CodePiper's, not the user's, and need no git identity set. */
const SNAPSHOT_IDENTITY = {
  GIT_AUTHOR_NAME: 'CodePiper',
  GIT_AUTHOR_EMAIL: 'codepiper@localhost',
  GIT_COMMITTER_NAME: 'CodePiper',
  GIT_COMMITTER_EMAIL: 'codepiper@localhost',
};

export type TurnTrigger = 'start' | 'stop-hook' | 'idle';

interface TurnRow {
  session_id: string;
  turn: number;
  at: string;
  trigger: string;
  root: string;
  commit_hash: string;
  tree: string;
  files: string;
  additions: number;
  deletions: number;
}

/** The private ref of a session's turn: never a branch, never in the user's refs/heads. */
export function turnRef(sessionId: string, turn: number): string {
  return `refs/codepiper/${sessionId}/${turn}`;
}

/**
 * Per-turn snapshots. When a session starts, its worktree is recorded as turn 0 (the baseline, not listed); each time
 * a turn ends (Claude Code's Stop hook, or any agent going quiet after running) the worktree is recorded again, and the
 * turn is what changed between the two. A snapshot is a commit of the worktree's tree built in a private index file
 * (seeded from a copy of the worktree's own index, so unchanged files are not hashed again), with the previous
 * snapshot as parent, under refs/codepiper/<session>/<turn>: the user's index, branches and files are never touched.
 *
 * A turn that changed nothing is not recorded (turn numbers count the turns that changed files): this also makes a Stop
 * hook followed by the screen going idle one turn, not two. Snapshots of a session run one after another, off the
 * event loop in git processes; a session outside any repository is skipped, silently.
 */
export class TurnRecorder {
  private readonly lastState = new Map<string, SessionState>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly insert: Database.Statement;
  private readonly latest: Database.Statement<[string], TurnRow>;
  private readonly one: Database.Statement<[string, number], TurnRow>;
  private readonly listed: Database.Statement<[string], TurnRow>;

  constructor(
    db: Database.Database,
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: Logger,
    private readonly topOf: (dir: string) => Promise<string | undefined>,
    /** Told of each turn recorded (the session's event log, so followers such as the dashboard can refresh). */
    private readonly onTurn: (sessionId: string, turn: Turn) => void = () => undefined,
  ) {
    this.insert = db.prepare(
      `INSERT INTO session_turns (session_id, turn, at, trigger, root, commit_hash, tree, files, additions, deletions)
       VALUES (@session_id, @turn, @at, @trigger, @root, @commit_hash, @tree, @files, @additions, @deletions)`,
    );
    this.latest = db.prepare('SELECT * FROM session_turns WHERE session_id = ? ORDER BY turn DESC LIMIT 1');
    this.one = db.prepare('SELECT * FROM session_turns WHERE session_id = ? AND turn = ?');
    this.listed = db.prepare('SELECT * FROM session_turns WHERE session_id = ? AND turn > 0 ORDER BY turn');
  }

  /**
   * A session as published on the bus: a baseline the first time it is seen live, a snapshot when it goes from working
   * to waiting. Returns at once; the work is queued behind the session's previous snapshot.
   */
  observe(session: Session): void {
    const previous = this.lastState.get(session.id);
    this.lastState.set(session.id, session.state);
    if (ENDED.has(session.state)) {
      this.lastState.delete(session.id);
      return;
    }
    if (previous === undefined && !this.latest.get(session.id)) {
      void this.enqueue(session.id, () => this.snapshot(session.id, session.cwd, 'start'));
      return;
    }
    if (previous !== undefined && WORKING.has(previous) && WAITING.has(session.state)) {
      const trigger: TurnTrigger = session.stateSource === 'hook' && session.state === 'idle' ? 'stop-hook' : 'idle';
      void this.enqueue(session.id, () => this.snapshot(session.id, session.cwd, trigger));
    }
  }

  /** Whether a snapshot of the session is queued or being written. */
  pending(sessionId: string): boolean {
    return this.chains.has(sessionId);
  }

  /** Resolves once every snapshot queued so far for the session is done. */
  settled(sessionId: string): Promise<unknown> {
    return this.chains.get(sessionId) ?? Promise.resolve();
  }

  private enqueue(sessionId: string, work: () => Promise<unknown>): Promise<unknown> {
    const next = (this.chains.get(sessionId) ?? Promise.resolve()).then(work).catch((error: unknown) => {
      this.log.warn(`turn snapshot of session ${sessionId} failed: ${gitMessage(error)}`);
    });
    this.chains.set(sessionId, next);
    void next.then(() => {
      if (this.chains.get(sessionId) === next) this.chains.delete(sessionId);
    });
    return next;
  }

  /**
   * Records the worktree of `cwd` as the session's next turn; null when it is in no repository or nothing changed since
   * the last snapshot. The baseline (no snapshot yet) is turn 0.
   */
  async snapshot(sessionId: string, cwd: string, trigger: TurnTrigger): Promise<TurnRow | null> {
    const top = await this.topOf(cwd);
    if (!top) return null;
    const last = this.latest.get(sessionId);
    const tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'codepiper-turn-'));
    try {
      const indexFile = path.join(tmp, 'index');
      const plain = gitAt(top, this.env, { readOnly: true });
      const git = gitAt(top, this.env, { indexFile, extra: SNAPSHOT_IDENTITY });
      const parent = last && (await this.exists(plain, last.commit_hash)) ? last : undefined;
      await this.seedIndex(plain, git, top, indexFile, parent);
      await git.raw(['add', '-A']);
      const tree = (await git.raw(['write-tree'])).trim();
      if (parent && parent.tree === tree) return null;
      const turn = last ? last.turn + 1 : 0;
      const message = `codepiper: session ${sessionId} turn ${turn} (${trigger})`;
      const commit = (await git.raw(['commit-tree', tree, ...(parent ? ['-p', parent.commit_hash] : []), '-m', message])).trim();
      await plain.raw(['update-ref', turnRef(sessionId, turn), commit]);
      const stat: DiffStat = parent
        ? parseNumstat(await plain.raw(['-c', 'core.quotePath=false', 'diff', '--no-ext-diff', '--no-textconv', '--numstat', '-z', '-M', parent.commit_hash, commit, '--']))
        : { files: [], additions: 0, deletions: 0 };
      const row: TurnRow = {
        session_id: sessionId,
        turn,
        at: new Date().toISOString(),
        trigger,
        root: top,
        commit_hash: commit,
        tree,
        files: JSON.stringify(stat.files),
        additions: stat.additions,
        deletions: stat.deletions,
      };
      this.insert.run(row);
      if (turn > 0) this.onTurn(sessionId, toTurn(row));
      return row;
    } finally {
      await fs.promises.rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * The private index starts as a copy of the worktree's own (its stat data spares hashing unchanged files), else the
   * previous snapshot or HEAD; `git add -A` then brings it to the worktree as it is.
   */
  private async seedIndex(plain: ReturnType<typeof gitAt>, git: ReturnType<typeof gitAt>, top: string, indexFile: string, parent: TurnRow | undefined): Promise<void> {
    try {
      const own = path.resolve(top, (await plain.raw(['rev-parse', '--git-path', 'index'])).trim());
      // A copy, read only: the worktree's own index is never written (a large one is copied off the event loop).
      await fs.promises.copyFile(own, indexFile);
      // A copy the private index cannot use (a split index) is dropped for a tree read below.
      await git.raw(['ls-files', '--stage', '--', 'codepiper-probe-none']);
      return;
    } catch {
      await fs.promises.rm(indexFile, { force: true });
    }
    const base = parent?.commit_hash ?? ((await this.exists(plain, 'HEAD')) ? 'HEAD' : undefined);
    if (base) await git.raw(['read-tree', base]);
  }

  private async exists(git: ReturnType<typeof gitAt>, object: string): Promise<boolean> {
    try {
      await git.raw(['rev-parse', '--verify', '-q', `${object}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }

  list(sessionId: string): Turn[] {
    return this.listed.all(sessionId).map(toTurn);
  }

  /** The two snapshots a turn lies between: the one before it and its own. */
  range(sessionId: string, turn: number): { from: string; to: string } {
    const row = turn >= 1 ? this.one.get(sessionId, turn) : undefined;
    const before = row ? this.one.get(sessionId, turn - 1) : undefined;
    if (!row || !before) {
      const count = this.listed.all(sessionId).length;
      throw new AppError('TURN_NOT_FOUND', `session has no turn ${turn}; ${count === 0 ? 'no turn with changes is recorded yet' : `turns 1 to ${count} are recorded`} (see codepiper turns)`, {
        details: { turn, recorded: count },
      });
    }
    return { from: before.commit_hash, to: row.commit_hash };
  }
}

function toTurn(row: TurnRow): Turn {
  return {
    turn: row.turn,
    at: row.at,
    ref: turnRef(row.session_id, row.turn),
    files: JSON.parse(row.files) as Turn['files'],
    additions: row.additions,
    deletions: row.deletions,
    trigger: row.trigger,
  };
}
