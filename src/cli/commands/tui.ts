import { Command } from 'commander';
import { commandContext } from '../context';

/** `codepiper tui`: the full-screen dashboard. Ink and React load only here (dist/tui.mjs, an ES module of its own). */
export function tuiCommand(): Command {
  return new Command('tui').description('open the full-screen dashboard (also what codepiper with no arguments does in a terminal)').action(async (_options: unknown, command: Command) => {
    const { runTui } = await import('../../tui/main');
    await runTui({ paths: commandContext(command).paths });
  });
}
