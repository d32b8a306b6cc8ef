import fs from 'node:fs';
import { Command } from 'commander';
import type { RouteOutput } from '../../core/api';
import { AppError } from '../../core/errors';
import { formatKeyValues, formatTable } from '../../client/format';
import { commandContext } from '../context';
import { parseDotenv } from '../dotenv';
import { examples, HELP_GROUPS } from '../help';
import { print, printJson } from '../output';
import { hiddenPrompt, readStdin } from '../prompt';

type EnvSet = RouteOutput<'envSets.get'>;

/** `env-set …`: named sets of variables for sessions, kept encrypted by the daemon; only names and masks come back. */
export function envSetCommands(): Command[] {
  return [envSetCommand()].map((command) => command.helpGroup(HELP_GROUPS.workspaces));
}

interface ValueOptions {
  fromFile?: string;
  stdin?: boolean;
}

function envSetCommand(): Command {
  const sets = new Command('env-set')
    .description('named sets of environment variables for sessions (start --env-set NAME), encrypted at rest; values are never shown again')
    .summary('named, encrypted sets of environment variables')
    .addHelpText(
      'after',
      examples(
        ['a set from a .env file (the values stay out of your shell history)', 'codepiper env-set create openai --from-file .env.openai'],
        ['one secret typed at a hidden prompt (or piped in)', 'codepiper env-set set openai OPENAI_API_KEY'],
        'codepiper env-set show openai',
      ),
    );
  sets
    .command('list')
    .description('list env sets: names, how many variables, which workspaces use them')
    .addHelpText('after', examples('codepiper env-set list', 'codepiper env-set list --json'))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { envSets } = await commandContext(command).client().call('envSets.list');
      if (options.json) return printJson(envSets);
      if (envSets.length === 0) return print('no env sets (create one with: codepiper env-set create <name> --from-file .env)');
      print(
        formatTable(envSets, [
          { header: 'ID', value: (set) => set.id },
          { header: 'NAME', value: (set) => set.name },
          { header: 'VARIABLES', value: (set) => String(set.variables.length), align: 'right' },
          { header: 'NAMES', value: (set) => set.variables.map((variable) => variable.name).join(' ') || '-' },
          { header: 'WORKSPACES', value: (set) => set.workspaces.join(' ') || '-' },
        ]),
      );
    });
  sets
    .command('show')
    .description('show an env set: its variable names with masked values (the values themselves are never shown)')
    .addHelpText('after', examples('codepiper env-set show openai', 'codepiper env-set show openai --json'))
    .argument('<set>', 'env set id or name')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }, command: Command) => {
      const set = await commandContext(command).client().call('envSets.get', { id: ref });
      if (options.json) return printJson(set);
      printEnvSet(set);
    });
  withValueOptions(
    sets
      .command('create')
      .description('create an env set from KEY=VALUE arguments, a .env file (--from-file) or .env lines on stdin (--stdin)')
      .argument('<name>', 'a unique name')
      .argument('[variables...]', 'KEY=VALUE (visible to other users in the process list while it runs: prefer --from-file or --stdin for secrets)')
      .option('--description <text>', 'what the set is for'),
  )
    .addHelpText(
      'after',
      examples(
        'codepiper env-set create openai --from-file .env.openai',
        ['from a secret manager, through stdin', 'pass show work/openai-env | codepiper env-set create openai --stdin'],
        ['plain settings are fine as arguments', 'codepiper env-set create proxy HTTPS_PROXY=http://127.0.0.1:3128 NO_PROXY=localhost'],
      ),
    )
    .action(async (name: string, args: string[], options: ValueOptions & { description?: string; json?: boolean }, command: Command) => {
      const variables = await gatherVariables(args, options, { promptFor: false });
      const set = await commandContext(command)
        .client()
        .call('envSets.create', { name, variables, ...(options.description !== undefined ? { description: options.description } : {}) });
      if (options.json) return printJson(set);
      print(`${set.id} ${set.name}: ${set.variables.length} variable${set.variables.length === 1 ? '' : 's'}`);
    });
  withValueOptions(
    sets
      .command('set')
      .description('add or change variables of an env set (the others stay): KEY=VALUE, a bare KEY whose value is read from stdin or a hidden prompt, --from-file or --stdin')
      .argument('<set>', 'env set id or name')
      .argument('[variables...]', 'KEY=VALUE, or KEY alone to read its value from stdin (or a hidden prompt at a terminal)'),
  )
    .addHelpText(
      'after',
      examples(
        ['type the value at a hidden prompt', 'codepiper env-set set openai OPENAI_API_KEY'],
        ['pipe it in', 'printf %s "$TOKEN" | codepiper env-set set openai OPENAI_API_KEY'],
        'codepiper env-set set proxy NO_PROXY=localhost,127.0.0.1',
      ),
    )
    .action(async (ref: string, args: string[], options: ValueOptions & { json?: boolean }, command: Command) => {
      const variables = await gatherVariables(args, options, { promptFor: true });
      if (Object.keys(variables).length === 0) throw new AppError('USAGE', 'nothing to set: give KEY=VALUE, KEY (value from stdin), --from-file or --stdin');
      const set = await commandContext(command).client().call('envSets.update', { id: ref, set: variables });
      if (options.json) return printJson(set);
      print(`${set.name}: set ${Object.keys(variables).join(', ')}`);
    });
  sets
    .command('unset')
    .description('remove variables from an env set (the others stay)')
    .addHelpText('after', examples('codepiper env-set unset openai OPENAI_ORG_ID', 'codepiper env-set unset proxy HTTPS_PROXY NO_PROXY'))
    .argument('<set>', 'env set id or name')
    .argument('<names...>', 'variable names')
    .option('--json', 'print the set as JSON')
    .action(async (ref: string, names: string[], options: { json?: boolean }, command: Command) => {
      const set = await commandContext(command).client().call('envSets.update', { id: ref, unset: names });
      if (options.json) return printJson(set);
      print(`${set.name}: unset ${names.join(', ')}`);
    });
  sets
    .command('rename')
    .description('rename an env set, or change its description')
    .addHelpText('after', examples('codepiper env-set rename openai openai-work', ['only the description', 'codepiper env-set rename openai openai --description "work account"']))
    .argument('<set>', 'env set id or name')
    .argument('<name>', 'the new name')
    .option('--description <text>', 'what the set is for ("" clears it)')
    .action(async (ref: string, name: string, options: { description?: string }, command: Command) => {
      const description = options.description === undefined ? {} : { description: options.description === '' ? null : options.description };
      const set = await commandContext(command).client().call('envSets.update', { id: ref, name, ...description });
      print(`${set.id} ${set.name}`);
    });
  sets
    .command('rm')
    .alias('delete')
    .description('delete an env set (refused while a workspace uses it; sessions keep the values they started with)')
    .addHelpText('after', examples('codepiper env-set rm openai', 'codepiper env-set rm env_3f2a9c1b7e'))
    .argument('<set>', 'env set id or name')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const deleted = await commandContext(command).client().call('envSets.delete', { id: ref });
      print(`deleted ${deleted.id} ${deleted.name}`);
    });
  return sets;
}

function withValueOptions(command: Command): Command {
  return command
    .option('--from-file <file>', 'read variables from a .env file (KEY=VALUE lines, # comments, quotes)')
    .option('--stdin', 'read variables as .env lines from standard input')
    .option('--json', 'print the set as JSON');
}

/**
 * The variables a command gives, from every source it names, in order: the file, stdin's .env lines, then the
 * arguments (so an argument wins a name a file also sets). A bare KEY argument (`set` only) takes its value from
 * stdin, or a hidden prompt at a terminal, so a secret need not be in argv or the shell's history.
 */
async function gatherVariables(args: string[], options: ValueOptions, how: { promptFor: boolean }): Promise<Record<string, string>> {
  const bare = args.filter((arg) => !arg.includes('='));
  if (bare.length && !how.promptFor) throw new AppError('USAGE', `expected KEY=VALUE, got "${bare[0]}"`);
  if (bare.length > 1) throw new AppError('USAGE', `one bare KEY at a time reads its value from stdin; got ${bare.join(', ')}`);
  if (bare.length && options.stdin) throw new AppError('USAGE', 'stdin can carry either --stdin\'s .env lines or the value of a bare KEY, not both');
  const variables: Record<string, string> = {};
  if (options.fromFile) {
    let text: string;
    try {
      text = fs.readFileSync(options.fromFile, 'utf8');
    } catch (error) {
      throw new AppError('USAGE', `cannot read ${options.fromFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    Object.assign(variables, parseDotenv(text, options.fromFile));
  }
  if (options.stdin) {
    if (process.stdin.isTTY) throw new AppError('USAGE', '--stdin reads .env lines from a pipe or a file (codepiper env-set ... --stdin < .env)');
    Object.assign(variables, parseDotenv(await readStdin(), 'stdin'));
  }
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq > 0) variables[arg.slice(0, eq)] = arg.slice(eq + 1);
    else if (eq === 0) throw new AppError('USAGE', `expected KEY=VALUE, got "${arg.slice(0, 20)}…" (no name before "=")`);
  }
  const key = bare[0];
  if (key !== undefined) variables[key] = process.stdin.isTTY ? await hiddenPrompt(`value for ${key}: `) : (await readStdin()).replace(/\r?\n$/, '');
  return variables;
}

function printEnvSet(set: EnvSet): void {
  print(
    formatKeyValues([
      ['id', set.id],
      ['name', set.name],
      ...(set.description ? [['description', set.description] as const] : []),
      ['workspaces', set.workspaces.join(', ') || '(none)'],
    ]),
  );
  if (set.variables.length === 0) return print('\nno variables (add some with: codepiper env-set set <set> KEY)');
  print('');
  print(
    formatTable(set.variables, [
      { header: 'NAME', value: (variable) => variable.name },
      { header: 'VALUE', value: (variable) => variable.masked || '(empty)' },
      { header: 'LENGTH', value: (variable) => variable.length },
    ]),
  );
}
