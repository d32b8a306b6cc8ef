import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { AppError } from '../../core/errors';
import { commandContext } from '../context';
import { examples, HELP_GROUPS } from '../help';
import { print, printJson } from '../output';

/** `codepiper image <id> FILE`: hands an image to the agent (stored in the session's upload folder, its path typed). */
export function imageCommand(): Command {
  return new Command('image')
    .description(
      "give a session's agent an image (PNG, JPEG, GIF or WebP, by its bytes): it is stored in the session's own upload folder " +
        "and its path is typed into the agent's input without Enter, for the prompt around it",
    )
    .summary("give a session's agent an image")
    .addHelpText(
      'after',
      examples(
        ['type the stored path into the prompt, then say what to do with it', 'codepiper image app screenshot.png && codepiper send app "what is wrong in this screenshot?"'],
        ['only store it, and print where', 'codepiper image app mockup.jpg --no-type'],
      ),
    )
    .argument('<id>', 'session id, id prefix or name')
    .argument('<file>', 'the image file')
    .option('--no-type', "store the image without typing its path into the agent's input")
    .option('--json', 'print JSON')
    .action(async (ref: string, file: string, options: { type: boolean; json?: boolean }, command: Command) => {
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file);
      } catch (error) {
        throw new AppError('USAGE', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      const stored = await commandContext(command)
        .client()
        .call('sessions.uploadImage', { id: ref, name: path.basename(file), dataBase64: bytes.toString('base64'), typePath: options.type });
      if (options.json) return printJson(stored);
      print(stored.typed ? `${stored.path} (typed into ${stored.sessionId}'s input)` : stored.path);
    })
    .helpGroup(HELP_GROUPS.sessions);
}
