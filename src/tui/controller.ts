/**
 * The dashboard's side effects: it keeps the store in step with the daemon (event streams, reconnects) and carries
 * out the commands the keypress router picks. Nothing here draws; nothing in the components talks to the daemon.
 */
import os from 'node:os';
import path from 'node:path';
import { topicName } from '../core/api/topics';
import type { NotificationEvent } from '../core/api/notify';
import { isAppError } from '../core/errors';
import type { StreamHandle } from '../client/transport';
import { completeDirectory, splitArgs } from './completion';
import { gitCalls, type GitCalls } from './git-calls';
import { helpLineCount, type Command } from './keybindings';
import type { DaemonLink } from './link';
import { reviewLayout, selectedFile, truncatedSection, wantedDiffKey, type ReviewFile, type ReviewState } from './review';
import { OUTPUT_LINES, selectedSession, type Action, type AppState, type Session, type SessionUsage, type TextEdit } from './state';
import type { Store } from './store';

/** What the controller needs from the terminal it runs in. */
export interface Host {
  /**
   * Hands the terminal to `tmux attach` and resolves when the user detached. `tmux.remote` set: the daemon is remote,
   * and the terminal goes to its terminal bridge for the session `sessionId`.
   */
  attach(tmux: Awaited<ReturnType<DaemonLink['tmux']>>, target: string, sessionId?: string): Promise<void>;
  exit(): void;
  /** The directory a relative path in the new-session form starts from. */
  cwd: string;
  /**
   * The environment a new session's agent starts from, as it would from the shell the dashboard runs in; undefined
   * for a remote daemon, whose agents start from its own environment (this machine's is not sent away).
   */
  env: Record<string, string> | undefined;
  /** Rings the terminal's bell (a notification arrived); absent where there is no terminal to ring. */
  bell?(): void;
}

/** Output is re-read at most this often while a session streams: enough for a smooth pane, bounded in cost. */
const OUTPUT_REFRESH_MS = 50;
/** Token totals change with every transcript line; the list re-reads them at most this often. */
const USAGE_REFRESH_MS = 3000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 3000;
const NOTICE_MS = 6000;
/** Messages of one conversation read for the viewer: the library's largest page. */
const TRANSCRIPT_MESSAGES = 10_000;
/** What a file's diff read brings to the view: its sections, and a note above them. */
type LoadedDiff = Pick<Extract<Action, { type: 'review/diff-loaded' }>, 'sections' | 'note'>;

/** Diff text read per page in the diff view: a few thousand lines, more on `m`. */
const DIFF_PAGE_BYTES = 256 * 1024;

export class Controller {
  private mainStream: StreamHandle | undefined;
  private outputStream: StreamHandle | undefined;
  private outputFor: string | null = null;
  private outputBusy = false;
  private outputDirty = false;
  private outputTimer: NodeJS.Timeout | undefined;
  private usageTimer: NodeJS.Timeout | undefined;
  private usageAt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = RECONNECT_MIN_MS;
  private noticeTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;
  private lastScreen: AppState['screen'] | undefined;

  private readonly answering = new Set<string>();
  private transcriptRequest = 0;
  private attaching = false;
  /** Bumped by every connect: an older attempt still on its way stops at its next step. */
  private connection = 0;
  private followDelay = RECONNECT_MIN_MS;
  /** The diff the view shows or is reading (its key, see wantedDiffKey); bumped reloads drop older answers. */
  private diffFor: string | null = null;
  private reviewRequest = 0;
  /** The reviewed session's state when last seen (followReviewedSession). */
  private reviewSeen: string | null = null;
  private readonly git: GitCalls;

  constructor(
    private readonly store: Store,
    private readonly link: DaemonLink,
    private readonly host: Host,
  ) {
    this.git = gitCalls(link);
  }

  /** Connects (starting a daemon when none runs), then follows the selection and the screens. */
  start(): Promise<void> {
    this.unsubscribe = this.store.subscribe(() => this.onStateChange());
    return this.connect(true);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.closeStreams();
    for (const timer of [this.outputTimer, this.usageTimer, this.reconnectTimer, this.noticeTimer]) if (timer) clearTimeout(timer);
  }

  private get state(): AppState {
    return this.store.getState();
  }

  // ---- connection ----

  /**
   * The event stream opens first and the list is read once it is ready, so that no change falls between the two
   * (a session that starts waiting for permission in that gap would otherwise show its old state until it changed
   * again).
   */
  private async connect(mayStart: boolean): Promise<void> {
    if (this.stopped) return;
    const attempt = ++this.connection;
    const stale = () => this.stopped || attempt !== this.connection;
    try {
      if (mayStart) await this.link.callStarting('health');
      if (stale()) return;
      await this.openMainStream();
      if (stale()) return;
      const { sessions } = await this.link.call('sessions.list');
      if (stale()) return;
      this.store.dispatch({ type: 'sessions/loaded', sessions });
      this.reconnectDelay = RECONNECT_MIN_MS;
      // A new connection re-opens the selection's output stream and re-reads the screen's data (onStateChange).
      this.outputFor = null;
      this.lastScreen = undefined;
      this.store.dispatch({ type: 'connection', status: 'connected' });
      void this.loadUsage();
    } catch (error) {
      if (!stale()) this.lost(error);
    }
  }

  /** Opens the stream of session and library changes; resolves once the daemon says it is subscribed. */
  private openMainStream(): Promise<void> {
    this.mainStream?.close();
    let ready: () => void = () => undefined;
    const subscribed = new Promise<void>((resolve) => (ready = resolve));
    const stream = this.link.stream([topicName('sessions'), topicName('library'), topicName('notifications')], (event, data) => {
      if (event === 'ready') ready();
      else if (event === 'notification') this.notification(data);
      else if (event === 'session') this.store.dispatch({ type: 'sessions/upsert', session: data });
      else if (event === 'library') this.scheduleUsage();
    });
    this.mainStream = stream;
    const ended = stream.done.then(
      () => {
        if (this.mainStream === stream) this.lost(new Error('the daemon closed the connection'));
        throw new Error('the event stream ended before it was ready');
      },
      (error) => {
        if (this.mainStream === stream) this.lost(error);
        throw error;
      },
    );
    ended.catch(() => undefined);
    return Promise.race([subscribed, ended]);
  }

  /** The daemon went away: say so, drop the streams, and try again with a growing pause. */
  private lost(error: unknown): void {
    if (this.stopped) return;
    // Already reconnecting: a failed call meanwhile (a key pressed while the daemon is away) must not push it back.
    if (this.state.connection.status === 'lost' && this.reconnectTimer) return;
    this.closeStreams();
    this.outputFor = null;
    this.store.dispatch({ type: 'connection', status: 'lost', message: messageOf(error) });
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect(false);
    }, this.reconnectDelay);
    this.reconnectDelay = Math.min(RECONNECT_MAX_MS, this.reconnectDelay * 2);
  }

  private closeStreams(): void {
    this.mainStream?.close();
    this.mainStream = undefined;
    this.outputStream?.close();
    this.outputStream = undefined;
  }

  private onStateChange(): void {
    const state = this.state;
    if (state.connection.status !== 'connected') return;
    const wanted = state.selectedId;
    if (wanted !== this.outputFor) this.followOutput(wanted);
    if (state.screen !== this.lastScreen) {
      this.lastScreen = state.screen;
      this.loadScreen();
    }
    this.followReviewedSession(state);
    const diffKey = state.review ? wantedDiffKey(state.review) : null;
    if (diffKey !== this.diffFor) {
      this.diffFor = diffKey;
      if (diffKey && state.review) void this.loadDiff(state.review, diffKey);
    }
  }

  // ---- the diff view ----

  /**
   * The agent works while the view is open: each change of the session's state (a turn ending, above all) reads the
   * list and the turns again, so new changes and new turns appear without ctrl+r.
   */
  private followReviewedSession(state: AppState): void {
    const session = state.review ? state.sessions.find((entry) => entry.id === state.review!.sessionId) : undefined;
    const seen = session ? `${session.id}\u0000${session.state}\u0000${session.stateSince}` : null;
    const before = this.reviewSeen;
    this.reviewSeen = seen;
    if (seen && before && seen !== before && before.startsWith(`${session!.id}\u0000`)) void this.loadReview();
  }

  /** Reads what the view lists: git status with lines added and deleted, and the recorded turns. */
  private async loadReview(): Promise<void> {
    const review = this.state.review;
    if (!review) return;
    const id = review.sessionId;
    const request = ++this.reviewRequest;
    try {
      const [status, unstaged, staged, turns] = await Promise.all([
        this.git.status(id),
        // The counts and the turns are extras: the list stands without them.
        this.git.diffStat(id, false).catch(() => null),
        this.git.diffStat(id, true).catch(() => null),
        this.git.turns(id).catch(() => null),
      ]);
      if (request !== this.reviewRequest) return;
      this.store.dispatch({ type: 'review/loaded', sessionId: id, status, unstaged, staged, turns });
    } catch (error) {
      if (request !== this.reviewRequest) return;
      if (isAppError(error) && (error.code === 'DAEMON_NOT_RUNNING' || error.code === 'DAEMON_UNAVAILABLE')) return this.lost(error);
      this.store.dispatch({ type: 'review/failed', sessionId: id, error: messageOf(error) });
    }
  }

  /**
   * Reads the selected file's diff: in the working changes its staged part and its unstaged part, in a turn what that
   * turn changed. The answer lands only if the view still wants this key (the reducer checks it).
   */
  private async loadDiff(review: ReviewState, key: string): Promise<void> {
    const file = selectedFile(review);
    if (!file) return;
    const id = review.sessionId;
    const turn = review.turn;
    this.store.dispatch({ type: 'review/diff-loading', key, path: file.path });
    try {
      const loaded = turn !== null ? await this.turnDiff(id, file, turn) : await this.workingDiff(id, file);
      this.store.dispatch({ type: 'review/diff-loaded', key, ...loaded });
    } catch (error) {
      this.store.dispatch({ type: 'review/diff-failed', key, error: messageOf(error) });
    }
  }

  private async turnDiff(id: string, file: ReviewFile, turn: number): Promise<LoadedDiff> {
    const diff = await this.git.diff({ id, path: file.path, turn, limitBytes: DIFF_PAGE_BYTES });
    return { sections: [{ title: diff.compared, query: { staged: false, turn }, diff }] };
  }

  /**
   * A tracked file's staged part and unstaged part, each as git prints it; an untracked file (git has no diff for it)
   * is shown whole against nothing, which the daemon does when asked for it by name.
   */
  private async workingDiff(id: string, file: ReviewFile): Promise<LoadedDiff> {
    const parts = [
      ...(file.staged ? [{ staged: true, label: 'staged' }] : []),
      ...(file.unstaged || !file.staged ? [{ staged: false, label: file.untracked ? 'untracked' : 'unstaged' }] : []),
    ];
    const diffs = await Promise.all(parts.map((part) => this.git.diff({ id, path: file.path, staged: part.staged, limitBytes: DIFF_PAGE_BYTES })));
    return {
      ...(file.untracked ? { note: 'untracked: git does not know this file yet (s stages it)' } : {}),
      sections: parts.map((part, index) => ({ title: `${part.label}: ${diffs[index]!.compared}`, query: { staged: part.staged, turn: null }, diff: diffs[index]! })),
    };
  }

  /** `m`: the next page of the first section cut short. */
  private async loadMore(): Promise<void> {
    const review = this.state.review;
    const diff = review?.diff;
    const index = truncatedSection(diff ?? null);
    if (!review || !diff || index < 0) return this.notice('the whole diff is shown');
    const section = diff.sections[index]!;
    const { staged, turn } = section.query;
    await this.attempt(async () => {
      const page = await this.git.diff({ id: review.sessionId, path: diff.path, ...(turn !== null ? { turn } : { staged }), offset: section.nextOffset!, limitBytes: DIFF_PAGE_BYTES });
      this.store.dispatch({ type: 'review/diff-page', key: diff.key, section: index, diff: page });
    });
  }

  /** Stage or unstage the selected file, then read the list again (its letters and counts move). */
  private changeIndex(how: 'stage' | 'unstage'): void {
    const review = this.state.review;
    if (!review) return;
    if (review.busy) return this.notice(`${review.busy} one change at a time`, 'error');
    if (review.turn !== null) return this.notice('a turn is history: w goes back to the working changes to stage', 'error');
    const file = selectedFile(review);
    if (!file) return this.notice('no file selected', 'error');
    if (how === 'stage' && !file.unstaged && !file.untracked) return this.notice(`${file.path} has nothing to stage`, 'error');
    if (how === 'unstage' && !file.staged) return this.notice(`${file.path} has nothing staged`, 'error');
    // Unstaging a rename puts both of its paths back; staging needs only the new one.
    const paths = how === 'unstage' && file.from ? [file.from, file.path] : [file.path];
    this.store.dispatch({ type: 'review/busy', busy: how === 'stage' ? 'staging…' : 'unstaging…' });
    void this.attempt(async () => {
      await (how === 'stage' ? this.git.stage(review.sessionId, paths) : this.git.unstage(review.sessionId, paths));
      this.notice(`${how === 'stage' ? 'staged' : 'unstaged'} ${file.path}`);
      await this.loadReview();
    }).finally(() => this.store.dispatch({ type: 'review/busy', busy: null }));
  }

  private commitPrompt(): void {
    const review = this.state.review;
    if (!review) return;
    if (review.busy) return this.notice(`${review.busy} one change at a time`, 'error');
    const staged = review.status?.files.filter((file) => file.staged).length ?? 0;
    if (staged === 0) return this.notice('nothing staged to commit: s stages the selected file', 'error');
    this.prompt('commit', `commit message (${staged} file${staged === 1 ? '' : 's'} staged)`, '', review.sessionId);
  }

  private commit(id: string, message: string): void {
    if (!message.trim()) return this.notice('a commit needs a message; nothing was committed', 'error');
    this.store.dispatch({ type: 'review/busy', busy: 'committing…' });
    void this.attempt(async () => {
      const { commit } = await this.git.commit(id, message);
      this.notice(`committed ${commit.shortHash} ${commit.subject}`);
      await this.loadReview();
    }).finally(() => this.store.dispatch({ type: 'review/busy', busy: null }));
  }

  /** Rows of diff a page of scrolling moves: what the pane shows. */
  private diffRowsInSight(): number {
    const { size, review } = this.state;
    // The body is the terminal less the tab bar, the notice line, the status line and the free line (App.tsx).
    return reviewLayout(size.columns, Math.max(6, size.rows - 1) - 3, review?.files.length ?? 0).diffRows;
  }

  // ---- the selected session's output ----

  private followOutput(id: string | null): void {
    this.outputStream?.close();
    this.outputStream = undefined;
    this.outputFor = id;
    if (!id) return;
    // `changed` says that output arrived without carrying it: the pane re-reads the screen anyway.
    const stream = this.link.stream([topicName('changed', id)], (...[event]) => {
      if (event === 'changed') this.refreshOutput();
    });
    this.outputStream = stream;
    // The daemon ends a stream it could not deliver (a client that stopped reading): follow again, with a growing
    // pause if it keeps ending, and read the screen, so that the pane does not freeze on what it last showed.
    const opened = Date.now();
    const again = () => {
      if (this.stopped || this.outputStream !== stream || this.state.connection.status !== 'connected') return;
      this.followDelay = Date.now() - opened > RECONNECT_MAX_MS ? RECONNECT_MIN_MS : Math.min(RECONNECT_MAX_MS, this.followDelay * 2);
      setTimeout(() => {
        if (!this.stopped && this.outputStream === stream && this.state.connection.status === 'connected') this.followOutput(id);
      }, this.followDelay).unref?.();
    };
    stream.done.then(again, again);
    this.refreshOutput();
  }

  /**
   * Re-reads the selected screen, colours kept: one read at a time, at most every 50 ms. Following, the visible
   * screen is enough; scrolled back, the scrollback comes too.
   */
  private refreshOutput(): void {
    if (this.outputBusy || this.outputTimer) {
      this.outputDirty = true;
      return;
    }
    const id = this.outputFor;
    if (!id || this.stopped) return;
    this.outputBusy = true;
    this.outputDirty = false;
    this.readOutput(id, this.state.output.scroll > 0)
      .catch(() => undefined) // the session ended or the daemon went away: the next state change says which
      .finally(() => {
        this.outputBusy = false;
        if (this.stopped) return;
        this.outputTimer = setTimeout(() => {
          this.outputTimer = undefined;
          if (this.outputDirty) this.refreshOutput(); // for whichever session is selected by now
        }, OUTPUT_REFRESH_MS);
      });
  }

  private async readOutput(id: string, withHistory: boolean): Promise<void> {
    const { text } = await this.link.call('sessions.output', { id, ansi: true, ...(withHistory ? { lines: OUTPUT_LINES } : {}) });
    if (!this.stopped) this.store.dispatch({ type: 'output/loaded', sessionId: id, text });
  }

  /** Scrolling back needs the scrollback, which a following pane does not hold: read it first, then move. */
  private async scrollOutput(delta: number): Promise<void> {
    const { output } = this.state;
    if (delta > 0 && output.sessionId && output.scroll === 0 && output.lines.length < OUTPUT_LINES) {
      try {
        await this.readOutput(output.sessionId, true);
      } catch {
        // scroll within what is there
      }
    }
    this.store.dispatch({ type: 'output/scroll', delta });
  }

  // ---- data of the other screens ----

  /** Entering a screen re-reads what it shows: policies and the audit log change from elsewhere (CLI, hooks). */
  private loadScreen(): void {
    const screen = this.state.screen;
    if (screen === 'policies') void this.loadPolicies();
    else if (screen === 'audit') void this.loadAudit();
    else if (screen === 'analytics') void this.loadAnalytics();
  }

  private async loadPolicies(): Promise<void> {
    await this.attempt(async () => {
      const { policies } = await this.link.call('policies.list');
      this.store.dispatch({ type: 'policies/loaded', policies });
    });
  }

  private async loadAudit(): Promise<void> {
    await this.attempt(async () => {
      const filter = this.state.audit.sessionFilter;
      const { decisions, total } = await this.link.call('policyDecisions.list', { limit: 200, ...(filter ? { sessionId: filter } : {}) });
      this.store.dispatch({ type: 'audit/loaded', sessionFilter: filter, decisions, total });
    });
  }

  private async loadAnalytics(): Promise<void> {
    const range = this.state.analytics.range;
    this.store.dispatch({ type: 'analytics/loading' });
    try {
      const [overview, usage, models] = await Promise.all([
        this.link.call('analytics.overview', { range }),
        this.link.call('analytics.tokenUsage', { range }),
        this.link.call('analytics.tokensByModel', { range }),
      ]);
      if (this.state.analytics.range !== range) return;
      this.store.dispatch({ type: 'analytics/loaded', overview, days: usage.days, models: models.models });
    } catch (error) {
      if (this.state.analytics.range === range) this.store.dispatch({ type: 'analytics/failed', error: messageOf(error) });
    }
  }

  private scheduleUsage(): void {
    if (this.usageTimer) return;
    const wait = Math.max(0, this.usageAt + USAGE_REFRESH_MS - Date.now());
    this.usageTimer = setTimeout(() => {
      this.usageTimer = undefined;
      void this.loadUsage();
    }, wait);
  }

  /** Tokens and cost of managed sessions, from the transcript index (absent for agents it cannot read). */
  private async loadUsage(): Promise<void> {
    this.usageAt = Date.now();
    try {
      const { sessions } = await this.link.call('library.sessions', { limit: 200 });
      const usage: Record<string, SessionUsage> = {};
      for (const entry of sessions) if (entry.managed) usage[entry.managed.id] = { totalTokens: entry.totalTokens, totalCost: entry.totalCost };
      this.store.dispatch({ type: 'sessions/usage', usage });
    } catch {
      // analytics are a bonus on this screen; the list stands without them
    }
  }

  // ---- commands ----

  /** Carries out one command of the keybinding table. */
  run(command: Command): void {
    const { store } = this;
    const state = this.state;
    switch (command) {
      case 'quit':
        return this.host.exit();
      case 'help':
        return store.dispatch({ type: 'overlay', overlay: { kind: 'help', scroll: 0 } });
      case 'overlay.close':
        return store.dispatch({ type: 'overlay', overlay: null });
      case 'screen.next':
        return store.dispatch({ type: 'screen/step', delta: 1 });
      case 'screen.prev':
        return store.dispatch({ type: 'screen/step', delta: -1 });
      case 'screen.sessions':
      case 'screen.policies':
      case 'screen.audit':
      case 'screen.analytics':
      case 'screen.search':
        return store.dispatch({ type: 'screen', screen: command.slice('screen.'.length) as AppState['screen'] });
      case 'select.next':
        return store.dispatch({ type: 'select/move', delta: 1 });
      case 'select.prev':
        return store.dispatch({ type: 'select/move', delta: -1 });
      case 'select.first':
        return store.dispatch({ type: 'select/edge', edge: 'first' });
      case 'select.last':
        return store.dispatch({ type: 'select/edge', edge: 'last' });
      case 'refresh':
        if (state.review) void this.loadReview();
        if (state.connection.status !== 'connected') {
          if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
          this.reconnectTimer = undefined;
          this.notice('starting the daemon…');
          void this.connect(true);
        } else {
          void this.connect(false);
        }
        return;
      case 'output.up':
        return void this.scrollOutput(this.page());
      case 'output.down':
        return store.dispatch({ type: 'output/scroll', delta: -this.page() });
      case 'output.follow':
        return store.dispatch({ type: 'output/follow' });
      case 'session.attach':
        if (this.attaching) return; // Enter twice would attach twice, one after the other
        return this.withSession((session) => void this.attach(session));
      case 'session.send':
        return this.withSession((session) => this.prompt('send', `prompt for ${label(session)}`, '', session.id), true);
      case 'session.keys':
        return this.withSession((session) => this.prompt('keys', `keys for ${label(session)} (esc ctrl+c enter 1 …)`, '', session.id), true);
      case 'session.rename':
        return this.withSession((session) => this.prompt('rename', `new name for ${session.id}`, session.name ?? '', session.id));
      case 'session.approve':
      case 'session.deny': {
        const answer = command === 'session.approve' ? 'approve' : 'deny';
        return this.withSession((session) => {
          // One answer at a time: a second press while the first travels would answer whatever comes next.
          if (this.answering.has(session.id)) return;
          this.answering.add(session.id);
          void this.attempt(async () => {
            await this.link.call('sessions.permission', { id: session.id, answer, via: 'tui' });
            this.notice(`${answer === 'approve' ? 'approved' : 'denied'}: ${label(session)}`);
          }).finally(() => this.answering.delete(session.id));
        }, true);
      }
      case 'session.stop':
        return this.withSession(
          (session) =>
            void this.attempt(async () => {
              this.notice(`stopping ${label(session)}…`);
              await this.link.call('sessions.stop', { id: session.id });
              this.notice(`stopped ${label(session)}`);
            }),
          true,
        );
      case 'session.kill':
        return this.withSession(
          (session) => store.dispatch({ type: 'overlay', overlay: { kind: 'confirm', message: `kill ${label(session)} now? (y/n)`, sessionId: session.id } }),
          true,
        );
      case 'confirm.yes': {
        const overlay = state.overlay;
        store.dispatch({ type: 'overlay', overlay: null });
        if (overlay?.kind !== 'confirm') return;
        void this.attempt(async () => {
          const session = await this.link.call('sessions.kill', { id: overlay.sessionId });
          this.notice(`killed ${label(session)}`);
        });
        return;
      }
      case 'session.resume':
        return this.withSession(
          (session) =>
            void this.attempt(async () => {
              await this.link.call('sessions.resume', { id: session.id });
              this.notice(`resumed ${label(session)}`);
            }),
        );
      case 'session.new':
        return store.dispatch({
          type: 'overlay',
          overlay: { kind: 'form', form: { provider: 'claude-code', cwd: this.host.cwd, name: '', args: '', field: 'provider', completions: [], error: null } },
        });
      case 'prompt.submit':
        return this.submitPrompt();
      case 'form.next':
        return store.dispatch({ type: 'form/field', delta: 1 });
      case 'form.prev':
        return store.dispatch({ type: 'form/field', delta: -1 });
      case 'form.provider-next':
      case 'form.provider-prev':
        if (state.overlay?.kind === 'form' && state.overlay.form.field === 'provider') store.dispatch({ type: 'form/provider', delta: command === 'form.provider-next' ? 1 : -1 });
        return;
      case 'form.complete': {
        if (state.overlay?.kind !== 'form') return;
        const form = state.overlay.form;
        if (form.field !== 'cwd') return store.dispatch({ type: 'form/field', delta: 1 });
        const { value, candidates } = completeDirectory(form.cwd, this.host.cwd);
        return store.dispatch({ type: 'form/completions', value, completions: candidates });
      }
      case 'form.submit':
        return void this.submitForm();
      case 'policy.toggle': {
        const policy = state.policies.list[state.policies.selected];
        if (!policy) return this.notice('no policy selected', 'error');
        void this.attempt(async () => {
          const updated = await this.link.call('policies.update', { id: policy.id, enabled: !policy.enabled });
          this.notice(`${updated.name} ${updated.enabled ? 'enabled' : 'disabled'}`);
          await this.loadPolicies();
        });
        return;
      }
      case 'policy.rules':
        return store.dispatch({ type: 'policies/rules' });
      case 'audit.filter':
        return this.prompt('audit-filter', 'decisions of session (id or name)', '', null);
      case 'audit.selected-session': {
        const decision = state.audit.decisions[state.audit.selected];
        if (!decision?.sessionId) return this.notice('the selected decision has no session', 'error');
        store.dispatch({ type: 'audit/filter', sessionId: decision.sessionId });
        return void this.loadAudit();
      }
      case 'audit.clear-filter':
        if (state.audit.sessionFilter === null) return;
        store.dispatch({ type: 'audit/filter', sessionId: null });
        return void this.loadAudit();
      case 'analytics.next-range':
      case 'analytics.prev-range':
        store.dispatch({ type: 'analytics/range', delta: command === 'analytics.next-range' ? 1 : -1 });
        return void this.loadAnalytics();
      case 'search.edit':
        return this.prompt('search', 'search transcripts', '', null);
      case 'search.open':
        return void this.openHit();
      case 'review.open':
        return this.withSession((session) => {
          store.dispatch({ type: 'review/open', sessionId: session.id, title: label(session) });
          void this.loadReview();
        });
      case 'review.close':
        return store.dispatch({ type: 'review/close' });
      case 'review.next':
      case 'review.prev':
        return store.dispatch({ type: 'review/move', delta: command === 'review.next' ? 1 : -1 });
      case 'review.first':
      case 'review.last':
        return store.dispatch({ type: 'review/edge', edge: command === 'review.first' ? 'first' : 'last' });
      case 'review.page-down':
      case 'review.page-up':
      case 'review.line-down':
      case 'review.line-up': {
        const visible = this.diffRowsInSight();
        const step = command.startsWith('review.page') ? Math.max(1, visible - 1) : 1;
        return store.dispatch({ type: 'review/scroll', delta: command.endsWith('down') ? step : -step, visible });
      }
      case 'review.top':
      case 'review.bottom':
        return store.dispatch({ type: 'review/scroll-edge', edge: command === 'review.top' ? 'top' : 'bottom', visible: this.diffRowsInSight() });
      case 'review.more':
        return void this.loadMore();
      case 'review.stage':
        return this.changeIndex('stage');
      case 'review.unstage':
        return this.changeIndex('unstage');
      case 'review.commit':
        return this.commitPrompt();
      case 'review.turn-next':
      case 'review.turn-prev':
        if (state.review && state.review.turns.length === 0) return this.notice('no turns recorded for this session yet', 'error');
        return store.dispatch({ type: 'review/turn', delta: command === 'review.turn-next' ? 1 : -1 });
      case 'review.working':
        return store.dispatch({ type: 'review/working' });
      case 'help.down':
        return store.dispatch({ type: 'help/scroll', delta: 5, lines: helpLineCount() });
      case 'help.up':
        return store.dispatch({ type: 'help/scroll', delta: -5, lines: helpLineCount() });
      case 'transcript.up':
        return store.dispatch({ type: 'transcript/scroll', delta: -1 });
      case 'transcript.down':
        return store.dispatch({ type: 'transcript/scroll', delta: 1 });
      case 'transcript.page-up':
        return store.dispatch({ type: 'transcript/scroll', delta: -10 });
      case 'transcript.page-down':
        return store.dispatch({ type: 'transcript/scroll', delta: 10 });
    }
  }

  /** A keypress that edits the line being typed (a prompt or a form field). */
  edit(edit: TextEdit): void {
    const overlay = this.state.overlay;
    if (overlay?.kind === 'prompt') this.store.dispatch({ type: 'prompt/edit', edit });
    else if (overlay?.kind === 'form') this.store.dispatch({ type: 'form/edit', edit });
  }

  private page(): number {
    return Math.max(1, this.state.size.rows - 10);
  }

  private withSession(action: (session: Session) => void, mustBeLive = false): void {
    const session = selectedSession(this.state);
    if (!session) return this.notice('no session selected; c starts one', 'error');
    if (mustBeLive && (session.state === 'stopped' || session.state === 'crashed')) {
      return this.notice(`${label(session)} is ${session.state}; r resumes it`, 'error');
    }
    action(session);
  }

  private prompt(purpose: Extract<AppState['overlay'], { kind: 'prompt' }>['purpose'], text: string, value: string, sessionId: string | null): void {
    this.store.dispatch({ type: 'overlay', overlay: { kind: 'prompt', purpose, label: text, value, sessionId } });
  }

  private submitPrompt(): void {
    const overlay = this.state.overlay;
    if (overlay?.kind !== 'prompt') return;
    this.store.dispatch({ type: 'overlay', overlay: null });
    const value = overlay.value;
    const id = overlay.sessionId;
    switch (overlay.purpose) {
      case 'send':
        if (!id) return;
        void this.attempt(async () => {
          await this.link.call('sessions.send', { id, text: value, newline: true });
        });
        return;
      case 'keys': {
        const keys = value.trim().split(/\s+/).filter(Boolean);
        if (!id || keys.length === 0) return;
        void this.attempt(async () => {
          await this.link.call('sessions.keys', { id, keys });
        });
        return;
      }
      case 'rename':
        if (!id) return;
        void this.attempt(async () => {
          const session = await this.link.call('sessions.rename', { id, name: value.trim() });
          this.notice(`renamed to ${session.name}`);
        });
        return;
      case 'audit-filter':
        if (!value.trim()) {
          this.store.dispatch({ type: 'audit/filter', sessionId: null });
          void this.loadAudit();
          return;
        }
        void this.attempt(async () => {
          const session = await this.link.call('sessions.get', { id: value.trim() });
          this.store.dispatch({ type: 'audit/filter', sessionId: session.id });
          await this.loadAudit();
        });
        return;
      case 'search':
        return void this.search(value.trim());
      case 'commit':
        if (!id) return;
        return this.commit(id, value);
    }
  }

  private async search(query: string): Promise<void> {
    if (!query) return;
    this.store.dispatch({ type: 'search/start', query });
    try {
      const result = await this.link.call('search', { q: query, limit: 50 });
      this.store.dispatch({ type: 'search/loaded', query, hits: result.hits, total: result.total, totalExact: result.totalExact });
    } catch (error) {
      this.store.dispatch({ type: 'search/failed', query, error: messageOf(error) });
    }
  }

  /** Opens the hit's conversation at the hit. The answer lands only if its viewer is still the one open. */
  private async openHit(): Promise<void> {
    const hit = this.state.search.hits[this.state.search.selected];
    if (!hit) return this.notice('no hit selected; / types a query', 'error');
    const request = ++this.transcriptRequest;
    this.store.dispatch({ type: 'overlay', overlay: { kind: 'transcript', title: hit.title ?? hit.sessionId, messages: [], total: 0, scroll: 0, loading: true, request } });
    try {
      const { session, messages, totalMessages } = await this.link.call('library.get', { id: hit.sessionId, limit: TRANSCRIPT_MESSAGES });
      const index = messages.findIndex((message) => message.id === hit.messageId);
      const title = session.name ?? session.title ?? session.id;
      this.store.dispatch({ type: 'transcript/loaded', request, title, messages, total: totalMessages, scroll: Math.max(0, index) });
    } catch (error) {
      const overlay = this.state.overlay;
      if (overlay?.kind === 'transcript' && overlay.request === request) this.store.dispatch({ type: 'overlay', overlay: null });
      await this.attempt(() => Promise.reject(error));
    }
  }

  private async submitForm(): Promise<void> {
    const overlay = this.state.overlay;
    if (overlay?.kind !== 'form' || overlay.form.submitting) return; // Enter twice must not start two sessions
    const form = overlay.form;
    let args: string[];
    try {
      args = splitArgs(form.args);
    } catch (error) {
      return this.store.dispatch({ type: 'form/error', error: `args: ${messageOf(error)}` });
    }
    const typed = form.cwd.trim().replace(/^~(?=\/|$)/, os.homedir());
    const cwd = path.resolve(this.host.cwd, typed);
    this.store.dispatch({ type: 'form/submitting', submitting: true });
    try {
      const session = await this.link.call('sessions.create', {
        provider: form.provider,
        cwd,
        args,
        ...(this.host.env ? { callerEnv: this.host.env } : {}),
        ...(form.name.trim() ? { name: form.name.trim() } : {}),
        cols: Math.max(20, this.state.size.columns),
        rows: Math.max(5, this.state.size.rows),
      });
      // Closed only if it is still this form: the user may have left it for another overlay meanwhile.
      if (this.state.overlay?.kind === 'form') this.store.dispatch({ type: 'overlay', overlay: null });
      this.store.dispatch({ type: 'sessions/upsert', session });
      this.store.dispatch({ type: 'select/session', id: session.id });
      this.notice(`started ${label(session)}`);
    } catch (error) {
      // The form stays open with what was typed, so a wrong directory or name is fixed in place; if it was closed
      // meanwhile, the reason is a notice.
      if (this.state.overlay?.kind === 'form') this.store.dispatch({ type: 'form/error', error: messageOf(error) });
      else this.notice(messageOf(error), 'error');
    } finally {
      this.store.dispatch({ type: 'form/submitting', submitting: false });
    }
  }

  /**
   * Hands the terminal to tmux. The dashboard's streams are closed meanwhile (nothing reads them while tmux has the
   * terminal, and the daemon would drop them as too slow) and opened again on return.
   */
  private async attach(session: Session): Promise<void> {
    this.attaching = true;
    await this.attempt(async () => {
      const tmux = await this.link.tmux();
      this.closeStreams();
      try {
        await this.host.attach(tmux, session.tmuxSession, session.id);
        this.notice(`back from ${label(session)}`);
      } finally {
        await this.connect(false);
      }
    }).finally(() => (this.attaching = false));
  }

  /** Runs a daemon call, turning a failure into a notice (and a lost connection into the reconnect loop). */
  private async attempt(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      if (this.stopped) return;
      if (isAppError(error) && (error.code === 'DAEMON_NOT_RUNNING' || error.code === 'DAEMON_UNAVAILABLE')) return this.lost(error);
      this.notice(messageOf(error), 'error');
    }
  }

  /** A notification the terminal channel let through: a banner on the notice line, and the bell unless it is a follow-up. */
  private notification(event: NotificationEvent): void {
    this.notice(`${event.kind === 'resolved' ? '' : '🔔 '}${event.title}: ${event.message}`, event.kind === 'resolved' ? 'info' : 'alert');
    if (event.kind !== 'resolved') this.host.bell?.();
  }

  private notice(text: string, kind: 'info' | 'error' | 'alert' = 'info'): void {
    this.store.dispatch({ type: 'notice', text, kind });
    if (this.noticeTimer) clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.noticeTimer = undefined;
      if (this.state.notice?.text === text) this.store.dispatch({ type: 'notice/clear' });
    }, NOTICE_MS);
    this.noticeTimer.unref?.();
  }
}

function label(session: Session): string {
  return session.name ?? session.id;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
