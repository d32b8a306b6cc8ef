import { Command } from 'commander';
import { VERSION } from '../core/version';
import { analyticsCommand } from './commands/analytics';
import { apiCommand } from './commands/api';
import { completeHelperCommand, completionCommand } from './commands/completion';
import { configCommand } from './commands/config';
import { daemonCommand } from './commands/daemon';
import { doctorCommand } from './commands/doctor';
import { gitCommands } from './commands/git';
import { providersCommand } from './commands/providers';
import { hookCommands } from './commands/hooks';
import { libraryCommand } from './commands/library';
import { policyCommands } from './commands/policies';
import { searchCommand } from './commands/search';
import { sessionCommands } from './commands/sessions';
import { tuiCommand } from './commands/tui';
import { envSetCommands } from './commands/env-sets';
import { imageCommand } from './commands/image';
import { modelCommand } from './commands/model';
import { terminalCommand } from './commands/terminal';
import { worktreeCommand } from './commands/worktree';
import { webCommand } from './commands/web';
import { workspaceCommands } from './commands/workspaces';
import { authCommand } from './commands/auth';
import { tokenCommand } from './commands/token';
import { notifyCommand } from './commands/notify';
import { printError } from './output';
import { choiceParser } from './route-options';
import { examples, helpConfiguration, HELP_GROUPS } from './help';
import { commandContext } from './context';
import { refuseRemotely } from './remote-commands';

export function buildProgram(): Command {
  const program = new Command('codepiper')
    .description('Run many AI coding agents at once: a background daemon keeps them in a private tmux server.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--socket <path>', "the daemon's Unix socket (default: $CODEPIPER_SOCKET, else under $XDG_RUNTIME_DIR or $CODEPIPER_HOME)")
    .option('--remote <url>', "run the command against a daemon's --web listener, e.g. https://host:4321 (default: $CODEPIPER_REMOTE)")
    .option('--token <token>', 'the API token (cpt_…) for --remote, from codepiper token create on its host; other users of this machine can read a command line: prefer $CODEPIPER_TOKEN')
    // Not --insecure-http: that is daemon start's (listen without TLS), and a program option would take it from there.
    .option('--allow-http', 'allow --remote http:// to another machine (the token and input cross the network unencrypted)')
    .showSuggestionAfterError()
    .addCommand(daemonCommand())
    .addCommand(doctorCommand())
    .addCommand(providersCommand());
  for (const command of [...sessionCommands(), ...policyCommands(), ...hookCommands(), analyticsCommand(), searchCommand(), libraryCommand(), tuiCommand()]) program.addCommand(command);
  for (const command of [modelCommand(), terminalCommand(), imageCommand()]) program.addCommand(command);
  for (const command of gitCommands()) program.addCommand(command);
  for (const command of [worktreeCommand()]) program.addCommand(command);
  program.addCommand(webCommand());
  for (const command of [...workspaceCommands(), ...envSetCommands()]) program.addCommand(command);
  for (const command of [authCommand(), tokenCommand()]) program.addCommand(command);
  program.addCommand(notifyCommand());
  program.addCommand(completionCommand());
  program.addCommand(configCommand());
  program.addCommand(apiCommand());
  program.addCommand(completeHelperCommand(), { hidden: true });
  // The help command joins the setup group; commands added later keep to their own groups.
  program.commandsGroup(HELP_GROUPS.setup).helpCommand(true).commandsGroup('');
  program.addHelpText(
    'after',
    examples(
      ['start Claude Code on a project, then see every session and its state', 'codepiper start -p claude-code -d ~/src/app'],
      'codepiper sessions',
      ['the full-screen dashboard (also codepiper alone, in a terminal)', 'codepiper tui'],
    ),
  );
  applyEverywhere(program);
  // A command that acts on this machine says so before anything runs, when the commands go to a remote daemon.
  program.hook('preAction', (_program, action) => refuseRemotely(action, commandContext(action)));
  return program;
}

/** Our error line and exit codes for commander's own errors too, on every command and subcommand. */
function applyEverywhere(command: Command): void {
  command.exitOverride();
  // commander's own suggestion ("(Did you mean sessions?)" on a line of its own) in the words of ours.
  command.configureOutput({ outputError: (text) => printError(text.replace(/^error: /, '').replace(/\s*\(Did you mean (.+)\?\)\s*$/, '; did you mean $1?')) });
  command.helpOption('-h, --help', 'show help');
  command.configureHelp(helpConfiguration);
  for (const item of [...command.options, ...command.registeredArguments]) suggestChoices(item);
  for (const sub of command.commands) applyEverywhere(sub);
}

/**
 * Any option or argument with commander's choices() refuses a wrong value with the nearest one suggested, wherever
 * it was declared: the check runs before the parser it had, which still does the rest for a right value.
 */
function suggestChoices(item: { argChoices?: string[] | undefined; parseArg?: (<T>(value: string, previous: T) => T) | undefined }): void {
  const choices = item.argChoices;
  if (!choices) return;
  const check = choiceParser(choices);
  const parse = item.parseArg;
  item.parseArg = <T>(value: string, previous: T): T => {
    check(value);
    return parse ? parse(value, previous) : (value as T);
  };
}
