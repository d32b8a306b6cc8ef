/**
 * The daemon as a systemd user service: the unit file (where it goes and what it says) and the systemctl calls that
 * load it. No root: everything is under the user's own configuration directory and `systemctl --user`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICE_VARIABLE } from '../core/discovery';
import { findExecutable } from '../core/providers';

export const SERVICE_NAME = 'codepiper.service';

/**
 * Variables the daemon's behaviour depends on, carried from the shell that installs the service into the unit:
 * where its home, socket and tmux server are, where agents and transcripts are found, and the locale tmux reads to
 * speak UTF-8. A systemd user service otherwise starts with the user manager's small environment.
 */
const CARRIED = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TMUX_TMPDIR', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME'];
/** CodePiper's own variables that concern the command line, not the daemon. */
const NOT_FOR_THE_DAEMON = new Set(['CODEPIPER_SYSTEMCTL', SERVICE_VARIABLE]);

/** `$XDG_CONFIG_HOME/systemd/user/codepiper.service`, with ~/.config when XDG_CONFIG_HOME is unset or not absolute. */
export function serviceUnitPath(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(os.homedir(), '.config');
  return path.join(config, 'systemd', 'user', SERVICE_NAME);
}

export interface UnitOptions {
  /** Absolute path of Node. */
  node: string;
  /** Absolute path of the codepiper executable (bin/codepiper) the service runs. */
  cli: string;
  /** The installing shell's environment. */
  env: NodeJS.ProcessEnv;
}

/**
 * The unit: the installed CLI's daemon in the foreground (its log goes to the journal), restarted when it fails,
 * with the installing shell's variables that the daemon depends on. KillMode=process: stopping the service stops
 * the daemon only, never the tmux server it started, so agents keep running as they do across `daemon stop`.
 */
export function renderServiceUnit({ node, cli, env }: UnitOptions): string {
  const variables = [...CARRIED, ...Object.keys(env).filter((key) => key.startsWith('CODEPIPER_') && !NOT_FOR_THE_DAEMON.has(key)).sort()]
    .filter((key) => env[key] !== undefined && env[key] !== '')
    .map((key) => `Environment=${quoteWord(`${key}=${env[key]}`, false)}`);
  // The socket's default place depends on XDG_RUNTIME_DIR, which the user manager always sets: a shell without it
  // looks for the socket under the home, so the daemon must too.
  if (!env.XDG_RUNTIME_DIR) variables.push('UnsetEnvironment=XDG_RUNTIME_DIR');
  // The daemon restarts (POST /settings/daemon/restart) by exiting with a failure status that Restart= acts on, so
  // that systemd keeps supervising it, rather than by starting a new process of its own.
  variables.push(`Environment=${quoteWord(`${SERVICE_VARIABLE}=systemd`, false)}`);
  return [
    '# Written by `codepiper daemon install-service`; remove it with `codepiper daemon uninstall-service`.',
    '[Unit]',
    'Description=CodePiper daemon (AI coding agents in a private tmux server)',
    'Documentation=man:codepiper(1)',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[node, cli, 'daemon', 'start'].map((word) => quoteWord(word, true)).join(' ')}`,
    ...variables,
    'Restart=on-failure',
    'RestartSec=2',
    // Another daemon already serves this home (exit 5): restarting would only fail again.
    'RestartPreventExitStatus=5',
    'KillMode=process',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/**
 * One word of a unit file, double-quoted: backslash and quote escaped, `%` (specifiers) doubled, and `$` doubled
 * where systemd expands variables (ExecStart, not Environment), so the value arrives exactly as given.
 */
function quoteWord(text: string, expandsVariables: boolean): string {
  const escaped = text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/%/g, '%%');
  return `"${expandsVariables ? escaped.replace(/\$/g, '$$$$') : escaped}"`;
}

export interface Systemctl {
  /** The executable, when it is found. */
  binary: string | null;
  /** Why `systemctl --user` cannot be used here, or undefined when it can. */
  unavailable: string | undefined;
  /** Runs `systemctl --user <args>`: ok, or the reason it failed. */
  run(args: string[]): { ok: true } | { ok: false; why: string };
}

/**
 * `systemctl --user`, when this session has one: the executable (CODEPIPER_SYSTEMCTL, else systemctl on PATH) and a
 * user bus to reach the user manager through (DBUS_SESSION_BUS_ADDRESS, or the bus socket in XDG_RUNTIME_DIR).
 */
export function userSystemctl(env: NodeJS.ProcessEnv = process.env): Systemctl {
  const command = env.CODEPIPER_SYSTEMCTL || 'systemctl';
  const binary = findExecutable(command, env.PATH);
  const bus = env.DBUS_SESSION_BUS_ADDRESS || (env.XDG_RUNTIME_DIR && fs.existsSync(path.join(env.XDG_RUNTIME_DIR, 'bus')));
  const unavailable = !binary ? `${command} was not found` : !bus ? 'there is no systemd user bus in this session (no DBUS_SESSION_BUS_ADDRESS, no $XDG_RUNTIME_DIR/bus)' : undefined;
  return {
    binary,
    unavailable,
    run(args) {
      const result = spawnSync(binary ?? command, ['--user', ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      if (result.error) return { ok: false, why: result.error.message };
      if (result.status !== 0) return { ok: false, why: (result.stderr || result.stdout).trim() || `exit status ${result.status ?? result.signal}` };
      return { ok: true };
    },
  };
}
