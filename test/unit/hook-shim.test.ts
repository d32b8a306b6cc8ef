import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeHookShim } from '../../src/core/hooks/forward-shim';

let dir: string | undefined;
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("the home's hook shim", () => {
  it('runs the bundle it was last pointed at with stdin passed through, and exits 0 silently once that is gone', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "cpt-shim 'q"));
    const home = path.join(dir, 'home');
    fs.mkdirSync(home);
    const bundle = (name: string) => {
      const file = path.join(dir!, name);
      fs.writeFileSync(file, `process.stdin.on('data', (d) => process.stdout.write('${name}:' + d));`);
      return file;
    };
    const command = writeHookShim(home, process.execPath, bundle('first.cjs'));
    const run = () => spawnSync('/bin/sh', ['-c', command], { input: 'payload', encoding: 'utf8' });
    expect(run()).toMatchObject({ status: 0, stdout: 'first.cjs:payload' });
    expect(fs.statSync(path.join(home, 'hook-forward')).mode & 0o777).toBe(0o700);

    // Re-pointed (a daemon of another install started): the same command runs the new bundle.
    expect(writeHookShim(home, process.execPath, bundle('second.cjs'))).toBe(command);
    expect(run()).toMatchObject({ status: 0, stdout: 'second.cjs:payload' });
    expect(fs.readdirSync(home)).toEqual(['hook-forward']);

    fs.rmSync(path.join(dir, 'second.cjs'));
    expect(run()).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(execFileSync('/bin/sh', ['-n', path.join(home, 'hook-forward')], { encoding: 'utf8' })).toBe('');
  });
});
