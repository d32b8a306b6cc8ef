import path from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../core/errors';
import type { CommandContext } from './context';

/**
 * Commands that act on this machine rather than through the daemon's routes, and so mean nothing against a remote
 * daemon (--remote / CODEPIPER_REMOTE): each is refused with why and what to do instead. Every other command runs
 * its routes on the remote daemon; one that reaches a socket-only (`local`) route is refused by the client, naming
 * the route. Keyed by the command's path below `codepiper`.
 */
export const REMOTE_REFUSALS: Record<string, string> = {
  'daemon start': "it starts a daemon on this machine; start the remote one on its host (codepiper daemon start --web)",
  'daemon stop': "only the daemon's own user on its host may stop it (the shutdown route is never served over the network)",
  'daemon restart': "only the daemon's own user on its host may restart it (run codepiper daemon restart there)",
  'daemon install-service': "it installs a systemd unit on this machine; run it on the daemon's host",
  'daemon uninstall-service': "it removes a systemd unit of this machine; run it on the daemon's host",
  doctor: "it checks this machine's tmux, providers, home and database; run it on the daemon's host",
  'hook-forward': "agents' hooks run it on the daemon's host, over its socket",
  // Their routes are socket-only (the client would refuse them too): said before a password is asked for.
  'auth bootstrap': "the bootstrap password is shown only on the daemon's host (its socket); run it there",
  'auth reset-password': "resetting the password without the old one is for the daemon's own user on its host; with the old one, log in to the web page and change it there",
  'auth reset-mfa': "turning MFA off without a code is for the daemon's own user on its host",
};

/** The command's path below `codepiper`: "daemon start", "doctor". */
export function commandPathOf(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

/** Options that name a directory for the daemon to use, and how they are spelt on the command line. */
const DIRECTORY_OPTIONS: Record<string, string> = { dir: '-d/--dir', cwd: '--cwd' };

/**
 * Commands whose directory defaults to this shell's: against a remote daemon it must be given (an absolute path on
 * the daemon's host), unless another option names it.
 */
const NEEDS_DIRECTORY: Record<string, { option: string; unless?: string }> = {
  start: { option: 'dir', unless: 'workspace' },
  'workspace create': { option: 'dir' },
};

/**
 * Refuses, before it runs, a command that has no meaning against the remote daemon the context names, and a
 * directory that names this machine's (a relative one, or the current directory by default).
 */
export function refuseRemotely(command: Command, context: Pick<CommandContext, 'remote'>): void {
  const remote = context.remote;
  if (!remote) return;
  const name = commandPathOf(command);
  const why = REMOTE_REFUSALS[name];
  if (why) throw new AppError('USAGE', `${name} does not work against a remote daemon (--remote / CODEPIPER_REMOTE: ${remote.label}): ${why}`, { details: { command: name } });
  const options = command.opts<Record<string, unknown>>();
  for (const [key, flag] of Object.entries(DIRECTORY_OPTIONS)) {
    const value = options[key];
    if (typeof value === 'string') hostPath(context, value, flag);
  }
  const needs = NEEDS_DIRECTORY[name];
  if (needs && options[needs.option] === undefined && !(needs.unless && options[needs.unless] !== undefined)) {
    throw new AppError(
      'USAGE',
      `${name} against a remote daemon needs ${DIRECTORY_OPTIONS[needs.option]} with an absolute path on its host (${remote.label}): this shell's directory is this machine's`,
    );
  }
}

/**
 * A directory the daemon is to use (a session's, a workspace's, a filter's): resolved against this shell's directory
 * on this machine, or, for a remote daemon, taken only as an absolute path on its host (this machine's directories
 * mean nothing there).
 */
export function hostPath(context: Pick<CommandContext, 'remote'>, given: string, option: string): string {
  if (!context.remote) return path.resolve(given);
  if (!path.posix.isAbsolute(given)) {
    throw new AppError('USAGE', `${option} "${given}" is relative to this machine's directory; with --remote give an absolute path on the daemon's host (${context.remote.label})`);
  }
  return path.posix.normalize(given);
}
