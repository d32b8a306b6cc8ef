import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive, readDiscovery } from '../core/discovery';
import { AppError, EXIT_CODES, isAppError } from '../core/errors';
import { ensurePrivateDir, permissionError, type Paths } from '../core/paths';
import { checkSocketFile, requestOverSocket } from './transport';

/** How long a client waits for a daemon it started to answer. */
export const START_DEADLINE_MS = 15_000;
const POLL_INTERVAL_MS = 25;
/** daemon.log is rotated (one old copy kept) when a daemon starts and finds it bigger than this. */
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/** The longest one `/health` probe of a starting daemon waits; a probe that runs out is followed by another. */
const START_PROBE_TIMEOUT_MS = 1000;

/** Is a daemon answering on the socket? Never starts one. */
export async function daemonAnswers(socket: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const response = await requestOverSocket(socket, { method: 'GET', path: '/health', timeoutMs });
    return response.status === 200;
  } catch (error) {
    if (isAppError(error) && error.code === 'DAEMON_NOT_RUNNING') return false;
    throw error;
  }
}

/**
 * One probe of a daemon this client started. A daemon busy starting up (opening a large database, re-adopting many
 * sessions on a loaded machine) may let a probe run out or drop it: that is "not yet", and the deadline decides.
 */
async function startedDaemonAnswers(socket: string, timeoutMs: number): Promise<boolean> {
  try {
    return await daemonAnswers(socket, timeoutMs);
  } catch (error) {
    if (isAppError(error) && error.code === 'DAEMON_UNAVAILABLE') return false;
    throw error;
  }
}


/**
 * Starts `codepiper daemon start` in the background (its own session, output to daemon.log) and waits, with a
 * deadline, until it answers. A starter that lost a race to another starter is fine: somebody answers either way.
 */
export async function startDetachedDaemon(paths: Paths, extraArgs: readonly string[] = []): Promise<{ pid: number | undefined }> {
  ensurePrivateDir(paths.home);
  // The daemon checks it too; checked here, a directory it would refuse is named at once rather than through its log.
  if (paths.socketDirIsOwn) ensurePrivateDir(paths.socketDir);
  checkSocketFile(paths.socket);
  rotateLog(paths.log);
  let logFd: number;
  try {
    logFd = fs.openSync(paths.log, 'a', 0o600);
  } catch (error) {
    throw permissionError(error, paths.log) ?? error;
  }
  const logOffset = fs.fstatSync(logFd).size;
  const entry = path.resolve(process.argv[1] ?? '');
  const child = spawn(process.execPath, [...process.execArgv, entry, 'daemon', 'start', '--socket', paths.socket, ...extraArgs], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    cwd: paths.home,
    env: process.env,
  });
  fs.closeSync(logFd);
  let exitCode: number | null | undefined;
  child.on('exit', (code, signal) => (exitCode = code ?? (signal ? 128 : 1)));
  child.on('error', () => (exitCode = 1));
  child.unref();

  const deadline = Date.now() + START_DEADLINE_MS;
  while (Date.now() < deadline) {
    if (await startedDaemonAnswers(paths.socket, Math.max(1, Math.min(START_PROBE_TIMEOUT_MS, deadline - Date.now())))) {
      return { pid: child.pid };
    }
    // A child that says "already running" lost a race to another starter: keep waiting for the winner, unless the
    // daemon it found serves this home on another socket, which this client will never see answer.
    if (exitCode === EXIT_CODES.conflict && servesAnotherSocket(paths)) {
      throw new AppError('DAEMON_ALREADY_RUNNING', lastLogError(paths.log, logOffset));
    }
    // Nor is anybody coming when what refused the daemon is the thing at its socket path (put there meanwhile).
    if (exitCode === EXIT_CODES.conflict) checkSocketFile(paths.socket);
    if (exitCode !== undefined && exitCode !== EXIT_CODES.conflict) {
      const storage = storageTrouble(paths.home);
      const said = lastLogError(paths.log, logOffset, storage === undefined ? undefined : `it exited without a word, and ${storage}`);
      // A daemon that exits with the usage code refused its setup (the config file, the secrets file, the socket
      // path): that is for the user to fix, not a daemon that is unavailable, and the exit code says so.
      const code = storage ? 'STORAGE_UNAVAILABLE' : exitCode === EXIT_CODES.usage ? 'CONFIG_INVALID' : 'DAEMON_START_FAILED';
      throw new AppError(code, `the daemon did not start: ${said}`, { details: { log: paths.log } });
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new AppError(
    'DAEMON_START_FAILED',
    `the daemon did not answer on ${paths.socket} within ${START_DEADLINE_MS / 1000}s; see ${paths.log}`,
  );
}

/** How long a daemon asked to shut down gets before it is sent SIGTERM, and then again before giving up. */
export const STOP_DEADLINE_MS = 10_000;

/**
 * Waits for a daemon that answered a shutdown request with `pid` to exit (and, when `socket` is given, to remove its
 * socket); one that is still there after the deadline gets SIGTERM (it answered with this pid moments ago, so it is
 * ours to signal) and a second deadline.
 */
export async function awaitDaemonExit(pid: number, socket?: string): Promise<void> {
  if (await waitForDaemonExit(pid, socket, STOP_DEADLINE_MS)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* it exited just now */
  }
  if (!(await waitForDaemonExit(pid, socket, STOP_DEADLINE_MS))) {
    throw new AppError('DAEMON_UNAVAILABLE', `the daemon (pid ${pid}) did not stop within ${(2 * STOP_DEADLINE_MS) / 1000}s`);
  }
}

/** Waits until `pid` has exited and the socket (when given) is gone, or the deadline passes. */
export async function waitForDaemonExit(pid: number, socket: string | undefined, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid) && (socket === undefined || !fs.existsSync(socket))) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return !isProcessAlive(pid);
}

function servesAnotherSocket(paths: Paths): boolean {
  const running = readDiscovery(paths.discovery);
  return running !== undefined && running.socket !== paths.socket && isProcessAlive(running.pid);
}

function rotateLog(file: string): void {
  try {
    if (fs.statSync(file).size > LOG_ROTATE_BYTES) fs.renameSync(file, `${file}.1`);
  } catch {
    /* no log yet */
  }
}

/**
 * The daemon's own last words since `offset`: its `codepiper: ...` line, or else the last line it wrote, or else
 * `silent` (a daemon whose home is full or read-only cannot write its log either).
 */
function lastLogError(file: string, offset: number, silent = 'it exited without a word'): string {
  try {
    const text = fs.readFileSync(file).subarray(offset).toString('utf8');
    const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
    const said = lines.filter((line) => line.startsWith('codepiper: ')).pop();
    return (said?.slice('codepiper: '.length) ?? lines.pop() ?? silent) + ` (log: ${file})`;
  } catch {
    return `it exited; see ${file}`;
  }
}

/** What is wrong with the filesystem under `home`, if anything: no space left, or not writable. */
function storageTrouble(home: string): string | undefined {
  try {
    if (fs.statfsSync(home).bavail === 0) return `the filesystem of ${home} has no space left`;
  } catch {
    /* statfs unsupported: the access check stands alone */
  }
  try {
    fs.accessSync(home, fs.constants.W_OK);
  } catch (error) {
    return `${home} cannot be written (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  return undefined;
}
