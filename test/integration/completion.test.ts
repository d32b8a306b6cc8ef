import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, createHarness, type Harness } from '../helpers/harness';

let harness: Harness;
beforeAll(() => {
  harness = createHarness();
});
afterAll(async () => {
  await harness?.cleanup();
});

/** Which shells are here: zsh and fish are often not installed (CI has bash only). */
const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

/** Each shell's script, generated once by the built CLI. */
const scripts = new Map<string, string>();

async function script(shell: string): Promise<string> {
  const known = scripts.get(shell);
  if (known) return known;
  const result = await harness.run(['completion', shell]);
  expect(result.code, result.stderr).toBe(0);
  const file = path.join(harness.dir, `completion.${shell}`);
  fs.writeFileSync(file, result.stdout);
  scripts.set(shell, file);
  return file;
}

/**
 * What bash offers for the words typed so far (the last one being completed), with the script sourced in a bash
 * without rc files, driving its completion function as readline would (COMP_WORDS, COMP_CWORD).
 */
async function bashOffers(words: string[]): Promise<string[]> {
  const file = await script('bash');
  const program = `source ${JSON.stringify(file)}
COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
_codepiper
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', program, 'bash', BIN, ...words], { env: harness.env, encoding: 'utf8', timeout: 20_000 });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').filter(Boolean);
}

describe('codepiper completion', () => {
  it('bash: offers commands, subcommands, options and provider names from the command line it completes', async () => {
    expect(await bashOffers(['st'])).toEqual(['start', 'stop']);
    expect(await bashOffers(['daemon', 'st'])).toEqual(['start', 'stop', 'status']);
    expect(await bashOffers(['start', '-p', ''])).toEqual(['claude-code', 'codex', 'command']);
    expect(await bashOffers(['--socket', '/x', 'start', '--provider', 'c'])).toEqual(['claude-code', 'codex', 'command']);
    expect(await bashOffers(['start', '--na'])).toEqual(['--name']);
    expect(await bashOffers(['sessions', '--status', 'needs_'])).toEqual(['needs_input', 'needs_permission']);
    expect(await bashOffers(['comp'])).toEqual(['completion']);
  });

  it('asks no daemon for session names when none runs, and starts none', async () => {
    expect(await bashOffers(['attach', ''])).toEqual([]);
    const helper = await harness.run(['__complete', 'sessions']);
    expect(helper).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(harness.discovery()).toBeUndefined();
  });

  it('bash: offers the session names and ids of a running daemon where a session goes', async () => {
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    const created = await harness.run(['start', '-p', 'command', '-d', harness.dir, '--name', 'alpha', '--', 'sh']);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect(await bashOffers(['attach', ''])).toEqual(['alpha', id]);
    expect(await bashOffers(['send', 'al'])).toEqual(['alpha']);
    expect(await bashOffers(['audit', '--session', ''])).toEqual(['alpha', id]);
    // After the session, a send takes text: no more names.
    expect(await bashOffers(['send', 'alpha', ''])).toEqual([]);
  });

  it.skipIf(!has('zsh'))('zsh: the script parses and completes (skipped where zsh is not installed)', async () => {
    const file = await script('zsh');
    expect(spawnSync('zsh', ['-n', file], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    const program = `compdef() { :; }; _files() { :; }; compadd() { shift; print -rl -- \${(P)1}; }
source ${JSON.stringify(file)}
words=(codepiper daemon st); CURRENT=3; _codepiper`;
    const result = spawnSync('zsh', ['-f', '-c', program], { env: harness.env, encoding: 'utf8' });
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(expect.arrayContaining(['start', 'stop', 'status']));
  });

  it.skipIf(!has('fish'))('fish: the script parses and completes (skipped where fish is not installed)', async () => {
    const file = await script('fish');
    expect(spawnSync('fish', ['-n', file], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    const result = spawnSync('fish', ['--no-config', '-c', `source ${JSON.stringify(file)}; complete -C 'codepiper daemon st'`], { env: harness.env, encoding: 'utf8' });
    expect(result.stdout.split('\n').map((line) => line.split('\t')[0])).toEqual(expect.arrayContaining(['start', 'stop', 'status']));
  });

  it('refuses a shell it does not know, naming the ones it does', async () => {
    const result = await harness.run(['completion', 'tcsh']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown shell "tcsh": expected one of bash, zsh, fish/);
  });
});
