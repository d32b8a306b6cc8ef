import { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { AppError, isAppError } from '../../core/errors';
import { commandContext } from '../context';
import { awaitDaemonExit, daemonAnswers, START_DEADLINE_MS, startDetachedDaemon, STOP_DEADLINE_MS, waitForDaemonExit } from '../../client/daemon-process';
import type { RouteOutput } from '../../core/api';
import { formatDuration, formatKeyValues, formatStamp } from '../../client/format';
import { versionDifference } from '../../client/client';
import { VERSION } from '../../core/version';
import { print, printJson } from '../output';
import { renderServiceUnit, SERVICE_NAME, serviceUnitPath, userSystemctl } from '../service';
import type { Paths } from '../../core/paths';
import type { WebFlags } from '../../daemon/web/options';
import { examples, HELP_GROUPS } from '../help';
import type { Client } from '../../client/client';
import { describeWebStatus } from './web';

export function daemonCommand(): Command {
  const daemon = new Command('daemon')
    .description('start, stop and inspect the background daemon')
    .helpGroup(HELP_GROUPS.setup)
    .addHelpText('after', examples('codepiper daemon status', 'codepiper daemon start --detach', 'codepiper daemon stop'));

  daemon
    .command('start')
    .description('run the daemon in the foreground (Ctrl-C stops it), or in the background with --detach')
    .addHelpText('after', examples(['in the background (any command starts it this way when needed)', 'codepiper daemon start --detach'], ['in the foreground, logging to the terminal', 'codepiper daemon start']))
    .option('--detach', 'start it in the background, wait until it answers, and return')
    .option('--web', 'also serve the API over HTTP and WebSocket under /api, behind a login or a token (see web.* in config.json)')
    .option('--host <address>', 'with --web: the address to listen on (default 127.0.0.1)')
    .option('--port <port>', 'with --web: the TCP port (default 4321; 0 picks a free one)', parsePort)
    .option('--tls-cert <file>', 'with --web: serve HTTPS with this PEM certificate chain')
    .option('--tls-key <file>', 'with --web: the private key of --tls-cert')
    .option('--insecure-http', 'with --web: allow plain HTTP on an address other machines reach (passwords cross the network readable)')
    .action(async (options: DaemonStartOptions, command: Command) => {
      const { paths } = commandContext(command);
      const web: WebFlags = { web: options.web, host: options.host, port: options.port, tlsCert: options.tlsCert, tlsKey: options.tlsKey, insecureHttp: options.insecureHttp };
      if (!options.web && (options.host !== undefined || options.port !== undefined || options.tlsCert !== undefined || options.tlsKey !== undefined || options.insecureHttp)) {
        throw new AppError('USAGE', '--host, --port, --tls-cert, --tls-key and --insecure-http go with --web (or set web.enabled in config.json)');
      }
      if (options.detach) {
        if (await daemonAnswers(paths.socket)) {
          const info = await commandContext(command).client({ autostart: false }).call('daemon.info');
          throw new AppError('DAEMON_ALREADY_RUNNING', `a codepiper daemon is already running (pid ${info.pid}, socket ${info.socket})`);
        }
        await startDetachedDaemon(paths, webFlagArgs(web));
        const client = commandContext(command).client({ autostart: false });
        const info = await client.call('daemon.info');
        print(`codepiper daemon started (pid ${info.pid}, socket ${info.socket}, log ${paths.log})`);
        await announceWeb(client);
        return;
      }
      const { runDaemon } = await import('../../daemon/main');
      await runDaemon(paths, process.env, web);
    });

  daemon
    .command('stop')
    .description('stop the daemon (agents keep running in tmux and are re-adopted by the next daemon)')
    .addHelpText('after', examples('codepiper daemon stop', ['stop it and start it again (sessions keep running)', 'codepiper daemon restart']))
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
    .command('restart')
    .description('restart the daemon to apply settings (sessions keep running and are re-adopted); start it when it is not running')
    .option('--json', 'print JSON: the old and new pid, and what the old daemon said it would do')
    .addHelpText('after', examples('codepiper daemon restart', ['after changing a setting that needs it', 'codepiper config set tmux.binary /opt/tmux/bin/tmux && codepiper daemon restart']))
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = commandContext(command);
      const client = context.client({ autostart: false });
      let plan: RouteOutput<'settings.restart'>;
      try {
        plan = await client.call('settings.restart');
      } catch (error) {
        if (!(isAppError(error) && (error.code === 'DAEMON_NOT_RUNNING' || error.code === 'ROUTE_NOT_FOUND'))) throw error;
        // An older daemon cannot restart itself: it is stopped (sessions keep running) and this codepiper starts one.
        const older = error.code === 'ROUTE_NOT_FOUND' ? await client.call('daemon.shutdown') : undefined;
        if (older) await awaitDaemonExit(older.pid, context.paths.socket);
        await startDetachedDaemon(context.paths);
        const info = await client.call('daemon.info');
        if (options.json) printJson(older ? { restarted: true, oldPid: older.pid, pid: info.pid, startedAt: info.startedAt } : { restarted: false, started: true, pid: info.pid });
        else if (older) print(`codepiper daemon restarted (pid ${older.pid} → ${info.pid}, socket ${info.socket}; it was an older version, stopped and started again)`);
        else print(`codepiper daemon was not running; started it (pid ${info.pid}, socket ${info.socket})`);
        return;
      }
      if (!options.json) print(plan.message);
      const info = await awaitNewDaemon(plan.pid, context);
      if (options.json) printJson({ restarted: true, oldPid: plan.pid, pid: info.pid, startedAt: info.startedAt, plan });
      else print(`codepiper daemon restarted (pid ${plan.pid} → ${info.pid}, socket ${info.socket})`);
    });

  daemon
    .command('status')
    .description("say whether the daemon runs, with its pid, socket, uptime, and its version beside this codepiper's (exit 3 when it does not run)")
    .addHelpText('after', examples('codepiper daemon status', ['in a script', 'codepiper daemon status --json || echo "not running"']))
    .option('--json', 'print JSON (cliVersion and sameVersion beside the daemon\'s own version)')
    .action(async (options: { json?: boolean }, command: Command) => {
      const context = commandContext(command);
      if (context.remote) return remoteStatus(context, options.json === true);
      try {
        const info = await context.client({ autostart: false }).call('daemon.info');
        const difference = versionDifference(info.version, VERSION);
        if (options.json) printJson({ running: true, ...info, cliVersion: VERSION, sameVersion: difference === undefined });
        else
          print(
            formatKeyValues([
              ['status', 'running'],
              ['pid', String(info.pid)],
              ['socket', info.socket],
              ['home', info.home],
              ['tmux', `-L ${info.tmuxSocket}`],
              ['version', info.version],
              ['cli', difference ? `${VERSION} (${difference})` : VERSION],
              ['started', formatStamp(info.startedAt)],
              ['uptime', formatDuration(info.uptime)],
            ]),
          );
      } catch (error) {
        if (!(isAppError(error) && error.code === 'DAEMON_NOT_RUNNING')) throw error;
        if (options.json) printJson({ running: false, socket: context.paths.socket });
        else print(`codepiper daemon is not running (socket ${context.paths.socket}; this codepiper is ${VERSION})`);
        process.exitCode = 3;
      }
    });

  daemon
    .command('install-service')
    .description('run the daemon at login as a systemd user service (no root): write the unit, then enable and start it')
    .option('--print', 'print the unit instead of writing it; change nothing')
    .addHelpText(
      'after',
      `
The unit goes to $XDG_CONFIG_HOME/systemd/user/${SERVICE_NAME} (default ~/.config). It runs this codepiper's
daemon in the foreground with this Node, carries CODEPIPER_* variables, PATH and the locale of this shell, restarts
the daemon when it fails, and never stops the agents' tmux server. With systemctl and a user bus, it then runs
\`systemctl --user daemon-reload\` and \`systemctl --user enable --now ${SERVICE_NAME}\` (a daemon already running
is stopped first so that the service's takes over; sessions keep running); otherwise it says what to run.`,
    )
    .addHelpText('after', examples(['see the unit first', 'codepiper daemon install-service --print'], 'codepiper daemon install-service', ["then the daemon's log is in the journal", 'journalctl --user -u codepiper']))
    .action(async (options: { print?: boolean }, command: Command) => {
      const context = commandContext(command);
      const unit = renderServiceUnit({ node: process.execPath, cli: path.resolve(process.argv[1] ?? ''), env: process.env });
      if (options.print) return print(unit);
      const file = serviceUnitPath();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(`${file}.tmp`, unit, { mode: 0o644 });
      fs.renameSync(`${file}.tmp`, file);
      print(`wrote ${file}`);
      const systemctl = userSystemctl();
      const steps = [['daemon-reload'], ['enable', '--now', SERVICE_NAME]];
      if (systemctl.unavailable) {
        print(`not enabled: ${systemctl.unavailable}; in a login session with systemd, run:\n${steps.map((step) => `  systemctl --user ${step.join(' ')}`).join('\n')}`);
        return;
      }
      await stopRunningDaemon(context.paths, context.client({ autostart: false }));
      runSteps(systemctl, steps, file);
      print(`enabled and started ${SERVICE_NAME}: the daemon now starts at login (journalctl --user -u codepiper for its log)`);
    });

  daemon
    .command('uninstall-service')
    .description('stop running the daemon at login: disable and stop the systemd user service, and remove its unit')
    .addHelpText(
      'after',
      `
Stopping the service stops the daemon, not the agents: they keep running in tmux, and the next command that needs
the daemon starts one (re-adopting them).`,
    )
    .addHelpText('after', examples('codepiper daemon uninstall-service', ['back to starting the daemon by hand, in the background', 'codepiper daemon start --detach']))
    .action(() => {
      const file = serviceUnitPath();
      if (!fs.existsSync(file)) return print(`no ${SERVICE_NAME} is installed (${file} does not exist)`);
      const systemctl = userSystemctl();
      if (!systemctl.unavailable) runSteps(systemctl, [['disable', '--now', SERVICE_NAME]], file);
      fs.rmSync(file, { force: true });
      if (systemctl.unavailable) {
        print(`removed ${file}; not disabled: ${systemctl.unavailable}; in a login session with systemd, run:\n  systemctl --user disable --now ${SERVICE_NAME}\n  systemctl --user daemon-reload`);
        return;
      }
      runSteps(systemctl, [['daemon-reload']], file);
      print(`disabled and stopped ${SERVICE_NAME}, removed ${file}`);
    });

  return daemon;
}

/**
 * `daemon status` against a remote daemon: what its public health route says (daemon.info, with its pid and paths,
 * is never served over the network), beside this codepiper's version; exit 3 when it does not answer.
 */
async function remoteStatus(context: ReturnType<typeof commandContext>, json: boolean): Promise<void> {
  const remote = context.remote!;
  try {
    const health = await context.client({ autostart: false, timeoutMs: 10_000 }).call('health');
    const difference = versionDifference(health.version, VERSION);
    if (json) return printJson({ running: true, remote: remote.label, version: health.version, uptime: health.uptime, cliVersion: VERSION, sameVersion: difference === undefined });
    print(
      formatKeyValues([
        ['status', 'running'],
        ['remote', remote.label],
        ['version', health.version],
        ['cli', health.version === VERSION ? VERSION : `${VERSION} (differs; a remote daemon is never restarted from here)`],
        ['uptime', formatDuration(health.uptime)],
      ]),
    );
  } catch (error) {
    if (!(isAppError(error) && error.code === 'DAEMON_UNAVAILABLE')) throw error;
    if (json) printJson({ running: false, remote: remote.label, error: error.message });
    else print(`the remote daemon does not answer: ${error.message}`);
    process.exitCode = 3;
  }
}

/** Runs each `systemctl --user` step in order; the first that fails stops with what failed and what is left to do. */
function runSteps(systemctl: ReturnType<typeof userSystemctl>, steps: string[][], file: string): void {
  for (const [index, step] of steps.entries()) {
    const result = systemctl.run(step);
    if (!result.ok) {
      const left = steps.slice(index).map((rest) => `systemctl --user ${rest.join(' ')}`).join('; ');
      throw new AppError('DAEMON_START_FAILED', `systemctl --user ${step.join(' ')} failed: ${result.why} (unit ${file}; once fixed, run: ${left})`);
    }
  }
}

/** A daemon started on demand holds the home: it is stopped so that the service's daemon can start (agents stay). */
async function stopRunningDaemon(paths: Paths, client: ReturnType<ReturnType<typeof commandContext>['client']>): Promise<void> {
  if (!(await daemonAnswers(paths.socket))) return;
  const { pid } = await client.call('daemon.shutdown');
  await awaitDaemonExit(pid, paths.socket);
  print(`stopped the running daemon (pid ${pid}) so that the service's takes over; sessions keep running`);
}

/**
 * After a restart: the old daemon exits, then a new one (another pid) answers. Nothing is started from here: the old
 * daemon starts its successor (or its service manager does), and a second starter would only race it.
 */
async function awaitNewDaemon(oldPid: number, context: ReturnType<typeof commandContext>): Promise<RouteOutput<'daemon.info'>> {
  if (!(await waitForDaemonExit(oldPid, undefined, STOP_DEADLINE_MS))) {
    throw new AppError('DAEMON_UNAVAILABLE', `the daemon (pid ${oldPid}) said it would restart but has not exited within ${STOP_DEADLINE_MS / 1000}s; see ${context.paths.log}`);
  }
  const client = context.client({ autostart: false, timeoutMs: 2000 });
  const deadline = Date.now() + START_DEADLINE_MS;
  while (Date.now() < deadline) {
    try {
      const info = await client.call('daemon.info');
      if (info.pid !== oldPid) return info;
    } catch (error) {
      if (!(isAppError(error) && (error.code === 'DAEMON_NOT_RUNNING' || error.code === 'DAEMON_UNAVAILABLE'))) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new AppError('DAEMON_START_FAILED', `the old daemon (pid ${oldPid}) exited but no new one answered within ${START_DEADLINE_MS / 1000}s; see ${context.paths.log}`);
}

interface DaemonStartOptions {
  detach?: boolean;
  web?: boolean;
  host?: string;
  port?: number;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
}

/** The --web flags as the daemon's own command line, for a daemon started in the background (and its restarts). */
function webFlagArgs(flags: WebFlags): string[] {
  const args: string[] = [];
  if (flags.web) args.push('--web');
  if (flags.host !== undefined) args.push('--host', flags.host);
  if (flags.port !== undefined) args.push('--port', String(flags.port));
  if (flags.tlsCert !== undefined) args.push('--tls-cert', path.resolve(flags.tlsCert));
  if (flags.tlsKey !== undefined) args.push('--tls-key', path.resolve(flags.tlsKey));
  if (flags.insecureHttp) args.push('--insecure-http');
  return args;
}

/**
 * After a background start: where --web serves, and, while web login is not set up, a fresh bootstrap password,
 * shown on this terminal only (the daemon keeps its hash; `codepiper auth bootstrap` makes another).
 */
async function announceWeb(client: Client): Promise<void> {
  const status = await client.call('web.status');
  if (!status.enabled) return;
  print(describeWebStatus(status));
  if (status.setupDone) return;
  const { bootstrapPassword } = await client.call('auth.bootstrap');
  print(`\nbootstrap password (shown once; needed by POST /api/auth/setup): ${bootstrapPassword}`);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) throw new AppError('USAGE', `--port must be a whole number from 0 to 65535, got "${value}"`);
  return port;
}
