import { Command } from 'commander';
import { commandContext } from '../context';
import { daemonAnswers } from '../../client/daemon-process';
import { formatTable } from '../../client/format';
import { paintCheck } from '../../client/colour';
import { paint, print, printJson } from '../output';

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check node, tmux, permissions, provider binaries and the database (exit 1 when something required fails)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { paths } = commandContext(command);
      const daemonRunning = await daemonAnswers(paths.socket).catch(() => false);
      const { runDoctor } = await import('../../core/doctor');
      const checks = runDoctor({ paths, env: process.env, daemonRunning });
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
