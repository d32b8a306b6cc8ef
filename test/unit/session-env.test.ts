import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/db/migrate';
import { migrations } from '../../src/core/db/migrations';
import { isAppError } from '../../src/core/errors';
import { resolvePaths } from '../../src/core/paths';
import { newSealKey, parseSealKey, seal, unseal } from '../../src/core/seal';
import { loadOrCreateSecrets } from '../../src/core/secrets';
import { baseEnvironment } from '../../src/core/sessions/environment';
import { LaunchPlanner } from '../../src/core/sessions/launch';
import { SessionStore } from '../../src/core/sessions/store';

function errorOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

describe('sealed values (AES-256-GCM)', () => {
  const key = parseSealKey(newSealKey())!;

  it('round-trips, and each sealing is different', () => {
    const text = JSON.stringify({ PATH: '/usr/bin', SECRET: 'ünïcødé \u{1F511}' });
    const first = seal(key, text, 'session:a:caller-env');
    expect(first).not.toContain('SECRET');
    expect(seal(key, text, 'session:a:caller-env')).not.toBe(first);
    expect(unseal(key, first, 'session:a:caller-env')).toBe(text);
  });

  it('detects any change to the sealed text', () => {
    const sealed = seal(key, 'the value', 'ctx');
    const [version, iv, tag, body] = sealed.split('.');
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0]! ^= 1;
      return bytes.toString('base64url');
    };
    for (const tampered of [[version, iv, tag, flip(body!)], [version, iv, flip(tag!), body], [version, flip(iv!), tag, body]]) {
      expect(errorOf(() => unseal(key, tampered.join('.'), 'ctx')).code).toBe('SEALED_VALUE_UNREADABLE');
    }
    expect(errorOf(() => unseal(key, 'v2.a.b.c', 'ctx')).message).toMatch(/known version/);
    expect(errorOf(() => unseal(key, `${version}.${iv}.${tag}`, 'ctx')).code).toBe('SEALED_VALUE_UNREADABLE');
  });

  it('does not open with another key or in another context, and never quotes the value', () => {
    const sealed = seal(key, 'hunter2-value', 'session:a:caller-env');
    const other = parseSealKey(newSealKey())!;
    const wrongKey = errorOf(() => unseal(other, sealed, 'session:a:caller-env'));
    expect(wrongKey.code).toBe('SEALED_VALUE_UNREADABLE');
    expect(wrongKey.message).toMatch(/another key/);
    expect(wrongKey.message).not.toContain('hunter2');
    expect(errorOf(() => unseal(key, sealed, 'session:b:caller-env')).code).toBe('SEALED_VALUE_UNREADABLE');
  });

  it('takes only 32-byte keys', () => {
    expect(parseSealKey(Buffer.alloc(16).toString('base64url'))).toBeUndefined();
    expect(parseSealKey('not base64!')).toBeUndefined();
    expect(parseSealKey(42)).toBeUndefined();
    expect(parseSealKey(Buffer.alloc(32, 7).toString('base64'))).toEqual(Buffer.alloc(32, 7));
  });
});

describe('the env key in secrets.json', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-secrets-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is added to a secrets file from before, keeping its hook secret, and then stays the same', () => {
    const file = path.join(dir, 'secrets.json');
    fs.writeFileSync(file, JSON.stringify({ hookSecret: 'h'.repeat(43) }), { mode: 0o600 });
    const first = loadOrCreateSecrets(file);
    expect(first.hookSecret).toBe('h'.repeat(43));
    expect(first.envKey).toHaveLength(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecrets(file).envKey).toEqual(first.envKey);
  });

  it('when damaged is reported, left as it is, and does not stop the rest', () => {
    const file = path.join(dir, 'secrets.json');
    fs.writeFileSync(file, JSON.stringify({ hookSecret: 'h'.repeat(43), envKey: 'short' }), { mode: 0o600 });
    const secrets = loadOrCreateSecrets(file);
    expect(secrets.hookSecret).toBe('h'.repeat(43));
    expect(secrets.envKey).toBeUndefined();
    expect(secrets.envKeyProblem).toMatch(/envKey .* is damaged/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).envKey).toBe('short');
  });
});

describe('what crosses from the caller into a session', () => {
  const caller = { PATH: '/bin', HOME: '/h', FOO: 'bar', TMUX: '/tmp/tmux-1/default,1,0', TMUX_PANE: '%1', TERM: 'screen', PWD: '/elsewhere', CODEPIPER_SECRET: 's', CODEPIPER_HOME: '/x', LC_ALL: 'C', XDG_CONFIG_HOME: '/c' };

  it("keeps the caller's variables, not its terminal or CodePiper settings", () => {
    expect(baseEnvironment(caller, false, {})).toEqual({ PATH: '/bin', HOME: '/h', FOO: 'bar', LC_ALL: 'C', XDG_CONFIG_HOME: '/c' });
  });

  it('clean: only the allowlist', () => {
    expect(baseEnvironment(caller, true, {})).toEqual({ PATH: '/bin', HOME: '/h', LC_ALL: 'C', XDG_CONFIG_HOME: '/c' });
    expect(baseEnvironment(undefined, true, { PATH: '/d', SECRET: 'x', CLAUDE_CONFIG_DIR: '/cc' })).toEqual({ PATH: '/d' });
  });

  it('none sent and not clean: the runner\'s own, as before', () => {
    expect(baseEnvironment(undefined, false, { PATH: '/d' })).toBeUndefined();
  });
});

describe('provider binaries are looked up on the PATH the session gets', () => {
  let dir: string;
  let db: Database.Database;
  let planner: LaunchPlanner;
  const key = parseSealKey(newSealKey())!;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-lookup-'));
    for (const name of ['shell-bin', 'daemon-bin']) fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, 'shell-bin', 'claude'), '#!/bin/sh\n', { mode: 0o755 });
    fs.writeFileSync(path.join(dir, 'daemon-bin', 'codex'), '#!/bin/sh\n', { mode: 0o755 });
    db = new Database(':memory:');
    migrate(db, migrations);
    const paths = resolvePaths({ env: { CODEPIPER_HOME: path.join(dir, 'home') } });
    planner = new LaunchPlanner({ paths, env: { PATH: path.join(dir, 'daemon-bin') }, config: {}, store: new SessionStore(db), secrets: { envKey: key } });
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const shell = () => ({ PATH: path.join(dir, 'shell-bin'), HOME: dir });

  it("finds claude on the caller's PATH, though the daemon's has none", () => {
    const result = planner.validate({ provider: 'claude-code', cwd: dir, callerEnv: shell() });
    expect(result).toMatchObject({ valid: true });
    expect(result.argv![0]).toBe(path.join(dir, 'shell-bin', 'claude'));
    // Without the caller's environment, the daemon's PATH decides, as before.
    expect(planner.validate({ provider: 'claude-code', cwd: dir }).issues[0]?.message).toMatch(/"claude" was not found on PATH/);
  });

  it("does not find on the caller's PATH what only the daemon's has", () => {
    const result = planner.validate({ provider: 'codex', cwd: dir, callerEnv: shell() });
    expect(result.valid).toBe(false);
    expect(result.issues[0]).toMatchObject({ path: 'provider' });
    expect(planner.validate({ provider: 'codex', cwd: dir }).valid).toBe(true);
  });

  it('runs a command found on the session PATH', () => {
    fs.writeFileSync(path.join(dir, 'shell-bin', 'my-agent'), '#!/bin/sh\n', { mode: 0o755 });
    expect(planner.validate({ provider: 'command', cwd: dir, args: ['my-agent'], callerEnv: shell() }).valid).toBe(true);
    expect(planner.validate({ provider: 'command', cwd: dir, args: ['my-agent'] }).issues).toEqual([{ path: 'args[0]', message: 'command not found: my-agent' }]);
  });

  it('defaults to claude-code when it is found on the session PATH, else says how to choose', () => {
    expect(planner.validate({ cwd: dir, callerEnv: shell() }).argv?.[0]).toBe(path.join(dir, 'shell-bin', 'claude'));
    const none = planner.validate({ cwd: dir, callerEnv: { PATH: path.join(dir, 'daemon-bin') } });
    expect(none.valid).toBe(false);
    expect(none.issues[0]?.message).toMatch(/none given, and there is no default.*choose one of claude-code, codex, command/);
  });

  it('the environment planned is the caller\'s, the session env over it, and CodePiper\'s own last', () => {
    const plan = planner.plan({ provider: 'command', cwd: dir, args: ['sh'], env: { FOO: 'given' }, callerEnv: { ...shell(), FOO: 'caller', CODEPIPER_SESSION: 'parent' }, cleanEnv: false, dangerousMode: false, cols: 80, rows: 24, envSetIds: [], envSetEnv: {}, workspaceId: null }, 'abcd1234');
    expect(plan.exactEnv).toBe(true);
    expect(plan.env).toMatchObject({ FOO: 'given', HOME: dir, PWD: dir, CODEPIPER_SESSION: 'abcd1234' });
  });
});
