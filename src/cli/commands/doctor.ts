import { Command } from 'commander';
import { commandContext } from '../context';
import { daemonAnswers } from '../../client/daemon-process';
import { formatTable } from '../../client/format';
import { paintCheck } from '../../client/colour';
import { paint, print, printJson } from '../output';
import { examples, HELP_GROUPS } from '../help';

export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'check node, tmux, permissions, provider binaries and the database (exit 1 when something required fails); with a daemon running, ' +
        'also what its own environment finds differently from this shell',
    )
    .summary('check tmux, providers, the home and the database')
    .helpGroup(HELP_GROUPS.setup)
    .addHelpText('after', examples('codepiper doctor', ['only the failures, in a script', "codepiper doctor --json | jq '.checks[] | select(.status == \"fail\")'"]))
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { paths } = commandContext(command);
      const daemonRunning = await daemonAnswers(paths.socket).catch(() => false);
      // What the running daemon sees, to compare with this shell; one quick question, skipped when it does not answer.
      const daemon = daemonRunning
        ? await commandContext(command)
            .client({ autostart: false, timeoutMs: 2000 })
            .call('daemon.info')
            .then((info) => (info.environment ? { pid: info.pid, environment: info.environment } : undefined))
            .catch(() => undefined)
        : undefined;
      const { runDoctor } = await import('../../core/doctor');
      const checks = runDoctor({ paths, env: process.env, daemonRunning, daemon });
      const ok = checks.every((check) => !check.required || check.status !== 'fail');
      if (options.json) printJson({ ok, checks });
      else {
        print(
          formatTable(checks, [
            { header: 'STATUS', value: (c) => paintCheck(paint(), c.status) },
            { header: 'CHECK', value: (c) => c.name },
            { header: 'DETAIL', value: (c) => (c.fix ? `${c.detail}; fix: ${c.fix}` : c.detail) },
          ]),
        );
        print(ok ? 'all required checks pass' : 'some required checks fail');
      }
      if (!ok) process.exitCode = 1;
    });
}
