import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../errors';

export interface TrashPlace {
  /** 'desktop': the freedesktop.org trash (or macOS ~/.Trash), restorable from a file manager; 'codepiper': our own. */
  kind: 'desktop' | 'codepiper';
  dir: string;
}

/**
 * Where deleted transcripts go: the desktop trash when one exists (XDG_DATA_HOME/Trash, ~/.local/share/Trash, or
 * ~/.Trash on macOS), else $CODEPIPER_HOME/trash. Never a permanent delete.
 */
export function trashPlace(env: NodeJS.ProcessEnv, codepiperHome: string): TrashPlace {
  const home = env.HOME || os.homedir();
  const candidates = process.platform === 'darwin' ? [path.join(home, '.Trash')] : [path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'Trash')];
  for (const dir of candidates) {
    try {
      if (fs.statSync(dir).isDirectory()) return { kind: 'desktop', dir };
    } catch {
      // not there
    }
  }
  return { kind: 'codepiper', dir: path.join(codepiperHome, 'trash') };
}

/**
 * Moves `file` into the trash and returns where it went. For the freedesktop trash it also writes the .trashinfo
 * record (original path, deletion time) that lets a file manager restore it. A move across file systems copies, checks
 * the size, then removes the original; if anything fails the original is left where it was.
 */
export function moveToTrash(file: string, place: TrashPlace, now = new Date()): string {
  const freedesktop = place.kind === 'desktop' && process.platform !== 'darwin';
  const filesDir = freedesktop ? path.join(place.dir, 'files') : place.dir;
  const infoDir = path.join(place.dir, freedesktop ? 'info' : '.info');
  fs.mkdirSync(filesDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(infoDir, { recursive: true, mode: 0o700 });
  const base = path.basename(file);
  for (let n = 1; n < 10_000; n++) {
    const name = n === 1 ? base : `${base}.${n}`;
    const infoFile = path.join(infoDir, `${name}.trashinfo`);
    let infoFd: number;
    try {
      // The info file is claimed first and exclusively: two deletions never pick the same name.
      infoFd = fs.openSync(infoFile, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new AppError('TRASH_FAILED', `cannot write to the trash ${place.dir}: ${(error as Error).message}`);
    }
    const target = path.join(filesDir, name);
    if (fs.existsSync(target)) {
      // A file without its record (put there by hand): leave both alone and try the next name.
      fs.closeSync(infoFd);
      fs.rmSync(infoFile, { force: true });
      continue;
    }
    try {
      fs.writeSync(infoFd, `[Trash Info]\nPath=${encodeTrashPath(file)}\nDeletionDate=${localIso(now)}\n`);
      fs.closeSync(infoFd);
      move(file, target);
      return target;
    } catch (error) {
      fs.rmSync(infoFile, { force: true });
      throw new AppError('TRASH_FAILED', `cannot move ${file} to the trash: ${(error as Error).message}`);
    }
  }
  throw new AppError('TRASH_FAILED', `no free name for ${base} in ${place.dir}`);
}

/**
 * Puts a trashed file back where it came from (creating its folder again) and removes its restore record. Never
 * overwrites: a file that is at the original path by now is reported, not replaced. Returns what happened.
 */
export function restoreFromTrash(trashed: string, original: string): 'restored' | 'gone' | 'occupied' {
  if (!fs.existsSync(trashed)) return 'gone';
  if (fs.existsSync(original)) return 'occupied';
  try {
    fs.mkdirSync(path.dirname(original), { recursive: true, mode: 0o700 });
    move(trashed, original, { noClobber: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return 'occupied';
    throw new AppError('TRASH_FAILED', `cannot move ${trashed} back to ${original}: ${(error as Error).message}`);
  }
  // The record sits in info/ next to files/ (freedesktop) or in .info/ next to the file (CodePiper's own trash).
  const dir = path.dirname(trashed);
  const infoDir = path.basename(dir) === 'files' && fs.existsSync(path.join(dir, '..', 'info')) ? path.join(dir, '..', 'info') : path.join(dir, '.info');
  fs.rmSync(path.join(infoDir, `${path.basename(trashed)}.trashinfo`), { force: true });
  return 'restored';
}

function move(from: string, to: string, { noClobber = false } = {}): void {
  if (noClobber) {
    // link(2) refuses an existing target, where rename(2) would replace it.
    try {
      fs.linkSync(from, to);
      fs.rmSync(from);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw error;
    }
  }
  try {
    fs.renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    fs.copyFileSync(from, to, fs.constants.COPYFILE_EXCL);
    if (fs.statSync(to).size !== fs.statSync(from).size) {
      fs.rmSync(to, { force: true });
      throw new Error(`the copy at ${to} is incomplete`);
    }
    fs.rmSync(from);
  }
}

/** The trash spec's Path: absolute, each byte outside the unreserved set percent-encoded, slashes kept. */
function encodeTrashPath(file: string): string {
  return path
    .resolve(file)
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** YYYY-MM-DDThh:mm:ss in local time, as the trash spec wants. */
function localIso(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}
