import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CreateSessionInput, Session } from '../api/sessions';
import type { SessionWorktree } from '../api/worktrees';
import { AppError, isAppError } from '../errors';
import { requestIssues, type WorktreeIssue, type WorktreePlan, type WorktreeRequest } from '../git/validate';
import type { WorktreeManager } from '../git/worktrees';
import type { Logger } from '../log';
import type { Paths } from '../paths';
import type { ProviderId } from '../providers';
import { RUNTIMES } from '../providers/runtime';
import type { Runner, TerminalExit, TerminalId, TerminalStatus } from '../runner/runner';
import type { SessionJournal } from './journal';
import type { LaunchPlan, LaunchPlanner, ValidationIssue } from './launch';
import { newLive, ORPHAN_BYTES, QUIT_KEY_GAP_MS, type Live, type LiveSessions } from './live';
import { SessionOutput } from './output';
import { isLive, stateForExit, type SessionState } from './state';
import type { SessionEvent, SessionRecord } from './store';
import type { StateWatcher } from './watcher';

export interface SessionManagerOptions {
  runner: Runner;
  journal: SessionJournal;
  lives: LiveSessions;
  planner: LaunchPlanner;
  watcher: StateWatcher;
  paths: Paths;
  log: Logger;
  /** Called once a new session's row exists, before its agent starts (the default policy set is applied here). */
  onCreated?: ((id: string) => void) | undefined;
  /** Makes and checks the git worktrees of sessions created with worktree: true. */
  worktrees: WorktreeManager;
}

type Exit = { code: number | null; signal: number | null };
const NO_EXIT: Exit = { code: null, signal: null };

/**
 * Session lifecycle: create, stop, kill, resume, rename, and re-adoption of what a previous daemon left running.
 * Agents run in a runner's terminals (see runner/); what they do is watched by the StateWatcher, what users type goes
 * through the SessionTerminal, and every change is stored and announced by the SessionJournal.
 */
export class SessionManager {
  private readonly runner: Runner;
  private readonly journal: SessionJournal;
  private readonly lives: LiveSessions;
  private readonly watcher: StateWatcher;
  /** Output and ends reported for a terminal before its session is registered (a fast agent's first bytes). */
  private readonly orphanOutput = new Map<TerminalId, Buffer[]>();
  private readonly orphanEnds = new Map<TerminalId, TerminalExit>();
  /** Sessions between their claim (create, resume) and their registration: adoption leaves them alone. */
  private readonly launching = new Set<string>();

  constructor(private readonly options: SessionManagerOptions) {
    ({ runner: this.runner, journal: this.journal, lives: this.lives, watcher: this.watcher } = options);
    this.runner.on('output', this.onOutput);
    this.runner.on('ended', this.onEnded);
    this.runner.on('closed', this.onClosed);
    this.runner.on('lost', this.onLost);
  }

  /** Connects to the runner and re-adopts the sessions a previous daemon left running. */
  async start(): Promise<void> {
    try {
      const hasLive = this.journal.store.all().some((record) => isLive(record.state));
      // Without live sessions there is nothing to watch yet; the runner starts with the first session.
      if (hasLive || (await this.runner.isUp())) await this.connect();
    } catch (error) {
      // The daemon still serves everything else; session routes report the runner's problem when they are used, and
      // the next successful connection adopts what is there.
      this.options.log.error('tmux is not usable yet; sessions will connect on first use', error);
    }
  }

  close(): void {
    // No reading in flight may reach the database once it is closed: the engine lets go of every live session (the
    // agents keep running; the next engine adopts them).
    for (const live of this.lives.values()) {
      this.watcher.stop(live);
      this.lives.remove(live);
    }
    this.runner.off('output', this.onOutput);
    this.runner.off('ended', this.onEnded);
    this.runner.off('closed', this.onClosed);
    this.runner.off('lost', this.onLost);
    this.runner.close();
  }

  // ---- queries ----

  list(filter: { provider?: ProviderId | undefined; status?: SessionState | undefined } = {}): Session[] {
    return this.journal.list(filter);
  }

  resolve(ref: string): SessionRecord {
    return this.journal.resolve(ref);
  }

  get(ref: string): Session {
    return this.journal.get(ref);
  }

  events(ref: string, options: { source?: string | undefined; limit: number; offset: number }): { events: SessionEvent[]; total: number } {
    return this.journal.events(ref, options);
  }

  /** For a follower resuming its event log: the newest `limit` events after the event id `after`, oldest first. */
  eventsAfter(ref: string, after: number, limit: number): SessionEvent[] {
    return this.journal.store.eventsAfter(this.journal.resolve(ref).id, after, limit);
  }

  /** The id of the session's latest event (0 when none): where a follower starting now would resume from. */
  lastEventId(ref: string): number {
    return this.journal.store.lastEventId(this.journal.resolve(ref).id);
  }

  /**
   * Records in the session's event log who attached to its terminal and how (the terminal bridge): keystrokes typed
   * there go to the terminal as they would from a local attach, so the log says who could type.
   */
  recordAttach(ref: string, type: 'attach' | 'detach', data: Record<string, unknown>): void {
    this.journal.record(this.journal.resolve(ref).id, 'user', type, data);
  }

  /** Dry run of create; with worktree: true, git's problems too (errors as issues, uncommitted changes as warnings). */
  async validate(raw: unknown): Promise<{ valid: boolean; issues: ValidationIssue[]; argv: string[] | null; warnings?: ValidationIssue[] }> {
    const result = this.options.planner.validate(raw);
    const fields = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    if (fields.worktree !== true || typeof fields.cwd !== 'string' || !path.isAbsolute(fields.cwd)) return result;
    const { issues } = await this.options.worktrees.plan(worktreeRequest(fields), typeof fields.name === 'string' ? fields.name : null);
    const errors = issues.filter((issue) => issue.level === 'error').map(asValidationIssue);
    // A field's shape problem was reported already; git's view of the same field adds nothing.
    const fresh = errors.filter((error) => !result.issues.some((issue) => issue.path === error.path));
    const valid = result.valid && fresh.length === 0;
    return { valid, issues: [...result.issues, ...fresh], argv: valid ? result.argv : null, warnings: issues.filter((issue) => issue.level === 'warning').map(asValidationIssue) };
  }

  /** Dry run of a session in its own worktree: every git problem with its fix, and the worktree that would be made. */
  async validateGit(input: WorktreeRequest & { name?: string | undefined }) {
    const shape = requestIssues({ ...input, worktree: true });
    const { issues, plan } = await this.options.worktrees.plan(input, input.name ?? null);
    const all = [...shape, ...issues];
    return {
      valid: all.every((issue) => issue.level !== 'error'),
      issues: all,
      plan: plan && { repoRoot: plan.repoRoot, path: plan.path, branch: plan.branch, createBranch: plan.createBranch, baseRef: plan.baseRef, baseCommit: plan.baseCommit || null, cwd: plan.cwd },
    };
  }

  // ---- lifecycle ----

  /**
   * Starts a session; with worktree: true in a new git worktree first. Each step that succeeds pushes its own undo
   * (the worktree and its branch, the row) and a failure unwinds them all: a failed create leaves nothing behind.
   */
  async create(input: CreateSessionInput): Promise<Session> {
    const { planner } = this.options;
    const checked = planner.check(input);
    const id = this.newId();
    const undo: Array<() => unknown> = [];
    try {
      let chosen = checked;
      let worktree: SessionWorktree | null = null;
      // From the checked input: a workspace may have supplied the directory and asked for a worktree.
      if (checked.worktree) {
        const made = await this.makeWorktree(checked, id);
        undo.push(made.undo);
        chosen = { ...checked, cwd: made.plan.cwd };
        worktree = made.worktree;
      }
      await this.connect();
      return await this.createIn(chosen, id, worktree, undo);
    } catch (error) {
      for (const step of undo.splice(0).reverse()) {
        try {
          await step();
        } catch (undoError) {
          this.options.log.error(`undoing the create of session ${id} failed`, undoError);
        }
      }
      throw error;
    }
  }

  /** Plans the worktree of a new session (every problem at once, as one error) and makes it. */
  private async makeWorktree(input: CreateSessionInput, id: string): Promise<{ plan: WorktreePlan; worktree: SessionWorktree; undo: () => Promise<void> }> {
    const { issues, plan } = await this.options.worktrees.plan(worktreeRequest(input), input.name ?? id, { forCreate: true });
    const errors = issues.filter((issue) => issue.level === 'error');
    if (errors.length || !plan) throw worktreeError(errors);
    const undo = await this.options.worktrees.create(plan);
    if (!fs.existsSync(plan.cwd)) {
      // A directory git does not track (untracked, ignored, or new since the base) is not in a worktree made from a commit.
      await undo();
      const subdir = path.relative(plan.path, plan.cwd);
      throw new AppError(
        'VALIDATION_FAILED',
        `cwd: ${input.cwd} is ${subdir} in the repository, and the worktree made from ${plan.baseCommit.slice(0, 12)} has no ${subdir} (it is untracked, ignored, ` +
          `or not in that commit); fix: start at the repository's top level (-d ${plan.repoRoot}), or commit that directory first`,
        { details: { issues: [{ path: 'cwd', message: `${subdir} is not in the worktree made from ${plan.baseCommit.slice(0, 12)}` }] } },
      );
    }
    const worktree: SessionWorktree = {
      repoRoot: plan.repoRoot,
      path: plan.path,
      branch: plan.branch,
      baseRef: plan.baseRef,
      baseCommit: plan.baseCommit,
      createdBranch: plan.createBranch,
      removedAt: null,
    };
    return { plan, worktree, undo };
  }

  private async createIn(chosen: ReturnType<LaunchPlanner['check']>, id: string, worktree: SessionWorktree | null, undo: Array<() => unknown>): Promise<Session> {
    const { planner } = this.options;
    const input = chosen;
    const now = new Date().toISOString();
    const plan = planner.plan(chosen, id);
    const sealed = planner.sealEnvironment(chosen, id);
    this.launching.add(id);
    const { name, billingMode, callerEnv, env, envSetEnv, workspace, worktree: _asked, createBranch: _createBranch, baseRef: _baseRef, branch: _branch, ...given } = chosen;
    const record: SessionRecord = {
      ...given,
      worktree,
      id,
      envKeys: Object.keys(env),
      envFrom: callerEnv ? 'caller' : 'daemon',
      name: name ?? null,
      billingMode: billingMode ?? null,
      tmuxSession: `cp-${id}`,
      agentSessionId: plan.agentSessionId,
      transcriptPath: null,
      state: 'starting',
      stateSource: 'process',
      stateSince: now,
      exitCode: null,
      exitSignal: null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      try {
        this.journal.store.insert(record, sealed);
      } catch (error) {
        if (/UNIQUE constraint failed: sessions.name/.test((error as Error).message)) throw nameTaken(name!);
        throw error;
      }
      // Nothing ran: the session never existed, so it leaves no row behind.
      undo.push(() => this.journal.store.delete(id));
      this.journal.record(id, 'process', 'created', {
        provider: chosen.provider,
        cwd: chosen.cwd,
        argv: plan.argv,
        ...(worktree ? { worktree: { path: worktree.path, branch: worktree.branch, baseCommit: worktree.baseCommit } } : {}),
        ...(chosen.envSetIds.length ? { envSetIds: chosen.envSetIds } : {}),
        ...(chosen.workspaceId ? { workspaceId: chosen.workspaceId } : {}),
      });
      this.options.onCreated?.(id);
      await this.launch(record, plan, false);
    } finally {
      this.launching.delete(id);
    }
    return this.get(id);
  }

  async stop(ref: string, timeoutMs: number): Promise<Session> {
    const record = this.resolve(ref);
    const live = this.lives.require(record);
    // An agent that already ended on its own crashed or stopped by itself: the stop must not turn a crash into a stop.
    if (!(await this.runner.hasEnded(live.terminal))) live.stopRequested = true;
    this.journal.record(record.id, 'process', 'stop-requested', { timeoutMs });
    // One key at a time with a short pause, so an Esc is not read together with the next key as Alt+key.
    for (const key of live.runtime.quitKeys) {
      await this.runner.send(live.terminal, [key]).catch(() => undefined);
      await settlesWithin(live.ended, QUIT_KEY_GAP_MS);
    }
    const termAt = Math.floor(timeoutMs / 2);
    if (!(await settlesWithin(live.ended, termAt))) {
      await this.runner.signal(live.terminal, 'SIGTERM');
      if (!(await settlesWithin(live.ended, timeoutMs - termAt))) await this.killLive(live, 'stop deadline passed');
    }
    return this.get(record.id);
  }

  async kill(ref: string): Promise<Session> {
    const record = this.resolve(ref);
    const live = this.lives.get(record.id);
    if (live) await this.killLive(live, 'kill requested');
    else {
      // An ended session may still have its last screen on display; kill removes it.
      const terminal = await this.runner.find(record.tmuxSession);
      if (terminal) await this.runner.kill(terminal.terminal);
    }
    return this.get(record.id);
  }

  async resume(ref: string): Promise<Session> {
    const record = this.resolve(ref);
    if (this.lives.get(record.id) || isLive(record.state)) {
      throw new AppError('SESSION_ALREADY_RUNNING', `session ${record.id} is ${record.state.replace('_', ' ')}; only a stopped or crashed session can be resumed`);
    }
    if (record.worktree) assertWorktreeThere(record.id, record.worktree);
    const plan = this.options.planner.resumePlan(record, this.journal.store.sealedEnvironment(record.id));
    // The claim happens before anything is awaited, so a second resume of the same session sees it and is refused.
    if (this.launching.has(record.id) || !this.journal.transition(record.id, 'starting', 'process', { exit: NO_EXIT })) {
      throw new AppError('SESSION_ALREADY_RUNNING', `session ${record.id} is already being resumed`);
    }
    this.launching.add(record.id);
    try {
      this.journal.record(record.id, 'process', 'resumed', { argv: plan.argv, continued: plan.continued });
      await this.connect();
      await this.launch(this.journal.store.get(record.id)!, plan, true);
    } catch (error) {
      this.journal.record(record.id, 'process', 'launch-failed', { error: isAppError(error) ? error.message : String(error) });
      this.journal.transition(record.id, 'crashed', 'process');
      throw error;
    } finally {
      this.launching.delete(record.id);
    }
    return this.get(record.id);
  }

  rename(ref: string, name: string | null): Session {
    const record = this.resolve(ref);
    const other = name === null ? undefined : this.journal.store.byName(name);
    if (other && other.id !== record.id) throw nameTaken(name!);
    this.journal.store.setName(record.id, name, new Date().toISOString());
    this.journal.record(record.id, 'user', 'renamed', { from: record.name, to: name });
    return this.journal.publish(record.id);
  }

  // ---- launching and adoption ----

  private connect(): Promise<void> {
    return this.runner.connect(() => this.adopt());
  }

  /** Runs the plan in the session's place: a new terminal, or (resuming) the place of its ended one. */
  private async launch(record: SessionRecord, plan: LaunchPlan, resuming: boolean): Promise<void> {
    const spec = { place: record.tmuxSession, argv: plan.argv, env: plan.env, exactEnv: plan.exactEnv, cwd: record.cwd, cols: record.cols, rows: record.rows };
    const existing = resuming ? await this.runner.find(record.tmuxSession) : undefined;
    let terminal: TerminalId;
    if (existing) {
      // What the ended program wrote after its end must not open the new run's output.
      this.orphanOutput.delete(existing.terminal);
      this.orphanEnds.delete(existing.terminal);
      terminal = await this.runner.respawn(existing, spec);
    } else {
      terminal = await this.runner.spawn(spec);
      // A new session is announced as starting once its agent runs, before anything it does can change its state (not
      // earlier: a launch that fails deletes the row, and followers would keep a session that never existed).
      this.journal.publish(record.id);
    }
    this.register(this.journal.store.get(record.id)!, terminal);
  }

  /**
   * After a daemon restart or a lost runner connection: sessions recorded as live are matched with the runner's
   * terminals. A live one is watched again; an ended one ends the session with its exit status; a missing one has
   * crashed.
   */
  private async adopt(): Promise<void> {
    // A session registered after the listing was taken is newer than it: nothing to check.
    const registeredBefore = new Set(this.lives.values());
    const terminals = await this.runner.list();
    const watching: Array<Promise<unknown>> = [];
    const lost: string[] = [];
    for (const record of this.journal.store.all()) {
      if (!isLive(record.state) || this.launching.has(record.id)) continue;
      const live = this.lives.get(record.id);
      if (live && !registeredBefore.has(live)) continue;
      try {
        const terminal = terminals.find((candidate) => candidate.place === record.tmuxSession);
        if (!terminal) lost.push(record.id);
        const watch = this.adoptOne(record, live, terminal);
        if (watch) watching.push(watch);
      } catch (error) {
        this.options.log.error(`adopting session ${record.id} failed`, error);
      }
    }
    await Promise.all(watching);
    if (lost.length) this.options.log.error(`sessions ${lost.join(', ')} crashed: their tmux sessions were gone (the tmux server was killed or restarted, or they were killed from outside)`);
  }

  /** Settles one recorded-live session against the runner's listing; returns the watching of its terminal when needed. */
  private adoptOne(record: SessionRecord, live: Live | undefined, terminal: TerminalStatus | undefined): Promise<unknown> | undefined {
    if (!terminal) {
      if (live) this.end(live, live.stopRequested ? 'stopped' : 'crashed', NO_EXIT, 'lost');
      else {
        // A kill the previous daemon started removes the window before it could record the end.
        this.journal.record(record.id, 'process', 'lost', { reason: 'its tmux session was gone' });
        this.journal.transition(record.id, this.stopWasRequested(record.id) ? 'stopped' : 'crashed', 'process');
      }
      return undefined;
    }
    if (terminal.ended) {
      const exit = { code: terminal.ended.status ?? null, signal: terminal.ended.signal ?? null };
      const state = stateForExit(terminal.ended, live ? live.stopRequested : this.stopWasRequested(record.id));
      if (live) this.end(live, state, exit, 'exit');
      else {
        this.journal.record(record.id, 'process', 'exit', { exitCode: exit.code, signal: exit.signal });
        this.journal.transition(record.id, state, 'process', { exit });
      }
      return undefined;
    }
    if (!live) {
      // A stop or kill the previous daemon had started is still meant: the agent's end is a stop, not a crash.
      this.register(record, terminal.terminal).stopRequested = this.stopWasRequested(record.id);
      this.journal.record(record.id, 'process', 'adopted', { paneId: terminal.terminal });
    }
    if (terminal.watched) return undefined;
    return this.runner.watch(terminal.terminal).catch((error: unknown) => {
      this.options.log.error(`relinking the window of session ${record.id} failed`, error);
    });
  }

  /**
   * Whether the session's last lifecycle intent in its event log is a stop or a kill (one a previous daemon started
   * and did not see through), rather than its start or resume.
   */
  private stopWasRequested(id: string): boolean {
    const { total } = this.journal.store.events(id, { source: 'process', limit: 1, offset: 0 });
    for (let end = total; end > 0; end -= 100) {
      const { events } = this.journal.store.events(id, { source: 'process', limit: 100, offset: Math.max(0, end - 100) });
      for (const event of events.slice(0, end - Math.max(0, end - 100)).reverse()) {
        if (event.type === 'stop-requested' || event.type === 'kill') return true;
        if (event.type === 'created' || event.type === 'resumed') return false;
      }
    }
    return false;
  }

  private register(record: SessionRecord, terminal: TerminalId): Live {
    const live = newLive(record, terminal, RUNTIMES[record.provider], new SessionOutput(path.join(this.options.paths.sessionsDir, record.id)));
    this.lives.add(live);
    for (const chunk of this.orphanOutput.get(terminal) ?? []) this.onOutput(terminal, chunk);
    this.orphanOutput.delete(terminal);
    // A first look at the screen even if the agent says nothing (a silent command is idle, not starting forever).
    this.watcher.scheduleEvaluation(live);
    const end = this.orphanEnds.get(terminal);
    this.orphanEnds.delete(terminal);
    if (end) this.onEnded(terminal, end);
    return live;
  }

  // ---- what the runner tells us ----

  private readonly onOutput = (terminal: TerminalId, data: Buffer): void => {
    const live = this.lives.inTerminal(terminal);
    if (live) return this.watcher.onOutput(live, data);
    const held = this.orphanOutput.get(terminal) ?? [];
    held.push(data);
    let bytes = held.reduce((sum, chunk) => sum + chunk.length, 0);
    while (bytes > ORPHAN_BYTES && held.length > 1) bytes -= held.shift()!.length;
    this.orphanOutput.set(terminal, held);
  };

  private readonly onEnded = (terminal: TerminalId, exit: TerminalExit): void => {
    const live = this.lives.inTerminal(terminal);
    if (!live) {
      this.orphanEnds.set(terminal, exit);
      return;
    }
    this.end(live, stateForExit(exit, live.stopRequested), { code: exit.status ?? null, signal: exit.signal ?? null }, 'exit');
  };

  private readonly onClosed = (terminal: TerminalId): void => {
    const live = this.lives.inTerminal(terminal);
    if (!live) return;
    // Killed from outside (or by us): its processes were hung up on; there is no exit status to report.
    const state = live.killing || live.stopRequested ? 'stopped' : 'crashed';
    this.end(live, state, NO_EXIT, live.killing ? 'killed' : 'window-closed');
  };

  /** The runner's server is gone: every agent in it is gone with it. */
  private readonly onLost = (why: string): void => {
    const lives = this.lives.values();
    const crashed = lives.filter((live) => !live.stopRequested).map((live) => live.id);
    const stopped = lives.filter((live) => live.stopRequested).map((live) => live.id);
    this.options.log.error(
      `the runner lost every terminal (${why}): ${crashed.length ? `sessions ${crashed.join(', ')} crashed` : 'no running session crashed'}` +
        `${stopped.length ? `; sessions ${stopped.join(', ')}, being stopped, are stopped` : ''}`,
    );
    for (const live of lives) this.end(live, live.stopRequested ? 'stopped' : 'crashed', NO_EXIT, why);
    // A new server numbers its terminals from the start again: nothing held for the old ones may reach the new.
    this.orphanOutput.clear();
    this.orphanEnds.clear();
  };

  private async killLive(live: Live, reason: string): Promise<void> {
    live.killing = true;
    this.journal.record(live.id, 'process', 'kill', { reason });
    await this.runner.kill(live.terminal);
    // The close notification ends the session; if it was already gone, end it here.
    if (!(await settlesWithin(live.ended, 2000))) this.end(live, 'stopped', NO_EXIT, 'killed');
  }

  private end(live: Live, state: SessionState, exit: Exit, why: string): void {
    if (!this.lives.isCurrent(live)) return;
    this.watcher.stop(live);
    this.lives.remove(live);
    this.orphanOutput.delete(live.terminal);
    // The ended terminal keeps its last screen (for tail and attach) but is no longer watched; a resume reuses it.
    if (!live.killing) void this.runner.release(live.terminal, live.place);
    this.journal.record(live.id, 'process', why, { exitCode: exit.code, signal: exit.signal });
    this.journal.transition(live.id, state, 'process', { exit });
    live.markEnded();
  }

  private newId(): string {
    for (;;) {
      const id = crypto.randomBytes(4).toString('hex');
      if (!this.journal.store.get(id)) return id;
    }
  }
}

/** The worktree fields of a create request (which may still be unparsed: only strings are taken). */
function worktreeRequest(fields: Partial<Record<'cwd' | 'createBranch' | 'baseRef' | 'branch', unknown>>): WorktreeRequest {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return { cwd: text(fields.cwd) ?? '', createBranch: text(fields.createBranch), baseRef: text(fields.baseRef), branch: text(fields.branch) };
}

function asValidationIssue(issue: WorktreeIssue): ValidationIssue {
  return { path: issue.path, message: `${issue.message}; fix: ${issue.fix}` };
}

/**
 * Git's problems with a create request as one error, every one listed in the details. A lone problem with a code of
 * its own gets it (not a repository, a branch that exists, a ref that names nothing); several are a validation failure.
 */
function worktreeError(issues: WorktreeIssue[]): AppError {
  const only = issues.length === 1 ? issues[0]! : undefined;
  const code = !only
    ? 'VALIDATION_FAILED'
    : only.path === 'cwd' && /not inside a git repository|bare repository/.test(only.message)
      ? 'NOT_A_GIT_REPOSITORY'
      : only.path === 'createBranch' && /already exists/.test(only.message)
        ? 'BRANCH_EXISTS'
        : (only.path === 'baseRef' && /names no commit/.test(only.message)) || (only.path === 'branch' && /does not exist/.test(only.message))
          ? 'GIT_REF_NOT_FOUND'
          : 'VALIDATION_FAILED';
  return new AppError(code, issues.map((issue) => `${issue.path}: ${issue.message}; fix: ${issue.fix}`).join('; '), { details: { issues } });
}

/** A resume runs in the session's worktree: one that was removed (by CodePiper or by hand) is said so, not guessed around. */
function assertWorktreeThere(id: string, worktree: SessionWorktree): void {
  if (worktree.removedAt) {
    throw new AppError(
      'WORKTREE_NOT_FOUND',
      `session ${id} cannot be resumed: its worktree ${worktree.path} was removed at ${worktree.removedAt} (codepiper worktree rm); start a new session instead`,
    );
  }
  if (!fs.existsSync(worktree.path)) {
    throw new AppError(
      'WORKTREE_NOT_FOUND',
      `session ${id} cannot be resumed: its worktree ${worktree.path} is gone (removed by hand). Restore it with git -C ${worktree.repoRoot} worktree prune && ` +
        `git -C ${worktree.repoRoot} worktree add ${worktree.path} ${worktree.branch}, or start a new session`,
    );
  }
}

function nameTaken(name: string): AppError {
  return new AppError('SESSION_NAME_TAKEN', `the name "${name}" is already used by another session`);
}

/** Resolves true if `promise` settles within `ms`, false otherwise; never leaves a timer behind. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), Math.max(0, ms));
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
