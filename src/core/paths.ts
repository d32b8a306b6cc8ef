import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storageError } from './db/storage-error';
import { AppError } from './errors';

/**
 * Everything CodePiper writes lives under one home (CODEPIPER_HOME, default ~/.codepiper, mode 0700), except the
 * socket, which prefers $XDG_RUNTIME_DIR (a per-user tmpfs) when there is one. Every path can be overridden so that
 * tests never touch the real home.
 */
export interface Paths {
  home: string;
  socket: string;
  /** The directory holding the socket; CodePiper creates it 0700 when it is its own (not a user-chosen one). */
  socketDir: string;
  /** True when the socket directory is CodePiper's own and must be 0700; false for a CODEPIPER_SOCKET/--socket. */
  socketDirIsOwn: boolean;
  /** The private tmux server's `-L` name. */
  tmuxSocketName: string;
  database: string;
  discovery: string;
  log: string;
  config: string;
  secrets: string;
  sessionsDir: string;
}

export interface PathOptions {
  env?: NodeJS.ProcessEnv;
  /** `--socket` on the command line: wins over CODEPIPER_SOCKET. */
  socket?: string;
}

/**
 * The longest socket path we accept. sun_path is 108 bytes on Linux and 104 on macOS, both counting the final NUL;
 * the smaller bound keeps a configuration portable.
 */
export const MAX_SOCKET_PATH_BYTES = 103;

export const DEFAULT_TMUX_SOCKET_NAME = 'codepiper';

export function resolvePaths(options: PathOptions = {}): Paths {
  const env = options.env ?? process.env;
  const defaultHome = path.join(os.homedir(), '.codepiper');
  const home = env.CODEPIPER_HOME ? path.resolve(env.CODEPIPER_HOME) : defaultHome;

  // One runtime directory serves every home of this user: a home other than the default gets its own socket name,
  // so a second CODEPIPER_HOME never talks to the first one's daemon.
  const runtimeDir = env.XDG_RUNTIME_DIR && path.isAbsolute(env.XDG_RUNTIME_DIR) ? env.XDG_RUNTIME_DIR : undefined;
  const defaultSocket = runtimeDir
    ? path.join(runtimeDir, 'codepiper', home === defaultHome ? 'daemon.sock' : `daemon-${shortHash(home)}.sock`)
    : path.join(home, 'daemon.sock');
  const chosenSocket = options.socket || env.CODEPIPER_SOCKET;
  const socket = chosenSocket ? path.resolve(chosenSocket) : defaultSocket;
  // Whether the directory is CodePiper's own depends on where it is, not on how the socket was named: the detached
  // daemon is handed its socket with --socket, and a user may spell out the default path; both must get it checked.
  const socketDirIsOwn = path.dirname(socket) === path.dirname(defaultSocket);

  const tmuxSocketName = env.CODEPIPER_TMUX_SOCKET || DEFAULT_TMUX_SOCKET_NAME;
  if (tmuxSocketName.includes('/')) {
    throw new AppError('USAGE', `CODEPIPER_TMUX_SOCKET must be a socket name for tmux -L, not a path: ${tmuxSocketName}`);
  }

  return {
    home,
    socket,
    socketDir: path.dirname(socket),
    socketDirIsOwn,
    tmuxSocketName,
    database: path.join(home, 'codepiper.db'),
    discovery: path.join(home, 'daemon.json'),
    log: path.join(home, 'daemon.log'),
    config: env.CODEPIPER_CONFIG ? path.resolve(env.CODEPIPER_CONFIG) : path.join(home, 'config.json'),
    secrets: path.join(home, 'secrets.json'),
    sessionsDir: path.join(home, 'sessions'),
  };
}

/** Fails with a message naming the fix when the socket path cannot be bound. */
export function checkSocketPath(socket: string): void {
  const bytes = Buffer.byteLength(socket);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new AppError(
      'SOCKET_PATH_TOO_LONG',
      `socket path is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of Unix sockets: ${socket}; ` +
        'set CODEPIPER_SOCKET (or --socket) to a shorter path, e.g. /tmp/codepiper-$USER/daemon.sock, or use a shorter CODEPIPER_HOME',
      { details: { path: socket, bytes, limit: MAX_SOCKET_PATH_BYTES } },
    );
  }
}

/**
 * Creates `dir` (and parents) so that it ends up 0700 and ours. An existing directory we own is tightened to 0700;
 * one owned by someone else is refused, since its owner could read or replace what we put there.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.statSync(dir);
    if (!stat.isDirectory()) throw new AppError('USAGE', `${dir} exists and is not a directory`);
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) {
      throw new AppError('PERMISSION_DENIED', `${dir} belongs to uid ${stat.uid}, not to you (uid ${uid}): choose another directory`);
    }
    if ((stat.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
  } catch (error) {
    throw permissionError(error, dir) ?? error;
  }
}

/**
 * Turns EACCES/EPERM into an AppError that says which path and what to do, and a full or read-only filesystem into
 * the storage error that says so; undefined for anything else.
 */
export function permissionError(error: unknown, target: string): AppError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EROFS' || code === 'ENOSPC' || code === 'EDQUOT') return storageError(error, target);
  if (code === 'EACCES' || code === 'EPERM') {
    return new AppError(
      'PERMISSION_DENIED',
      `permission denied on ${target} (${code}): fix its permissions, or point CODEPIPER_HOME / CODEPIPER_SOCKET somewhere you can write`,
      { cause: error },
    );
  }
  return undefined;
}

/** FNV-1a, 32 bits, hex: a short stable name, not a security measure. */
function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
