import { spawn } from 'node:child_process';
import type { NotifyChannelConfig } from '../../config';
import { report, type ChannelFactory, type DeliveryReport } from './channel';

const DEFAULT_TIMEOUT_MS = 10_000;
/** How much of a program's stderr the log keeps. */
const MAX_STDERR = 2000;

/**
 * A program of the user's (argv, no shell) given the event as JSON on stdin: how ntfy, chat bots and the like are
 * wired. Exit 0 is delivered; anything else, or running past the timeout (then it is killed), failed.
 */
export const commandChannel: ChannelFactory<Extract<NotifyChannelConfig, { type: 'command' }>> = (config, deps) => ({
  deliver: (event) =>
    new Promise<DeliveryReport>((resolve) => {
      const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      let stderr = '';
      let timedOut = false;
      let settled = false;
      const finish = (result: DeliveryReport) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const child = spawn(config.argv[0]!, config.argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], env: deps.env, detached: false });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
        if (stderr.length < MAX_STDERR) stderr = (stderr + chunk).slice(0, MAX_STDERR);
      });
      child.on('error', (error) => finish(report('failed', 1, `cannot run ${config.argv[0]}: ${error.message}`, { stderr })));
      child.on('close', (code, signal) => {
        const detail = { exitCode: code, signal, stderr };
        if (timedOut) finish(report('failed', 1, `${config.argv[0]} ran past ${timeoutMs} ms and was killed`, detail));
        else if (code === 0) finish(report('delivered', 1, null, detail));
        else finish(report('failed', 1, `${config.argv[0]} exited with ${code ?? signal}${stderr.trim() ? `: ${stderr.trim().split('\n').at(-1)}` : ''}`, detail));
      });
      // A program that does not read its stdin closes it early: that is its business, not an error.
      child.stdin!.on('error', () => {});
      child.stdin!.end(JSON.stringify(event) + '\n');
    }),
});
