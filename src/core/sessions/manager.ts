import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { MAX_SEND_BYTES, createSessionInput, type CreateSessionInput, type Session } from '../api/sessions';
import type { CodepiperConfig } from '../config';
import { AppError, isAppError } from '../errors';
import { isProcessAlive } from '../daemon/discovery';
import { EventBus, SESSIONS_TOPIC, sessionEventsTopic, sessionOutputTopic } from '../events/bus';
import type { Paths } from '../paths';
import { findExecutable, findProvider, resolveProviderBinary, type ProviderId } from '../providers';
import { RUNTIMES, type LaunchContext, type PermissionAnswer, type ProviderRuntime } from '../providers/runtime';
import { CONTROL_SESSION, ControlClient, quoteTmux, type PaneDeath } from '../tmux/control';
import { THEN, Tmux, TmuxError, allowlistedEnv, escapeTmuxArg } from '../tmux/tmux';
import { claudeSettingsOverlay, stateForHook } from '../hooks/claude';
import { resolveKeys, type TmuxKey } from './keys';
import { SessionOutput, type OutputChunk } from './output';
import { canTransition, isLive, stateForExit, type SessionState, type StateSource } from './state';
import { SessionStore, type SessionEvent, type SessionRecord } from './store';

/** Output quiet for this long makes the screen worth reading. */
const QUIET_MS = 300;
/** An idle-looking screen must stay quiet this much longer before the session counts as idle. */
const IDLE_CONFIRM_MS = 700;
/** Output that arrives for a pane before its session is registered (the first bytes of a fast agent) is held this long. */
const ORPHAN_BYTES = 256 * 1024;
/** Pause between the keys of an agent's quit sequence. */
const QUIT_KEY_GAP_MS = 100;
/** How long the tmux control client gets to attach. */
const CONTROL_READY_MS = 10_000;

export interface SessionManagerOptions {
  tmuxBinary: string;
  db: Database.Database;
  bus: EventBus;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  config: CodepiperConfig;
  log: { info(message: string): void; warn(message: string): void; error(message: string, error?: unknown): void };
  /** How agents with native hooks reach the daemon: the hook command and the variables it needs. */
  hooks?: { command: string; env: Record<string, string> };
  /** Called once a new session's row exists, before its agent starts (the default policy set is applied here). */
  onCreated?: (id: string) => void;
  /** Input preflight for agents without hooks: throws when policy refuses the input. */
  preflight?: (record: SessionRecord, tool: 'terminal_input' | 'terminal_keys', args: Record<string, unknown>) => void;
}

/** For this long after a hook reported a state, what the screen seems to say does not override it. */
const HOOK_STATE_WINS_MS = 3000;

/** What the manager holds for a session whose agent runs. */
/**
 * How long after an answer another is refused even if the screen changed: the agent redraws as it takes the first
 * (and a late hook may still call it waiting); a question that is still there after this is the agent's next one.
 */
const ANSWER_SETTLE_MS = 1000;

/** Failed screen reads in a row that are retried before the next output has to trigger another. */
const CAPTURE_RETRIES = 5;

interface Live {
  id: string;
  paneId: string;
  windowId: string;
  runtime: ProviderRuntime;
  output: SessionOutput;
  state: SessionState;
  quietTimer: NodeJS.Timeout | undefined;
  confirmTimer: NodeJS.Timeout | undefined;
  /** Set while waiting for tmux to learn the exit status of a pane it already knows is dead. */
  exitTimer: NodeJS.Timeout | undefined;
  stopRequested: boolean;
  killing: boolean;
  /** When a hook last set the state: a fresher hook beats a screen guess. */
  hookStateAt: number;
  /**
   * When the pending permission question was answered, and the output generation then: a second answer waits until
   * the state changes, or the screen has changed since and still asks (the agent's next question).
   */
  permissionAnswer: { at: number; generation: number } | undefined;
  /** Screen reads that failed in a row (retried a few times; see evaluate). */
  captureFailures: number;
  /** Bumped by every output chunk, so an evaluation started before new output knows it is stale. */
  generation: number;
  ended: Promise<void>;
  markEnded: () => void;
}

interface PaneListing {
  session: string;
  windowId: string;
  paneId: string;
  dead: boolean;
  status: number | null;
  signal: number | null;
}

export interface ValidationIssue {
  path: string;
  message: string;
}

interface LaunchPlan {
  argv: string[];
  env: Record<string, string>;
  agentSessionId: string | null;
}

/**
 * The session engine: agents in windows of a private tmux server, watched through one control-mode client, their
 * state kept in SQLite and pushed on the event bus. Nothing here polls; timers only run after output, to read the
 * screen once it has settled.
 */
export class SessionManager {
  readonly store: SessionStore;
  private readonly tmux: Tmux;
  private readonly control: ControlClient;
  private readonly live = new Map<string, Live>();
  private readonly byPane = new Map<string, string>();
  private readonly byWindow = new Map<string, string>();
  private readonly orphanOutput = new Map<string, Buffer[]>();
  private readonly orphanDeaths = new Map<string, PaneDeath>();
  private connecting: Promise<void> | undefined;
  private closed = false;
  private reconnectFailures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Sessions between their claim (create, resume) and their registration: adoption leaves them alone. */
  private readonly launching = new Set<string>();
  /** Windows of ended sessions being unlinked from the control session; a resume waits for that first. */
  private readonly unlinking = new Map<string, Promise<unknown>>();
  private serverPid: number | undefined;

  constructor(private readonly options: SessionManagerOptions) {
    this.store = new SessionStore(options.db);
    this.tmux = new Tmux({ binary: options.tmuxBinary, socketName: options.paths.tmuxSocketName, env: allowlistedEnv(options.env) });
    this.control = new ControlClient(this.tmux);
    this.control.on('output', (paneId, data) => this.onOutput(paneId, data));
    this.control.on('pane', (death) => this.onPane(death));
    this.control.on('windowClose', (windowId) => this.onWindowClose(windowId));
    this.control.on('exit', (reason) => void this.onControlExit(reason));
  }

  /** Connects to (or starts) the private tmux server and re-adopts the sessions a previous daemon left running. */
  async start(): Promise<void> {
    try {
      const hasLive = this.store.all().some((record) => isLive(record.state));
      // Without live sessions there is nothing to watch yet; the server starts with the first session.
      if (hasLive || (await this.serverRunning())) await this.connect();
    } catch (error) {
      // The daemon still serves everything else; session routes report the tmux problem when they are used, and the
      // next successful connection adopts what is there.
      this.options.log.error('tmux is not usable yet; sessions will connect on first use', error);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const live of this.live.values()) this.clearTimers(live);
    this.control.stop();
  }

  // ---- queries ----

  list(filter: { provider?: ProviderId | undefined; status?: SessionState | undefined } = {}): Session[] {
    return this.store
      .all()
      .filter((record) => (!filter.provider || record.provider === filter.provider) && (!filter.status || record.state === filter.status))
      .map(toApi);
  }

  /** A session by exact id, exact name, or unique id prefix. */
  resolve(ref: string): SessionRecord {
    const exact = this.store.get(ref) ?? this.store.byName(ref);
    if (exact) return exact;
    const matches = ref.length >= 2 ? this.store.byPrefix(ref) : [];
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new AppError('SESSION_AMBIGUOUS', `session id prefix "${ref}" matches more than one session; give more characters`);
    throw new AppError('SESSION_NOT_FOUND', `no session "${ref}" (see codepiper sessions)`);
  }

  get(ref: string): Session {
    return toApi(this.resolve(ref));
  }

  events(ref: string, options: { source?: string | undefined; limit: number; offset: number }): { events: SessionEvent[]; total: number } {
    return this.store.events(this.resolve(ref).id, options);
  }

  // ---- create / validate ----

  /** Every problem with a create request at once (shape, directory, binary, name), without creating anything. */
  validate(raw: unknown): { valid: boolean; issues: ValidationIssue[]; argv: string[] | null } {
    const parsed = createSessionInput.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message }));
      // The semantic checks still run on whatever fields are well-formed, so the caller sees everything at once.
      const partial = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      issues.push(...this.semanticIssues(partial).filter((extra) => !issues.some((issue) => issue.path === extra.path)));
      return { valid: false, issues, argv: null };
    }
    const issues = this.semanticIssues(parsed.data);
    if (issues.length) return { valid: false, issues, argv: null };
    return { valid: true, issues: [], argv: this.plan(parsed.data, null).argv };
  }

  async create(input: CreateSessionInput): Promise<Session> {
    const issues = this.semanticIssues(input);
    if (issues.length) throw issuesError(issues);
    await this.connect();
    const id = this.newId();
    const now = new Date().toISOString();
    const plan = this.plan(input, id);
    this.launching.add(id);
    const record: SessionRecord = {
      id,
      name: input.name ?? null,
      provider: input.provider,
      cwd: input.cwd,
      args: input.args,
      env: input.env,
      dangerousMode: input.dangerousMode,
      billingMode: input.billingMode ?? null,
      cols: input.cols,
      rows: input.rows,
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
        this.store.insert(record);
      } catch (error) {
        if (/UNIQUE constraint failed: sessions.name/.test((error as Error).message)) throw nameTaken(input.name!);
        throw error;
      }
      this.recordEvent(id, 'process', 'created', { provider: input.provider, cwd: input.cwd, argv: plan.argv });
      try {
        this.options.onCreated?.(id);
        await this.launch(record, plan, false);
      } catch (error) {
        // Nothing ran: the session never existed, so it leaves no row behind.
        this.store.delete(id);
        throw error;
      }
    } finally {
      this.launching.delete(id);
    }
    return this.get(id);
  }

  // ---- lifecycle ----

  async stop(ref: string, timeoutMs: number): Promise<Session> {
    const record = this.resolve(ref);
    const live = this.requireLive(record);
    // An agent that already died (tmux reports deaths within a second) crashed on its own: the stop must not turn
    // that into a clean stop.
    const [dead] = await this.control.command(`display-message -p -t ${live.paneId} '#{pane_dead}'`).catch(() => ['0']);
    if (dead !== '1') live.stopRequested = true;
    this.recordEvent(record.id, 'process', 'stop-requested', { timeoutMs });
    // One key at a time with a short pause, so an Esc is not read together with the next key as Alt+key.
    for (const key of live.runtime.quitKeys) {
      await this.pressKeys(live, [key]).catch(() => undefined);
      await settlesWithin(live.ended, QUIT_KEY_GAP_MS);
    }
    const termAt = Math.floor(timeoutMs / 2);
    if (!(await settlesWithin(live.ended, termAt))) {
      await this.signalPane(live, 'SIGTERM');
      if (!(await settlesWithin(live.ended, timeoutMs - termAt))) await this.killLive(live, 'stop deadline passed');
    }
    return this.get(record.id);
  }

  async kill(ref: string): Promise<Session> {
    const record = this.resolve(ref);
    const live = this.live.get(record.id);
    if (live) await this.killLive(live, 'kill requested');
    else {
      // An ended session may still have its dead pane on display; kill removes it (from every session it is linked to).
      const pane = await this.findPane(record);
      if (pane) await this.tmux.query(['kill-window', '-t', pane.windowId]);
    }
    return this.get(record.id);
  }

  async resume(ref: string): Promise<Session> {
    const record = this.resolve(ref);
    if (this.live.has(record.id) || isLive(record.state)) {
      throw new AppError('SESSION_ALREADY_RUNNING', `session ${record.id} is ${record.state.replace('_', ' ')}; only a stopped or crashed session can be resumed`);
    }
    const issues = this.semanticIssues(recordAsInput(record));
    if (issues.length) throw issuesError(issues);
    const runtime = RUNTIMES[record.provider];
    const ctx = this.launchContext(record, record.agentSessionId, record.id);
    const resumeArgv = runtime.resumeArgv(ctx);
    const plan: LaunchPlan = { ...this.plan(recordAsInput(record), record.id), agentSessionId: record.agentSessionId };
    if (resumeArgv) plan.argv = resumeArgv;
    // The claim happens before anything is awaited, so a second resume of the same session sees it and is refused.
    if (this.launching.has(record.id) || !this.transition(record.id, 'starting', 'process', { exit: { code: null, signal: null } })) {
      throw new AppError('SESSION_ALREADY_RUNNING', `session ${record.id} is already being resumed`);
    }
    this.launching.add(record.id);
    try {
      this.recordEvent(record.id, 'process', 'resumed', { argv: plan.argv, continued: resumeArgv !== undefined });
      await this.connect();
      await this.unlinking.get(record.id);
      await this.launch(this.store.get(record.id)!, plan, true);
    } catch (error) {
      this.recordEvent(record.id, 'process', 'launch-failed', { error: isAppError(error) ? error.message : String(error) });
      this.transition(record.id, 'crashed', 'process');
      throw error;
    } finally {
      this.launching.delete(record.id);
    }
    return this.get(record.id);
  }

  // ---- input and output ----

  async send(ref: string, text: string, newline: boolean): Promise<{ ok: true; bytes: number }> {
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_SEND_BYTES) {
      throw new AppError('PAYLOAD_TOO_LARGE', `text is ${bytes} bytes, over the ${MAX_SEND_BYTES}-byte limit of one send`, {
        details: { bytes, limit: MAX_SEND_BYTES },
      });
    }
    const record = this.resolve(ref);
    const live = this.requireLive(record);
    this.options.preflight?.(record, 'terminal_input', { text, newline });
    const keys: TmuxKey[] = [];
    // A newline cannot travel inside a control-mode command line, so each one is sent as the key it is (C-j).
    text.replace(/\r\n/g, '\n').split('\n').forEach((part, i) => {
      if (i > 0) keys.push({ key: 'C-j' });
      if (part) keys.push({ literal: part });
    });
    if (newline) keys.push({ key: 'Enter' });
    await this.pressKeys(live, keys);
    this.recordEvent(record.id, 'user', 'input', { bytes, newline, preview: text.length > 200 ? `${text.slice(0, 200)}…` : text });
    return { ok: true, bytes };
  }

  async keys(ref: string, names: string[]): Promise<{ ok: true; keys: number }> {
    const keys = resolveKeys(names);
    const record = this.resolve(ref);
    const live = this.requireLive(record);
    this.options.preflight?.(record, 'terminal_keys', { keys: names.join(' ') });
    await this.pressKeys(live, keys);
    this.recordEvent(record.id, 'user', 'keys', { keys: names });
    return { ok: true, keys: keys.length };
  }

  /**
   * Answers the permission question the agent shows, with the keys its prompt takes (see permissionKeys). Only a
   * session waiting for permission is answered: keys meant for a dialog must not land in a prompt or a busy agent.
   */
  async answerPermission(ref: string, answer: PermissionAnswer): Promise<Session> {
    const record = this.resolve(ref);
    const live = this.requireLive(record);
    if (live.state !== 'needs_permission') {
      throw new AppError('SESSION_NOT_WAITING', `session ${record.id} is ${live.state.replace('_', ' ')}, not waiting for permission; nothing to ${answer}`);
    }
    // One answer per question: a second (a double key press, two clients) would land in whatever the agent shows
    // next. Taken before anything is awaited, so a concurrent call sees it; freed when the agent asks again.
    const previous = live.permissionAnswer;
    if (previous && (Date.now() - previous.at < ANSWER_SETTLE_MS || live.generation === previous.generation)) {
      throw new AppError('SESSION_NOT_WAITING', `session ${record.id}'s permission question was just answered; waiting for the agent`);
    }
    live.permissionAnswer = { at: Date.now(), generation: live.generation };
    try {
      const screen = await this.capture(live.paneId, { ansi: false });
      const keys = live.runtime.permissionKeys(screen, answer);
      if (!keys) {
        throw new AppError('SESSION_NOT_WAITING', `session ${record.id} shows no permission question CodePiper knows how to answer; attach and answer it there`);
      }
      this.options.preflight?.(record, 'terminal_keys', { keys: keys.map((key) => ('literal' in key ? key.literal : key.key)).join(' ') });
      await this.pressKeys(live, keys);
    } catch (error) {
      live.permissionAnswer = previous;
      throw error;
    }
    this.recordEvent(record.id, 'user', 'permission', { answer });
    return this.get(record.id);
  }

  /** The screen now (from tmux, while the pane exists), else the end of the persisted output log. */
  async output(ref: string, options: { ansi: boolean; lines?: number | undefined }): Promise<{ text: string; seq: number; source: 'screen' | 'log' }> {
    const record = this.resolve(ref);
    const live = this.live.get(record.id);
    // An ended session's output is opened once, for both its sequence number and its saved tail.
    const output = live?.output ?? new SessionOutput(this.sessionDir(record.id));
    const seq = output.seq;
    const paneId = live?.paneId ?? (await this.findPane(record))?.paneId;
    if (paneId) {
      try {
        return { text: await this.capture(paneId, options), seq, source: 'screen' };
      } catch (error) {
        if (!(error instanceof TmuxError && error.isMissingTarget)) throw error;
      }
    }
    const tail = output.readPersistedTail(256 * 1024).toString('utf8');
    const plain = options.ansi ? tail : stripAnsi(tail);
    const lines = plain.split(/\r?\n/);
    const keep = (options.lines ?? 0) + record.rows;
    return { text: trimTrailingBlank(lines.slice(-keep)).join('\n'), seq, source: 'log' };
  }

  /** Output chunks from `seq` on still in memory, for a follower that starts from a snapshot. */
  outputSince(ref: string, seq: number): OutputChunk[] {
    const live = this.live.get(this.resolve(ref).id);
    return live ? live.output.since(seq) : [];
  }

  async resize(ref: string, cols: number, rows: number): Promise<Session> {
    const record = this.resolve(ref);
    const live = this.requireLive(record);
    await this.control.command(`resize-window -t ${live.windowId} -x ${cols} -y ${rows}`);
    this.store.setSize(record.id, cols, rows, new Date().toISOString());
    this.recordEvent(record.id, 'user', 'resize', { cols, rows });
    return this.publishSession(record.id);
  }

  rename(ref: string, name: string | null): Session {
    const record = this.resolve(ref);
    const other = name === null ? undefined : this.store.byName(name);
    if (other && other.id !== record.id) throw nameTaken(name!);
    this.store.setName(record.id, name, new Date().toISOString());
    this.recordEvent(record.id, 'user', 'renamed', { from: record.name, to: name });
    return this.publishSession(record.id);
  }

  // ---- hooks ----

  /**
   * A hook event from the agent: recorded, and applied to the state at once (it is fresher than any screen reading).
   * SessionStart also tells where the agent's transcript is and its own session id.
   */
  applyHookEvent(id: string, payload: Record<string, unknown>, options: { deferState?: boolean } = {}): SessionRecord {
    const record = this.resolve(id);
    const event = typeof payload.hook_event_name === 'string' ? payload.hook_event_name : 'unknown';
    const summary: Record<string, unknown> = { event };
    for (const key of ['tool_name', 'notification_type', 'source', 'reason', 'transcript_path', 'session_id'] as const) {
      if (typeof payload[key] === 'string') summary[key] = payload[key];
    }
    this.recordEvent(record.id, 'hook', 'hook', summary);
    if (event === 'SessionStart' && typeof payload.session_id === 'string' && payload.session_id !== record.agentSessionId) {
      this.store.setAgentSessionId(record.id, payload.session_id, new Date().toISOString());
    }
    if (typeof payload.transcript_path === 'string' && payload.transcript_path !== record.transcriptPath) {
      this.store.setTranscriptPath(record.id, payload.transcript_path, new Date().toISOString());
    }
    const state = stateForHook(payload);
    if (state && !options.deferState) this.applyHookState(record.id, state);
    return this.store.get(record.id)!;
  }

  /** A state a hook reported (or implied, once a decision is known), fresher than any screen reading. */
  applyHookState(id: string, state: SessionState): void {
    const live = this.live.get(id);
    if (!live) return;
    live.hookStateAt = Date.now();
    if (live.confirmTimer) clearTimeout(live.confirmTimer);
    // Once the hook's word has aged, the screen is read again: a late hook from an earlier turn, or a state the agent
    // left without a hook, must not stick when no further output comes to trigger a reading.
    live.confirmTimer = setTimeout(() => void this.evaluate(live, false), HOOK_STATE_WINS_MS + 50);
    this.setLiveState(live, state, 'hook');
  }

  /** Records a hook call whose payload could not be read, so that a broken hook setup is visible in the log. */
  recordBadHook(id: string, detail: Record<string, unknown>): void {
    const record = this.store.get(id);
    if (record) this.recordEvent(record.id, 'hook', 'hook-invalid', detail);
  }

  // ---- internals: launching ----

  private semanticIssues(input: Partial<Record<keyof CreateSessionInput, unknown>>): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const provider = typeof input.provider === 'string' ? findProvider(input.provider) : undefined;
    if (typeof input.cwd === 'string') {
      if (!path.isAbsolute(input.cwd)) issues.push({ path: 'cwd', message: `must be an absolute path, got "${input.cwd}"` });
      else {
        let stat: fs.Stats | undefined;
        try {
          stat = fs.statSync(input.cwd);
        } catch {
          issues.push({ path: 'cwd', message: `directory does not exist: ${input.cwd}` });
        }
        if (stat && !stat.isDirectory()) issues.push({ path: 'cwd', message: `not a directory: ${input.cwd}` });
      }
    }
    const env = input.env && typeof input.env === 'object' ? (input.env as Record<string, unknown>) : {};
    const searchPath = typeof env.PATH === 'string' ? env.PATH : this.options.env.PATH;
    if (provider?.binary) {
      const binary = resolveProviderBinary(provider, this.options.env, this.options.config)!;
      if (!binary.path) {
        issues.push({
          path: 'provider',
          message: `${provider.id}: "${binary.command}" was not found${binary.command.includes('/') ? '' : ' on PATH'}; install it, or set ${binary.setting}`,
        });
      }
    } else if (provider?.id === 'command') {
      const args = Array.isArray(input.args) ? input.args : [];
      if (args.length === 0) issues.push({ path: 'args', message: 'provider "command" needs the argv to run in args, e.g. ["bash"]' });
      // A relative path runs from the session's directory, so that is where it is looked for.
      else if (typeof args[0] === 'string' && !findExecutable(args[0].includes('/') && typeof input.cwd === 'string' ? path.resolve(input.cwd, args[0]) : args[0], searchPath)) {
        issues.push({ path: 'args[0]', message: `command not found: ${args[0]}` });
      }
    }
    if (input.billingMode !== undefined && provider && provider.id !== 'claude-code') {
      issues.push({ path: 'billingMode', message: `billingMode applies to claude-code only, not ${provider.id}` });
    }
    if (input.billingMode === 'subscription' && typeof env.ANTHROPIC_API_KEY === 'string') {
      issues.push({ path: 'env.ANTHROPIC_API_KEY', message: 'billingMode "subscription" bills the logged-in plan; remove ANTHROPIC_API_KEY or use billingMode "api"' });
    }
    if (input.billingMode === 'api' && typeof env.ANTHROPIC_API_KEY !== 'string' && !this.options.env.ANTHROPIC_API_KEY) {
      issues.push({ path: 'billingMode', message: 'billingMode "api" needs ANTHROPIC_API_KEY in env (or in the daemon\'s environment)' });
    }
    const holder = typeof input.name === 'string' ? this.store.byName(input.name) : undefined;
    if (holder) issues.push({ path: 'name', message: `name "${input.name}" is already used by session ${holder.id}` });
    return issues;
  }

  private launchContext(input: Pick<SessionRecord, 'provider' | 'args' | 'dangerousMode'>, agentSessionId: string | null, id: string | null): LaunchContext {
    const provider = findProvider(input.provider)!;
    const binary = provider.binary ? resolveProviderBinary(provider, this.options.env, this.options.config)!.path : null;
    const settingsFile = id && provider.capabilities.nativeHooks && this.options.hooks ? this.writeHookOverlay(id) : undefined;
    return { binary, args: input.args, dangerousMode: input.dangerousMode, agentSessionId, settingsFile };
  }

  /** The session's Claude Code settings overlay (rewritten at each launch, so it always names this daemon's hook). */
  private writeHookOverlay(id: string): string {
    const file = path.join(this.sessionDir(id), 'claude-settings.json');
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(claudeSettingsOverlay(this.options.hooks!.command), null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(temporary, file);
    return file;
  }

  /** Where a session's hook overlay lives, and whether it is there. */
  hookOverlay(id: string): { file: string; installed: boolean } {
    const file = path.join(this.sessionDir(id), 'claude-settings.json');
    return { file, installed: fs.existsSync(file) };
  }

  private plan(input: CreateSessionInput, id: string | null): LaunchPlan {
    const runtime = RUNTIMES[input.provider];
    const agentSessionId = runtime.newAgentSessionId?.() ?? null;
    const argv = runtime.launchArgv(this.launchContext(input, agentSessionId, id));
    const env: Record<string, string> = { ...input.env };
    if (id && findProvider(input.provider)!.capabilities.nativeHooks && this.options.hooks) Object.assign(env, this.options.hooks.env);
    if (input.billingMode === 'api' && !env.ANTHROPIC_API_KEY) env.ANTHROPIC_API_KEY = this.options.env.ANTHROPIC_API_KEY!;
    if (id) env.CODEPIPER_SESSION = id;
    return { argv, env, agentSessionId };
  }

  /**
   * Runs the plan in the session's tmux session (created, or its dead pane respawned) and links the window into the
   * control session in the same tmux invocation, so not even the agent's first bytes are missed.
   */
  private async launch(record: SessionRecord, plan: LaunchPlan, resuming: boolean): Promise<void> {
    const envArgs = Object.entries({ ...plan.env }).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    // tmux hands a single-argument command to /bin/sh -c; two or more are executed directly, which is what we want.
    const argv = plan.argv.length === 1 ? ['/bin/sh', '-c', 'exec "$0"', plan.argv[0]!] : plan.argv;
    const command = argv.map(escapeTmuxArg);
    const existing = resuming ? await this.findPane(record) : undefined;
    // -c is expanded as a tmux format: a literal "#" is written "##".
    const cwd = escapeTmuxArg(record.cwd.replace(/#/g, '##'));
    let args: string[];
    if (existing) {
      // Bytes the dead pane's last process wrote after its end must not open the new run's output.
      this.orphanOutput.delete(existing.paneId);
      this.orphanDeaths.delete(existing.paneId);
      args = ['respawn-pane', '-k', '-t', existing.paneId, '-c', cwd, ...envArgs.map(escapeTmuxArg), '--', ...command];
      if (!existing.linked) args.push(THEN, 'link-window', '-d', '-s', existing.windowId, '-t', `=${CONTROL_SESSION}:`);
      args.push(THEN, 'display-message', '-p', '-t', existing.paneId, '#{window_id} #{pane_id}');
    } else {
      args = [
        'new-session', '-d', '-s', record.tmuxSession, '-x', String(record.cols), '-y', String(record.rows), '-c', cwd,
        ...envArgs.map(escapeTmuxArg), '-P', '-F', '#{window_id} #{pane_id}', '--', ...command,
        THEN, 'link-window', '-d', '-s', `=${record.tmuxSession}:`, '-t', `=${CONTROL_SESSION}:`,
      ];
    }
    const ids = await this.tmux.run(args);
    const [windowId, paneId] = ids.trim().split(/\s+/).slice(-2) as [string, string];
    this.register(this.store.get(record.id)!, windowId, paneId);
  }

  private register(record: SessionRecord, windowId: string, paneId: string): Live {
    let markEnded!: () => void;
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    const live: Live = {
      id: record.id,
      paneId,
      windowId,
      runtime: RUNTIMES[record.provider],
      output: new SessionOutput(this.sessionDir(record.id)),
      state: record.state,
      quietTimer: undefined,
      confirmTimer: undefined,
      exitTimer: undefined,
      stopRequested: false,
      killing: false,
      hookStateAt: 0,
      permissionAnswer: undefined,
      captureFailures: 0,
      generation: 0,
      ended,
      markEnded,
    };
    this.live.set(record.id, live);
    this.byPane.set(paneId, record.id);
    this.byWindow.set(windowId, record.id);
    for (const chunk of this.orphanOutput.get(paneId) ?? []) this.onOutput(paneId, chunk);
    this.orphanOutput.delete(paneId);
    // A first look at the screen even if the agent says nothing (a silent command is idle, not starting forever).
    this.scheduleEvaluation(live);
    const death = this.orphanDeaths.get(paneId);
    this.orphanDeaths.delete(paneId);
    if (death) this.onPane(death);
    return live;
  }

  // ---- internals: what tmux tells us ----

  private onOutput(paneId: string, data: Buffer): void {
    const id = this.byPane.get(paneId);
    const live = id === undefined ? undefined : this.live.get(id);
    if (!live) {
      if (paneId === undefined) return;
      const held = this.orphanOutput.get(paneId) ?? [];
      held.push(data);
      let bytes = held.reduce((sum, chunk) => sum + chunk.length, 0);
      while (bytes > ORPHAN_BYTES && held.length > 1) bytes -= held.shift()!.length;
      this.orphanOutput.set(paneId, held);
      return;
    }
    const chunk = live.output.append(data);
    this.options.bus.publish(sessionOutputTopic(live.id), chunk);
    live.generation++;
    const freshHook = Date.now() - live.hookStateAt < HOOK_STATE_WINS_MS;
    if (!freshHook && (live.runtime.busyInStream(data.toString('utf8')) || live.runtime.outputMeansRunning)) this.setLiveState(live, 'running', 'screen');
    this.scheduleEvaluation(live);
  }

  private scheduleEvaluation(live: Live): void {
    if (live.confirmTimer) clearTimeout(live.confirmTimer);
    live.confirmTimer = undefined;
    if (live.quietTimer) live.quietTimer.refresh();
    else live.quietTimer = setTimeout(() => void this.evaluate(live, false), QUIET_MS);
  }

  /** Reads the settled screen and applies what it says; an idle screen is confirmed once more before it counts. */
  private async evaluate(live: Live, confirming: boolean): Promise<void> {
    live.quietTimer = undefined;
    live.confirmTimer = undefined;
    if (this.live.get(live.id) !== live) return;
    const generation = live.generation;
    let screen: string;
    try {
      screen = await this.capture(live.paneId, { ansi: false });
      live.captureFailures = 0;
    } catch {
      // The pane went away (its death is reported separately), or tmux could not answer just now (the control
      // client reconnecting): look again shortly, a few times, so that a session does not stay "running" for want
      // of one more read when no further output comes to trigger it.
      if (this.live.get(live.id) === live && ++live.captureFailures <= CAPTURE_RETRIES && !live.quietTimer) {
        live.quietTimer = setTimeout(() => void this.evaluate(live, confirming), QUIET_MS);
      }
      return;
    }
    if (this.live.get(live.id) !== live || live.generation !== generation) return;
    const record = this.store.get(live.id);
    if (record && !record.agentSessionId && live.runtime.agentSessionIdFromScreen) {
      const agentId = live.runtime.agentSessionIdFromScreen(screen);
      if (agentId) {
        this.store.setAgentSessionId(live.id, agentId, new Date().toISOString());
        this.recordEvent(live.id, 'screen', 'agent-session', { agentSessionId: agentId });
      }
    }
    const seen = live.runtime.stateFromScreen(screen) ?? (live.runtime.outputMeansRunning ? 'idle' : undefined);
    if (!seen) return;
    if (seen === 'idle' && live.state !== 'idle' && !confirming) {
      live.confirmTimer = setTimeout(() => void this.evaluate(live, true), IDLE_CONFIRM_MS);
      return;
    }
    const hookAge = Date.now() - live.hookStateAt;
    if (hookAge < HOOK_STATE_WINS_MS) {
      // The hook's word stands for now; look at the screen again once it has aged, so a state the agent left without
      // a hook (an Esc on a permission box) does not stick.
      live.confirmTimer = setTimeout(() => void this.evaluate(live, true), HOOK_STATE_WINS_MS - hookAge + 50);
      return;
    }
    this.setLiveState(live, seen, 'screen');
  }

  private onPane(death: PaneDeath): void {
    if (!death.dead) return;
    const id = this.byPane.get(death.paneId);
    const live = id === undefined ? undefined : this.live.get(id);
    if (!live) {
      if (!this.byPane.has(death.paneId)) this.orphanDeaths.set(death.paneId, death);
      return;
    }
    const finish = () => this.end(live, stateForExit(death, live.stopRequested), { code: death.status ?? null, signal: death.signal ?? null }, 'exit');
    if (death.status === undefined && death.signal === undefined && !live.exitTimer) {
      // tmux saw the pane's terminal close but has not reaped the process yet (it can miss a SIGCHLD): nudge it, and
      // the status arrives as a fresh subscription change. Without one in time, the session ends with no status.
      this.nudgeServer();
      live.exitTimer = setTimeout(finish, 2000);
      return;
    }
    finish();
  }

  private nudgeServer(): void {
    if (!this.serverPid) return;
    try {
      process.kill(this.serverPid, 'SIGCHLD');
    } catch {
      // the server is gone; the control client's exit reports that
    }
  }

  private onWindowClose(windowId: string): void {
    const id = this.byWindow.get(windowId);
    const live = id === undefined ? undefined : this.live.get(id);
    if (!live) return;
    // Killed from outside (or by us): its processes got SIGHUP; there is no exit status to report.
    const state = live.killing || live.stopRequested ? 'stopped' : 'crashed';
    this.end(live, state, { code: null, signal: null }, live.killing ? 'killed' : 'window-closed');
  }

  private end(live: Live, state: SessionState, exit: { code: number | null; signal: number | null }, why: string): void {
    if (this.live.get(live.id) !== live) return;
    this.clearTimers(live);
    this.live.delete(live.id);
    this.byPane.delete(live.paneId);
    this.byWindow.delete(live.windowId);
    this.orphanOutput.delete(live.paneId);
    // The dead pane stays in the agent's own tmux session (its last screen, for tail and attach); the control session
    // lets go of it, so ended sessions do not pile up there. A resume links it again.
    if (!live.killing) {
      // Whoever is attached goes back to their shell, as they would without remain-on-exit.
      const record = this.store.get(live.id);
      if (record) this.control.command(`detach-client -s ${quoteTmux(`=${record.tmuxSession}`)}`).catch(() => undefined);
      const unlinked = this.control
        .command(`unlink-window -t ${quoteTmux(`${CONTROL_SESSION}:${live.windowId}`)}`)
        .catch(() => undefined)
        .finally(() => this.unlinking.delete(live.id));
      this.unlinking.set(live.id, unlinked);
    }
    this.recordEvent(live.id, 'process', why, { exitCode: exit.code, signal: exit.signal });
    this.transition(live.id, state, 'process', { exit });
    live.markEnded();
  }

  private async onControlExit(reason: string): Promise<void> {
    if (this.closed) return;
    this.options.log.warn(`tmux ${reason}`);
    if (await this.serverGone()) {
      // The server is gone: every agent in it is gone with it.
      for (const live of [...this.live.values()]) this.end(live, live.stopRequested ? 'stopped' : 'crashed', { code: null, signal: null }, 'tmux-server-gone');
      return;
    }
    try {
      await this.connect();
      this.reconnectFailures = 0;
    } catch (error) {
      // The agents still run; they are not given up for dead. Try again, less and less often.
      this.reconnectFailures++;
      const delay = Math.min(30_000, 500 * 2 ** this.reconnectFailures);
      this.options.log.error(`reconnecting to tmux failed; retrying in ${delay / 1000} s`, error);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.onControlExit('reconnect retry');
      }, delay);
    }
  }

  // ---- internals: tmux plumbing ----

  /** Starts the private server if needed, creates the hidden control session, and attaches the control client. */
  private connect(): Promise<void> {
    if (this.control.running && this.connecting === undefined) return Promise.resolve();
    this.connecting ??= (async () => {
      await this.tmux.run([
        'start-server', THEN,
        'set', '-g', 'exit-empty', 'off', THEN,
        'set', '-g', 'remain-on-exit', 'on', THEN,
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
      this.serverPid = Number((await this.tmux.run(['display-message', '-p', '#{pid}'])).trim()) || undefined;
      // Every new connection checks the sessions against what tmux has (after a daemon restart, or a lost client), and
      // links their windows before the client attaches: from its first moment it hears every agent.
      await this.adopt();
      this.control.start();
      await ready;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /**
   * Whether the tmux server has really gone (its agents with it): its process is checked first, and a tmux client
   * that cannot connect is asked again, since a loaded machine can refuse a connection for a moment.
   */
  private async serverGone(): Promise<boolean> {
    if (this.serverPid && isProcessAlive(this.serverPid)) return false;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.serverRunning().catch(() => false)) return false;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return true;
  }

  private async serverRunning(): Promise<boolean> {
    return (await this.tmux.query(['list-sessions', '-F', '#{session_name}'])) !== undefined;
  }

  /**
   * After a daemon restart: sessions recorded as live are matched with their tmux panes. A live pane is watched again
   * (and its window relinked if needed); a dead one ends with its exit status; a missing one has crashed.
   */
  private async adopt(): Promise<void> {
    const watched = new Set(this.live.values());
    let panes = await this.listPanes();
    // A pane tmux knows is dead but whose process it has not reaped yet shows no status: nudge tmux, look again.
    for (let attempt = 0; attempt < 10 && panes.some((pane) => pane.session !== CONTROL_SESSION && pane.dead && pane.status === null && pane.signal === null); attempt++) {
      this.nudgeServer();
      await new Promise((resolve) => setTimeout(resolve, 100));
      panes = await this.listPanes();
    }
    const linked = new Set(panes.filter((pane) => pane.session === CONTROL_SESSION).map((pane) => pane.windowId));
    const links: Array<Promise<unknown>> = [];
    for (const record of this.store.all()) {
      if (!isLive(record.state) || this.launching.has(record.id)) continue;
      // A session registered after the listing was taken is newer than it: nothing to check.
      const live = this.live.get(record.id);
      if (live && !watched.has(live)) continue;
      try {
        const link = this.adoptOne(record, live, panes.find((candidate) => candidate.session === record.tmuxSession), linked);
        if (link) links.push(link);
      } catch (error) {
        this.options.log.error(`adopting session ${record.id} failed`, error);
      }
    }
    await Promise.all(links);
  }

  /** Settles one recorded-live session against tmux's listing; returns the relinking of its window when needed. */
  private adoptOne(record: SessionRecord, live: Live | undefined, pane: PaneListing | undefined, linked: ReadonlySet<string>): Promise<unknown> | undefined {
    if (!pane) {
      if (live) this.end(live, 'crashed', { code: null, signal: null }, 'lost');
      else {
        this.recordEvent(record.id, 'process', 'lost', { reason: 'its tmux session was gone' });
        this.transition(record.id, 'crashed', 'process');
      }
      return undefined;
    }
    if (pane.dead) {
      const exit = { code: pane.status, signal: pane.signal };
      const state = stateForExit({ status: pane.status ?? undefined, signal: pane.signal ?? undefined }, live?.stopRequested ?? false);
      if (live) this.end(live, state, exit, 'exit');
      else {
        this.recordEvent(record.id, 'process', 'exit', { exitCode: pane.status, signal: pane.signal });
        this.transition(record.id, state, 'process', { exit });
      }
      return undefined;
    }
    if (!live) {
      this.register(record, pane.windowId, pane.paneId);
      this.recordEvent(record.id, 'process', 'adopted', { paneId: pane.paneId });
    }
    if (linked.has(pane.windowId)) return undefined;
    return this.tmux.run(['link-window', '-d', '-s', pane.windowId, '-t', `=${CONTROL_SESSION}:`]).catch((error: unknown) => {
      this.options.log.error(`relinking the window of session ${record.id} failed`, error);
    });
  }

  private async listPanes(): Promise<PaneListing[]> {
    let listing: string | undefined;
    for (let attempt = 0; listing === undefined; attempt++) {
      listing = await this.tmux.query(['list-panes', '-a', '-F', '#{session_name}\t#{window_id}\t#{pane_id}\t#{pane_dead}\t#{pane_dead_status}\t#{pane_dead_signal}']);
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
        const [session, windowId, paneId, dead, status, signal] = line.split('\t') as [string, string, string, string, string, string];
        return { session, windowId, paneId, dead: dead === '1', status: status ? Number(status) : null, signal: signal ? Number(signal) : null };
      });
  }

  private async findPane(record: SessionRecord): Promise<{ paneId: string; windowId: string; linked: boolean } | undefined> {
    const out = await this.tmux.query(['list-panes', '-t', `=${record.tmuxSession}:`, '-F', '#{pane_id} #{window_id} #{window_linked_sessions}']);
    const first = out?.split('\n').find(Boolean);
    if (!first) return undefined;
    const [paneId, windowId, sessions] = first.split(' ') as [string, string, string];
    return { paneId, windowId, linked: Number(sessions) > 1 };
  }

  private async capture(paneId: string, options: { ansi: boolean; lines?: number | undefined }): Promise<string> {
    const flags = `${options.ansi ? ' -e' : ''}${options.lines ? ` -S -${options.lines}` : ''}`;
    const command = `capture-pane -p${flags} -t ${paneId}`;
    const lines = this.control.running ? await this.control.command(command) : (await this.tmux.run(command.split(' '))).split('\n');
    return trimTrailingBlank(lines).join('\n');
  }

  private async pressKeys(live: Live, keys: readonly TmuxKey[]): Promise<void> {
    for (const key of keys) {
      const command = 'literal' in key ? `send-keys -t ${live.paneId} -l -- ${quoteTmux(key.literal)}` : `send-keys -t ${live.paneId} ${key.key}`;
      await this.control.command(command);
    }
  }

  private async signalPane(live: Live, signal: NodeJS.Signals): Promise<void> {
    try {
      const [pid] = await this.control.command(`display-message -p -t ${live.paneId} '#{pane_pid}'`);
      if (pid && Number(pid) > 0) process.kill(Number(pid), signal);
    } catch {
      // already gone
    }
  }

  private async killLive(live: Live, reason: string): Promise<void> {
    live.killing = true;
    this.recordEvent(live.id, 'process', 'kill', { reason });
    await this.tmux.query(['kill-window', '-t', live.windowId]);
    // The window-close notification ends the session; if it was already gone, end it here.
    if (!(await settlesWithin(live.ended, 2000))) this.end(live, 'stopped', { code: null, signal: null }, 'killed');
  }

  private requireLive(record: SessionRecord): Live {
    const live = this.live.get(record.id);
    if (!live) {
      throw new AppError('SESSION_NOT_RUNNING', `session ${record.id} is ${record.state.replace('_', ' ')}; resume it first (codepiper resume ${record.id})`);
    }
    return live;
  }

  // ---- internals: state ----

  private setLiveState(live: Live, state: SessionState, source: StateSource): void {
    if (live.state === state) return;
    if (this.transition(live.id, state, source)) live.state = state;
  }

  /** Applies a state change if the state machine allows it: one event row, one push to subscribers. */
  private transition(id: string, to: SessionState, source: StateSource, extra: { exit?: { code: number | null; signal: number | null } } = {}): boolean {
    const record = this.store.get(id);
    if (!record || !canTransition(record.state, to)) return false;
    const at = new Date().toISOString();
    const exit = extra.exit ?? { code: record.exitCode, signal: record.exitSignal };
    this.store.setState(id, to, source, at, exit);
    const live = this.live.get(id);
    if (live) {
      live.state = to;
      live.permissionAnswer = undefined;
    }
    this.recordEvent(id, source, 'state', { from: record.state, to, ...(to === 'stopped' || to === 'crashed' ? { exitCode: exit.code, signal: exit.signal } : {}) }, at);
    this.publishSession(id);
    return true;
  }

  private recordEvent(id: string, source: string, type: string, data: Record<string, unknown>, at = new Date().toISOString()): SessionEvent {
    const event = this.store.addEvent(id, at, source, type, data);
    this.options.bus.publish(sessionEventsTopic(id), event);
    return event;
  }

  private publishSession(id: string): Session {
    const session = toApi(this.store.get(id)!);
    this.options.bus.publish(SESSIONS_TOPIC, session);
    return session;
  }

  private clearTimers(live: Live): void {
    if (live.quietTimer) clearTimeout(live.quietTimer);
    if (live.confirmTimer) clearTimeout(live.confirmTimer);
    if (live.exitTimer) clearTimeout(live.exitTimer);
    live.quietTimer = live.confirmTimer = live.exitTimer = undefined;
  }

  private sessionDir(id: string): string {
    return path.join(this.options.paths.sessionsDir, id);
  }

  private newId(): string {
    for (;;) {
      const id = crypto.randomBytes(4).toString('hex');
      if (!this.store.get(id)) return id;
    }
  }
}

export function toApi(record: SessionRecord): Session {
  return {
    id: record.id,
    name: record.name,
    provider: record.provider,
    cwd: record.cwd,
    args: record.args,
    envKeys: Object.keys(record.env),
    dangerousMode: record.dangerousMode,
    billingMode: record.billingMode,
    cols: record.cols,
    rows: record.rows,
    tmuxSession: record.tmuxSession,
    agentSessionId: record.agentSessionId,
    transcriptPath: record.transcriptPath,
    state: record.state,
    stateSource: record.stateSource,
    stateSince: record.stateSince,
    exitCode: record.exitCode,
    exitSignal: record.exitSignal,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

function recordAsInput(record: SessionRecord): CreateSessionInput {
  return {
    provider: record.provider,
    cwd: record.cwd,
    args: record.args,
    env: record.env,
    dangerousMode: record.dangerousMode,
    cols: record.cols,
    rows: record.rows,
    ...(record.billingMode ? { billingMode: record.billingMode } : {}),
  };
}

function issuesError(issues: ValidationIssue[]): AppError {
  const onlyBinary = issues.length === 1 && issues[0]!.path === 'provider';
  return new AppError(onlyBinary ? 'PROVIDER_BINARY_MISSING' : 'VALIDATION_FAILED', issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '), {
    details: { issues },
  });
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

/**
 * Terminal escape sequences: strings (DCS, SOS, PM, APC, OSC) with their payload, CSI sequences, and the short
 * escapes (charset selection `ESC ( B`, `ESC 7`, `ESC =`, …: ESC, intermediates, one final byte).
 */
const ANSI = /\u001b[PX^_][^\u001b]*(?:\u001b\\)?|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b\[[0-?]*[ -/]*[@-~]|\u001b[ -/]*[0-~]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/\r(?!\n)/g, '\n');
}

function trimTrailingBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  return lines.slice(0, end);
}
