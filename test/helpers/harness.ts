import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../../src/core/discovery';
import { waitFor } from './wait';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'codepiper');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Harness {
  dir: string;
  home: string;
  socket: string;
  tmuxSocket: string;
  env: NodeJS.ProcessEnv;
  /** Runs the built `bin/codepiper` (or `bin`, another build's) with this harness's environment. */
  run(args: string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number; spawn?: SpawnOptions; input?: string; bin?: string }): Promise<RunResult>;
  /** Starts `bin/codepiper ...` and leaves it running (for a foreground daemon). */
  start(args: string[]): ChildProcess;
  discovery(): { pid: number; socket: string; version: string } | undefined;
  /** Ends every daemon this harness started (by the pids it knows), its tmux server, and removes its files. */
  cleanup(): Promise<void>;
}

/**
 * A private world for one test file: its own CODEPIPER_HOME, socket and tmux socket name, under a short /tmp path
 * (socket paths are limited to about 100 bytes). Nothing of the user's real home, tmux server or agents is touched.
 */
export function createHarness(options: { socketInHome?: boolean } = {}): Harness {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-'));
  const home = path.join(dir, 'home');
  const socket = options.socketInHome ? path.join(home, 'daemon.sock') : path.join(dir, 'd.sock');
  const tmuxSocket = `cpt-${path.basename(dir).slice(4)}`;
  // The agents' own homes too: the daemon indexes transcripts under these, never the user's real ones.
  const env: NodeJS.ProcessEnv = {
    ...cleanEnv(),
    CODEPIPER_HOME: home,
    CODEPIPER_TMUX_SOCKET: tmuxSocket,
    CLAUDE_CONFIG_DIR: path.join(dir, 'claude'),
    CODEX_HOME: path.join(dir, 'codex'),
    XDG_DATA_HOME: path.join(dir, 'xdg-data'),
    XDG_CONFIG_HOME: path.join(dir, 'xdg-config'),
  };
  if (!options.socketInHome) env.CODEPIPER_SOCKET = socket;
  const pids = new Set<number>();
  const children = new Set<ChildProcess>();

  const discovery = () => {
    try {
      return JSON.parse(fs.readFileSync(path.join(home, 'daemon.json'), 'utf8')) as { pid: number; socket: string; version: string };
    } catch {
      return undefined;
    }
  };

  const remember = () => {
    const found = discovery();
    if (found) pids.add(found.pid);
  };

  const run: Harness['run'] = (args, runOptions = {}) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [runOptions.bin ?? BIN, ...args], {
        env: runOptions.env ?? env,
        stdio: [runOptions.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        ...runOptions.spawn,
      });
      if (runOptions.input !== undefined) child.stdin!.end(runOptions.input);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (chunk) => (stdout += chunk));
      child.stderr!.on('data', (chunk) => (stderr += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), runOptions.timeoutMs ?? 20_000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        remember();
        resolve({ code, signal, stdout, stderr });
      });
    });

  const start: Harness['start'] = (args) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    if (child.pid) pids.add(child.pid);
    return child;
  };

  const cleanup = async () => {
    remember();
    // Daemons started on demand carry this world's socket path in their argv: find them even when no discovery file
    // named them (one started as a test ended, or killed and restarted by autostart).
    for (const pid of processesMentioning(dir)) pids.add(pid);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const child of children) child.kill('SIGKILL');
    try {
      await waitFor(() => [...pids].every((pid) => !alive(pid)), { what: 'harness processes to exit' });
    } finally {
      spawnSync('tmux', ['-L', tmuxSocket, 'kill-server'], { stdio: 'ignore' });
      // A killed server can leave its socket file behind in tmux's socket directory.
      fs.rmSync(path.join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid!()}`, tmuxSocket), { force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  return { dir, home, socket: options.socketInHome ? socket : socket, tmuxSocket, env, run, start, discovery, cleanup };
}

/** Pids of this user's processes whose command line names a path inside `dir` (Linux /proc; none elsewhere). */
function processesMentioning(dir: string): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`${dir}/`)) found.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

/** The test process's environment without anything that would point at a real CodePiper. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('CODEPIPER_') || key === 'XDG_RUNTIME_DIR') delete env[key];
  for (const key of ['CLAUDE_CONFIG_DIR', 'CODEX_HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME']) delete env[key];
  return env;
}

/** Running, not a zombie waiting to be reaped (see isProcessAlive). */
export const alive = isProcessAlive;

export function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

/** Runs `codepiper hook-forward` as an agent's hook would: JSON on stdin, the session in its environment. */
export function hookForward(stdin: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'hook-forward'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, ms: performance.now() - started }));
    child.stdin.end(stdin);
  });
}
