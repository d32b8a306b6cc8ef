import path from 'node:path';
import type Database from 'better-sqlite3';
import type { Session } from './api/sessions';
import { Analytics } from './analytics/analytics';
import type { CodepiperConfig } from './config';
import { openDatabase } from './db/open';
import { EventBus, LIBRARY_TOPIC, SESSIONS_TOPIC } from './events/bus';
import { GitReview } from './git/review';
import { WorktreeTops } from './git/tops';
import { TurnRecorder } from './git/turns';
import { EnvSetService } from './env-sets/service';
import { AppError } from './errors';
import { HookService } from './hooks/service';
import { Library } from './library/library';
import { trashPlace } from './library/trash';
import type { Logger } from './log';
import type { Paths } from './paths';
import { settleByEvidence, settleByPerson } from './policies/outcome';
import { inputPreflight } from './policies/preflight';
import { PolicyService } from './policies/service';
import type { Runner } from './runner/runner';
import { tmuxBinary } from './runner/tmux/binary';
import { LocalTmuxRunner } from './runner/tmux/runner';
import { Search } from './search/search';
import { loadOrCreateSecrets, type Secrets } from './secrets';
import { SessionJournal } from './sessions/journal';
import { LaunchPlanner } from './sessions/launch';
import { LiveSessions } from './sessions/live';
import { SessionManager } from './sessions/manager';
import { ModelControl } from './sessions/model';
import { ImageUploads } from './sessions/uploads';
import { TerminalViewControl } from './sessions/view';
import { sealPlainSessionEnvironments } from './sessions/sealed-env';
import { SessionStore } from './sessions/store';
import { SessionTerminal } from './sessions/terminal';
import { StateWatcher } from './sessions/watcher';
import { SessionWorktrees } from './sessions/worktrees';
import { WorktreeManager } from './git/worktrees';
import { loadPrices } from './transcripts/prices';
import { defaultRoots, TranscriptService } from './transcripts/service';
import { VERSION } from './version';
import { WorkspaceService } from './workspaces/service';
import { AuthService } from './auth/service';
import { createNotify, type NotifyService } from './notify/service';

export interface CoreOptions {
  paths: Paths;
  env: NodeJS.ProcessEnv;
  config: CodepiperConfig;
  log: Logger;
  /** The command Claude Code's hooks run: hook-forward, next to the daemon's own code. */
  hookCommand: string;
  /** Where agents run; the private tmux server on this machine unless given. */
  runner?: Runner;
  /** The umask agents get (the caller's, recorded before the daemon made its own private); the process's when unset. */
  agentUmask?: number | undefined;
}

/** Every service of CodePiper, built once, in dependency order; the daemon only serves it. */
export interface Core {
  version: string;
  startedAt: Date;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  config: CodepiperConfig;
  db: Database.Database;
  bus: EventBus;
  secrets: Secrets;
  runner: Runner;
  sessions: SessionManager;
  /** The git worktrees sessions run in: list, remove, prune. */
  worktrees: SessionWorktrees;
  terminal: SessionTerminal;
  /** Per-session controls: the agent's model, the terminal's view, images handed to the agent. */
  controls: { model: ModelControl; view: TerminalViewControl; images: ImageUploads };
  hooks: HookService;
  policies: PolicyService;
  transcripts: TranscriptService;
  analytics: Analytics;
  search: Search;
  library: Library;
  /** Review: git against each session's worktree. */
  review: GitReview;
  /** Per-turn snapshots of each session's worktree. */
  turns: TurnRecorder;
  envSets: EnvSetService;
  workspaces: WorkspaceService;
  /** Web login, login sessions, API tokens and the auth audit log (used by the --web listener). */
  auth: AuthService;
  /** Notifications: the engine over session state changes, its channels and the delivery log. */
  notify: NotifyService;
  /** Starts indexing every transcript on disk in the background, a slice at a time. */
  scanInBackground(): void;
  /** Closes everything it opened, in reverse order; agents keep running in their runner. */
  close(): void;
}

/**
 * Builds the services: the database, the session engine over its runner (re-adopting what a previous daemon left
 * running), policies and hooks, and the transcript index. Each step that succeeds pushes its own undo; a failure
 * unwinds what was built.
 */
export async function createCore(options: CoreOptions): Promise<Core> {
  const { paths, env, config, log } = options;
  const undo: Array<() => void> = [];
  const close = () => {
    for (const step of undo.splice(0).reverse()) {
      try {
        step();
      } catch (error) {
        log.error('cleanup step failed', error);
      }
    }
  };
  try {
    const db = openDatabase(paths.database);
    undo.push(() => db.close());
    const secrets = loadOrCreateSecrets(paths.secrets);
    // Right after the migrations, which have no key: an inline env an earlier version stored in plain text is sealed.
    sealPlainSessionEnvironments(db, secrets.envKey, log);
    const bus = new EventBus();

    const store = new SessionStore(db);
    const policies = new PolicyService(db, {
      defaultAction: () => config.policies?.defaultAction ?? 'ask',
      sessionExists: (id) => store.get(id) !== undefined,
    });
    const envSets = new EnvSetService(db, () => {
      if (!secrets.envKey) throw new AppError('CONFIG_INVALID', `env values cannot be kept encrypted: ${secrets.envKeyProblem ?? 'there is no env key'}`);
      return secrets.envKey;
    });
    const workspaces = new WorkspaceService(db, { policySet: (ref) => policies.getSet(ref), envSet: (ref) => envSets.get(ref) });
    const runner = options.runner ?? new LocalTmuxRunner({
        binary: tmuxBinary(env, config),
        socketName: paths.tmuxSocketName,
        env,
        log,
        umask: options.agentUmask,
        stagingDir: path.join(paths.home, 'launch'),
      });
    const lives = new LiveSessions();
    const journal = new SessionJournal(store, bus, lives);
    const watcher = new StateWatcher(runner, journal, lives);
    // The secret itself stays out of argv and the agent's environment: hook-forward reads it from the home.
    const hookEnv = { CODEPIPER_SOCKET: paths.socket, CODEPIPER_HOME: paths.home };
    const planner = new LaunchPlanner({ paths, env, config, store, hooks: { command: options.hookCommand, env: hookEnv }, secrets, envSets, workspaces });
    const onCreated = (id: string) => {
      policies.applyDefaultSet(id);
      // A workspace's policy sets apply to every session started from it, with the default set.
      const workspaceId = store.get(id)?.workspaceId;
      if (workspaceId) for (const setId of workspaces.policySetIds(workspaceId)) policies.attachSet(id, setId);
    };
    const gitWorktrees = new WorktreeManager({ root: () => config.worktrees?.root });
    const sessions = new SessionManager({ runner, journal, lives, planner, watcher, paths, log, onCreated, worktrees: gitWorktrees });
    const worktrees = new SessionWorktrees(journal, gitWorktrees, log);
    undo.push(() => sessions.close());
    const terminal = new SessionTerminal({
      runner,
      journal,
      lives,
      paths,
      preflight: inputPreflight(policies),
      onPermissionAnswer: (record, answer, via) => void policies.settleByAnswer(record.id, settleByPerson(answer, via, new Date().toISOString())),
    });
    const controls = {
      model: new ModelControl({ runner, journal, lives, terminal }),
      view: new TerminalViewControl({ runner, journal, lives }),
      images: new ImageUploads({ journal, lives, terminal, paths }),
    };
    const hooks = new HookService({ journal, watcher, planner, policies, secrets, command: options.hookCommand });
    await sessions.start();
    // A worktree removed by hand while the daemon was down is noticed now (and reported by GET /worktrees).
    void worktrees.reportMissing().catch((error: unknown) => log.error('looking at the worktrees of sessions failed', error));

    const transcripts = startTranscripts(db, paths, env, config, bus, log);
    undo.push(() => transcripts.close());
    followManagedTranscripts(transcripts, sessions.list());
    undo.push(bus.subscribe(SESSIONS_TOPIC, (session) => followManagedTranscripts(transcripts, [session])));
    settleEndedQuestions(policies, sessions.list());
    undo.push(bus.subscribe(SESSIONS_TOPIC, (session) => settleEndedQuestions(policies, [session])));
    const tops = new WorktreeTops(env);
    const turns = new TurnRecorder(db, env, log, (dir) => tops.topOf(dir), (id, turn) =>
      journal.record(id, 'git', 'turn', { turn: turn.turn, ref: turn.ref, trigger: turn.trigger, files: turn.files.length, additions: turn.additions, deletions: turn.deletions }),
    );
    undo.push(bus.subscribe(SESSIONS_TOPIC, (session) => turns.observe(session)));
    const review = new GitReview(journal, env, tops, turns);
    // The TOTP secret is sealed with the env key, like env values: a damaged key stops MFA setup and MFA logins only.
    const auth = new AuthService({
      db,
      sealKey: () => {
        if (!secrets.envKey) throw new AppError('CONFIG_INVALID', `the MFA secret cannot be kept encrypted: ${secrets.envKeyProblem ?? 'there is no env key'}`);
        return secrets.envKey;
      },
    });

    const notify = createNotify({ db, bus, log, home: paths.home, env, config, sessions: () => sessions.list(), policies, runner, lives });
    undo.push(() => notify.close());

    return {
      version: VERSION,
      startedAt: new Date(),
      paths,
      env,
      config,
      db,
      bus,
      secrets,
      runner,
      sessions,
      worktrees,
      terminal,
      controls,
      hooks,
      policies,
      transcripts,
      analytics: new Analytics(db),
      search: new Search(db),
      library: new Library(db, transcripts.indexer, () => trashPlace(env, paths.home)),
      review,
      turns,
      envSets,
      workspaces,
      auth,
      notify,
      scanInBackground() {
        if (config.transcripts?.scanOnStart === false) return;
        // In the background, a slice at a time: the daemon answers while it runs (GET /library/scan tells how far).
        setImmediate(() => void transcripts.scan().then((done) => log.info(`transcript scan: ${done.filesDone} files, ${done.filesChanged} changed, ${done.bytesRead} bytes read`)));
      },
      close,
    };
  } catch (error) {
    close();
    throw error;
  }
}

/**
 * The transcript index: prices (the shipped table, the user's prices.json in front), costs recomputed when the prices
 * changed since the index was written, and progress published on the library topic.
 */
function startTranscripts(db: Database.Database, paths: Paths, env: NodeJS.ProcessEnv, config: CodepiperConfig, bus: EventBus, log: Logger): TranscriptService {
  const prices = loadPrices(path.join(paths.home, 'prices.json'));
  const transcripts = new TranscriptService({
    db,
    prices,
    roots: defaultRoots(env, config.transcripts),
    log,
    onProgress: (progress) => bus.publish(LIBRARY_TOPIC, { type: 'scan', ...progress }),
    onIndexed: (file, result) => bus.publish(LIBRARY_TOPIC, { type: 'indexed', file, outcome: result.outcome, bytesRead: result.bytesRead }),
  });
  const stored = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'prices'").get()?.value;
  if (stored !== prices.fingerprint) {
    const changed = transcripts.indexer.repriceAll();
    db.prepare("INSERT INTO meta (key, value) VALUES ('prices', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(prices.fingerprint);
    if (stored !== undefined) log.info(`prices changed: ${changed} usage entries repriced`);
  }
  return transcripts;
}

/** Questions still open when their session ended (while watched, or before this daemon started) were never answered. */
function settleEndedQuestions(policies: PolicyService, sessions: Session[]): void {
  const ended = sessions.filter((session) => session.state === 'stopped' || session.state === 'crashed');
  if (ended.length === 0) return;
  const open = new Set(policies.sessionsWithOpenQuestions());
  for (const session of ended) {
    if (open.has(session.id)) policies.settleOpen(session.id, () => settleByEvidence('session-ended', false, new Date().toISOString()));
  }
}

/** Live sessions whose agent told where its transcript is are tailed; ended ones get a last read and are let go. */
function followManagedTranscripts(transcripts: TranscriptService, sessions: Session[]): void {
  for (const session of sessions) {
    const live = !['stopped', 'crashed'].includes(session.state);
    if (live && session.transcriptPath && session.provider === 'claude-code') transcripts.follow(session.id, session.transcriptPath, 'claude-code');
    else transcripts.unfollow(session.id);
  }
}
