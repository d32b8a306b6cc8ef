import { Command } from 'commander';
import { AppError, isAppError } from '../../core/errors';
import { commandContext } from '../context';
import { awaitDaemonExit, daemonAnswers, startDetachedDaemon } from '../../client/daemon-process';
import { formatDuration, formatKeyValues, formatStamp } from '../../client/format';
import { print, printJson } from '../output';

export function daemonCommand(): Command {
  const daemon = new Command('daemon').description('start, stop and inspect the background daemon');

  daemon
    .command('start')
    .description('run the daemon in the foreground (Ctrl-C stops it), or in the background with --detach')
    .option('--detach', 'start it in the background, wait until it answers, and return')
    .action(async (options: { detach?: boolean }, command: Command) => {
      const { paths } = commandContext(command);
      if (options.detach) {
        if (await daemonAnswers(paths.socket)) {
          const info = await commandContext(command).client({ autostart: false }).call('daemon.info');
          throw new AppError('DAEMON_ALREADY_RUNNING', `a codepiper daemon is already running (pid ${info.pid}, socket ${info.socket})`);
        }
        await startDetachedDaemon(paths);
        const info = await commandContext(command).client({ autostart: false }).call('daemon.info');
        print(`codepiper daemon started (pid ${info.pid}, socket ${info.socket}, log ${paths.log})`);
        return;
      }
      const { runDaemon } = await import('../../daemon/main');
      await runDaemon(paths);
    });

  daemon
    .command('stop')
    .description('stop the daemon (agents keep running in tmux and are re-adopted by the next daemon)')
    .action(async (_options: unknown, command: Command) => {
      const context = commandContext(command);
      const client = context.client({ autostart: false });
      let pid: number;
      try {
        ({ pid } = await client.call('daemon.shutdown'));
      } catch (error) {
        if (isAppError(error) && error.code === 'DAEMON_NOT_RUNNING') {
          print('codepiper daemon is not running');
          return;
        }
        throw error;
      }
      await awaitDaemonExit(pid, context.paths.socket);
      print(`codepiper daemon stopped (pid ${pid})`);
    });

  daemon
    .command('status')
    .description('say whether the daemon runs, with its pid, socket, version and uptime (exit 3 when it does not)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = commandContext(command);
      try {
        const info = await context.client({ autostart: false }).call('daemon.info');
        if (options.json) printJson({ running: true, ...info });
        else
          print(
            formatKeyValues([
              ['status', 'running'],
              ['pid', String(info.pid)],
              ['socket', info.socket],
              ['home', info.home],
              ['tmux', `-L ${info.tmuxSocket}`],
              ['version', info.version],
              ['started', formatStamp(info.startedAt)],
              ['uptime', formatDuration(info.uptime)],
            ]),
          );
      } catch (error) {
        if (!(isAppError(error) && error.code === 'DAEMON_NOT_RUNNING')) throw error;
        if (options.json) printJson({ running: false, socket: context.paths.socket });
        else print(`codepiper daemon is not running (socket ${context.paths.socket})`);
        process.exitCode = 3;
      }
    });

  return daemon;
}
