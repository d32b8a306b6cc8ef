import { Command } from 'commander';
import { AppError } from '../../core/errors';
import { formatWhen } from '../../client/format';
import { commandContext } from '../context';
import { examples, HELP_GROUPS } from '../help';
import { print, printError, printJson } from '../output';
import { routeNumber, routeOption } from '../route-options';

const WAIT = routeNumber('sessions.setModel', 'timeoutMs');

/** `codepiper model <id> [model]`: the agent's model as last seen, or a switch with the agent's own /model command. */
export function modelCommand(): Command {
  return new Command('model')
    .description(
      "print the model a session's agent uses (from its transcript, its screen or its arguments), or switch it: the agent's own " +
        '/model command is typed into the idle session and the new model is read back from what the agent says',
    )
    .summary("print or switch a session's model")
    .addHelpText(
      'after',
      examples(
        'codepiper model app',
        ['switch to another model once the agent is idle', 'codepiper model app claude-opus-4-1'],
        ['wait up to 15 s for the agent to confirm, as JSON', 'codepiper model app opus --wait 15 --json'],
      ),
    )
    .argument('<id>', 'session id, id prefix or name')
    .argument('[model]', 'the model to switch to')
    .option('--wait <seconds>', `how long to wait for the agent to confirm a switch (at most ${WAIT.max! / 1000})`, routeOption('sessions.setModel', 'timeoutMs', { scale: 1000, unit: 'seconds' }))
    .option('--json', 'print JSON')
    .action(async (ref: string, model: string | undefined, options: { wait?: number; json?: boolean }, command: Command) => {
      const client = commandContext(command).client({ timeoutMs: 35_000 });
      if (model === undefined) {
        if (options.wait !== undefined) throw new AppError('USAGE', '--wait goes with a model to switch to');
        const seen = await client.call('sessions.model', { id: ref });
        if (options.json) return printJson(seen);
        if (!seen.model) return print(`${seen.sessionId}: no model seen yet (the agent has not said, and none was given in its arguments)`);
        const when = seen.seenAt ? `, ${formatWhen(seen.seenAt, Date.now())}` : '';
        return print(`${seen.model} (${seen.source}${when})`);
      }
      const result = await client.call('sessions.setModel', { id: ref, model, ...(options.wait !== undefined ? { timeoutMs: Math.round(options.wait * 1000) } : {}) });
      if (options.json) printJson(result);
      else if (result.confirmed) print(result.message);
      // Typed, but not confirmed: said as an error, and the exit status says it too.
      if (!result.confirmed) {
        if (!options.json) printError(result.message);
        process.exitCode = 1;
      }
    })
    .helpGroup(HELP_GROUPS.sessions);
}
