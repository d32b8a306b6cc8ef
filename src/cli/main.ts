import { CommanderError } from 'commander';
import { exitCodeFor, EXIT_CODES, isAppError } from '../core/errors';
import { printError } from './output';
import { buildProgram } from './program';
import { openDashboard } from './commands/tui';
import { contextFor } from './context';

/** The `codepiper` executable: one top-level catch turns every error into one line and an exit code per family. */
export async function main(argv: string[] = process.argv): Promise<void> {
  // A reader that stops early (codepiper --help | head) is not an error: stop writing, quietly, as other tools do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const dashboard = argv.length <= 2 && process.stdin.isTTY && process.stdout.isTTY;
  // In a terminal, no arguments opens the dashboard (without building the whole command line first: its start-up
  // is what a user waits for); in a pipe or a script, the help says what there is.
  const program = dashboard ? undefined : buildProgram();
  if (!program) {
    try {
      // No options here: a remote daemon is named by CODEPIPER_REMOTE / CODEPIPER_TOKEN.
      await openDashboard(contextFor({}));
    } catch (error) {
      printError(isAppError(error) || error instanceof Error ? error.message : String(error));
      process.exitCode = exitCodeFor(error);
    }
    return;
  }
  if (argv.length <= 2) {
    program.outputHelp();
    return;
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_CODES.usage;
      return;
    }
    printError(isAppError(error) || error instanceof Error ? error.message : String(error));
    process.exitCode = exitCodeFor(error);
  }
}

void main();
