import { Command } from 'commander';
import { commandContext } from '../context';
import { examples, HELP_GROUPS, unknownSubcommand } from '../help';
import { printJson } from '../output';

/** `api …`: the daemon's API as data, for tools that call it over the network. */
export function apiCommand(): Command {
  return new Command('api')
    .description('describe the daemon\'s API for other programs: the OpenAPI document of the routes served with --web')
    .summary("the daemon's API as an OpenAPI document")
    .helpGroup(HELP_GROUPS.setup)
    .addHelpText('after', examples(['save the OpenAPI 3.1 document', 'codepiper api openapi > api.json']))
    .allowExcessArguments()
    .action((_options: unknown, command: Command) => {
      if (command.args.length > 0) throw unknownSubcommand(command, command.args[0]!);
      command.outputHelp();
    })
    .addCommand(openApiCommand());
}

function openApiCommand(): Command {
  return new Command('openapi')
    .description(
      'print the OpenAPI 3.1 document of the routes the network listener serves under /api (the same as GET /api/openapi.json), ' +
        'with the access level of each operation; routes served only on the Unix socket are left out',
    )
    .summary('print the OpenAPI 3.1 document as JSON')
    .addHelpText(
      'after',
      examples(
        ['save it for a client generator or an API browser', 'codepiper api openapi > api.json'],
        ['the paths it describes', "codepiper api openapi | jq '.paths | keys'"],
      ),
    )
    .action(async (_options: unknown, command: Command) => {
      // The daemon generates it from the route table (the CLI bundle carries no zod to do it here).
      printJson(await commandContext(command).client().call('api.openapi'));
    });
}
