import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { RouteOutput } from '../../core/api';
import type { StreamArgs } from '../../core/api/events';
import { streamPath, topicName } from '../../core/api/topics';
import { DEFAULT_PROVIDER } from '../../core/providers';
import { AppError, isAppError } from '../../core/errors';
import { callerEnvironment } from '../../client/caller-env';
import { commandContext, type CommandContext } from '../context';
import { hostPath } from '../remote-commands';
import { formatDuration, formatStamp, formatTable, formatWhen, homeRelative, SHRINK_PATH } from '../../client/format';
import { paintState } from '../../client/colour';
import { colourWanted, paint, print, printJson, terminalColumns } from '../output';
import { routeChoiceOption, routeNumber, routeOption } from '../route-options';
import { examples, HELP_GROUPS } from '../help';
import { attachTerminal } from '../../client/tmux-attach';

type Session = RouteOutput<'sessions.get'>;
type SessionEvent = RouteOutput<'sessions.events'>['events'][number];

/** stop's --timeout is in seconds, the route's timeoutMs in milliseconds. */
const STOP_TIMEOUT = routeNumber('sessions.stop', 'timeoutMs');
const EVENT_LIMIT = routeNumber('sessions.events', 'limit');

/** Every command that creates, lists, watches or drives sessions. */
export function sessionCommands(): Command[] {
  const commands = [
    startCommand(),
    listCommand(),
    attachCommand(),
    sendCommand(),
    keysCommand(),
    permissionCommand('approve', "answer the session's pending permission question with yes (this once)").summary('answer yes to the pending permission question').addHelpText(
      'after',
      examples(['which sessions wait for an answer', 'codepiper sessions --status needs_permission'], 'codepiper approve app'),
    ),
    permissionCommand('deny', "answer the session's pending permission question with no").summary('answer no to the pending permission question').addHelpText(
      'after',
      examples(['which sessions wait for an answer', 'codepiper sessions --status needs_permission'], 'codepiper deny app'),
    ),
    tailCommand(),
    logsCommand(),
    lifecycleCommand('stop', 'stop a session the graceful way (the agent quits itself), killing it after --timeout', 'sessions.stop').addOption(
      new Option('--timeout <seconds>', `how long the agent gets to quit before it is killed (at most ${STOP_TIMEOUT.max! / 1000})`)
        .default(STOP_TIMEOUT.default! / 1000)
        .argParser(routeOption('sessions.stop', 'timeoutMs', { scale: 1000, unit: 'seconds' })),
    ).summary('stop a session gracefully').addHelpText('after', examples('codepiper stop app', ['give a busy agent a minute to finish', 'codepiper stop app --timeout 60'])),
    lifecycleCommand('kill', 'kill a session now (its tmux window and processes)', 'sessions.kill').summary('kill a session now').addHelpText(
      'after',
      examples('codepiper kill app', ['kill every crashed session', 'codepiper sessions --status crashed --json | jq -r ".[].id" | xargs -n1 codepiper kill']),
    ),
    lifecycleCommand('resume', "restart a stopped or crashed session under the same id, continuing the agent's conversation where it can", 'sessions.resume')
      .summary('restart a stopped or crashed session')
      .addHelpText('after', examples('codepiper resume app', ['resume it and go straight back in', 'codepiper resume app && codepiper attach app'])),
    resizeCommand(),
    renameCommand(),
  ];
  return commands.map((command) => command.helpGroup(HELP_GROUPS.sessions));
}

function startCommand(): Command {
  return new Command('start')
    .description(
      'start an agent in a new session and print its id (arguments after -- go to the agent, or are the argv for -p command); ' +
        "the agent starts with this shell's environment (or its allowlist, --clean-env), then --env",
    )
    .summary('start an agent in a new session')
    .addHelpText(
      'after',
      examples(
        ['any terminal program: the argv after --', 'codepiper start -p command -- aider --model sonnet'],
        ['Claude Code on its own branch (cp/fix-login, from origin/main) in its own worktree', 'codepiper start -d ~/src/app --name fix-login --worktree --base origin/main'],
        ["from a workspace's defaults, with one more env set and variable (flags given here win)", 'codepiper start --workspace api --env-set proxy --env DEBUG=1'],
      ),
    )
    .addHelpText(
      'after',
      '\nWith --workspace, what is not given here comes from the workspace: its directory, provider, args and worktree ' +
        'default; its env sets apply before those of --env-set, its policy sets are applied. Flags given here win.\n' +
        'Environment layers, each over the one before: this shell\'s (or --clean-env\'s allowlist), the env sets in order, --env.',
    )
    .addOption(routeChoiceOption('-p, --provider <provider>', `the agent (default: the one provider whose binary is configured, else ${DEFAULT_PROVIDER} when it is found)`, 'sessions.create', 'provider'))
    .option('-d, --dir <dir>', "the working directory (default: the workspace's directory, else the current directory)")
    .option('--name <name>', 'a unique name to refer to the session by')
    .option('--env <KEY=VALUE>', 'an environment variable for the agent, over this shell\'s (repeatable)', collectEnv, {} as Record<string, string>)
    .option('--env-set <set>', 'an env set (name or id) layered over this shell\'s environment, under --env (repeatable; later sets win)', collectList, [] as string[])
    .option('--workspace <workspace>', "start from a workspace's defaults (directory, provider, args, env sets, policy sets); flags given here win")
    .option('--clean-env', "start from an allowlist of this shell's environment (PATH, HOME, USER, SHELL, TERM, LANG, LC_*, TZ, TMPDIR, EDITOR, XDG_*) instead of all of it")
    .option('--dangerous', "skip the agent's own permission prompts (claude --dangerously-skip-permissions, codex --dangerously-bypass-approvals-and-sandbox)")
    .addOption(routeChoiceOption('--billing <mode>', 'claude-code only: bill the logged-in subscription or the API key', 'sessions.create', 'billingMode'))
    .option('--worktree', "run in a new git worktree of -d's repository, on a new branch cp/<name-or-id> (see --branch, --base, --checkout)")
    // As git itself: --branch makes a new branch (git worktree add -b, git switch -c), --checkout takes an existing
    // one (git worktree add <path> <branch>, git switch). Never guessed from whether the name exists: a typo must not
    // silently put an agent on someone's branch. Each implies --worktree.
    .option('--branch <name>', 'the new branch to create for the worktree (default cp/<name-or-id>); fails if it exists (then use --checkout)')
    .option('--base <ref>', "where the new branch starts: any ref or commit, e.g. origin/main (default the repository's HEAD)")
    .option('--checkout <branch>', 'check out this existing branch in the new worktree instead of creating one')
    .option('--json', 'print the session as JSON')
    .argument('[args...]', 'arguments for the agent, or the command to run for -p command')
    .action(async (args: string[], options: { provider?: string; dir?: string; name?: string; env: Record<string, string>; envSet: string[]; workspace?: string; cleanEnv?: boolean; dangerous?: boolean; billing?: 'subscription' | 'api'; worktree?: boolean; branch?: string; base?: string; checkout?: string; json?: boolean }, command: Command) => {
      const inWorktree = Boolean(options.worktree || options.branch || options.base || options.checkout);
      const context = commandContext(command);
      let session: Session;
      try {
        session = await context
          .client()
          .call('sessions.create', {
            ...(options.provider ? { provider: options.provider as 'command' } : {}),
            // With a workspace, its directory unless -d says otherwise.
            ...(options.dir !== undefined || !options.workspace ? { cwd: hostPath(context, options.dir ?? process.cwd(), '-d') } : {}),
            ...(options.workspace ? { workspace: options.workspace } : {}),
            ...(options.envSet.length ? { envSetIds: options.envSet } : {}),
            args,
            env: options.env,
            // This shell's environment is this machine's (its paths, its secrets): a remote daemon's agents start from
            // the daemon's own, with --env and env sets over it.
            ...(context.remote ? {} : { callerEnv: callerEnvironment() }),
            ...(options.cleanEnv ? { cleanEnv: true } : {}),
            ...(options.name ? { name: options.name } : {}),
            ...(options.dangerous ? { dangerousMode: true } : {}),
            ...(options.billing ? { billingMode: options.billing } : {}),
            ...(inWorktree ? { worktree: true } : {}),
            ...(options.branch ? { createBranch: options.branch } : {}),
            ...(options.base ? { baseRef: options.base } : {}),
            ...(options.checkout ? { branch: options.checkout } : {}),
          });
      } catch (error) {
        throw args.length === 0 ? nothingToRunInCliWords(error, options.provider) : error;
      }
      if (options.json) printJson(session);
      else print(session.id);
    });
}

/**
 * A provider that runs the argv it is given got none: the daemon names the field (args), the CLI says where the argv
 * goes on its command line.
 */
function nothingToRunInCliWords(error: unknown, provider: string | undefined): unknown {
  const issues = isAppError(error) && error.code === 'VALIDATION_FAILED' ? (error.details as { issues?: Array<{ path: string; message: string }> } | undefined)?.issues : undefined;
  if (!issues?.some((issue) => issue.path === 'args')) return error;
  const example = `codepiper start -p ${provider ?? '<provider>'} -- bash`;
  const message = issues
    .map((issue) => (issue.path === 'args' ? `nothing to run: give the program and its arguments after --, e.g. ${example}` : `${issue.path}: ${issue.message}`))
    .join('; ');
  return new AppError('VALIDATION_FAILED', message, { details: { issues } });
}

function listCommand(): Command {
  return new Command('sessions')
    .alias('ls')
    .description('list sessions: id, name, provider, state and since when, working directory')
    .summary('list sessions and their states')
    .addHelpText('after', examples('codepiper sessions', ['the ones waiting for a permission answer', 'codepiper sessions --status needs_permission'], ['ls is short for sessions', 'codepiper ls --provider codex --json']))
    .addOption(routeChoiceOption('--provider <provider>', 'only this provider', 'sessions.list', 'provider'))
    .addOption(routeChoiceOption('--status <state>', 'only sessions in this state', 'sessions.list', 'status'))
    .option('--json', 'print JSON')
    .action(async (options: { provider?: string; status?: string; json?: boolean }, command: Command) => {
      const { sessions } = await commandContext(command)
        .client()
        .call('sessions.list', { ...(options.provider ? { provider: options.provider as 'command' } : {}), ...(options.status ? { status: options.status as 'idle' } : {}) });
      if (options.json) return printJson(sessions);
      if (sessions.length === 0) return print('no sessions (start one with: codepiper start -p <provider> -d <dir>)');
      const now = Date.now();
      const home = os.homedir();
      const colour = paint();
      // The branch, only when some session has a worktree: without one there is nothing to say, and no column to pay.
      const branches = sessions.some((s) => s.worktree)
        ? [{ header: 'BRANCH', value: (s: Session) => (s.worktree ? s.worktree.branch + (s.worktree.removedAt ? ' (removed)' : '') : '-'), drop: 1.5, shrink: { min: (cells: readonly string[]) => Math.min(12, Math.max(0, ...cells.map((cell) => cell.length))) } }]
        : [];
      print(
        formatTable(
          sessions,
          [
            { header: 'ID', value: (s) => s.id },
            // Narrow terminals: the directory shortens from the left down to its last part, then PROVIDER, SINCE and
            // NAME go, in that order (the id and the state always stay).
            { header: 'NAME', value: (s) => s.name ?? '-', drop: 3 },
            { header: 'PROVIDER', value: (s) => s.provider, drop: 1 },
            { header: 'STATE', value: (s) => paintState(colour, s.state, describeState(s)) },
            { header: 'SINCE', value: (s) => formatWhen(s.stateSince, now), drop: 2 },
            // BRANCH goes after PROVIDER and before SINCE.
            ...branches,
            { header: 'CWD', value: (s) => homeRelative(s.cwd, home), shrink: SHRINK_PATH },
          ],
          { width: terminalColumns() },
        ),
      );
    });
}

function attachCommand(): Command {
  return new Command('attach')
    .description(
      "attach this terminal to a session's tmux window (detach with C-b d to come back); with --remote, through the daemon's terminal bridge, " +
        'where Ctrl-\\ also detaches at once',
    )
    .summary("attach this terminal to a session's window")
    .addHelpText(
      'after',
      examples(['by name, or by id or a prefix of it', 'codepiper attach app'], 'codepiper attach 3f2a', ['watch a session on another machine', 'codepiper --remote https://build:4321 attach app --readonly']),
    )
    .argument('<id>', 'session id, id prefix or name')
    .option('--readonly', 'watch without typing (tmux attach -r; over --remote, a read-scope token is always read-only)')
    .action(async (ref: string, options: { readonly?: boolean }, command: Command) => {
      if (!process.stdin.isTTY || !process.stdout.isTTY) throw new AppError('USAGE', 'attach needs a terminal (stdin and stdout must be a TTY)');
      const context = commandContext(command);
      const client = context.client();
      const session = await client.call('sessions.get', { id: ref });
      if (session.state === 'stopped' || session.state === 'crashed') {
        throw new AppError('SESSION_NOT_RUNNING', `session ${session.id} is ${session.state}; resume it first (codepiper resume ${session.id})`);
      }
      if (context.remote) {
        // Through the daemon's terminal bridge (a WebSocket); ws loads only here (dist/remote-attach.cjs).
        const { attachRemote } = await import('../../client/remote-attach');
        process.exitCode = await attachRemote({ remote: context.remote, session: session.id, label: session.name ?? session.id, readonly: options.readonly === true });
        return;
      }
      const info = await client.call('daemon.info');
      process.exitCode = attachTerminal({ binary: info.tmuxBinary, socket: info.tmuxSocket }, session.tmuxSession, process.env, { readonly: options.readonly === true }) ?? 1;
    });
}

function sendCommand(): Command {
  return new Command('send')
    .description('type text into a session and press Enter (reads stdin when no text is given)')
    .summary('type text into a session and press Enter')
    .addHelpText(
      'after',
      examples('codepiper send app "run the tests and fix what fails"', ['the text from standard input', 'git diff | codepiper send app'], ['type without pressing Enter', 'codepiper send app --no-newline "draft"']),
    )
    .argument('<id>', 'session id, id prefix or name')
    .argument('[text]', 'the text, typed literally')
    .option('--no-newline', 'do not press Enter after the text')
    .action(async (ref: string, text: string | undefined, options: { newline: boolean }, command: Command) => {
      let body = text;
      if (body === undefined) {
        if (process.stdin.isTTY) throw new AppError('USAGE', 'give the text as an argument, or pipe it on stdin');
        body = (await readStdin()).replace(/\n$/, '');
      }
      await commandContext(command).client().call('sessions.send', { id: ref, text: body, newline: options.newline });
    });
}

function permissionCommand(answer: 'approve' | 'deny', description: string): Command {
  return new Command(answer)
    .description(description)
    .argument('<id>', 'session id, id prefix or name')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const session = await commandContext(command).client().call('sessions.permission', { id: ref, answer, via: 'cli' });
      process.stdout.write(`${answer === 'approve' ? 'approved' : 'denied'}: ${session.name ?? session.id}\n`);
    });
}

function keysCommand(): Command {
  return new Command('keys')
    .description('press keys in a session: enter, esc, tab, shift+tab, up, down, ctrl+c, f1, … or single characters')
    .summary('press keys in a session (enter, esc, ctrl+c, …)')
    .addHelpText('after', examples('codepiper keys app enter', ["pick the agent's option 2", 'codepiper keys app 2 enter'], ['interrupt, twice', 'codepiper keys app esc esc']))
    .argument('<id>', 'session id, id prefix or name')
    .argument('<keys...>', 'key names, pressed in order')
    .action(async (ref: string, keys: string[], _options: unknown, command: Command) => {
      await commandContext(command).client().call('sessions.keys', { id: ref, keys });
    });
}

function tailCommand(): Command {
  return new Command('tail')
    .description("print a session's screen (or its last N lines with scrollback); -f follows the live output until Ctrl-C")
    .summary("print a session's screen, or follow its output")
    .addHelpText('after', examples('codepiper tail app', ['the last 200 lines, scrollback included', 'codepiper tail app -n 200'], ['follow the live output until Ctrl-C', 'codepiper tail -f app']))
    .argument('<id>', 'session id, id prefix or name')
    .option('-n, --lines <n>', 'the last N lines, scrollback included', routeOption('sessions.output', 'lines'))
    .option('-f, --follow', 'keep printing output as it comes')
    .action(async (ref: string, options: { lines?: number; follow?: boolean }, command: Command) => {
      const context = commandContext(command);
      const client = context.client();
      const session = await client.call('sessions.get', { id: ref });
      const ansi = colourWanted();
      const snapshot = await client.call('sessions.output', { id: session.id, ansi, ...(options.lines ? { lines: options.lines } : {}) });
      const lines = snapshot.text.split('\n');
      const shown = options.lines ? lines.slice(-options.lines) : lines;
      if (shown.join('') !== '') print(shown.join('\n'));
      if (!options.follow) return;
      await follow(context, streamPath([topicName('output', session.id)], { since: snapshot.seq }), (event, data) => {
        if (event === 'output') process.stdout.write(Buffer.from(data.data, 'base64'));
      });
    });
}

function logsCommand(): Command {
  return new Command('logs')
    .description("print a session's event log (state changes, input, lifecycle); -f follows new events until Ctrl-C")
    .summary("print or follow a session's event log")
    .addHelpText('after', examples('codepiper logs app', ['the last 20 hook events', 'codepiper logs app --source hook --limit 20'], ['follow new events as JSON lines', 'codepiper logs -f app --json']))
    .argument('<id>', 'session id, id prefix or name')
    .option('-f, --follow', 'keep printing events as they happen')
    .option('--source <source>', 'only events from this source (process, screen, user, hook)')
    .option('--limit <n>', `at most this many of the latest events (up to ${EVENT_LIMIT.max})`, routeOption('sessions.events', 'limit'), EVENT_LIMIT.default)
    .option('--json', 'one JSON object per line')
    .action(async (ref: string, options: { follow?: boolean; source?: string; limit: number; json?: boolean }, command: Command) => {
      const context = commandContext(command);
      const client = context.client();
      const session = await client.call('sessions.get', { id: ref });
      const filter = options.source ? { source: options.source } : {};
      const show = (event: SessionEvent) => print(options.json ? JSON.stringify(event) : formatEvent(event));
      let lastId = 0;
      // When following, the stream is opened before the history is read, and what it brings meanwhile is held back,
      // so that no event falls between the two.
      const held: SessionEvent[] = [];
      let historyShown = false;
      const onEvent = (entry: SessionEvent) => {
        if (options.source && entry.source !== options.source) return;
        if (!historyShown) return void held.push(entry);
        if (entry.id <= lastId) return;
        lastId = entry.id;
        show(entry);
      };
      let stream: Promise<void> | undefined;
      let ready: Promise<void> | undefined;
      if (options.follow) {
        let markReady!: () => void;
        ready = new Promise<void>((resolve) => (markReady = resolve));
        stream = follow(context, streamPath([topicName('events', session.id)]), (event, data) => {
          if (event === 'ready') markReady();
          else if (event === 'event') onEvent(data);
        });
        await Promise.race([ready, stream]);
      }
      const { total } = await client.call('sessions.events', { id: session.id, limit: 1, ...filter });
      const offset = Math.max(0, total - options.limit);
      const { events } = await client.call('sessions.events', { id: session.id, limit: options.limit, offset, ...filter });
      for (const event of events) {
        show(event);
        lastId = event.id;
      }
      historyShown = true;
      for (const entry of held.splice(0)) onEvent(entry);
      await stream;
    });
}

function lifecycleCommand(name: 'stop' | 'kill' | 'resume', description: string, route: 'sessions.stop' | 'sessions.kill' | 'sessions.resume'): Command {
  return new Command(name)
    .description(description)
    .argument('<id>', 'session id, id prefix or name')
    .option('--json', 'print the session as JSON')
    .action(async (ref: string, options: { json?: boolean; timeout?: number }, command: Command) => {
      const client = commandContext(command).client({ timeoutMs: 150_000 });
      const input = route === 'sessions.stop' && options.timeout !== undefined ? { id: ref, timeoutMs: Math.round(options.timeout * 1000) } : { id: ref };
      const session = await client.call(route, input);
      if (options.json) printJson(session);
      else print(`${session.id} ${describeState(session)}`);
    });
}

function resizeCommand(): Command {
  return new Command('resize')
    .description("set a session's window size")
    .addHelpText('after', examples(['200 columns by 50 rows', 'codepiper resize app 200 50'], 'codepiper resize 3f2a 120 40'))
    .argument('<id>', 'session id, id prefix or name')
    .argument('<cols>', 'columns', routeOption('sessions.resize', 'cols'))
    .argument('<rows>', 'rows', routeOption('sessions.resize', 'rows'))
    .action(async (ref: string, cols: number, rows: number, _options: unknown, command: Command) => {
      const session = await commandContext(command).client().call('sessions.resize', { id: ref, cols, rows });
      print(`${session.id} ${session.cols}x${session.rows}`);
    });
}

function renameCommand(): Command {
  return new Command('rename')
    .description('give a session a new unique name ("" clears it)')
    .addHelpText('after', examples(['name a session by its id prefix', 'codepiper rename 3f2a app'], ['clear the name', 'codepiper rename app ""']))
    .argument('<id>', 'session id, id prefix or name')
    .argument('<name>', 'the new name')
    .action(async (ref: string, name: string, _options: unknown, command: Command) => {
      const session = await commandContext(command)
        .client()
        .call('sessions.rename', { id: ref, name: name === '' ? null : name });
      print(`${session.id} ${session.name ?? '(no name)'}`);
    });
}

// ---- helpers ----

/** Follows a stream until Ctrl-C (a clean exit) or until the daemon ends it. */
async function follow(context: CommandContext, path: string, onEvent: (...message: StreamArgs) => void): Promise<void> {
  const stream = context.stream(path, onEvent);
  const stop = () => stream.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await stream.done;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

function describeState(session: Session): string {
  const state = session.state.replace('_', ' ');
  if (session.state === 'crashed' || (session.state === 'stopped' && session.exitCode)) {
    if (session.exitSignal) return `${state} (signal ${session.exitSignal})`;
    if (session.exitCode !== null) return `${state} (exit ${session.exitCode})`;
  }
  return state;
}

function formatEvent(event: SessionEvent): string {
  const time = formatStamp(event.at);
  const data = event.type === 'state' ? `${String(event.data.from)} → ${String(event.data.to)}` : Object.keys(event.data).length ? JSON.stringify(event.data) : '';
  return `${time}  ${event.source.padEnd(7)} ${event.type.padEnd(14)} ${data}`.trimEnd();
}

function collectEnv(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected KEY=VALUE, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

function collectList(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}
