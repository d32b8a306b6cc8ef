import { Command, Option } from 'commander';
import { SCOPES } from '../../core/auth/types';
import { formatStamp, formatTable, formatWhen } from '../../client/format';
import { commandContext } from '../context';
import { examples, HELP_GROUPS } from '../help';
import { print, printJson } from '../output';
import { choiceParser } from '../route-options';

/** `token …`: API tokens for remote tools (Authorization: Bearer cpt_…). */
export function tokenCommand(): Command {
  const token = new Command('token')
    .description('API tokens for remote tools and scripts, sent as Authorization: Bearer cpt_… to the --web listener')
    .summary('API tokens for remote tools')
    .helpGroup(HELP_GROUPS.remote)
    .addHelpText(
      'after',
      examples(
        ['a read-only token for a dashboard, for 30 days', 'codepiper token create --name dash --scope read --expires 30d'],
        'codepiper token list',
        'codepiper token revoke dash',
      ),
    );

  token
    .command('create')
    .description('create a token; it is printed this once (only a hash is kept). read looks, write drives sessions, admin starts programs and changes settings')
    .addHelpText(
      'after',
      examples('codepiper token create --name ci --scope write --expires 30d', ['one that never expires, for a script', 'codepiper token create --name backup --scope read --json']),
    )
    .requiredOption('--name <name>', 'a unique name (letters, digits, ".", "_", "-")')
    .addOption(new Option('--scope <scope>', 'what it may do').choices(SCOPES).argParser(choiceParser(SCOPES)).makeOptionMandatory())
    .option('--expires <lifetime>', 'how long it lives: 30m, 12h, 30d or 8w (default: never)')
    .option('--json', 'print JSON')
    .action(async (options: { name: string; scope: (typeof SCOPES)[number]; expires?: string; json?: boolean }, command: Command) => {
      const made = await commandContext(command)
        .client()
        .call('tokens.create', { name: options.name, scope: options.scope, ...(options.expires !== undefined ? { expiresIn: options.expires } : {}) });
      if (options.json) return printJson(made);
      print(made.token);
      process.stderr.write(`token ${made.name} (${made.scope}${made.expiresAt ? `, expires ${formatStamp(made.expiresAt)}` : ', never expires'}): shown this once; send it as Authorization: Bearer\n`);
    });

  token
    .command('list')
    .alias('ls')
    .description('tokens not revoked: name, scope, prefix, last use, expiry')
    .addHelpText('after', examples('codepiper token list', 'codepiper token list --json'))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { tokens } = await commandContext(command).client().call('tokens.list');
      if (options.json) return printJson(tokens);
      if (tokens.length === 0) return print('no API tokens (create one with: codepiper token create --name ci --scope read)');
      print(
        formatTable(tokens, [
          { header: 'ID', value: (row) => row.id },
          { header: 'NAME', value: (row) => row.name },
          { header: 'SCOPE', value: (row) => row.scope },
          { header: 'PREFIX', value: (row) => `${row.prefix}…` },
          { header: 'LAST USED', value: (row) => (row.lastUsedAt ? formatWhen(row.lastUsedAt) : 'never') },
          { header: 'EXPIRES', value: (row) => (row.expiresAt ? `${formatStamp(row.expiresAt)}${row.expired ? ' (expired)' : ''}` : 'never') },
        ]),
      );
    });

  token
    .command('revoke')
    .alias('rm')
    .description('revoke a token, by id or name: the next request with it is refused')
    .addHelpText('after', examples('codepiper token revoke ci', 'codepiper token revoke tok_3f2a9c1b7e'))
    .argument('<token>', 'token id or name')
    .option('--json', 'print JSON')
    .action(async (ref: string, options: { json?: boolean }, command: Command) => {
      const revoked = await commandContext(command).client().call('tokens.revoke', { id: ref });
      if (options.json) return printJson(revoked);
      print(`revoked ${revoked.id} ${revoked.name}`);
    });
  return token;
}
