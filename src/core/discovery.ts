import fs from 'node:fs';
import path from 'node:path';

/**
 * The discovery file (`$CODEPIPER_HOME/daemon.json`): written by the daemon once it listens, removed when it shuts
 * down. Clients read it to learn which pid serves the socket; a file whose pid is dead was left by a killed daemon.
 */
export interface Discovery {
  pid: number;
  socket: string;
  version: string;
  startedAt: string;
  home: string;
}

export function readDiscovery(file: string): Discovery | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<Discovery>;
    if (typeof value.pid !== 'number' || typeof value.socket !== 'string') return undefined;
    return value as Discovery;
  } catch {
    return undefined; // a torn or foreign file: treated as absent, and replaced by the next daemon
  }
}

/** Atomic: a reader sees the old file or the new one, never half of one. */
export function writeDiscovery(file: string, discovery: Discovery): void {
  writeFileAtomic(file, JSON.stringify(discovery, null, 2) + '\n');
}

/** Removes the file only if it still names `pid`, so a daemon never deletes its successor's file. */
export function removeDiscovery(file: string, pid: number): void {
  const current = readDiscovery(file);
  if (current && current.pid !== pid) return;
  fs.rmSync(file, { force: true });
}

export function writeFileAtomic(file: string, content: string, mode = 0o600): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, content, { mode });
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Whether `pid` is a running process. A zombie counts as gone: a detached daemon whose starter has exited is reaped by
 * whatever adopted it, sometimes late, and until then signal 0 still succeeds on it.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false; // vanished between the two looks
  }
}

/**
 * Set to "systemd" in the systemd unit (cli/service.ts): the daemon runs under a service manager, so a restart is an
 * exit the manager restarts, not a new process the manager would not know about (daemon/main.ts).
 */
export const SERVICE_VARIABLE = 'CODEPIPER_SERVICE';
