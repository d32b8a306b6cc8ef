import { CommanderError } from 'commander';
import { exitCodeFor, EXIT_CODES, isAppError } from '../core/errors';
import { printError } from './output';
import { buildProgram } from './program';

/** The `codepiper` executable: one top-level catch turns every error into one line and an exit code per family. */
export async function main(argv: string[] = process.argv): Promise<void> {
  const program = buildProgram();
  if (argv.length <= 2) {
    // In a terminal, no arguments opens the dashboard; in a pipe or a script, the help says what there is.
    if (!(process.stdin.isTTY && process.stdout.isTTY)) {
      program.outputHelp();
      return;
    }
    argv = [...argv, 'tui'];
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
