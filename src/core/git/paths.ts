import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors';

/**
 * Where a path given to a git route may point: inside the worktree, after resolving "..", and symlinks of every part
 * that exists. Anything else is PATH_OUTSIDE_WORKTREE before a byte is read, and the caller gets the path as git
 * names it (relative to the top, "/" separated), which it then passes after "--" with literal pathspecs, so git takes
 * it neither as an option nor as pathspec magic.
 */

/** Symlinks followed while resolving one path, at most (a loop, or a chain meant to exhaust us). */
const MAX_LINKS = 40;

export interface SafePath {
  /** As git names it: relative to the worktree's top, "/" separated, no "./" or "..". */
  rel: string;
  /** Where its bytes are when read from the worktree: symlinks resolved, inside the top. */
  real: string;
}

function outside(input: string, why: string): AppError {
  return new AppError('PATH_OUTSIDE_WORKTREE', `path ${JSON.stringify(input)} ${why}; give a path relative to the worktree's top that stays inside it`, {
    details: { path: input },
  });
}

/** True when `child` is `parent` or below it (both absolute and normalised). */
export function isWithin(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel) && rel.split(path.sep)[0] !== '..');
}

/**
 * Checks `input` against the worktree whose top is `top` (already a real path). Refuses: NUL, absolute paths, "..
 * out of the top, the repository's own .git, and any existing part of the path (the deepest one that exists, after
 * following symlinks, a dangling link's target included) that lands outside the top.
 */
export function safeWorktreePath(top: string, input: string): SafePath {
  if (input.includes('\0')) throw outside(input.replace(/\0/g, '\\0'), 'contains a NUL byte');
  if (input === '') throw outside(input, 'is empty');
  if (path.isAbsolute(input) || input.startsWith('\\')) throw outside(input, 'is absolute');
  const lexical = path.resolve(top, input);
  if (!isWithin(top, lexical)) throw outside(input, 'leads out of the worktree through ".."');
  const rel = path.relative(top, lexical).split(path.sep).join('/');
  if (rel === '') throw outside(input, 'names the worktree itself, not a path inside it');
  if (rel.split('/').some((part) => part.toLowerCase() === '.git')) throw outside(input, "is inside the repository's own .git");
  const real = resolveExisting(lexical, input, 0);
  if (!isWithin(top, real)) throw outside(input, 'resolves through a symbolic link to a place outside the worktree');
  // A link inside the tree to .git (committed, or made by the agent) must not open what the name check refused.
  if (path.relative(top, real).split(path.sep).some((part) => part.toLowerCase() === '.git')) {
    throw outside(input, "resolves through a symbolic link into the repository's own .git");
  }
  return { rel, real };
}

/**
 * The real path `target` would have: the realpath of its deepest existing ancestor, plus the parts that do not exist
 * yet. A dangling symlink is followed by hand (realpath refuses it) so its target is checked too.
 */
function resolveExisting(target: string, input: string, links: number): string {
  if (links > MAX_LINKS) throw outside(input, 'goes through too many symbolic links');
  let existing = target;
  const missing: string[] = [];
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.lstatSync(existing);
    } catch {
      stat = undefined;
    }
    if (stat) {
      try {
        return path.join(fs.realpathSync(existing), ...missing);
      } catch {
        if (!stat.isSymbolicLink()) throw outside(input, 'cannot be resolved');
        // A dangling link: where it points is where a write would land.
        const pointed = path.resolve(path.dirname(existing), fs.readlinkSync(existing));
        return path.join(resolveExisting(pointed, input, links + 1), ...missing);
      }
    }
    const parent = path.dirname(existing);
    if (parent === existing) return path.join(existing, ...missing);
    missing.unshift(path.basename(existing));
    existing = parent;
  }
}

/**
 * Opens a checked worktree file for reading and proves the descriptor is still inside the top (a link swapped in after
 * the check is caught here); null when it does not exist.
 */
export function openInside(top: string, safe: SafePath, input: string): number | null {
  let fd: number;
  try {
    fd = fs.openSync(safe.real, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP') throw outside(input, 'became a symbolic link while it was read');
    throw error;
  }
  try {
    const viaProc = `/proc/self/fd/${fd}`;
    if (fs.existsSync(viaProc) && !isWithin(top, fs.realpathSync(viaProc))) throw outside(input, 'resolves outside the worktree');
    if (!fs.fstatSync(fd).isFile()) throw new AppError('USAGE', `${input} is not a regular file (a directory?)`, { details: { path: input } });
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  return fd;
}
