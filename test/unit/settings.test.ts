import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseSettingValue } from '../../src/cli/commands/config';
import { configSchema, liveSetting, loadConfig } from '../../src/core/config';
import {
  flattenSettings,
  knownKey,
  mergePatch,
  patchFor,
  readSettings,
  schemaKeys,
  updateSettings,
  writeFileAtomically,
  type AtomicWriteIo,
} from '../../src/core/config/settings';
import { isAppError } from '../../src/core/errors';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-settings-'));
  file = path.join(dir, 'config.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function caught(action: () => unknown): { code: string; message: string; status: number; details: any } {
  try {
    action();
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message, status: error.status, details: error.details };
    throw error;
  }
  throw new Error('expected an error');
}

describe('JSON merge patch (RFC 7386)', () => {
  // The examples of RFC 7386, appendix A, that apply to objects, and a few more.
  it.each([
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    [{ a: { b: 1 } }, { a: { c: 2 } }, { a: { b: 1, c: 2 } }],
  ])('%j patched with %j is %j', (target, patch, result) => {
    const before = structuredClone(target);
    expect(mergePatch(target, patch)).toEqual(result);
    expect(target).toEqual(before); // the target is not changed in place
  });

  it('replaces a non-object target with the patch object, and anything with a non-object patch', () => {
    expect(mergePatch(['c'], { a: 'b' })).toEqual({ a: 'b' });
    expect(mergePatch({ a: 'b' }, ['c'])).toEqual(['c']);
    expect(mergePatch('x', { a: null })).toEqual({});
  });

  it('flattens to dotted leaves, a list being one value, and builds one key\'s patch', () => {
    expect(flattenSettings({ a: { b: 1, c: [1, 2] }, d: 'x', e: {} })).toEqual([
      ['a.b', 1],
      ['a.c', [1, 2]],
      ['d', 'x'],
    ]);
    expect(patchFor(['policies', 'defaultAction'], null)).toEqual({ policies: { defaultAction: null } });
  });
});

describe('the keys of the schema', () => {
  it('lists every key of the configuration with when a change applies, inherited from its parent', () => {
    const keys = schemaKeys();
    const byKey = Object.fromEntries(keys.map((key) => [key.key, key]));
    expect(byKey['policies.defaultAction']).toMatchObject({ kind: 'value', appliesAt: 'now' });
    expect(byKey['policies']).toMatchObject({ kind: 'object', appliesAt: 'restart' });
    expect(byKey['providers']).toMatchObject({ kind: 'object', appliesAt: 'now' });
    expect(byKey['providers.codex.binary']).toMatchObject({ kind: 'value', appliesAt: 'now' });
    expect(byKey['tmux.binary']).toMatchObject({ kind: 'value', appliesAt: 'restart' });
    expect(byKey['transcripts.scanOnStart']?.description).toMatch(/scan every transcript/);
  });

  it('follows whatever schema it is given: a new key, a map, a key marked live', () => {
    const schema = z.strictObject({
      worktrees: z.strictObject({ root: z.string().optional() }).optional(),
      envs: z.record(z.string(), liveSetting(z.strictObject({ value: z.string() }))).optional(),
    });
    const keys = schemaKeys(schema);
    expect(keys.map((key) => `${key.key}:${key.kind}:${key.appliesAt}`)).toEqual([
      'worktrees:object:restart',
      'worktrees.root:value:restart',
      'envs:object:restart',
      'envs.*:object:now',
      'envs.*.value:value:now',
    ]);
    expect(knownKey(keys, 'envs.prod.value')?.key).toBe('envs.*.value');
    expect(knownKey(keys, 'worktrees.rot')).toBeUndefined();
  });
});

describe('reading the file', () => {
  it('says where it is, that it is absent, and that nothing is set', () => {
    const state = readSettings(file);
    expect(state).toMatchObject({ path: file, exists: false, settings: {}, problems: [], restartRequired: false, restartKeys: [] });
  });

  it('reports every problem of the file with its line, and what waits for a restart', () => {
    fs.writeFileSync(file, '{\n  "tmux": {"binry": "x"},\n  "policies": {"defaultAction": "allow"}\n}\n');
    const state = readSettings(file);
    expect(state.settings).toEqual({ tmux: { binry: 'x' }, policies: { defaultAction: 'allow' } });
    expect(state.problems.map((p) => `${p.line}:${p.path}:${p.message}`)).toEqual([
      '2:tmux:unknown key "binry" (did you mean binary?)',
      '3:policies.defaultAction:expected one of ask, deny, got "allow"',
    ]);

    fs.writeFileSync(file, JSON.stringify({ tmux: { binary: '/opt/tmux' }, policies: { defaultAction: 'deny' } }));
    const running = { policies: { defaultAction: 'deny' } };
    expect(readSettings(file, running)).toMatchObject({ restartRequired: true, restartKeys: ['tmux.binary'] });
  });

  it('reads a file with a byte-order mark as the daemon does (JSON.parse alone refuses it)', () => {
    fs.writeFileSync(file, '\uFEFF{"policies": {"defaultAction": "deny"}}');
    expect(loadConfig(file)).toEqual({ policies: { defaultAction: 'deny' } });
    expect(readSettings(file).settings).toEqual({ policies: { defaultAction: 'deny' } });
  });
});

describe('changing the file', () => {
  it('creates it (0600), merges into it, removes a key with null, and keeps its indentation', () => {
    const first = updateSettings(file, { policies: { defaultAction: 'deny' } });
    expect(first.changed).toEqual(['policies.defaultAction']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ policies: { defaultAction: 'deny' } });

    fs.writeFileSync(file, '{\n    "tmux": {\n        "binary": "tmux"\n    }\n}\n', { mode: 0o644 });
    const second = updateSettings(file, { policies: { defaultAction: 'ask' }, tmux: null });
    expect(second.changed.sort()).toEqual(['policies.defaultAction', 'tmux.binary']);
    expect(fs.readFileSync(file, 'utf8')).toBe('{\n    "policies": {\n        "defaultAction": "ask"\n    }\n}\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('applies keys marked live to the running configuration in place, and leaves the others for a restart', () => {
    const running: Record<string, unknown> = loadConfig(file);
    const result = updateSettings(file, { policies: { defaultAction: 'deny' }, tmux: { binary: '/opt/tmux' }, providers: { codex: { binary: '/opt/codex' } } }, { running });
    expect(result.changed.sort()).toEqual(['policies.defaultAction', 'providers.codex.binary', 'tmux.binary']);
    expect(result.applied.sort()).toEqual(['policies.defaultAction', 'providers.codex.binary']);
    expect(running).toEqual({ policies: { defaultAction: 'deny' }, providers: { codex: { binary: '/opt/codex' } } });
    expect(result).toMatchObject({ restartRequired: true, restartKeys: ['tmux.binary'] });

    const removed = updateSettings(file, { policies: { defaultAction: null } }, { running });
    expect(removed.applied).toEqual(['policies.defaultAction']);
    expect(running).toEqual({ policies: {}, providers: { codex: { binary: '/opt/codex' } } });
  });

  it('refuses a change that breaks the schema, naming every problem and the nearest key, and writes nothing', () => {
    const original = '{"policies": {"defaultAction": "ask"}}';
    fs.writeFileSync(file, original);
    const error = caught(() => updateSettings(file, { policies: { defaultAction: 'allow' }, tmux: { binry: 'x' }, transcripts: { claude: 'one' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.status).toBe(400);
    expect(error.details.problems).toEqual([
      { path: 'tmux', message: 'unknown key "binry" (did you mean binary?)' },
      { path: 'transcripts.claude', message: expect.stringMatching(/expected array/) },
      { path: 'policies.defaultAction', message: 'expected one of ask, deny, got "allow"' },
    ]);
    expect(error.message).toMatch(/3 problems: .*tmux: unknown key "binry" \(did you mean binary\?\)/);
    expect(error.message).toMatch(/was not changed$/);
    expect(fs.readFileSync(file, 'utf8')).toBe(original);
  });

  it('lets a patch remove the key that breaks the file', () => {
    fs.writeFileSync(file, '{"tmux": {"binry": "x"}}');
    expect(readSettings(file).problems).toHaveLength(1);
    updateSettings(file, { tmux: { binry: null } });
    expect(readSettings(file)).toMatchObject({ settings: { tmux: {} }, problems: [] });
  });

  it('refuses to rewrite a file that is not plain JSON (comments, trailing commas), and leaves it byte for byte', () => {
    const handWritten = '{\n  // mine\n  "policies": {"defaultAction": "ask",},\n}\n';
    fs.writeFileSync(file, handWritten);
    const error = caught(() => updateSettings(file, { policies: { defaultAction: 'deny' } }));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.status).toBe(409);
    expect(error.message).toMatch(/is not plain JSON.*line 2, column 3: comments are not allowed in JSON.*nothing was written/);
    expect(fs.readFileSync(file, 'utf8')).toBe(handWritten);
    expect(readSettings(file).settings).toBeNull();
  });

  it('reports an empty file (the daemon refuses it) and lets a change fill it', () => {
    fs.writeFileSync(file, '\n');
    expect(readSettings(file).problems.map((p) => p.message)).toEqual([expect.stringMatching(/the file is empty/)]);
    updateSettings(file, { policies: { defaultAction: 'deny' } });
    expect(loadConfig(file)).toEqual({ policies: { defaultAction: 'deny' } });
  });

  it('writes through a symbolic link, which stays a link', () => {
    const real = path.join(dir, 'dotfiles', 'codepiper.json');
    fs.mkdirSync(path.dirname(real));
    fs.writeFileSync(real, '{}');
    fs.symlinkSync(real, file);
    updateSettings(file, { policies: { defaultAction: 'deny' } });
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(true);
    expect(JSON.parse(fs.readFileSync(real, 'utf8'))).toEqual({ policies: { defaultAction: 'deny' } });
  });

  it('changes nothing on disk when the patch changes nothing', () => {
    fs.writeFileSync(file, '{"policies":{"defaultAction":"ask"}}');
    const result = updateSettings(file, { policies: { defaultAction: 'ask' } });
    expect(result.changed).toEqual([]);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"policies":{"defaultAction":"ask"}}');
  });
});

describe('the atomic write', () => {
  const original = '{"policies": {"defaultAction": "ask"}}\n';
  const leftovers = () => fs.readdirSync(dir).filter((name) => name !== 'config.json');

  it('keeps the old file whole, and removes its temporary file, when a write fails half way', () => {
    fs.writeFileSync(file, original);
    let calls = 0;
    const io: AtomicWriteIo = {
      ...fs,
      writeSync: ((fd: number, buffer: Buffer, offset: number) => {
        if (calls++ > 0) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        return fs.writeSync(fd, buffer, offset, 5); // a short write first, then the disk is full
      }) as typeof fs.writeSync,
    };
    const error = caught(() => updateSettings(file, { policies: { defaultAction: 'deny' } }, { io }));
    expect(error.code).toBe('STORAGE_FULL');
    expect(error.message).toMatch(/the file was left as it was/);
    expect(fs.readFileSync(file, 'utf8')).toBe(original);
    expect(leftovers()).toEqual([]);
  });

  it('keeps the old file when the flush or the rename fails', () => {
    fs.writeFileSync(file, original);
    for (const failing of ['fsyncSync', 'renameSync'] as const) {
      const io: AtomicWriteIo = { ...fs, [failing]: () => { throw Object.assign(new Error(`${failing} failed`), { code: 'EIO' }); } };
      expect(caught(() => writeFileAtomically(file, '{"new": true}\n', io)).code).toBe('STORAGE_UNAVAILABLE');
      expect(fs.readFileSync(file, 'utf8')).toBe(original);
      expect(leftovers()).toEqual([]);
    }
  });

  it('keeps the old file in a directory it may not write to', () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: the directory's mode proves nothing here, so the refusal is made as the kernel would.
      const io: AtomicWriteIo = { ...fs, openSync: (() => { throw Object.assign(new Error('permission denied'), { code: 'EACCES' }); }) as typeof fs.openSync };
      fs.writeFileSync(file, original);
      expect(caught(() => writeFileAtomically(file, '{}\n', io)).code).toBe('STORAGE_UNAVAILABLE');
      expect(fs.readFileSync(file, 'utf8')).toBe(original);
      return;
    }
    fs.writeFileSync(file, original);
    fs.chmodSync(dir, 0o500);
    try {
      expect(caught(() => updateSettings(file, { policies: { defaultAction: 'deny' } })).code).toBe('STORAGE_UNAVAILABLE');
    } finally {
      fs.chmodSync(dir, 0o700);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe(original);
  });
});

describe('values on the command line', () => {
  it('are JSON when they read as JSON, else text', () => {
    expect(parseSettingValue('true')).toBe(true);
    expect(parseSettingValue('3')).toBe(3);
    expect(parseSettingValue('["a"]')).toEqual(['a']);
    expect(parseSettingValue('{"binary":"x"}')).toEqual({ binary: 'x' });
    expect(parseSettingValue('deny')).toBe('deny');
    expect(parseSettingValue('/usr/bin/tmux')).toBe('/usr/bin/tmux');
    expect(parseSettingValue('"quoted"')).toBe('quoted');
    expect(parseSettingValue('')).toBe('');
  });

  it('are checked by the same schema as the file', () => {
    expect(configSchema.safeParse(mergePatch({}, patchFor(['transcripts', 'scanOnStart'], parseSettingValue('false')))).success).toBe(true);
  });
});
