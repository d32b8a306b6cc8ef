import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * How a program's whole environment (its caller's, sent with create) reaches it. Not as `-e` arguments of tmux: a
 * tmux command is limited to 16 KB (a shell's environment is often more), and a process's argv is readable by every
 * user of the machine while it runs. Instead a file only its owner can read, in a directory only its owner can open,
 * which the program's launcher (a /bin/sh) opens and removes before it reads it, and then execs the program.
 */

/** Shell names a POSIX sh (dash, or bash as sh) refuses to export or reads specially: they travel as `-e`. */
const SHELL_OWNED = new Set(['PPID', 'UID', 'EUID', 'SHELLOPTS', 'BASHOPTS', 'BASH_VERSINFO', 'LINENO', 'OPTIND', 'IFS', 'PS4']);

export interface StagedEnvironment {
  /** The file the launcher sources; undefined when every variable travels as `-e`. */
  file: string | undefined;
  /** The few names a shell keeps to itself (see SHELL_OWNED): as `-e`. */
  rest: Record<string, string>;
  /** Removes the file when the launcher never ran (tmux refused the command). */
  discard(): void;
}

export function stageEnvironment(dir: string, place: string, env: Readonly<Record<string, string>>): StagedEnvironment {
  const lines: string[] = [];
  const rest: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    // A name that is not a shell identifier (an exported bash function's, BASH_FUNC_f%%) cannot pass the POSIX sh
    // launcher, which drops such names from what it hands on: it is left out rather than sent to be dropped.
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue;
    if (SHELL_OWNED.has(name)) rest[name] = value;
    else lines.push(`export ${name}=${shellQuote(value)}`);
  }
  if (!lines.length) return { file: undefined, rest, discard: () => undefined };
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  removeForgotten(dir);
  const file = path.join(dir, `${place}.${crypto.randomBytes(6).toString('hex')}.env`);
  fs.writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600, flag: 'wx' });
  return { file, rest, discard: () => fs.rmSync(file, { force: true }) };
}

/** A launcher removes its file at once: one still there after a minute was left by a daemon that died meanwhile. */
const FORGOTTEN_MS = 60_000;

function removeForgotten(dir: string): void {
  const now = Date.now();
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.env')) continue;
    const file = path.join(dir, name);
    try {
      if (now - fs.statSync(file).mtimeMs > FORGOTTEN_MS) fs.rmSync(file, { force: true });
    } catch {
      /* removed meanwhile */
    }
  }
}

/** Single quotes keep every byte as it is; a single quote itself is closed, escaped and reopened. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The launcher's steps for a staged file ($1): open it, remove it, then read it from the open descriptor, so it is
 * gone from the directory before any value is set (and whatever PATH the values set, rm is found).
 */
export const SOURCE_STAGED = 'exec 3< "$1" && rm -f "$1" && . /dev/fd/3; exec 3<&-; shift';
