import os from 'node:os';
import { Command } from 'commander';
import type { RouteOutput } from '../../core/api';
import { formatTable, homeRelative, SHRINK_PATH } from '../../client/format';
import { commandContext } from '../context';
import { examples, HELP_GROUPS, unknownSubcommand } from '../help';
import { print, printJson, terminalColumns } from '../output';

type WorktreeStatus = RouteOutput<'worktrees.list'>['worktrees'][number];
type Removal = RouteOutput<'worktrees.remove'>;

/** `worktree …`: the git worktrees CodePiper made for sessions (codepiper start --worktree). */
export function worktreeCommand(): Command {
  return new Command('worktree')
    .description("the git worktrees of sessions started with --worktree: list them, remove one (never losing work unless --force), prune the clean, merged ones")
    .summary("sessions' git worktrees: list, rm, prune")
    .helpGroup(HELP_GROUPS.review)
    .addHelpText('after', examples('codepiper worktree list', 'codepiper worktree rm fix-login', 'codepiper worktree prune'))
    .allowExcessArguments()
    .action((_options: unknown, command: Command) => {
      if (command.args.length > 0) throw unknownSubcommand(command, command.args[0]!);
      command.outputHelp();
    })
    .addCommand(listCommand())
    .addCommand(removeCommand())
    .addCommand(pruneCommand());
}

function listCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description('every worktree CodePiper made and has not removed: session, branch, uncommitted files, commits ahead of and behind its base, and the ones removed by hand')
    .summary("list sessions' worktrees")
    .addHelpText('after', examples('codepiper worktree list', ['the ones removed by hand, as JSON', 'codepiper worktree list --json | jq ".[] | select(.missing)"']))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { worktrees } = await commandContext(command).client().call('worktrees.list');
      if (options.json) return printJson(worktrees);
      if (worktrees.length === 0) return print('no worktrees (start a session in one with: codepiper start --worktree -d <repository>)');
      const home = os.homedir();
      print(
        formatTable(
          worktrees,
          [
            { header: 'SESSION', value: (w) => w.sessionName ?? w.sessionId },
            // Narrow terminals: the path shortens from the left, then STATE and BASE go.
            { header: 'STATE', value: (w) => w.sessionState.replace('_', ' '), drop: 1 },
            { header: 'BRANCH', value: (w) => w.currentBranch && w.currentBranch !== w.branch ? `${w.branch} (now ${w.currentBranch})` : w.branch },
            { header: 'BASE', value: (w) => w.baseRef, drop: 2 },
            { header: 'CHANGES', value: describeChanges },
            { header: 'AHEAD/BEHIND', value: (w) => (w.ahead === null || w.behind === null ? '-' : `+${w.ahead}/-${w.behind}`) },
            { header: 'PATH', value: (w) => homeRelative(w.path, home), shrink: SHRINK_PATH },
          ],
          { width: terminalColumns() },
        ),
      );
      for (const w of worktrees) {
        if (w.missing) print(`${w.sessionName ?? w.sessionId}: ${w.path} is missing: ${w.missingReason} (codepiper worktree rm ${w.sessionName ?? w.sessionId} forgets it)`);
        else if (w.problem) print(`${w.sessionName ?? w.sessionId}: ${w.problem}`);
      }
    });
}

function describeChanges(w: WorktreeStatus): string {
  if (w.missing) return 'MISSING';
  if (w.changed === null || w.untracked === null) return '?';
  if (w.changed === 0 && w.untracked === 0) return 'clean';
  return [w.changed ? `${w.changed} changed` : '', w.untracked ? `${w.untracked} untracked` : ''].filter(Boolean).join(', ');
}

function removeCommand(): Command {
  return new Command('rm')
    .alias('remove')
    .description(
      "remove an ended session's worktree. Refused while it holds uncommitted files or commits no other branch has (the error lists them); --force removes " +
        'it anyway. The branch is deleted too only when CodePiper created it and it is merged; otherwise it is kept',
    )
    .summary("remove a session's worktree")
    .addHelpText('after', examples('codepiper worktree rm fix-login', ['throw its uncommitted work away', 'codepiper worktree rm fix-login --force']))
    .argument('<id>', 'session id, id prefix or name')
    .option('--force', 'remove it even with uncommitted files or unmerged commits (a branch with unmerged commits is still kept)')
    .option('--json', 'print what was done as JSON')
    .action(async (ref: string, options: { force?: boolean; json?: boolean }, command: Command) => {
      const removed = await commandContext(command).client().call('worktrees.remove', { id: ref, force: options.force === true });
      if (options.json) return printJson(removed);
      print(describeRemoval(removed));
    });
}

function pruneCommand(): Command {
  return new Command('prune')
    .description('remove the worktrees of ended sessions that are clean and merged (and forget the ones removed by hand); says what was kept and why')
    .summary('remove the clean, merged worktrees of ended sessions')
    .addHelpText('after', examples('codepiper worktree prune', ['what it did, as JSON', 'codepiper worktree prune --json']))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const result = await commandContext(command).client().call('worktrees.prune');
      if (options.json) return printJson(result);
      if (result.removed.length === 0 && result.kept.length === 0) return print('no worktrees');
      for (const removed of result.removed) print(describeRemoval(removed));
      for (const kept of result.kept) print(`kept ${kept.path} (${kept.branch}): ${kept.reason}`);
    });
}

function describeRemoval(removed: Removal): string {
  const lost = removed.lost.files.length || removed.lost.commits.length
    ? `; discarded ${removed.lost.files.length} uncommitted file(s)${removed.lost.commits.length ? ` and ${removed.lost.commits.length} commit(s)` : ''}`
    : '';
  return `removed ${removed.path}${removed.wasMissing ? ' (it was already gone)' : ''}; ${removed.branchNote}${lost}`;
}
