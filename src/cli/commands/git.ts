import { Command, Option } from 'commander';
import type { ChalkInstance } from 'chalk';
import type { RouteOutput } from '../../core/api';
import { AppError } from '../../core/errors';
import type { Client } from '../../client/client';
import { formatTable, formatWhen, printable } from '../../client/format';
import { commandContext } from '../context';
import { examples, HELP_GROUPS } from '../help';
import { paint, print, printJson, terminalColumns } from '../output';
import { routeNumber, routeOption } from '../route-options';

type Status = RouteOutput<'git.status'>;
type DiffStat = RouteOutput<'git.diffStat'>;

const ACTIONS = ['status', 'log', 'branches', 'diff', 'stage', 'unstage', 'commit', 'checkout', 'discard', 'turns'] as const;
type Action = (typeof ACTIONS)[number];
const LOG_LIMIT = routeNumber('git.log', 'limit');

interface GitOptions {
  stat?: boolean;
  staged?: boolean;
  turn?: number;
  message?: string;
  all?: boolean;
  b?: boolean;
  limit?: number;
  json?: boolean;
}

/**
 * `git <id> <action>`, `diff <id> [path]` and `turns <id>`: review of what a session changed, against its worktree.
 * Colour (diff lines green and red, like git) only when standard output is a terminal; `--json` prints the daemon's
 * answers as they are.
 */
export function gitCommands(): Command[] {
  return [gitCommand(), diffCommand(), turnsCommand()];
}

function turnOption(): Option {
  return new Option('--turn <n>', "what that turn of the agent changed (see codepiper turns)").argParser(routeOption('git.diff', 'turn'));
}

function gitCommand(): Command {
  return new Command('git')
    .description(
      "review and change a session's worktree: status, log, branches, diff [path] [--stat] [--staged] [--turn N], stage <paths...>, " +
        'unstage <paths...>, commit -m MSG [--all], checkout <ref> [-b], discard <paths...> (throws the unstaged change away), turns',
    )
    .summary("a session's git: status, diff, stage, commit, checkout")
    .helpGroup(HELP_GROUPS.review)
    .addHelpText(
      'after',
      examples(
        ['what the agent changed, coloured, then stage and commit it', 'codepiper git app diff'],
        'codepiper git app stage src/db.ts && codepiper git app commit -m "Fix the pool"',
        ['what turn 2 changed, file by file', 'codepiper git app diff --stat --turn 2'],
      ),
    )
    .argument('<id>', 'session id, unique id prefix, or name')
    .argument('<action>', ACTIONS.join('|'))
    .argument('[args...]', 'paths (diff, stage, unstage, discard) or the ref (checkout)')
    .option('--stat', 'diff: lines added and deleted per file instead of the diff')
    .option('--staged', 'diff: the index against HEAD instead of the worktree against the index')
    .addOption(turnOption())
    .option('-m, --message <text>', 'commit: the commit message')
    .option('--all', 'commit: stage changes to tracked files first')
    .option('-b', 'checkout: create the branch at HEAD')
    .option('--limit <n>', `log: how many commits (at most ${LOG_LIMIT.max})`, routeOption('git.log', 'limit'), LOG_LIMIT.default)
    .option('--json', "print the daemon's answer as JSON")
    .action(async (id: string, action: string, args: string[], options: GitOptions, command: Command) => {
      if (!(ACTIONS as readonly string[]).includes(action)) {
        throw new AppError('USAGE', `unknown git action "${action}": one of ${ACTIONS.join(', ')}`);
      }
      await runAction(commandContext(command).client(), id, action as Action, args, options);
    });
}

function diffCommand(): Command {
  return new Command('diff')
    .description("what a session changed: its worktree against the index (--staged: the index against HEAD; --turn N: one turn of the agent), coloured on a terminal")
    .summary("a session's diff (short for git <id> diff)")
    .helpGroup(HELP_GROUPS.review)
    .addHelpText('after', examples('codepiper diff app', ['one file, what turn 3 changed', 'codepiper diff app src/db.ts --turn 3'], 'codepiper diff app --stat --json'))
    .argument('<id>', 'session id, unique id prefix, or name')
    .argument('[path]', 'only this file (relative to the worktree top)')
    .option('--stat', 'lines added and deleted per file instead of the diff')
    .option('--staged', 'the index against HEAD instead of the worktree against the index')
    .addOption(turnOption())
    .option('--json', "print the daemon's answer as JSON")
    .action(async (id: string, file: string | undefined, options: GitOptions, command: Command) => {
      await runAction(commandContext(command).client(), id, 'diff', file ? [file] : [], options);
    });
}

function turnsCommand(): Command {
  return new Command('turns')
    .description("the agent's turns that changed files (recorded when each ended: Stop hook, or idle after running), with what each changed")
    .summary("a session's turns and the files each changed")
    .helpGroup(HELP_GROUPS.review)
    .addHelpText('after', examples('codepiper turns app', ['then what one of them changed', 'codepiper diff app --turn 2'], 'codepiper turns app --json'))
    .argument('<id>', 'session id, unique id prefix, or name')
    .option('--json', "print the daemon's answer as JSON")
    .action(async (id: string, options: GitOptions, command: Command) => {
      await runAction(commandContext(command).client(), id, 'turns', [], options);
    });
}

/** Refuses the options that mean nothing to this action, so a mistyped command never does something else quietly. */
function onlyOptions(action: Action, options: GitOptions, allowed: Array<keyof GitOptions>): void {
  const names: Record<string, string> = { stat: '--stat', staged: '--staged', turn: '--turn', message: '--message', all: '--all', b: '-b' };
  for (const [key, flag] of Object.entries(names)) {
    if (options[key as keyof GitOptions] !== undefined && !allowed.includes(key as keyof GitOptions)) {
      throw new AppError('USAGE', `${flag} does not apply to git ${action}`);
    }
  }
}

async function runAction(client: Client, id: string, action: Action, args: string[], options: GitOptions): Promise<void> {
  const needPaths = () => {
    if (args.length === 0) throw new AppError('USAGE', `git ${action} needs at least one path`);
    return args;
  };
  const noArgs = () => {
    if (args.length) throw new AppError('USAGE', `git ${action} takes no argument (got ${args.join(' ')})`);
  };
  switch (action) {
    case 'status': {
      onlyOptions(action, options, []);
      noArgs();
      const status = await client.call('git.status', { id });
      return options.json ? printJson(status) : print(formatStatus(status, paint()));
    }
    case 'log': {
      onlyOptions(action, options, []);
      if (args.length > 1) throw new AppError('USAGE', 'git log takes at most one path');
      const log = await client.call('git.log', { id, limit: options.limit, ...(args[0] ? { path: args[0] } : {}) });
      if (options.json) return printJson(log);
      if (log.commits.length === 0) return print('no commits');
      const p = paint();
      return print(log.commits.map((c) => `${p ? p.yellow(c.shortHash) : c.shortHash}  ${formatWhen(c.date)}  ${printable(c.author)}  ${printable(c.subject)}`).join('\n'));
    }
    case 'branches': {
      onlyOptions(action, options, []);
      noArgs();
      const answer = await client.call('git.branches', { id });
      if (options.json) return printJson(answer);
      const p = paint();
      return print(
        answer.branches
          .map((b) => {
            const name = b.current ? `* ${p ? p.green(b.name) : b.name}` : `  ${b.name}`;
            return `${name}  ${b.commit.slice(0, 7)}${b.checkedOutElsewhere ? '  (checked out in another worktree)' : ''}`;
          })
          .join('\n') || 'no branches',
      );
    }
    case 'diff': {
      onlyOptions(action, options, ['stat', 'staged', 'turn']);
      if (args.length > 1) throw new AppError('USAGE', 'git diff takes at most one path');
      const which = { ...(options.staged ? { staged: true } : {}), ...(options.turn !== undefined ? { turn: options.turn } : {}) };
      if (options.stat) {
        if (args.length) throw new AppError('USAGE', '--stat covers every file; leave the path out');
        const stat = await client.call('git.diffStat', { id, ...which });
        return options.json ? printJson(stat) : print(formatDiffStat(stat, paint()));
      }
      return printDiff(client, id, args[0], which, options.json === true);
    }
    case 'stage':
    case 'unstage':
    case 'discard': {
      onlyOptions(action, options, []);
      const paths = needPaths();
      const route = action === 'stage' ? 'git.stage' : action === 'unstage' ? 'git.unstage' : 'git.discard';
      const status = await client.call(route, { id, paths });
      if (options.json) return printJson(status);
      const done = action === 'stage' ? 'staged' : action === 'unstage' ? 'unstaged' : 'discarded the unstaged changes of';
      return print(`${done} ${paths.join(', ')}\n\n${formatStatus(status, paint())}`);
    }
    case 'commit': {
      onlyOptions(action, options, ['message', 'all']);
      noArgs();
      if (!options.message?.trim()) throw new AppError('USAGE', 'git commit needs a message: -m "what and why"');
      const answer = await client.call('git.commit', { id, message: options.message, all: options.all === true });
      if (options.json) return printJson(answer);
      return print(`[${answer.status.branch ?? 'detached HEAD'} ${answer.commit.shortHash}] ${printable(answer.commit.subject)}`);
    }
    case 'checkout': {
      onlyOptions(action, options, ['b']);
      if (args.length !== 1) throw new AppError('USAGE', 'git checkout needs exactly one ref (a branch, tag or commit)');
      const status = await client.call('git.checkout', { id, ref: args[0]!, create: options.b === true });
      if (options.json) return printJson(status);
      return print(status.branch ? `on branch ${status.branch}` : `HEAD detached at ${status.head?.slice(0, 7) ?? '?'}`);
    }
    case 'turns': {
      onlyOptions(action, options, []);
      noArgs();
      const answer = await client.call('sessions.turns', { id });
      if (options.json) return printJson(answer);
      if (answer.turns.length === 0) return print('no turn with changes recorded yet');
      const p = paint();
      return print(
        formatTable(
          answer.turns,
          [
            { header: 'TURN', value: (t) => String(t.turn), align: 'right' },
            { header: 'ENDED', value: (t) => formatWhen(t.at) },
            { header: 'BY', value: (t) => t.trigger },
            { header: '+', value: (t) => (p ? p.green(`+${t.additions}`) : `+${t.additions}`), align: 'right' },
            { header: '-', value: (t) => (p ? p.red(`-${t.deletions}`) : `-${t.deletions}`), align: 'right' },
            { header: 'FILES', value: (t) => t.files.map((f) => printable(f.path)).join(', ') },
          ],
          { width: terminalColumns() },
        ),
      );
    }
  }
}

/** The whole diff, page after page; on a terminal each line in git's colours. */
async function printDiff(client: Client, id: string, path: string | undefined, which: { staged?: boolean; turn?: number }, json: boolean): Promise<void> {
  let offset = 0;
  const p = json ? undefined : paint();
  const binary = new Set<string>();
  for (;;) {
    const page = await client.call('git.diff', { id, ...which, ...(path ? { path } : {}), offset });
    if (json) {
      printJson(page);
      return;
    }
    for (const file of page.binaryFiles) binary.add(file);
    if (page.text) process.stdout.write(colourDiff(page.text, p));
    if (!page.truncated || page.nextOffset === null) break;
    offset = page.nextOffset;
  }
  if (binary.size) print(`binary: ${[...binary].join(', ')}`);
  if (offset === 0 && binary.size === 0 && process.stdout.isTTY) {
    // An empty diff says so on a terminal rather than printing nothing.
    const stat = await client.call('git.diffStat', { id, ...which });
    if (stat.files.length === 0) print('no changes');
  }
}

/** Diff text with git's colours: headers bold, hunks cyan, additions green, deletions red. */
export function colourDiff(text: string, p: ChalkInstance | undefined): string {
  if (!p) return text;
  return text
    .split('\n')
    .map((line) => {
      if (/^(diff --git|index |--- |\+\+\+ |new file|deleted file|rename |similarity |old mode|new mode)/.test(line)) return p.bold(line);
      if (line.startsWith('@@')) return p.cyan(line);
      if (line.startsWith('+')) return p.green(line);
      if (line.startsWith('-')) return p.red(line);
      return line;
    })
    .join('\n');
}

export function formatDiffStat(stat: DiffStat, p: ChalkInstance | undefined): string {
  if (stat.files.length === 0) return 'no changes';
  const green = (text: string) => (p ? p.green(text) : text);
  const red = (text: string) => (p ? p.red(text) : text);
  const table = formatTable(
    stat.files,
    [
      { header: 'FILE', value: (f) => printable(f.from ? `${f.from} → ${f.path}` : f.path) },
      { header: '+', value: (f) => (f.binary ? 'bin' : green(`+${f.additions}`)), align: 'right' },
      { header: '-', value: (f) => (f.binary ? '' : red(`-${f.deletions}`)), align: 'right' },
    ],
    { width: terminalColumns() },
  );
  const files = `${stat.files.length} ${stat.files.length === 1 ? 'file' : 'files'} changed`;
  return `${table}\n${files}, ${green(`+${stat.additions}`)} ${red(`-${stat.deletions}`)}`;
}

export function formatStatus(status: Status, p: ChalkInstance | undefined): string {
  const lines: string[] = [];
  const where = status.branch ? `on branch ${status.branch}` : `HEAD detached at ${status.head?.slice(0, 7) ?? '(no commit)'}`;
  const track = status.upstream ? ` (${status.upstream}: ${status.ahead} ahead, ${status.behind} behind)` : '';
  lines.push(`${where}${track}  ${status.root}`);
  if (status.clean) {
    lines.push('clean: nothing to commit');
    return lines.join('\n');
  }
  const named = (f: Status['files'][number]) => printable(f.from ? `${f.from} → ${f.path}` : f.path);
  const section = (title: string, files: Status['files'], letter: (f: Status['files'][number]) => string, colour: (text: string) => string) => {
    if (!files.length) return;
    lines.push('', title);
    for (const file of files) lines.push(`  ${colour(`${letter(file)} ${named(file)}`)}${file.conflicted ? '  (conflict)' : ''}`);
  };
  const green = (text: string) => (p ? p.green(text) : text);
  const red = (text: string) => (p ? p.red(text) : text);
  section('staged:', status.files.filter((f) => f.staged), (f) => f.index, green);
  section('not staged:', status.files.filter((f) => f.unstaged && !f.untracked), (f) => f.worktree, red);
  section('untracked:', status.files.filter((f) => f.untracked), () => '?', red);
  return lines.join('\n');
}
