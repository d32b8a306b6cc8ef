import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness';

/**
 * A real full or read-only filesystem under a home: a small tmpfs, which needs the right to mount (root in a
 * container that allows it). Where that is missing, these tests are skipped; the mapping of real SQLite errors is
 * tested without mounts in test/unit/storage-errors.test.ts.
 */
function canMount(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-mount-'));
  try {
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status !== 0) return false;
    spawnSync('umount', [probe]);
    return true;
  } finally {
    fs.rmdirSync(probe);
  }
}

let harness: Harness;
let mountPoint: string | undefined;
afterEach(async () => {
  // Lazily: a process of the test that still holds a file there cannot keep the mount alive.
  if (mountPoint) spawnSync('umount', ['-l', mountPoint]);
  mountPoint = undefined;
  await harness?.cleanup();
});

function mountTmpfs(options: string): string {
  harness = createHarness();
  mountPoint = path.join(harness.dir, 'fs');
  fs.mkdirSync(mountPoint);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.stderr}`);
  return mountPoint;
}

/** Writes into `dir` until its filesystem refuses with ENOSPC. */
function fill(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'ballast'), 'w');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (;;) fs.writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    fs.closeSync(fd);
  }
}

describe.runIf(canMount())('a home on storage that cannot take writes', () => {
  it('a fresh home on a full disk: the client names the full filesystem', async () => {
    const root = mountTmpfs('size=1m');
    fill(root);
    const home = path.join(root, 'home');
    const result = await harness.run(['providers'], { env: { ...harness.env, CODEPIPER_HOME: home } });
    expect(result.code).toBe(8);
    expect(result.stderr).toMatch(new RegExp(`^codepiper: (the daemon did not start: .*)?(the filesystem of ${home} has no space left|no space left to write ${home}/)`));
    expect(result.stderr).not.toMatch(/without a word\s*\(log/);
  });

  it('a read-only home: the client names the path and the cause, and doctor fails', async () => {
    const root = mountTmpfs('size=1m');
    const home = path.join(root, 'home');
    fs.mkdirSync(home, { mode: 0o700 });
    expect(spawnSync('mount', ['-o', 'remount,ro', root]).status).toBe(0);
    const env = { ...harness.env, CODEPIPER_HOME: home };

    const result = await harness.run(['providers'], { env });
    expect(result.code).toBe(8);
    expect(result.stderr).toMatch(new RegExp(`^codepiper: ${home}/\\S+ cannot be written \\(EROFS\\)`));

    const doctor = await harness.run(['doctor'], { env });
    expect(doctor.code).not.toBe(0);
    expect(doctor.stdout + doctor.stderr).toMatch(new RegExp(`${home} cannot be written: EROFS`));
  });
});
