import { EventEmitter } from 'node:events';
import { isProcessAlive } from '../../discovery';
import { AppError } from '../../errors';
import type { Logger } from '../../log';
import type { AttachCommand, Runner, RunnerDescription, RunnerEvents, TerminalExit, TerminalId, TerminalInput, TerminalScroll, TerminalSpec, TerminalStatus, TerminalView } from '../runner';
import { CONTROL_SESSION, ControlClient, quoteTmux, type PaneDeath } from './control';
import { DEATH_HOOK, DeathWaiter } from './deaths';
import { THEN, Tmux, TmuxError, allowlistedEnv, escapeTmuxArg } from './exec';
import { tmuxKey } from './keys';
import { SOURCE_STAGED, stageEnvironment, type StagedEnvironment } from './launch-env';

/** How long the control client gets to attach. */
const CONTROL_READY_MS = 10_000;
/** How long a pane tmux reports dead without an exit status gets for its status to arrive, once tmux is nudged. */
const EXIT_STATUS_WAIT_MS = 2000;
/** How often such a pane's status is asked for again meanwhile. */
const EXIT_STATUS_POLL_MS = 25;
/** How long output must pause before tmux is nudged to reap a program that may have ended (see nudgeSoon). */
const NUDGE_AFTER_OUTPUT_MS = 30;
/** How long a window close waits to tell a closed window from a server that is going away. */
const CLOSE_SETTLE_MS = 100;

export interface LocalTmuxRunnerOptions {
  binary: string;
  /** The private server's `-L` name. */
  socketName: string;
  /** The daemon's environment; the server gets only its allowlisted part. */
  env: NodeJS.ProcessEnv;
  log: Logger;
  /**
   * The umask agents run with: the one of whoever started the daemon (the daemon itself keeps 0077 for its own files).
   * Set in each terminal, since a tmux server started earlier keeps the umask it was started with.
   */
  umask?: number | undefined;
  /** A directory of the daemon's own (0700) where whole environments wait for their launcher (see launch-env.ts). */
  stagingDir: string;
}

/**
 * Agents in windows of a private tmux server on this machine. One control-mode client sits in a hidden session
 * (cp-control) into which every watched window is linked: it hears every agent's output and every pane's death as
 * they happen, and carries keystrokes and screen reads without spawning a process. Nothing polls.
 * See ../../../../shared/reference/tmux-notes.md for the tmux facts this relies on.
 */
export class LocalTmuxRunner extends EventEmitter<RunnerEvents> implements Runner {
  readonly description: RunnerDescription;
  private readonly tmux: Tmux;
  private readonly control: ControlClient;
  private readonly log: Logger;
  private adopt: (() => Promise<void>) | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private reconnectFailures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private serverPid: number | undefined;
  /** The window of every pane seen (spawned, listed, found), and back: tmux reports closes by window. */
  private readonly windowOf = new Map<TerminalId, string>();
  private readonly paneOf = new Map<string, TerminalId>();
  /** Panes reported dead before tmux knew their exit status: tmux was nudged, the status may follow. */
  private readonly pendingExits = new Map<TerminalId, NodeJS.Timeout>();
  /** Windows of ended terminals being unlinked from the control session; a respawn waits for that first. */
  private readonly releasing = new Map<TerminalId, Promise<unknown>>();
  /** Panes whose end has been reported (by the pane-died hook or the subscription, whichever came first). */
  private readonly endReported = new Set<TerminalId>();
  /** Hears the server's pane-died hook: ends are reported at once, not on the subscription's one-second check. */
  private readonly deaths: DeathWaiter;
  private readonly umask: number | undefined;
  private readonly stagingDir: string;
  private nudgeTimer: NodeJS.Timeout | undefined;
  /** Terminals whose window closed a moment ago: reported closed unless the whole server turns out to be gone. */
  private readonly closing = new Set<TerminalId>();

  constructor(options: LocalTmuxRunnerOptions) {
    super();
    this.log = options.log;
    this.umask = options.umask;
    this.stagingDir = options.stagingDir;
    this.tmux = new Tmux({ binary: options.binary, socketName: options.socketName, env: allowlistedEnv(options.env) });
    this.description = { tmux: { binary: options.binary, socket: options.socketName } };
    this.control = new ControlClient(this.tmux);
    this.control.on('output', (pane, data) => {
      this.nudgeSoon();
      this.emit('output', pane, data);
    });
    this.control.on('pane', (death) => this.onPaneDeath(death));
    this.control.on('windowClose', (windowId) => this.onWindowClose(windowId));
    this.control.on('exit', (reason) => void this.onControlExit(reason));
    this.deaths = new DeathWaiter(this.tmux, () => void this.checkDeaths());
  }

  async isUp(): Promise<boolean> {
    return (await this.tmux.query(['list-sessions', '-F', '#{session_name}'])) !== undefined;
  }

  /** Starts the private server if needed, creates the hidden control session, adopts, and attaches the control client. */
  connect(adopt: () => Promise<void>): Promise<void> {
    this.adopt = adopt;
    if (this.control.running && this.connecting === undefined) return Promise.resolve();
    this.connecting ??= (async () => {
      await this.tmux.run([
        'start-server', THEN,
        'set', '-g', 'exit-empty', 'off', THEN,
        'set', '-g', 'remain-on-exit', 'on', THEN,
        // A pane's end is heard the moment tmux reaps its program (see deaths.ts).
        'set-hook', '-g', 'pane-died', DEATH_HOOK, THEN,
        'set', '-g', 'history-limit', '50000', THEN,
        'set', '-g', 'escape-time', '10', THEN,
        'set', '-g', 'default-terminal', 'screen-256color', THEN,
        'set', '-g', 'status-left-length', '40', THEN,
        'set', '-g', 'status-right-length', '40', THEN,
        'set', '-g', 'status-left', '[codepiper #{session_name}] ', THEN,
        // Inside another tmux the outer one takes C-b: C-b C-b d reaches this server. Both are said, in plain text,
        // rather than guessed per client from its terminal name.
        'set', '-g', 'status-right', 'detach: C-b d (in tmux: C-b C-b d) ',
      ]);
      if ((await this.tmux.query(['has-session', '-t', `=${CONTROL_SESSION}`])) === undefined) {
        // Its one pane runs `true` and stays dead (remain-on-exit): the control session costs no process at all.
        await this.tmux.run(['new-session', '-d', '-s', CONTROL_SESSION, '-x', '80', '-y', '24', 'true']).catch((error) => {
          if (!/duplicate session/.test((error as TmuxError).tmuxMessage ?? '')) throw error;
        });
      }
      const ready = new Promise<void>((resolve, reject) => {
        const onReady = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          this.control.off('ready', onReady);
          this.control.stop();
          reject(new AppError('TMUX_FAILED', 'tmux control client did not attach within 10 s'));
        }, CONTROL_READY_MS);
        this.control.once('ready', onReady);
      });
      const serverPid = Number((await this.tmux.run(['display-message', '-p', '#{pid}'])).trim()) || undefined;
      // A new server numbers its windows and panes from the start again: what was known of the old one's would name
      // other terminals now.
      if (this.serverPid !== undefined && serverPid !== this.serverPid) this.forgetServer();
      this.serverPid = serverPid;
      // Every new connection lets the engine check its sessions against what tmux has (after a daemon restart, or a
      // lost client) and link the windows it wants watched before the client attaches: from its first moment it hears
      // every agent.
      await adopt();
      await this.endStrayControlClients();
      this.control.start();
      await ready;
      this.deaths.start();
      // A pane that died while nobody listened (during the adoption above) is reported now.
      void this.checkDeaths();
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /**
   * Runs the spec in a new tmux session and links its window into the control session in the same tmux invocation,
   * so not even the program's first bytes are missed.
   */
  async spawn(spec: TerminalSpec): Promise<TerminalId> {
    const staged = this.stage(spec);
    const ids = await this.tmux
      .run([
        'new-session', '-d', '-s', spec.place, '-x', String(spec.cols), '-y', String(spec.rows), '-c', tmuxDirectory(spec.cwd),
        ...environment(staged ? staged.rest : spec.env), '-P', '-F', '#{window_id} #{pane_id}', '--', ...this.command(spec, staged),
        THEN, 'link-window', '-d', '-s', `=${spec.place}:`, '-t', `=${CONTROL_SESSION}:`,
      ])
      .catch((error: unknown) => {
        staged?.discard();
        throw error;
      });
    return this.remember(ids);
  }

  async respawn(terminal: TerminalStatus, spec: TerminalSpec): Promise<TerminalId> {
    await this.releasing.get(terminal.terminal);
    const pane = terminal.terminal;
    const staged = this.stage(spec);
    const args = ['respawn-pane', '-k', '-t', pane, '-c', tmuxDirectory(spec.cwd), ...environment(staged ? staged.rest : spec.env), '--', ...this.command(spec, staged)];
    if (!terminal.watched) args.push(THEN, 'link-window', '-d', '-s', this.windowOf.get(pane) ?? pane, '-t', `=${CONTROL_SESSION}:`);
    args.push(THEN, 'display-message', '-p', '-t', pane, '#{window_id} #{pane_id}');
    const ids = await this.tmux.run(args).catch((error: unknown) => {
      staged?.discard();
      throw error;
    });
    return this.remember(ids);
  }

  /**
   * The spec's variables are staged in a 0600 file the launcher sources (see launch-env.ts), never put on tmux's
   * command line: `-e KEY=VALUE` would show an env set's secret in the tmux client's argv (/proc/<pid>/cmdline is
   * readable by every user of the machine).
   */
  private stage(spec: TerminalSpec): StagedEnvironment | undefined {
    return Object.keys(spec.env).length ? stageEnvironment(this.stagingDir, spec.place, spec.env) : undefined;
  }

  private command(spec: TerminalSpec, staged: StagedEnvironment | undefined): string[] {
    return command(spec.argv, this.umask, this.unsetFor(spec), staged?.file);
  }

  /**
   * For a spec whose env is the whole environment: the variables of the server's own environment (which every pane
   * inherits) that it does not have. TERM stays: tmux sets it for the terminal it gives the program.
   */
  private unsetFor(spec: TerminalSpec): string[] {
    if (!spec.exactEnv) return [];
    return Object.keys(this.tmux.options.env).filter((name) => name !== 'TERM' && !(name in spec.env));
  }

  async find(place: string): Promise<TerminalStatus | undefined> {
    // A window still being unlinked would be listed as watched, and then not be linked again by a respawn.
    await Promise.all(this.releasing.values());
    const out = await this.tmux.query(['list-panes', '-t', `=${place}:`, '-F', PANE_FORMAT]);
    const first = out?.split('\n').find(Boolean);
    if (!first) return undefined;
    const pane = this.parsePane(first);
    return { place, terminal: pane.terminal, watched: pane.linkedSessions > 1, ended: pane.ended };
  }

  async watch(terminal: TerminalId): Promise<void> {
    await this.tmux.run(['link-window', '-d', '-s', this.windowOf.get(terminal) ?? terminal, '-t', `=${CONTROL_SESSION}:`]);
  }

  release(terminal: TerminalId, place: string): Promise<void> {
    const window = this.windowOf.get(terminal);
    this.forget(terminal);
    // Whoever is attached goes back to their shell, as they would without remain-on-exit.
    this.control.command(`detach-client -s ${quoteTmux(`=${place}`)}`).catch(() => undefined);
    if (!window) return Promise.resolve();
    // The dead pane stays in the agent's own tmux session (its last screen, for tail and attach); the control session
    // lets go of it, so ended sessions do not pile up there. A respawn links it again.
    const unlinked = this.control
      .command(`unlink-window -t ${quoteTmux(`${CONTROL_SESSION}:${window}`)}`)
      .then(() => undefined, () => undefined)
      .finally(() => this.releasing.delete(terminal));
    this.releasing.set(terminal, unlinked);
    return unlinked;
  }

  async send(terminal: TerminalId, inputs: readonly TerminalInput[]): Promise<void> {
    // In copy mode the keys would drive the copy mode, not reach the program: the view goes back to the live screen
    // first (one command, a no-op for a pane in no mode).
    await this.control.command(`if-shell -F -t ${terminal} '#{pane_in_mode}' ${quoteTmux(`send-keys -t ${terminal} -X cancel`)}`);
    for (const input of inputs) {
      const key = tmuxKey(input);
      await this.control.command('literal' in key ? `send-keys -t ${terminal} -l -- ${quoteTmux(key.literal)}` : `send-keys -t ${terminal} ${key.key}`);
    }
  }

  async capture(terminal: TerminalId, options: { ansi: boolean; lines?: number | undefined }): Promise<string> {
    const flags = `${options.ansi ? ' -e' : ''}${options.lines ? ` -S -${options.lines}` : ''}`;
    const command = `capture-pane -p${flags} -t ${terminal}`;
    const lines = this.control.running ? await this.control.command(command) : (await this.tmux.run(command.split(' '))).split('\n');
    return trimTrailingBlank(lines).join('\n');
  }

  /**
   * `tmux attach` of the terminal's session, for a viewer in a pseudo-terminal: `ignore-size` so that the viewer does
   * not size the window for everyone (tmux still sizes a window by such clients when they are its only ones: the
   * caller pins the window's size first with resize, which makes it manual), `read-only` when it may not type.
   */
  attachCommand(place: string, options: { readOnly: boolean }): AttachCommand {
    const flags = options.readOnly ? 'ignore-size,read-only' : 'ignore-size';
    return {
      file: this.tmux.options.binary,
      args: [...this.tmux.baseArgs, 'attach-session', '-f', flags, '-t', `=${place}`],
      // The viewer's terminal is what a browser terminal emulates; TMUX is never in the allowlisted environment.
      env: { ...this.tmux.options.env, TERM: 'xterm-256color' },
    };
  }

  async resize(terminal: TerminalId, cols: number, rows: number): Promise<void> {
    await this.control.command(`resize-window -t ${this.windowOf.get(terminal) ?? terminal} -x ${cols} -y ${rows}`);
  }

  async view(terminal: TerminalId): Promise<TerminalView> {
    const [line] = await this.control.command(`display-message -p -t ${terminal} '${VIEW_FORMAT}'`);
    const [inMode, mode, position, historySize, historyLimit, cols, rows] = (line ?? '').split('\t');
    // Copy mode and its read-only twin, view mode (what tmux shows command output in), are both a frozen view.
    const copyMode = inMode === '1' && (mode === 'copy-mode' || mode === 'view-mode');
    return {
      copyMode,
      scrollPosition: copyMode ? Number(position) || 0 : 0,
      historySize: Number(historySize) || 0,
      historyLimit: Number(historyLimit) || 0,
      cols: Number(cols) || 0,
      rows: Number(rows) || 0,
    };
  }

  async setCopyMode(terminal: TerminalId, on: boolean): Promise<void> {
    const { copyMode } = await this.view(terminal);
    if (on && !copyMode) await this.control.command(`copy-mode -t ${terminal}`);
    // `cancel` in a pane that is in no mode is an error ("not in a mode"): only a pane in copy mode is told.
    if (!on && copyMode) await this.control.command(`send-keys -t ${terminal} -X cancel`);
  }

  async scroll(terminal: TerminalId, scroll: TerminalScroll): Promise<void> {
    if ('to' in scroll && scroll.to === 'bottom') return this.setCopyMode(terminal, false);
    // Down from the live screen goes nowhere: the live screen is the bottom.
    if ('by' in scroll && scroll.by <= 0 && !(await this.view(terminal)).copyMode) return;
    await this.setCopyMode(terminal, true);
    if ('to' in scroll) await this.control.command(`send-keys -t ${terminal} -X history-top`);
    else if (scroll.by !== 0) await this.control.command(`send-keys -t ${terminal} -X -N ${Math.abs(Math.trunc(scroll.by))} ${scroll.by > 0 ? 'scroll-up' : 'scroll-down'}`);
  }

  async rows(terminal: TerminalId, from: number, to: number): Promise<string[]> {
    return this.control.command(`capture-pane -p -t ${terminal} -S ${Math.trunc(from)} -E ${Math.trunc(to)}`);
  }

  async hasEnded(terminal: TerminalId): Promise<boolean> {
    const [dead] = await this.control.command(`display-message -p -t ${terminal} '#{pane_dead}'`).catch(() => ['0']);
    return dead === '1';
  }

  async signal(terminal: TerminalId, signal: NodeJS.Signals): Promise<void> {
    try {
      const [pid] = await this.control.command(`display-message -p -t ${terminal} '#{pane_pid}'`);
      if (pid && Number(pid) > 0) process.kill(Number(pid), signal);
    } catch {
      // already gone
    }
  }

  async kill(terminal: TerminalId): Promise<void> {
    // The window goes from every session it is linked into; its close notification reports it.
    await this.tmux.query(['kill-window', '-t', this.windowOf.get(terminal) ?? terminal]);
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const timer of this.pendingExits.values()) clearTimeout(timer);
    this.pendingExits.clear();
    if (this.nudgeTimer) clearTimeout(this.nudgeTimer);
    this.deaths.stop();
    this.control.stop();
  }

  // ---- what tmux tells us ----

  /** The pane-died hook fired: every watched pane that is dead and not yet reported is reported now. */
  private async checkDeaths(): Promise<void> {
    let lines: string[];
    try {
      lines = await this.control.command(`list-panes -s -t ${quoteTmux(`=${CONTROL_SESSION}`)} -F '${PANE_FORMAT}'`);
    } catch {
      return; // not connected: the adoption of the next connection sees every end
    }
    for (const line of lines) {
      const [pane, window, linkedSessions, dead, status, signal] = line.split(' ');
      // The control session's own window (linked nowhere else) is not an agent's.
      if (!pane || !window || dead !== '1' || Number(linkedSessions) < 2 || !this.windowOf.has(pane) || this.endReported.has(pane)) continue;
      this.onPaneDeath({ paneId: pane, windowId: window, dead: true, status: status ? Number(status) : undefined, signal: signal ? Number(signal) : undefined });
    }
  }

  private onPaneDeath(death: PaneDeath): void {
    if (!death.dead) return;
    const pane = death.paneId;
    if (death.status === undefined && death.signal === undefined) {
      if (this.pendingExits.has(pane)) return;
      // tmux saw the pane's terminal close but has not reaped the process yet (it can miss a SIGCHLD): nudge it and
      // ask again shortly. Without a status in time, the end is reported without one.
      this.nudgeServer();
      this.pendingExits.set(pane, setTimeout(() => this.reportEnd(pane, { status: undefined, signal: undefined }), EXIT_STATUS_WAIT_MS));
      void this.pollStatus(pane);
      return;
    }
    this.reportEnd(pane, { status: death.status, signal: death.signal });
  }

  /** Asks for a dead pane's exit status until tmux knows it (or the wait for it is over). */
  private async pollStatus(pane: TerminalId): Promise<void> {
    while (this.pendingExits.has(pane)) {
      await new Promise((resolve) => setTimeout(resolve, EXIT_STATUS_POLL_MS));
      if (!this.pendingExits.has(pane)) return;
      const [answer] = await this.control.command(`display-message -p -t ${pane} '#{pane_dead_status} #{pane_dead_signal}'`).catch(() => [undefined]);
      if (answer === undefined || !this.pendingExits.has(pane)) return;
      const [status, signal] = answer.split(' ');
      if (status || signal) return this.reportEnd(pane, { status: status ? Number(status) : undefined, signal: signal ? Number(signal) : undefined });
      this.nudgeServer();
    }
  }

  private reportEnd(pane: TerminalId, exit: TerminalExit): void {
    clearTimeout(this.pendingExits.get(pane));
    this.pendingExits.delete(pane);
    // The hook and the subscription both see an end; the first to tell it wins.
    if (this.endReported.has(pane)) return;
    this.endReported.add(pane);
    this.emit('ended', pane, exit);
  }

  private onWindowClose(windowId: string): void {
    const pane = this.paneOf.get(windowId);
    if (pane === undefined) return;
    this.forget(pane);
    // A server being killed closes every window before it goes: those closes are the server's loss (reported as one,
    // with its cause), not windows closed one by one. The control client's end, if it comes, says which.
    this.closing.add(pane);
    setTimeout(() => {
      // With the control client gone, onControlExit decides once it knows whether the server lives.
      if (!this.control.running || !this.closing.delete(pane)) return;
      this.emit('closed', pane);
    }, CLOSE_SETTLE_MS).unref();
  }

  private async onControlExit(reason: string): Promise<void> {
    if (this.closed) return;
    this.log.warn(`tmux ${reason}`);
    if (await this.serverGone()) {
      this.forgetServer();
      this.deaths.stop();
      this.closing.clear();
      this.log.error(`the tmux server (-L ${this.description.tmux.socket}${this.serverPid ? `, pid ${this.serverPid}` : ''}) is gone, killed or crashed: every agent in it ended with it`);
      this.emit('lost', 'tmux-server-gone');
      return;
    }
    const closed = [...this.closing];
    this.closing.clear();
    for (const pane of closed) this.emit('closed', pane);
    try {
      await this.connect(this.adopt!);
      this.reconnectFailures = 0;
    } catch (error) {
      // The agents still run; they are not given up for dead. Try again, less and less often.
      this.reconnectFailures++;
      const delay = Math.min(30_000, 500 * 2 ** this.reconnectFailures);
      this.log.error(`reconnecting to tmux failed; retrying in ${delay / 1000} s`, error);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.onControlExit('reconnect retry');
      }, delay);
    }
  }

  // ---- tmux plumbing ----

  /**
   * Control clients in the control session other than ours are left over from a daemon that died (kill -9 under load
   * can leave one stuck writing to a pipe nobody reads): each is detached and its process ended. Ours is not attached
   * yet when this runs.
   */
  private async endStrayControlClients(): Promise<void> {
    const listing = await this.tmux.query(['list-clients', '-t', `=${CONTROL_SESSION}`, '-F', '#{client_pid} #{client_control_mode} #{client_name}']).catch(() => undefined);
    const strays = (listing ?? '').split('\n').map((line) => line.split(' ')).filter(([pid, control, name]) => Number(pid) > 0 && control === '1' && name);
    if (!strays.length) return;
    this.log.warn(`ending ${strays.length} control client(s) left over from an earlier daemon (pids ${strays.map(([pid]) => pid).join(', ')})`);
    for (const [pid, , name] of strays) {
      await this.tmux.query(['detach-client', '-t', name!]).catch(() => undefined);
      try {
        process.kill(Number(pid), 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }

  /**
   * Every agent pane on the server, with whether its window is linked into the control session and how it ended.
   * A pane tmux knows is dead but whose process it has not reaped yet shows no status: tmux is nudged and asked again.
   */
  async list(): Promise<TerminalStatus[]> {
    let panes = await this.listPanes();
    for (let attempt = 0; attempt < 10 && panes.some((pane) => pane.place !== CONTROL_SESSION && pane.ended && pane.ended.status === undefined && pane.ended.signal === undefined); attempt++) {
      this.nudgeServer();
      await new Promise((resolve) => setTimeout(resolve, 100));
      panes = await this.listPanes();
    }
    const linked = new Set(panes.filter((pane) => pane.place === CONTROL_SESSION).map((pane) => pane.window));
    return panes
      .filter((pane) => pane.place !== CONTROL_SESSION)
      .map((pane) => ({ place: pane.place, terminal: pane.terminal, watched: linked.has(pane.window), ended: pane.ended }));
  }

  private async listPanes(): Promise<ParsedPane[]> {
    let listing: string | undefined;
    for (let attempt = 0; listing === undefined; attempt++) {
      listing = await this.tmux.query(['list-panes', '-a', '-F', `#{session_name}\t${PANE_FORMAT}`]);
      if (listing !== undefined) break;
      // No answer from a server whose process lives is a moment's refusal, not an empty server: never read it as
      // "every session is gone".
      if (!this.serverPid || !isProcessAlive(this.serverPid)) return [];
      if (attempt >= 4) throw new AppError('TMUX_FAILED', 'the tmux server runs but does not answer list-panes');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return listing
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf('\t');
        return { place: line.slice(0, tab), ...this.parsePane(line.slice(tab + 1)) };
      });
  }

  /** One PANE_FORMAT line; the pane's window is remembered on the way. */
  private parsePane(line: string): Omit<ParsedPane, 'place'> {
    const [terminal, window, linkedSessions, dead, status, signal] = line.split(' ') as [string, string, string, string, string, string];
    this.windowOf.set(terminal, window);
    this.paneOf.set(window, terminal);
    const ended = dead === '1' ? { status: status ? Number(status) : undefined, signal: signal ? Number(signal) : undefined } : undefined;
    return { terminal, window, linkedSessions: Number(linkedSessions), ended };
  }

  /** `#{window_id} #{pane_id}`, as new-session and display-message print them → the pane, its window remembered. */
  private remember(ids: string): TerminalId {
    const [window, pane] = ids.trim().split(/\s+/).slice(-2) as [string, string];
    // A respawned pane keeps its id: its next end is a new one.
    this.endReported.delete(pane);
    this.windowOf.set(pane, window);
    this.paneOf.set(window, pane);
    return pane;
  }

  /** Everything known of a server's windows and panes, dropped when it is gone. */
  private forgetServer(): void {
    for (const timer of this.pendingExits.values()) clearTimeout(timer);
    this.pendingExits.clear();
    this.windowOf.clear();
    this.paneOf.clear();
    this.endReported.clear();
    this.releasing.clear();
  }

  private forget(terminal: TerminalId): void {
    this.endReported.delete(terminal);
    clearTimeout(this.pendingExits.get(terminal));
    this.pendingExits.delete(terminal);
    const window = this.windowOf.get(terminal);
    this.windowOf.delete(terminal);
    if (window !== undefined && this.paneOf.get(window) === terminal) this.paneOf.delete(window);
  }

  /**
   * Whether the tmux server has really gone (its agents with it): its process is checked first, and a tmux client
   * that cannot connect is asked again, since a loaded machine can refuse a connection for a moment.
   */
  private async serverGone(): Promise<boolean> {
    // A killed server closes its clients just before it exits: give its process a moment to go.
    for (let wait = 0; this.serverPid && isProcessAlive(this.serverPid); wait++) {
      if (wait >= 10) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.isUp().catch(() => false)) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return true;
  }

  /**
   * tmux sometimes misses the SIGCHLD of a pane's program: the pane reads as dead (its terminal closed) but its status
   * is unknown and the pane-died hook waits until tmux reaps it. A program's end usually follows its last output, so
   * once output pauses tmux is nudged to reap (a SIGCHLD with nothing to reap costs it one waitpid).
   */
  private nudgeSoon(): void {
    if (this.nudgeTimer) this.nudgeTimer.refresh();
    else {
      this.nudgeTimer = setTimeout(() => {
        this.nudgeTimer = undefined;
        this.nudgeServer();
      }, NUDGE_AFTER_OUTPUT_MS);
      this.nudgeTimer.unref();
    }
  }

  private nudgeServer(): void {
    if (!this.serverPid) return;
    try {
      process.kill(this.serverPid, 'SIGCHLD');
    } catch {
      // the server is gone; the control client's exit reports that
    }
  }
}

/** What view() reads of a pane, tab-separated (pane_mode is empty outside a mode, and so is scroll_position). */
const VIEW_FORMAT = ['#{pane_in_mode}', '#{pane_mode}', '#{scroll_position}', '#{history_size}', '#{history_limit}', '#{pane_width}', '#{pane_height}'].join('\t');

/** What list-panes prints about a pane: its id, its window, how many sessions that window is in, and its end. */
const PANE_FORMAT = '#{pane_id} #{window_id} #{window_linked_sessions} #{pane_dead} #{pane_dead_status} #{pane_dead_signal}';

interface ParsedPane {
  place: string;
  terminal: TerminalId;
  window: string;
  linkedSessions: number;
  ended: TerminalExit | undefined;
}

/** `-e KEY=VALUE` for each variable, escaped for tmux's command parser. */
function environment(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).flatMap(([key, value]) => ['-e', escapeTmuxArg(`${key}=${value}`)]);
}

/**
 * The argv for tmux: a single argument would go to /bin/sh -c; two or more are executed directly, as we want. With a
 * umask or variables to unset, a shell does that and execs the argv as given (no word is parsed by the shell).
 */
function command(argv: readonly string[], umask: number | undefined, unset: readonly string[] = [], envFile?: string): string[] {
  if (!unset.length && envFile === undefined) {
    if (umask !== undefined) return ['/bin/sh', '-c', 'umask "$0" && exec "$@"', umask.toString(8).padStart(4, '0'), ...argv].map(escapeTmuxArg);
    return (argv.length === 1 ? ['/bin/sh', '-c', 'exec "$0"', argv[0]!] : argv).map(escapeTmuxArg);
  }
  // The launcher's arguments, in order: the staged environment file, then the names to unset up to "--" (names of
  // the server's environment: letters, digits and "_"), then the argv.
  const steps: string[] = [];
  const params: string[] = [];
  if (envFile !== undefined) {
    steps.push(SOURCE_STAGED);
    params.push(envFile);
  }
  if (unset.length) {
    steps.push('while [ "$1" != -- ]; do unset "$1"; shift; done; shift');
    params.push(...unset, '--');
  }
  steps.push(umask !== undefined ? 'umask "$0" && exec "$@"' : 'exec "$@"');
  return ['/bin/sh', '-c', steps.join('; '), umask === undefined ? 'sh' : umask.toString(8).padStart(4, '0'), ...params, ...argv].map(escapeTmuxArg);
}

/** -c is expanded as a tmux format: a literal "#" is written "##". */
function tmuxDirectory(cwd: string): string {
  return escapeTmuxArg(cwd.replace(/#/g, '##'));
}

function trimTrailingBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  return lines.slice(0, end);
}
