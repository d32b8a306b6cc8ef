import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type CodepiperConfig } from './config';
import { openDatabase } from './db/open';
import { schemaVersion } from './db/migrate';
import { migrations } from './db/migrations';
import { daemonEnvironmentDifferences } from './doctor-env';
import { isAppError } from './errors';
import { checkSocketPath, type Paths } from './paths';
import { PROVIDERS, resolveProviderBinary } from './providers';
import { desktopReach } from './notify/channels/desktop';
import { isTmuxRecentEnough, MIN_TMUX_VERSION, tmuxBinary, tmuxVersion } from './runner/tmux/binary';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** A failing required check makes `codepiper doctor` exit non-zero. */
  required: boolean;
  detail: string;
  fix?: string;
}

/** The minimum Node.js (package.json engines): what better-sqlite3 needs, and undici, which the tests use. */
export const MIN_NODE = [20, 18, 1] as const;

export interface DoctorInput {
  paths: Paths;
  env: NodeJS.ProcessEnv;
  /** Whether a daemon answers on the socket (asked by the caller, which owns the client). */
  daemonRunning: boolean;
  /** The running daemon's pid and its own key variables (daemon.info), when it answered with them. */
  daemon?: { pid: number; environment: Record<string, string | null> } | undefined;
}

/** Everything CodePiper needs, checked without a daemon, so it also works when the daemon cannot start. */
export function runDoctor({ paths, env, daemonRunning, daemon }: DoctorInput): CheckResult[] {
  const results: CheckResult[] = [checkNode()];
  const config = checkConfig(paths, results);
  results.push(checkTmux(env, config), checkHome(paths), checkSocket(paths, daemonRunning));
  for (const provider of PROVIDERS) {
    const binary = resolveProviderBinary(provider, env, config);
    if (!binary) continue;
    results.push(
      binary.path
        ? { name: `provider ${provider.id}`, status: 'ok', required: false, detail: `${binary.path} (from ${binary.source})` }
        : {
            name: `provider ${provider.id}`,
            status: 'warn',
            required: false,
            detail: `${binary.command} not found`,
            fix: `install it, or set ${binary.setting}`,
          },
    );
  }
  if (daemon) results.push(checkDaemonEnvironment(env, daemon, config));
  results.push(checkDatabase(paths));
  results.push(checkDesktopNotifications(env, config));
  return results;
}

/**
 * Whether desktop notifications can show from here: a session bus and notify-send (or gdbus). Without them the
 * desktop channel stays silent, which is only worth a warning when config.json asks for a desktop channel by name.
 */
function checkDesktopNotifications(env: NodeJS.ProcessEnv, config: CodepiperConfig): CheckResult {
  const name = 'desktop notifications';
  const reach = desktopReach(env);
  if (reach.via) return { name, status: 'ok', required: false, detail: `through ${reach.via} (${reach.binary}) on the session bus` };
  const asked = config.notifications?.channels?.some((channel) => channel.type === 'desktop' && channel.enabled !== false) ?? false;
  return {
    name,
    status: asked ? 'warn' : 'ok',
    required: false,
    detail: `not available: ${reach.reason}; the desktop channel stays silent (the terminal, command and webhook channels still work)`,
    ...(asked ? { fix: 'run the daemon inside a desktop session, or install notify-send (libnotify-bin)' } : {}),
  };
}

/**
 * The running daemon's own environment against this shell's. Sessions started from a shell get the shell's
 * environment; API clients that send none, and the daemon's transcript scan, get the daemon's.
 */
function checkDaemonEnvironment(shell: NodeJS.ProcessEnv, daemon: NonNullable<DoctorInput['daemon']>, config: CodepiperConfig): CheckResult {
  const name = 'daemon environment';
  const differences = daemonEnvironmentDifferences(shell, daemon.environment, config);
  if (!differences.length) {
    return { name, status: 'ok', required: false, detail: `the daemon (pid ${daemon.pid}) sees the same provider binaries and agent homes as this shell` };
  }
  return {
    name,
    status: 'warn',
    required: false,
    detail:
      `the daemon (pid ${daemon.pid}) sees another environment: ${differences.join('; ')}. Sessions started from this shell use this shell's; ` +
      "API clients that send no environment, and the transcript scan, use the daemon's",
    fix: 'restart the daemon from this shell (codepiper daemon stop, then codepiper daemon start)',
  };
}

function checkNode(): CheckResult {
  const version = process.versions.node;
  const parts = version.split('.').map(Number);
  const ok = compareVersions(parts, [...MIN_NODE]) >= 0;
  return {
    name: 'node',
    status: ok ? 'ok' : 'fail',
    required: true,
    detail: `v${version}${ok ? '' : `, older than the v${MIN_NODE.join('.')} needed`}`,
    ...(ok ? {} : { fix: `install Node.js ${MIN_NODE.join('.')} or newer` }),
  };
}

function checkConfig(paths: Paths, results: CheckResult[]): CodepiperConfig {
  try {
    const config = loadConfig(paths.config);
    results.push({
      name: 'config',
      status: 'ok',
      required: true,
      detail: fs.existsSync(paths.config) ? paths.config : `${paths.config} (absent; defaults apply)`,
    });
    return config;
  } catch (error) {
    results.push({ name: 'config', status: 'fail', required: true, detail: messageOf(error), fix: `correct or remove ${paths.config}` });
    return {};
  }
}

function checkTmux(env: NodeJS.ProcessEnv, config: CodepiperConfig): CheckResult {
  const binary = tmuxBinary(env, config);
  const version = tmuxVersion(binary);
  const minimum = `${MIN_TMUX_VERSION.major}.${MIN_TMUX_VERSION.minor}`;
  if (!version) {
    return {
      name: 'tmux',
      status: 'fail',
      required: true,
      detail: `${binary} not found or not runnable`,
      fix: `install tmux ${minimum} or newer (apt-get install tmux, brew install tmux), or set CODEPIPER_TMUX_BIN`,
    };
  }
  const ok = isTmuxRecentEnough(version);
  return {
    name: 'tmux',
    status: ok ? 'ok' : 'fail',
    required: true,
    detail: ok ? version.raw : `${version.raw}, older than the ${minimum} needed for control-mode subscriptions`,
    ...(ok ? {} : { fix: `install tmux ${minimum} or newer` }),
  };
}

function checkHome(paths: Paths): CheckResult {
  const name = 'home';
  let stat: fs.Stats;
  try {
    stat = fs.statSync(paths.home);
  } catch {
    const blocked = whyNotCreatable(paths.home);
    if (blocked) return { name, status: 'fail', required: true, detail: `${paths.home} cannot be created: ${blocked}`, fix: 'set CODEPIPER_HOME to a directory you can create' };
    return { name, status: 'ok', required: true, detail: `${paths.home} (created 0700 when the daemon first starts)` };
  }
  if (!stat.isDirectory()) {
    return { name, status: 'fail', required: true, detail: `${paths.home} is not a directory`, fix: 'remove it, or set CODEPIPER_HOME to a directory' };
  }
  const mode = stat.mode & 0o777;
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) {
    return { name, status: 'fail', required: true, detail: `${paths.home} belongs to uid ${stat.uid}`, fix: 'set CODEPIPER_HOME to a directory of yours' };
  }
  const unwritable = whyNotWritable(paths.home);
  if (unwritable) {
    return { name, status: 'fail', required: true, detail: `${paths.home} cannot be written: ${unwritable}`, fix: 'make it writable (a read-only or full filesystem?), or set CODEPIPER_HOME elsewhere' };
  }
  if (mode !== 0o700) {
    return {
      name,
      status: 'warn',
      required: true,
      detail: `${paths.home} has mode ${mode.toString(8)}, not 700 (the daemon tightens it on start)`,
      fix: `chmod 700 ${paths.home}`,
    };
  }
  return { name, status: 'ok', required: true, detail: `${paths.home} (700)` };
}

/**
 * Why a directory cannot be written (read-only filesystem, permissions, no space left), or undefined when it can.
 * Asked of the filesystem itself: access(2) for the mode and a read-only mount, statfs for the free space.
 */
function whyNotWritable(dir: string): string | undefined {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
  try {
    if (fs.statfsSync(dir).bavail === 0) return 'no space left on its filesystem';
  } catch {
    /* statfs unsupported here: the mode check stands alone */
  }
  return undefined;
}

/** For a home that does not exist yet: why its nearest existing ancestor would not let the daemon create it. */
function whyNotCreatable(target: string): string | undefined {
  let ancestor = path.dirname(target);
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(ancestor);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return `${ancestor}: ${code}`;
    }
    if (stat) return stat.isDirectory() ? prefixed(ancestor, whyNotWritable(ancestor)) : `${ancestor} is not a directory`;
    const parent = path.dirname(ancestor);
    if (parent === ancestor) return undefined;
    ancestor = parent;
  }
}

function prefixed(dir: string, why: string | undefined): string | undefined {
  return why && `${dir}: ${why}`;
}

function checkSocket(paths: Paths, daemonRunning: boolean): CheckResult {
  const name = 'socket';
  try {
    checkSocketPath(paths.socket);
  } catch (error) {
    return { name, status: 'fail', required: true, detail: messageOf(error), fix: 'set CODEPIPER_SOCKET to a shorter path' };
  }
  let socketStat: fs.Stats | undefined;
  try {
    socketStat = fs.lstatSync(paths.socket);
  } catch {
    /* no socket file */
  }
  if (paths.socketDirIsOwn) {
    try {
      const mode = fs.statSync(paths.socketDir).mode & 0o777;
      if (mode !== 0o700) {
        return { name, status: 'fail', required: true, detail: `${paths.socketDir} has mode ${mode.toString(8)}, not 700`, fix: `chmod 700 ${paths.socketDir}` };
      }
    } catch {
      /* created by the daemon */
    }
  }
  if (socketStat && (socketStat.mode & 0o777) !== 0o600) {
    const mode = (socketStat.mode & 0o777).toString(8);
    return { name, status: 'fail', required: true, detail: `${paths.socket} has mode ${mode}, not 600`, fix: 'codepiper daemon stop, then start it again' };
  }
  const state = daemonRunning ? 'daemon running' : socketStat ? 'stale socket, cleaned on next start' : 'daemon not running';
  return { name, status: 'ok', required: true, detail: `${paths.socket} (${state})` };
}

function checkDatabase(paths: Paths): CheckResult {
  const name = 'database';
  if (!fs.existsSync(paths.database)) {
    return { name, status: 'ok', required: true, detail: `${paths.database} (created when the daemon first starts)` };
  }
  try {
    const db = openDatabase(paths.database, { readonly: true });
    try {
      const version = schemaVersion(db);
      const supported = migrations.length;
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') return { name, status: 'fail', required: true, detail: `quick_check: ${String(check)}`, fix: 'restore the database from a backup' };
      const pending = version < supported ? `, ${supported - version} migration(s) to apply on next start` : '';
      return { name, status: 'ok', required: true, detail: `${paths.database} (schema ${version}${pending})` };
    } finally {
      db.close();
    }
  } catch (error) {
    const fix = isAppError(error) && error.code === 'DATABASE_TOO_NEW' ? 'upgrade codepiper' : `check ${paths.database} and its permissions`;
    return { name, status: 'fail', required: true, detail: messageOf(error), fix };
  }
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function messageOf(error: unknown): string {
  return isAppError(error) || error instanceof Error ? error.message : String(error);
}
