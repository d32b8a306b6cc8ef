import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { RouteOutput } from '../../core/api';
import { formatKeyValues, formatTable, homeRelative, SHRINK_PATH } from '../../client/format';
import { commandContext } from '../context';
import { examples, HELP_GROUPS } from '../help';
import { print, printJson, terminalColumns } from '../output';
import { routeChoiceOption } from '../route-options';

type Workspace = RouteOutput<'workspaces.get'>;

/** `workspace …`: named directories with the defaults `codepiper start --workspace NAME` uses. */
export function workspaceCommands(): Command[] {
  return [workspaceCommand()].map((command) => command.helpGroup(HELP_GROUPS.workspaces));
}

interface WorkspaceOptions {
  dir?: string;
  provider?: string;
  envSet?: string[];
  policySet?: string[];
  worktree?: boolean;
  description?: string;
  json?: boolean;
}

function workspaceCommand(): Command {
  const workspace = new Command('workspace')
    .description('named directories with the defaults sessions started from them get: provider, args, env sets, policy sets, worktree')
    .summary('named directories with session defaults')
    .addHelpText(
      'after',
      examples(
        ['a workspace for the api repository, with its secrets and rules', 'codepiper workspace create api -d ~/src/api -p claude-code --env-set openai --policy-set safe'],
        ['start a session there (flags given to start win over its defaults)', 'codepiper start --workspace api'],
        'codepiper workspace list',
      ),
    );
  workspace
    .command('list')
    .description('list workspaces: directory, provider, env sets, policy sets')
    .addHelpText('after', examples('codepiper workspace list', 'codepiper workspace list --json'))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { workspaces } = await commandContext(command).client().call('workspaces.list');
      if (options.json) return printJson(workspaces);
      if (workspaces.length === 0) return print('no workspaces (create one with: codepiper workspace create <name> -d <dir>)');
      const home = os.homedir();
      print(
        formatTable(
          workspaces,
          [
            { header: 'NAME', value: (w) => w.name },
            { header: 'PROVIDER', value: (w) => w.provider ?? '-', drop: 2 },
            { header: 'ENV SETS', value: (w) => w.envSets.map((set) => set.name).join(' ') || '-', drop: 1 },
            { header: 'POLICY SETS', value: (w) => w.policySets.map((set) => set.name).join(' ') || '-', drop: 1 },
            { header: 'DIR', value: (w) => `${homeRelative(w.dir, home)}${w.dirExists ? '' : ' (missing)'}`, shrink: SHRINK_PATH },
          ],
          { width: terminalColumns() },
        ),
      );
    });
  workspace
    .command('show')
    .description('show a workspace and its defaults')
    .addHelpText('after', examples('codepiper workspace show api', 'codepiper workspace show api --json'))
    .argument('<workspace>', 'workspace id or name')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }, command: Command) => {
      const found = await commandContext(command).client().call('workspaces.get', { id: ref });
      if (options.json) return printJson(found);
      printWorkspace(found);
    });
  withWorkspaceOptions(workspace.command('create').description('create a workspace (arguments after -- are its default args for the agent)'), 'workspaces.create')
    .argument('<name>', 'a unique name')
    .argument('[args...]', 'default arguments for the agent, or the argv for -p command')
    .addHelpText(
      'after',
      examples(
        'codepiper workspace create api -d ~/src/api -p claude-code --env-set openai --policy-set safe',
        ['a shell workspace: its default argv after --', 'codepiper workspace create scratch -d /tmp/scratch -p command -- bash -l'],
      ),
    )
    .action(async (name: string, args: string[], options: WorkspaceOptions, command: Command) => {
      const created = await commandContext(command)
        .client()
        .call('workspaces.create', {
          name,
          dir: path.resolve(options.dir ?? process.cwd()),
          args,
          envSetIds: options.envSet ?? [],
          policySetIds: options.policySet ?? [],
          ...(options.provider ? { provider: options.provider as 'command' } : {}),
          ...(options.worktree !== undefined ? { worktree: options.worktree } : {}),
          ...(options.description !== undefined ? { description: options.description } : {}),
        });
      if (options.json) return printJson(created);
      print(`${created.id} ${created.name}`);
    });
  withWorkspaceOptions(
    workspace.command('update').description('change a workspace (only what is given; --env-set and --policy-set replace the lists, args after -- replace the args)'),
    'workspaces.update',
  )
    .argument('<workspace>', 'workspace id or name')
    .argument('[args...]', 'new default arguments (replace the old ones)')
    .option('--name <name>', 'a new name')
    .option('--no-provider', 'clear the default provider')
    .option('--no-env-sets', 'clear the env sets')
    .option('--no-policy-sets', 'clear the policy sets')
    .option('--no-args', 'clear the default args')
    .addHelpText(
      'after',
      examples(
        ['its env sets, replaced', 'codepiper workspace update api --env-set openai --env-set proxy'],
        'codepiper workspace update api -d ~/src/api-v2 --worktree yes',
        ['new default args for the agent', 'codepiper workspace update api -- --model opus'],
      ),
    )
    .action(
      async (
        ref: string,
        args: string[],
        options: Omit<WorkspaceOptions, 'provider'> & { name?: string; provider?: string | false; envSets?: false; policySets?: false; args?: false },
        command: Command,
      ) => {
        const updated = await commandContext(command)
          .client()
          .call('workspaces.update', {
            id: ref,
            ...(options.name !== undefined ? { name: options.name } : {}),
            ...(options.dir !== undefined ? { dir: path.resolve(options.dir) } : {}),
            ...(options.provider === false ? { provider: null } : options.provider ? { provider: options.provider as 'command' } : {}),
            ...(options.envSets === false ? { envSetIds: [] } : options.envSet ? { envSetIds: options.envSet } : {}),
            ...(options.policySets === false ? { policySetIds: [] } : options.policySet ? { policySetIds: options.policySet } : {}),
            ...(options.args === false ? { args: [] } : args.length ? { args } : {}),
            ...(options.worktree !== undefined ? { worktree: options.worktree } : {}),
            ...(options.description !== undefined ? { description: options.description === '' ? null : options.description } : {}),
          });
        if (options.json) return printJson(updated);
        printWorkspace(updated);
      },
    );
  workspace
    .command('rm')
    .alias('delete')
    .description('delete a workspace (not its directory, nor its sets; its sessions keep running)')
    .addHelpText('after', examples('codepiper workspace rm api', 'codepiper workspace rm ws_3f2a9c1b7e'))
    .argument('<workspace>', 'workspace id or name')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const deleted = await commandContext(command).client().call('workspaces.delete', { id: ref });
      print(`deleted ${deleted.id} ${deleted.name}`);
    });
  return workspace;
}

function withWorkspaceOptions(command: Command, route: 'workspaces.create' | 'workspaces.update'): Command {
  return command
    .option('-d, --dir <dir>', route === 'workspaces.create' ? 'its directory (default: the current directory)' : 'a new directory')
    .addOption(routeChoiceOption('-p, --provider <provider>', 'the default agent', 'workspaces.create', 'provider'))
    .option('--env-set <set>', 'an env set its sessions get, in order (repeatable)', collect)
    .option('--policy-set <set>', 'a policy set its sessions get (repeatable)', collect)
    .option('--worktree <yes|no>', 'whether its sessions get their own git worktree by default', parseYesNo)
    .option('--description <text>', 'what the workspace is for')
    .option('--json', 'print the workspace as JSON');
}

function printWorkspace(workspace: Workspace): void {
  print(
    formatKeyValues([
      ['id', workspace.id],
      ['name', workspace.name],
      ['dir', `${workspace.dir}${workspace.dirExists ? '' : ' (missing: sessions cannot start from it until it is back, or updated with --dir)'}`],
      ['provider', workspace.provider ?? '(chosen as for any session)'],
      ['args', workspace.args.length ? JSON.stringify(workspace.args) : '(none)'],
      ['env sets', workspace.envSets.map((set) => set.name).join(', ') || '(none)'],
      ['policy sets', workspace.policySets.map((set) => set.name).join(', ') || '(none)'],
      ['worktree', workspace.worktree ? 'yes' : 'no'],
      ...(workspace.description ? [['description', workspace.description] as const] : []),
    ]),
  );
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseYesNo(value: string): boolean {
  if (/^(yes|true|on|1)$/i.test(value)) return true;
  if (/^(no|false|off|0)$/i.test(value)) return false;
  throw new InvalidArgumentError(`expected yes or no, got "${value}"`);
}
