import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/core/db/open';
import { migrate } from '../../src/core/db/migrate';
import { migrations } from '../../src/core/db/migrations';
import { EnvSetService, variableContext } from '../../src/core/env-sets/service';
import { lengthClass, maskFor, maskValue, LENGTH_CLASSES } from '../../src/core/env-sets/mask';
import { isAppError } from '../../src/core/errors';
import type { Logger } from '../../src/core/log';
import { resolvePaths } from '../../src/core/paths';
import { PolicyService } from '../../src/core/policies/service';
import { loadOrCreateSecrets } from '../../src/core/secrets';
import { newSealKey, parseSealKey, unseal } from '../../src/core/seal';
import { layerEnvironment } from '../../src/core/sessions/environment';
import { LaunchPlanner } from '../../src/core/sessions/launch';
import { SEALED_PARTS, sealPlainSessionEnvironments } from '../../src/core/sessions/sealed-env';
import { SessionStore } from '../../src/core/sessions/store';
import { WorkspaceService } from '../../src/core/workspaces/service';

function errorOf(run: () => unknown): { code: string; message: string; details?: unknown } {
  try {
    run();
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('expected an error');
}

const secret = () => `sk-${crypto.randomBytes(12).toString('hex')}`;

describe('masks', () => {
  it('classes lengths by UTF-8 bytes at their bounds', () => {
    expect([0, 1, 8, 9, 32, 33, 10_000].map(lengthClass)).toEqual(['empty', 'short', 'short', 'medium', 'medium', 'long', 'long']);
    expect(maskValue('K', 'ééééé').length).toBe('medium'); // 10 bytes, 5 characters
  });

  it('never holds a character of the value, and is the same for every value of a class', () => {
    const values = ['a', 'abcdefgh', 'sk-live-0123456789', 'x'.repeat(200), '••••'];
    for (const value of values) {
      const { masked, length } = maskValue('KEY', value);
      expect(masked).toBe(maskFor(length));
      for (const char of new Set(value.replace(/•/g, ''))) expect(masked).not.toContain(char);
    }
    expect(new Set(LENGTH_CLASSES.map(maskFor)).size).toBe(LENGTH_CLASSES.length);
    expect(maskValue('E', '')).toEqual({ name: 'E', masked: '', length: 'empty' });
  });
});

describe('env sets', () => {
  let dir: string;
  let db: Database.Database;
  let sets: EnvSetService;
  let policies: PolicyService;
  let workspaces: WorkspaceService;
  const key = parseSealKey(newSealKey())!;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-envsets-'));
    db = openDatabase(path.join(dir, 'codepiper.db'));
    sets = new EnvSetService(db, () => key);
    policies = new PolicyService(db, { defaultAction: () => 'ask', sessionExists: () => false });
    workspaces = new WorkspaceService(db, { policySet: (ref) => policies.getSet(ref), envSet: (ref) => sets.get(ref) });
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps values sealed: reads give names and masks, the database file never the value', () => {
    const value = secret();
    const created = sets.create({ name: 'openai', variables: { OPENAI_API_KEY: value, EMPTY: '' } });
    expect(created.variables).toEqual([
      { name: 'EMPTY', masked: '', length: 'empty' },
      { name: 'OPENAI_API_KEY', masked: '••••••••', length: 'medium' },
    ]);
    expect(JSON.stringify([sets.list(), sets.get('openai'), sets.get(created.id)])).not.toContain(value);
    db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of ['codepiper.db', 'codepiper.db-wal']) {
      const full = path.join(dir, file);
      if (fs.existsSync(full)) expect(fs.readFileSync(full).includes(value), file).toBe(false);
    }
    expect(sets.resolve(['openai']).env).toEqual({ EMPTY: '', OPENAI_API_KEY: value });
  });

  it('binds each sealed value to its set and name: moved elsewhere, it does not open', () => {
    const a = sets.create({ name: 'a', variables: { TOKEN: 'one', OTHER: 'two' } });
    const b = sets.create({ name: 'b', variables: { TOKEN: 'three' } });
    const sealedOf = (id: string, name: string) => (db.prepare('SELECT value_sealed AS v FROM env_set_vars WHERE set_id = ? AND name = ?').get(id, name) as { v: string }).v;
    expect(unseal(key, sealedOf(a.id, 'TOKEN'), variableContext(a.id, 'TOKEN'))).toBe('one');
    // Another variable's value copied in, and a value copied from another set: both refuse to open, naming the set.
    db.prepare('UPDATE env_set_vars SET value_sealed = ? WHERE set_id = ? AND name = ?').run(sealedOf(a.id, 'OTHER'), a.id, 'TOKEN');
    expect(errorOf(() => sets.resolve(['a']))).toMatchObject({ code: 'SEALED_VALUE_UNREADABLE', message: expect.stringMatching(/env set "a": TOKEN/) });
    db.prepare('UPDATE env_set_vars SET value_sealed = ? WHERE set_id = ? AND name = ?').run(sealedOf(a.id, 'OTHER'), b.id, 'TOKEN');
    expect(errorOf(() => sets.resolve(['b'])).code).toBe('SEALED_VALUE_UNREADABLE');
    expect(errorOf(() => sets.resolve(['b'])).message).not.toContain('two');
  });

  it('sets and unsets single variables without the others, and says what is wrong', () => {
    sets.create({ name: 'work', variables: { A: '1', B: '2', C: '3' } });
    sets.update('work', { set: { B: 'changed', D: '4' }, unset: ['C'] });
    expect(sets.resolve(['work']).env).toEqual({ A: '1', B: 'changed', D: '4' });
    expect(errorOf(() => sets.update('work', { unset: ['NOPE'] }))).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/NOPE is not in env set "work" \(it has A, B, D\)/) });
    expect(errorOf(() => sets.update('work', { set: { A: 'x' }, unset: ['A'] })).message).toMatch(/A: both set and unset/);
    // A refused change changed nothing.
    expect(sets.resolve(['work']).env).toEqual({ A: '1', B: 'changed', D: '4' });
    const many = Object.fromEntries(Array.from({ length: 998 }, (_, index) => [`V${index}`, 'v']));
    expect(errorOf(() => sets.update('work', { set: many })).message).toMatch(/would hold 1001 variables, more than 1000/);
    expect(sets.update('work', { set: many, unset: ['A'] }).variables).toHaveLength(1000);
    sets.update('work', { unset: Object.keys(many) });
    sets.update('work', { name: 'renamed', description: 'desc' });
    expect(sets.get('renamed')).toMatchObject({ name: 'renamed', description: 'desc' });
    sets.create({ name: 'other', variables: {} });
    expect(errorOf(() => sets.update('other', { name: 'renamed' })).code).toBe('NAME_TAKEN');
    expect(errorOf(() => sets.create({ name: 'other', variables: {} })).code).toBe('NAME_TAKEN');
  });

  it('layers sets in the order given and names an unknown one', () => {
    sets.create({ name: 'first', variables: { SHARED: 'first', ONLY_FIRST: '1' } });
    sets.create({ name: 'second', variables: { SHARED: 'second' } });
    expect(sets.resolve(['first', 'second']).env).toEqual({ SHARED: 'second', ONLY_FIRST: '1' });
    expect(sets.resolve(['second', 'first']).env).toEqual({ SHARED: 'first', ONLY_FIRST: '1' });
    expect(errorOf(() => sets.resolve(['first', 'missing']))).toMatchObject({ code: 'ENV_SET_NOT_FOUND', message: expect.stringContaining('"missing"') });
  });

  it('refuses to delete a set a workspace uses, naming the workspaces; free again once they let go', () => {
    sets.create({ name: 'shared', variables: {} });
    policies.createSet({ name: 'safe' });
    workspaces.create({ name: 'api', dir, args: [], envSetIds: ['shared'], policySetIds: ['safe'], worktree: false });
    workspaces.create({ name: 'web', dir, args: [], envSetIds: ['shared'], policySetIds: [], worktree: false });
    expect(sets.get('shared').workspaces).toEqual(['api', 'web']);
    expect(errorOf(() => sets.delete('shared'))).toMatchObject({ code: 'SET_IN_USE', message: expect.stringMatching(/used by workspaces api, web/), details: { workspaces: ['api', 'web'] } });
    expect(errorOf(() => policies.deleteSet('safe'))).toMatchObject({ code: 'SET_IN_USE', details: { workspaces: ['api'] } });
    workspaces.update('api', { envSetIds: [], policySetIds: [] });
    workspaces.delete('web');
    expect(sets.delete('shared').name).toBe('shared');
    expect(policies.deleteSet('safe').name).toBe('safe');
  });
});

describe('the layers of a session environment', () => {
  it('caller < env sets in order < inline env', () => {
    expect(layerEnvironment({ A: 'caller', B: 'caller', C: 'caller' }, { B: 'set', C: 'set' }, { C: 'inline' })).toEqual({ A: 'caller', B: 'set', C: 'inline' });
  });

  it('the planner puts CodePiper\'s own variables over all of them', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-layers-'));
    const db = new Database(':memory:');
    try {
      migrate(db, migrations);
      const paths = resolvePaths({ env: { CODEPIPER_HOME: path.join(dir, 'home') } });
      const planner = new LaunchPlanner({ paths, env: { PATH: '/usr/bin:/bin' }, config: {}, store: new SessionStore(db), secrets: { envKey: parseSealKey(newSealKey())! } });
      const plan = planner.plan(
        {
          provider: 'command', cwd: dir, args: ['sh'], cleanEnv: false, dangerousMode: false, cols: 80, rows: 24, workspaceId: null,
          callerEnv: { PATH: '/usr/bin:/bin', FROM: 'caller', SET_OVER_CALLER: 'caller', INLINE_OVER_SET: 'caller' },
          envSetIds: ['env_x'],
          envSetEnv: { SET_OVER_CALLER: 'set', INLINE_OVER_SET: 'set', CODEPIPER_SESSION: 'from-a-set' },
          env: { INLINE_OVER_SET: 'inline' },
        },
        'abcd1234',
      );
      expect(plan.env).toMatchObject({ FROM: 'caller', SET_OVER_CALLER: 'set', INLINE_OVER_SET: 'inline', CODEPIPER_SESSION: 'abcd1234' });
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sessions stored by the previous version with their env in plain text', () => {
  let dir: string;
  let file: string;
  const key = parseSealKey(newSealKey())!;
  const logged: string[] = [];
  const log: Logger = { info: (message) => logged.push(message), warn: (message) => logged.push(message), error: (message) => logged.push(message) };

  /** A database as the version before this one left it: schema 8, a session whose env is plain JSON. */
  function previousVersionDatabase(env: Record<string, string>): void {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    migrate(db, migrations.slice(0, 8));
    const at = '2024-01-01T00:00:00.000Z';
    const insert = db.prepare(`INSERT INTO sessions (id, name, provider, cwd, args, env, dangerous_mode, billing_mode, cols, rows, tmux_session, agent_session_id,
      state, state_source, state_since, created_at, updated_at) VALUES (?, NULL, 'command', ?, '["sh"]', ?, 0, NULL, 80, 24, ?, NULL, 'stopped', 'process', ?, ?, ?)`);
    insert.run('aaaa1111', dir, JSON.stringify(env), 'cp-aaaa1111', at, at, at);
    insert.run('bbbb2222', dir, '{}', 'cp-bbbb2222', at, at, at);
    db.close();
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-plain-env-'));
    file = path.join(dir, 'codepiper.db');
    logged.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are sealed on the first start (names kept, plain column emptied, bytes gone from the files), once', () => {
    const value = secret();
    previousVersionDatabase({ API_TOKEN: value, PLAIN: 'x' });
    expect(fs.readFileSync(file).includes(value) || fs.readFileSync(`${file}-wal`).includes(value)).toBe(true);
    const db = openDatabase(file);
    try {
      // The migration alone (SQL, no key) moves the names; the values wait for the daemon's sealing step.
      expect(new SessionStore(db).get('aaaa1111')).toMatchObject({ envKeys: ['API_TOKEN', 'PLAIN'], envSetIds: [], workspaceId: null });
      expect(sealPlainSessionEnvironments(db, key, log)).toBe(1);
      const row = db.prepare('SELECT env, env_sealed AS sealed FROM sessions WHERE id = ?').get('aaaa1111') as { env: string; sealed: string };
      expect(row.env).toBe('{}');
      expect(JSON.parse(unseal(key, row.sealed, SEALED_PARTS.env('aaaa1111')))).toEqual({ API_TOKEN: value, PLAIN: 'x' });
      expect(new SessionStore(db).sealedEnvironment('aaaa1111')).toMatchObject({ env: row.sealed, plainEnv: null });
      expect(new SessionStore(db).get('bbbb2222')).toMatchObject({ envKeys: [] });
      // Idempotent: nothing is left to seal, and the sealed value is not sealed again.
      expect(sealPlainSessionEnvironments(db, key, log)).toBe(0);
      expect((db.prepare('SELECT env_sealed AS sealed FROM sessions WHERE id = ?').get('aaaa1111') as { sealed: string }).sealed).toBe(row.sealed);
      expect(logged.some((line) => /sealed the env of 1 session/.test(line))).toBe(true);
      expect(logged.join('\n')).not.toContain(value);
    } finally {
      db.close();
    }
    for (const name of ['codepiper.db', 'codepiper.db-wal']) {
      const full = path.join(dir, name);
      if (fs.existsSync(full)) expect(fs.readFileSync(full).includes(value), name).toBe(false);
    }
  });

  it('resume with the env they started with once sealed, and stay readable (plain) while there is no usable key', () => {
    previousVersionDatabase({ GREETING: 'hello' });
    const db = openDatabase(file);
    try {
      const store = new SessionStore(db);
      const paths = resolvePaths({ env: { CODEPIPER_HOME: path.join(dir, 'home') } });
      const planner = (envKey: typeof key | undefined) => new LaunchPlanner({ paths, env: { PATH: '/usr/bin:/bin' }, config: {}, store, secrets: { envKey } });
      // No key: left as it was, said in the log, and a resume still sees the env.
      expect(sealPlainSessionEnvironments(db, undefined, log)).toBe(0);
      expect(logged.join('\n')).toMatch(/1 session\(s\) keep their env in plain text/);
      expect(store.sealedEnvironment('aaaa1111').plainEnv).toEqual({ GREETING: 'hello' });
      expect(planner(undefined).resumePlan(store.get('aaaa1111')!, store.sealedEnvironment('aaaa1111')).env).toMatchObject({ GREETING: 'hello' });
      sealPlainSessionEnvironments(db, key, log);
      expect(planner(key).resumePlan(store.get('aaaa1111')!, store.sealedEnvironment('aaaa1111')).env).toMatchObject({ GREETING: 'hello' });
      // Sealed for this row: under another session's id it does not open.
      const sealed = store.sealedEnvironment('aaaa1111');
      expect(() => planner(key).resumePlan(store.get('bbbb2222')!, sealed)).toThrow(/cannot be resumed: it started with its env/);
    } finally {
      db.close();
    }
  });
});

describe('workspaces', () => {
  let dir: string;
  let db: Database.Database;
  let sets: EnvSetService;
  let policies: PolicyService;
  let workspaces: WorkspaceService;
  const key = parseSealKey(newSealKey())!;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-ws-'));
    db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations);
    sets = new EnvSetService(db, () => key);
    policies = new PolicyService(db, { defaultAction: () => 'ask', sessionExists: () => false });
    workspaces = new WorkspaceService(db, { policySet: (ref) => policies.getSet(ref), envSet: (ref) => sets.get(ref) });
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('need an existing absolute directory, known sets, and a free name', () => {
    const base = { args: [], envSetIds: [], policySetIds: [], worktree: false };
    expect(errorOf(() => workspaces.create({ ...base, name: 'x', dir: 'relative' })).message).toMatch(/dir: must be an absolute path/);
    expect(errorOf(() => workspaces.create({ ...base, name: 'x', dir: path.join(dir, 'gone') })).message).toMatch(/dir: directory does not exist/);
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(errorOf(() => workspaces.create({ ...base, name: 'x', dir: path.join(dir, 'file') })).message).toMatch(/dir: not a directory/);
    expect(errorOf(() => workspaces.create({ ...base, name: 'x', dir, envSetIds: ['nope'] }))).toMatchObject({ code: 'ENV_SET_NOT_FOUND', message: expect.stringContaining('"nope"') });
    expect(errorOf(() => workspaces.create({ ...base, name: 'x', dir, policySetIds: ['nope'] })).code).toBe('POLICY_SET_NOT_FOUND');
    workspaces.create({ ...base, name: 'x', dir });
    expect(errorOf(() => workspaces.create({ ...base, name: 'x', dir })).code).toBe('NAME_TAKEN');
    expect(errorOf(() => workspaces.get('missing')).code).toBe('WORKSPACE_NOT_FOUND');
    expect(workspaces.list().map((w) => w.name)).toEqual(['x']);
  });

  it('fill what a request leaves out; what it gives wins; its env sets come first', () => {
    const first = sets.create({ name: 'first', variables: {} });
    const mine = sets.create({ name: 'mine', variables: {} });
    workspaces.create({ name: 'api', dir, provider: 'command', args: ['bash', '-l'], envSetIds: ['first'], policySetIds: [], worktree: false });
    expect(workspaces.applyTo({ args: [] }, 'api').request).toMatchObject({ cwd: dir, provider: 'command', args: ['bash', '-l'], envSetIds: [first.id] });
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-ws-other-'));
    try {
      const given = workspaces.applyTo({ cwd: other, provider: 'codex', args: ['--model', 'x'], envSetIds: ['mine'] }, 'api').request;
      expect(given).toEqual({ cwd: other, provider: 'codex', args: ['--model', 'x'], envSetIds: [first.id, 'mine'] });
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
    expect(mine.id).toMatch(/^env_/);
  });

  it('whose directory is gone refuse to start a session, saying how to fix it', () => {
    const gone = path.join(dir, 'moved');
    fs.mkdirSync(gone);
    workspaces.create({ name: 'api', dir: gone, args: [], envSetIds: [], policySetIds: [], worktree: false });
    fs.rmdirSync(gone);
    expect(workspaces.get('api').dirExists).toBe(false);
    expect(errorOf(() => workspaces.applyTo({}, 'api'))).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/directory of workspace "api" is gone: .*codepiper workspace update api --dir/) });
  });

  it('fill a dry run as they fill a create, and a dry run names a missing workspace or set', () => {
    sets.create({ name: 'ws', variables: { FROM_WS: 'yes' } });
    workspaces.create({ name: 'api', dir, provider: 'command', args: ['sh', '-c', 'true'], envSetIds: ['ws'], policySetIds: [], worktree: false });
    const paths = resolvePaths({ env: { CODEPIPER_HOME: path.join(dir, 'home') } });
    const planner = new LaunchPlanner({ paths, env: { PATH: '/usr/bin:/bin' }, config: {}, store: new SessionStore(db), secrets: { envKey: key }, envSets: sets, workspaces });
    expect(planner.validate({ workspace: 'api' })).toMatchObject({ valid: true, argv: ['sh', '-c', 'true'] });
    expect(planner.validate({ workspace: 'nope' }).issues).toEqual(expect.arrayContaining([{ path: 'workspace', message: expect.stringContaining('no workspace "nope"') }]));
    // Named at its place in the request, though the workspace's sets come before it.
    expect(planner.validate({ workspace: 'api', envSetIds: ['missing'] }).issues).toEqual([{ path: 'envSetIds.0', message: 'no env set "missing" (see codepiper env-set list)' }]);
    expect(planner.validate({ provider: 'command', args: ['sh'] }).issues).toEqual([{ path: 'cwd', message: expect.stringMatching(/^required/) }]);
    const checked = planner.check({ workspace: 'api', args: [], env: {}, cleanEnv: false, dangerousMode: false, cols: 80, rows: 24 });
    expect(checked).toMatchObject({ cwd: dir, provider: 'command', envSetEnv: { FROM_WS: 'yes' }, workspaceId: workspaces.get('api').id });
  });

  it('update only what is given; lists replace', () => {
    sets.create({ name: 'a', variables: {} });
    sets.create({ name: 'b', variables: {} });
    policies.createSet({ name: 'p' });
    workspaces.create({ name: 'api', dir, provider: 'codex', args: ['x'], envSetIds: ['a', 'b'], policySetIds: ['p'], worktree: true, description: 'd' });
    expect(workspaces.get('api')).toMatchObject({ envSets: [{ name: 'a' }, { name: 'b' }], policySets: [{ name: 'p' }], worktree: true });
    const updated = workspaces.update('api', { envSetIds: ['b', 'a'], provider: null });
    expect(updated).toMatchObject({ provider: null, args: ['x'], envSets: [{ name: 'b' }, { name: 'a' }], policySets: [{ name: 'p' }], worktree: true, description: 'd' });
    expect(errorOf(() => workspaces.update('api', { envSetIds: ['a', 'a'] })).message).toMatch(/named more than once/);
    expect(workspaces.policySetIds(updated.id)).toEqual([policies.getSet('p').id]);
  });
});

describe('sealing a session environment for its row', () => {
  it('seals each part under its own context, and only the parts it has', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-seal-parts-'));
    const db = new Database(':memory:');
    try {
      migrate(db, migrations);
      const key = parseSealKey(newSealKey())!;
      const paths = resolvePaths({ env: { CODEPIPER_HOME: path.join(dir, 'home') } });
      const planner = new LaunchPlanner({ paths, env: {}, config: {}, store: new SessionStore(db), secrets: { envKey: key } });
      const input = { provider: 'command' as const, cwd: dir, args: ['sh'], cleanEnv: false, dangerousMode: false, cols: 80, rows: 24, workspaceId: null };
      const sealed = planner.sealEnvironment({ ...input, env: { A: 'inline' }, envSetIds: ['env_1'], envSetEnv: { B: 'set' }, callerEnv: { C: 'caller' } }, 'id1');
      expect(JSON.parse(unseal(key, sealed.env!, SEALED_PARTS.env('id1')))).toEqual({ A: 'inline' });
      expect(JSON.parse(unseal(key, sealed.envSets!, SEALED_PARTS.envSets('id1')))).toEqual({ B: 'set' });
      expect(JSON.parse(unseal(key, sealed.callerEnv!, SEALED_PARTS.callerEnv('id1')))).toEqual({ C: 'caller' });
      expect(() => unseal(key, sealed.env!, SEALED_PARTS.envSets('id1'))).toThrow();
      expect(planner.sealEnvironment({ ...input, env: {}, envSetIds: [], envSetEnv: {} }, 'id2')).toEqual({ callerEnv: null, envSets: null, env: null });
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the env key file', () => {
  it('is created 0600 on first use, and narrowed back to 0600 when found wider', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-key-'));
    try {
      const file = path.join(dir, 'secrets.json');
      const first = loadOrCreateSecrets(file);
      expect(first.envKey).toHaveLength(32);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      fs.chmodSync(file, 0o644);
      expect(loadOrCreateSecrets(file).envKey).toEqual(first.envKey);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      // A temporary file a crash left behind, readable by all, does not lend the new file its mode.
      const stale = path.join(dir, `.secrets.json.${process.pid}.tmp`);
      fs.rmSync(file);
      fs.writeFileSync(stale, 'stale', { mode: 0o644 });
      loadOrCreateSecrets(file);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
