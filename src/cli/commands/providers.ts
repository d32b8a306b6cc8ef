import { Command } from 'commander';
import { commandContext } from '../context';
import { formatTable } from '../../client/format';
import { print, printJson } from '../output';
import { examples, HELP_GROUPS } from '../help';

export function providersCommand(): Command {
  return new Command('providers')
    .description('list the agent providers, their capabilities and where their binaries are')
    .summary('the agent providers and where their binaries are')
    .helpGroup(HELP_GROUPS.setup)
    .addHelpText('after', examples('codepiper providers', ['where the daemon finds each binary, as JSON', 'codepiper providers --json']))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { providers } = await commandContext(command).client().call('providers.list');
      if (options.json) return printJson(providers);
      print(
        formatTable(providers, [
          { header: 'PROVIDER', value: (p) => p.id },
          { header: 'HOOKS', value: (p) => (p.capabilities.nativeHooks ? 'yes' : 'no') },
          { header: 'POLICY', value: (p) => p.capabilities.policyChannel },
          { header: 'RESUME', value: (p) => (p.capabilities.supportsResume ? 'yes' : 'no') },
          {
            header: 'BINARY',
            value: (p) => (!p.binary ? '(the argv you give)' : (p.binary.path ?? `${p.binary.command}: not found (set ${p.binary.setting})`)),
          },
        ]),
      );
    });
}
