import { Command } from 'commander';
import type { RouteOutput } from '../../core/api';
import { formatKeyValues } from '../../client/format';
import { commandContext } from '../context';
import { examples, HELP_GROUPS, unknownSubcommand } from '../help';
import { print, printJson } from '../output';

type WebStatus = RouteOutput<'web.status'>;

/** `web …`: the daemon's HTTP listener (daemon start --web). */
export function webCommand(): Command {
  return new Command('web')
    .description('the HTTP and WebSocket listener the daemon runs with --web: where it serves, and whether web login is set up')
    .summary('the --web listener: status')
    .helpGroup(HELP_GROUPS.remote)
    .addHelpText('after', examples('codepiper web status', ['serve on this machine only, port 4321', 'codepiper daemon start --detach --web']))
    .allowExcessArguments()
    .action((_options: unknown, command: Command) => {
      if (command.args.length > 0) throw unknownSubcommand(command, command.args[0]!);
      command.outputHelp();
    })
    .addCommand(
      new Command('status')
        .description('the URL the API is served at (under /api), TLS, and whether web login is set up, with the next step')
        .summary('where --web serves, and whether login is set up')
        .addHelpText('after', examples('codepiper web status', ['the URL alone', 'codepiper web status --json | jq -r .url']))
        .option('--json', 'print JSON')
        .action(async (options: { json?: boolean }, command: Command) => {
          const status = await commandContext(command).client().call('web.status');
          if (options.json) return printJson(status);
          print(describeWebStatus(status));
        }),
    );
}

/** What `web status` prints, and what `daemon start --web` says once the daemon answers. */
export function describeWebStatus(status: WebStatus): string {
  if (!status.enabled || status.url === null) {
    return 'not serving HTTP; start the daemon with --web (codepiper daemon start --detach --web), or set web.enabled in config.json';
  }
  const lines = [
    formatKeyValues([
      ['url', `${status.url}/api`],
      ['tls', status.tls ? 'yes' : status.insecureHttp ? 'no (plain HTTP allowed beyond loopback with --insecure-http)' : 'no (loopback only)'],
      ['login', status.setupDone ? `set up${status.mfaEnabled ? ', with a TOTP code' : ', password only (codepiper auth mfa adds a TOTP code)'}` : 'not set up'],
    ]).trimEnd(),
  ];
  if (!status.setupDone) {
    lines.push(
      '',
      'to set up web login:',
      '  on this machine: codepiper auth reset-password',
      '  from a browser or a remote tool: POST /api/auth/setup {password, bootstrapPassword},',
      '  with the one-time bootstrap password that `codepiper auth bootstrap` prints',
    );
  }
  lines.push('for tools: codepiper token create --name NAME --scope read|write|admin (sent as Authorization: Bearer)');
  return lines.join('\n');
}
