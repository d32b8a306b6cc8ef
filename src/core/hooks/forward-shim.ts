import fs from 'node:fs';
import path from 'node:path';
import { permissionError } from '../paths';

/** The stable hook command in a CodePiper home: what every session's settings overlay names. */
export const HOOK_SHIM_NAME = 'hook-forward';

/** A path quoted for sh: safe whatever it holds. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/**
 * Writes `<home>/hook-forward`, a small sh script that runs `hookBundle` with `node`, and returns the command that
 * runs it (quoted for sh). Claude Code reads a session's hooks once, when the agent starts, and agents outlive daemons
 * and installs: an overlay naming an install's own files breaks when that install is moved, replaced or removed while
 * the session runs. The overlay names this file instead, and each daemon start rewrites it to point at the install
 * that daemon runs from, so the next hook of a running session reaches whichever CodePiper runs now. Written by
 * rename, so that a hook running during a daemon start reads the old script or the new one, never half of one. When
 * the files it names are gone (the old install removed before a new daemon started) it exits 0 silently: no
 * decision, and the agent's own permission prompt stays in charge, as hook-forward itself does when the daemon is
 * down.
 */
export function writeHookShim(home: string, node: string, hookBundle: string): string {
  const file = path.join(home, HOOK_SHIM_NAME);
  const script = [
    '#!/bin/sh',
    "# CodePiper's hook command: each daemon start rewrites it to run its own install's hook-forward.",
    `node=${shellQuote(node)}`,
    `hook=${shellQuote(hookBundle)}`,
    '[ -x "$node" ] && [ -f "$hook" ] || exit 0',
    'exec "$node" "$hook" "$@"',
    '',
  ].join('\n');
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, script, { mode: 0o700 });
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    // A home that cannot be written (permissions, a read-only or full disk) is named, with what to do.
    throw permissionError(error, file) ?? error;
  }
  return shellQuote(file);
}
