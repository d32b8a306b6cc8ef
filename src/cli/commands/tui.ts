import { Command } from 'commander';
import { AppError } from '../../core/errors';
import { commandContext, type CommandContext } from '../context';
import { examples, HELP_GROUPS } from '../help';

/** `codepiper tui`: the full-screen dashboard. Ink and React load only here (dist/tui.mjs, an ES module of its own). */
export function tuiCommand(): Command {
  return new Command('tui')
    .description('open the full-screen dashboard (also what codepiper with no arguments does in a terminal)')
    .summary('open the full-screen dashboard')
    .helpGroup(HELP_GROUPS.sessions)
    .addHelpText('after', examples('codepiper tui', ['the same, in a terminal', 'codepiper'], ['against the daemon of another socket', 'codepiper tui --socket /tmp/other.sock']))
    .action(async (_options: unknown, command: Command) => openDashboard(commandContext(command)));
}

/** Runs the dashboard until the user quits, then ends the process. */
export async function openDashboard(context: Pick<CommandContext, 'paths' | 'remote' | 'client'>): Promise<void> {
  const { paths, remote } = context;
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new AppError('USAGE', 'the dashboard needs a terminal (stdin and stdout must be a TTY); the other commands work without one');
  }
  // The list is asked for (starting the daemon if need be) while the dashboard's code loads, so that its first frame
  // already shows the sessions.
  const initialSessions = context
    .client({ autostart: true })
    .call('sessions.list')
    .then((answer) => answer.sessions);
  initialSessions.catch(() => undefined); // the dashboard meets the same failure and shows it
  const { runTui } = await import('../../tui/main');
  await runTui({ paths, initialSessions, ...(remote ? { remote } : {}) });
  // Requests still in flight (a screen's data, a stream) must not hold the terminal back once the user quit.
  process.exit(process.exitCode ?? 0);
}
