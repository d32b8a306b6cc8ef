import { Command } from 'commander';
import type { RouteOutput } from '../../core/api';
import { formatTable, formatWhen } from '../../client/format';
import { commandContext } from '../context';
import { examples, HELP_GROUPS } from '../help';
import { print, printJson } from '../output';

type Delivery = RouteOutput<'notify.log'>['deliveries'][number];

/** `notify …`: notifications (channels in config.json under "notifications"): a test, and the delivery log. */
export function notifyCommand(): Command {
  const notify = new Command('notify')
    .description('notifications: test the channels configured under "notifications" in config.json, and read their delivery log')
    .summary('test notification channels; their delivery log')
    .helpGroup(HELP_GROUPS.setup)
    .addHelpText(
      'after',
      examples(
        ['send a test notification to every channel', 'codepiper notify test'],
        ['only the channel named hook', 'codepiper notify test --channel hook'],
        'codepiper notify log',
      ),
    );

  notify
    .command('test')
    .description('send a test notification to every configured channel (or one), rules and quiet hours aside, and print how each went')
    .addHelpText('after', examples('codepiper notify test', 'codepiper notify test --channel phone --json'))
    .option('--channel <name>', 'only this channel (its name in notifications.channels)')
    .option('--json', 'print JSON')
    .action(async (options: { channel?: string; json?: boolean }, command: Command) => {
      const answer = await commandContext(command)
        .client()
        .call('notify.test', options.channel !== undefined ? { channel: options.channel } : {});
      // A channel that failed makes the command fail, so that a script can check its channels.
      if (answer.results.some((result) => result.outcome === 'failed')) process.exitCode = 1;
      if (options.json) return printJson(answer);
      if (answer.results.length === 0) return print('no channel is enabled (see notifications.channels in config.json)');
      print(deliveryTable(answer.results, false));
    });

  notify
    .command('log')
    .description('the delivery log, newest first: channel, event, outcome, attempts, error')
    .addHelpText('after', examples('codepiper notify log', 'codepiper notify log --channel hook --limit 10', 'codepiper notify log --json'))
    .option('--channel <name>', 'only this channel')
    .option('--limit <n>', 'how many (1-1000, default 50)')
    .option('--json', 'print JSON')
    .action(async (options: { channel?: string; limit?: string; json?: boolean }, command: Command) => {
      const { deliveries } = await commandContext(command)
        .client()
        .call('notify.log', { ...(options.channel !== undefined ? { channel: options.channel } : {}), ...(options.limit !== undefined ? { limit: options.limit } : {}) });
      if (options.json) return printJson(deliveries);
      if (deliveries.length === 0) return print('no notifications delivered yet (try: codepiper notify test)');
      print(deliveryTable(deliveries, true));
    });
  return notify;
}

function deliveryTable(rows: Delivery[], when: boolean): string {
  return formatTable(rows, [
    ...(when ? [{ header: 'WHEN', value: (row: Delivery) => formatWhen(row.at) }] : []),
    { header: 'CHANNEL', value: (row) => `${row.channel} (${row.type})` },
    { header: 'EVENT', value: (row) => `${row.kind}${row.sessionId ? ` ${row.sessionId.slice(0, 8)}` : ''}` },
    { header: 'OUTCOME', value: (row) => row.outcome },
    { header: 'ATTEMPTS', value: (row) => String(row.attempts) },
    { header: 'ERROR', value: (row) => row.error ?? '' },
  ]);
}
