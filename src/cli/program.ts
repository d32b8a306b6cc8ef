import { Command } from 'commander';
import { VERSION } from '../core/version';
import { analyticsCommand } from './commands/analytics';
import { completeHelperCommand, completionCommand } from './commands/completion';
import { daemonCommand } from './commands/daemon';
import { doctorCommand } from './commands/doctor';
import { providersCommand } from './commands/providers';
import { hookCommands } from './commands/hooks';
import { libraryCommand } from './commands/library';
import { policyCommands } from './commands/policies';
import { searchCommand } from './commands/search';
import { sessionCommands } from './commands/sessions';
import { tuiCommand } from './commands/tui';
import { printError } from './output';

export function buildProgram(): Command {
  const program = new Command('codepiper')
    .description('Run many AI coding agents at once: a background daemon keeps them in a private tmux server.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--socket <path>', "the daemon's Unix socket (default: $CODEPIPER_SOCKET, else under $XDG_RUNTIME_DIR or $CODEPIPER_HOME)")
    .showSuggestionAfterError()
    .addCommand(daemonCommand())
    .addCommand(doctorCommand())
    .addCommand(providersCommand());
  for (const command of [...sessionCommands(), ...policyCommands(), ...hookCommands(), analyticsCommand(), searchCommand(), libraryCommand(), tuiCommand()]) program.addCommand(command);
  program.addCommand(completionCommand());
  program.addCommand(completeHelperCommand(), { hidden: true });
  applyEverywhere(program);
  return program;
}

/** Our error line and exit codes for commander's own errors too, on every command and subcommand. */
function applyEverywhere(command: Command): void {
  command.exitOverride();
  command.configureOutput({ outputError: (text) => printError(text.replace(/^error: /, '')) });
  command.helpOption('-h, --help', 'show help');
  for (const sub of command.commands) applyEverywhere(sub);
}
