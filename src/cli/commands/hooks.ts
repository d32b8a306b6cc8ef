import { Command } from 'commander';
import { commandContext } from '../context';
import { formatTable, SHRINK_PATH } from '../../client/format';
import { print, printJson, terminalColumns } from '../output';
import { examples, HELP_GROUPS, plumbing } from '../help';

/** `hook-forward` (what agents' hooks run) and `hooks status`. */
export function hookCommands(): Command[] {
  const forward = plumbing(new Command('hook-forward'))
    .description(
      "forward a Claude Code hook event from stdin to the daemon and print its decision (run by the agents' hooks, not by people). " +
        'It reads one hook JSON object on standard input and needs CODEPIPER_SESSION (and the hook secret) in its ' +
        'environment, which sessions set; whatever goes wrong it prints nothing and exits 0, so the agent asks you itself.',
    )
    .addHelpText(
      'after',
      examples(
        ['what the hooks of a session run (see codepiper hooks status)', 'codepiper hook-forward < event.json'],
        ['try it by hand against a running session', `echo '{"hook_event_name":"Notification","message":"hi"}' | CODEPIPER_SESSION=<id> codepiper hook-forward`],
      ),
    )
    .action(async () => {
      // bin/codepiper runs the lean hook bundle directly; this path serves `npm run dev` and help.
      await import('../../hook/forward');
    });
  const hooks = new Command('hooks')
    .description('hooks installed in agent sessions')
    .helpGroup(HELP_GROUPS.policies)
    .addHelpText('after', examples('codepiper hooks status', 'codepiper hooks status --all --json'));
  hooks
    .command('status')
    .description('where hooks are installed: each claude-code session, its settings overlay and the events it registers')
    .addHelpText('after', examples('codepiper hooks status', ['ended sessions too', 'codepiper hooks status --all']))
    .option('--all', 'include ended sessions')
    .option('--json', 'print JSON')
    .action(async (options: { all?: boolean; json?: boolean }, command: Command) => {
      const status = await commandContext(command).client().call('hooks.status', { all: Boolean(options.all) });
      if (options.json) return printJson(status);
      print(`hook command: ${status.command}`);
      if (status.sessions.length === 0) return print('no claude-code sessions with hooks');
      print(
        formatTable(status.sessions, [
          { header: 'SESSION', value: (s) => s.sessionId },
          { header: 'STATE', value: (s) => s.state },
          { header: 'INSTALLED', value: (s) => (s.installed ? 'yes' : 'no') },
          { header: 'EVENTS', value: (s) => String(s.events.length) },
          // Narrow terminals: the settings path shortens from the left down to its file name.
          { header: 'SETTINGS', value: (s) => s.settingsFile, shrink: SHRINK_PATH },
        ], { width: terminalColumns() }),
      );
    });
  return [forward, hooks];
}
