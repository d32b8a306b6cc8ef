import type { Command } from 'commander';
import { resolvePaths, type Paths } from '../core/paths';
import { createClient, type Client } from '../client/client';

/** What a command needs from the global options: where things are, and a client that may start the daemon. */
export interface CommandContext {
  paths: Paths;
  client(options?: { autostart?: boolean; timeoutMs?: number }): Client;
}

export function commandContext(command: Command): CommandContext {
  const globals = command.optsWithGlobals<{ socket?: string }>();
  const paths = resolvePaths({ socket: globals.socket });
  return { paths, client: (options = {}) => createClient({ paths, autostart: options.autostart ?? true, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) }) };
}
