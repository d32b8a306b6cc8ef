import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/db/migrate';
import { migrations } from '../../src/core/db/migrations';
import { BIN, createHarness, type Harness } from '../helpers/harness';
import { spawnOnPty } from '../helpers/pty-screen';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';

/** Values that must never leave the daemon in clear: not in an answer, an event, a log line, or the database. */
const SET_VALUE = `set-secret-${crypto.randomBytes(9).toString('hex')}`;
const SINGLE_VALUE = `single-secret-${crypto.randomBytes(9).toString('hex')}`;
const INLINE_VALUE = `inline-secret-${crypto.randomBytes(9).toString('hex')}`;
const CHANGED_VALUE = `changed-secret-${crypto.randomBytes(9).toString('hex')}`;
const SECRETS = [SET_VALUE, SINGLE_VALUE, INLINE_VALUE, CHANGED_VALUE];

let harness: Harness;
let client: Client;
const { api, untilScreen, untilState } = daemonApi(() => client);

beforeAll(async () => {
  harness = createHarness();
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

async function cli(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = await harness.run(args, { ...options, ...(options.env ? { env: { ...harness.env, ...options.env } } : {}) });
  for (const value of SECRETS) expect(result.stdout + result.stderr, `${args.join(' ')} printed a secret`).not.toContain(value);
  return result;
}

function lines(file: string, count: number): Promise<string[]> {
  return waitFor(() => {
    const found = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    return found.length >= count ? found : undefined;
  }, { what: `${count} line(s) in ${file}`, timeoutMs: 15_000 });
}

/** A bash that appends what it sees to `file`, says so, and waits for a line before it exits. */
function reporter(file: string, line: string): string[] {
  return ['bash', '--norc', '--noprofile', '-c', `printf "%s\\n" "${line}" >> "$0"; echo reported; read line`, file];
}

describe('env sets applied to a session, and their values kept secret everywhere', () => {
  let id: string;
  let file: string;

  it('creates sets with values kept out of argv (--stdin, a bare KEY read from stdin)', async () => {
    const created = await cli(['env-set', 'create', 'creds', '--stdin'], { input: `# the team's keys\nCP_SET_SECRET=${SET_VALUE}\nexport CP_SHARED="from-creds"\n` });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^env_[0-9a-f]+ creds: 2 variables$/m);
    const single = await cli(['env-set', 'set', 'creds', 'CP_SINGLE'], { input: `${SINGLE_VALUE}\n` });
    expect(single.code, single.stderr).toBe(0);
    const over = await cli(['env-set', 'create', 'over', 'CP_SHARED=from-over', 'CP_LAYER=from-over']);
    expect(over.code, over.stderr).toBe(0);
    const shown = await cli(['env-set', 'show', 'creds']);
    // 29 and 32 bytes: medium; "from-creds", 10 bytes: medium too; an empty or short one would say so.
    expect(shown.stdout).toMatch(/CP_SET_SECRET\s+••••••••\s+medium/);
    expect(shown.stdout).toMatch(/CP_SINGLE\s+••••••••\s+medium/);
    expect(shown.stdout).toMatch(/CP_SHARED\s+••••••••\s+medium/);
  });

  it('at a terminal, a bare KEY asks for its value without echoing it', async () => {
    const typed = `typed-${crypto.randomBytes(6).toString('hex')}`;
    const screen = spawnOnPty(process.execPath, [BIN, 'env-set', 'set', 'creds', 'CP_TYPED'], { env: harness.env, cwd: harness.dir, cols: 100, rows: 10 });
    try {
      await screen.waitFor(/value for CP_TYPED:/, 'the hidden prompt');
      screen.press(`${typed}x\u007f\r`);
      expect((await screen.exited).exitCode).toBe(0);
      expect(screen.raw()).toContain('creds: set CP_TYPED');
      expect(screen.raw()).not.toContain(typed);
    } finally {
      screen.kill();
    }
    const check = path.join(harness.dir, 'typed.txt');
    const started = await cli(['start', '-p', 'command', '-d', harness.dir, '--env-set', 'creds', '--', ...reporter(check, '$CP_TYPED')]);
    expect(started.code, started.stderr).toBe(0);
    expect((await lines(check, 1))[0]).toBe(typed);
    expect((await cli(['env-set', 'unset', 'creds', 'CP_TYPED'])).code).toBe(0);
  });

  it('the agent sees the layers: the shell < the sets in order < --env', async () => {
    file = path.join(harness.dir, 'seen.txt');
    const started = await cli(
      ['start', '-p', 'command', '-d', harness.dir, '--env-set', 'creds', '--env-set', 'over', '--env', `CP_INLINE=${INLINE_VALUE}`, '--env', 'CP_LAYER=inline', '--',
        ...reporter(file, '$CP_SET_SECRET|$CP_SINGLE|$CP_INLINE|$CP_SHARED|$CP_LAYER|$CP_FROM_SHELL')],
      { env: { CP_SHARED: 'from-shell', CP_LAYER: 'from-shell', CP_FROM_SHELL: 'shell' } },
    );
    expect(started.code, started.stderr).toBe(0);
    id = started.stdout.trim();
    const [line] = await lines(file, 1);
    expect(line).toBe(`${SET_VALUE}|${SINGLE_VALUE}|${INLINE_VALUE}|from-over|inline|shell`);
    const session = (await api('GET', `/sessions/${id}`)).json;
    const sets = (await api('GET', '/env-sets')).json.envSets as Array<{ id: string; name: string }>;
    expect(session.envSetIds).toEqual(['creds', 'over'].map((name) => sets.find((set) => set.name === name)!.id));
    expect(session.envKeys).toEqual(['CP_INLINE', 'CP_LAYER']);
  });

  it('resumes with the values the sets had at start, not what they were changed to, even with a set deleted since', async () => {
    const changed = await cli(['env-set', 'set', 'creds', '--stdin'], { input: `CP_SET_SECRET=${CHANGED_VALUE}\n` });
    expect(changed.code, changed.stderr).toBe(0);
    expect((await cli(['env-set', 'rm', 'over'])).code).toBe(0);
    await untilScreen(id, /reported/);
    await api('POST', `/sessions/${id}/send`, { text: '' });
    await untilState(id, 'stopped');
    const resumed = await cli(['resume', id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const seen = await lines(file, 2);
    expect(seen[1]).toBe(seen[0]);
    // A new session gets the set as it is now.
    const fresh = path.join(harness.dir, 'fresh.txt');
    const started = await cli(['start', '-p', 'command', '-d', harness.dir, '--env-set', 'creds', '--', ...reporter(fresh, '$CP_SET_SECRET')]);
    expect(started.code, started.stderr).toBe(0);
    expect((await lines(fresh, 1))[0]).toBe(CHANGED_VALUE);
  });

  it('refuses an unknown set by name, in create and in a dry run', async () => {
    const refused = await cli(['start', '-p', 'command', '-d', harness.dir, '--env-set', 'creds', '--env-set', 'no-such-set', '--', 'bash']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/no env set "no-such-set"/);
    const created = await api('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['bash'], envSetIds: ['no-such-set'] });
    expect(created.status).toBe(404);
    expect(created.json.error).toMatchObject({ code: 'ENV_SET_NOT_FOUND', message: expect.stringContaining('"no-such-set"') });
    const dry = (await api('POST', '/sessions/validate', { provider: 'command', cwd: harness.dir, args: ['bash'], envSetIds: ['creds', 'no-such-set'] })).json;
    expect(dry).toMatchObject({ valid: false, issues: [{ path: 'envSetIds.1', message: expect.stringContaining('"no-such-set"') }] });
    expect((await api('POST', '/sessions/validate', { provider: 'command', cwd: harness.dir, args: ['bash'], envSetIds: ['creds'] })).json.valid).toBe(true);
  });

  it('never shows a value: not in any answer, event, the audit log, the daemon log, or the database files', async () => {
    const answers = [
      await api('GET', '/sessions'),
      await api('GET', `/sessions/${id}`),
      await api('GET', `/sessions/${id}/events?limit=1000`),
      await api('GET', '/env-sets'),
      await api('GET', '/env-sets/creds'),
      await api('GET', '/policy-decisions?limit=1000'),
      await api('PATCH', '/env-sets/creds', { set: { CP_LAYER: 'x' } }),
    ];
    for (const answer of answers) expect(answer.status).toBe(200);
    const text = JSON.stringify(answers.map((answer) => answer.json));
    expect(text).toContain('CP_SET_SECRET');
    for (const value of SECRETS) expect(text).not.toContain(value);
    expect(answers[2]!.json.events.length).toBeGreaterThan(3);
    for (const args of [['env-set', 'list', '--json'], ['env-set', 'show', 'creds', '--json'], ['sessions', '--json'], ['logs', id, '--json', '--limit', '1000']]) {
      const result = await cli(args);
      expect(result.code, result.stderr).toBe(0);
    }
    const log = fs.readFileSync(path.join(harness.home, 'daemon.log'));
    for (const value of SECRETS) expect(log.includes(value), `daemon.log holds ${value}`).toBe(false);
    let checked = 0;
    for (const name of ['codepiper.db', 'codepiper.db-wal']) {
      const full = path.join(harness.home, name);
      if (!fs.existsSync(full)) continue;
      const bytes = fs.readFileSync(full);
      checked += bytes.length;
      for (const value of SECRETS) expect(bytes.includes(value), `${name} holds ${value}`).toBe(false);
    }
    expect(checked).toBeGreaterThan(0);
    // The names are there: the check above looked at the files that hold the sets.
    const all = Buffer.concat(['codepiper.db', 'codepiper.db-wal'].map((name) => path.join(harness.home, name)).filter((full) => fs.existsSync(full)).map((full) => fs.readFileSync(full)));
    expect(all.includes('CP_SET_SECRET')).toBe(true);
  });
});

describe('workspaces', () => {
  let wsDir: string;
  let otherDir: string;

  beforeAll(() => {
    wsDir = fs.mkdtempSync(path.join(harness.dir, 'ws-'));
    otherDir = fs.mkdtempSync(path.join(harness.dir, 'other-'));
  });

  it('start --workspace uses its directory, provider, args, env sets and policy sets', async () => {
    expect((await cli(['env-set', 'create', 'wsenv', 'WS_VAR=ws-value'])).code).toBe(0);
    expect((await cli(['policy-set', 'create', '--name', 'wsrules'])).code).toBe(0);
    const created = await cli(['workspace', 'create', 'api', '-d', wsDir, '-p', 'command', '--env-set', 'wsenv', '--policy-set', 'wsrules', '--',
      'bash', '--norc', '--noprofile', '-c', 'printf "%s|%s\\n" "$(pwd)" "$WS_VAR" >> report; echo reported; read line']);
    expect(created.code, created.stderr).toBe(0);
    const listed = await cli(['workspace', 'list']);
    expect(listed.stdout).toMatch(/api\s+command\s+wsenv\s+wsrules/);
    const started = await cli(['start', '--workspace', 'api']);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect((await lines(path.join(wsDir, 'report'), 1))[0]).toBe(`${wsDir}|ws-value`);
    const session = (await api('GET', `/sessions/${id}`)).json;
    const workspace = (await api('GET', '/workspaces/api')).json;
    expect(session).toMatchObject({ cwd: wsDir, provider: 'command', workspaceId: workspace.id, envSetIds: [workspace.envSets[0].id] });
    const policySets = (await api('GET', `/sessions/${id}/policy-sets`)).json.policySets as Array<{ name: string }>;
    expect(policySets.map((set) => set.name)).toEqual(['wsrules']);
  });

  it('flags given to start win over its defaults; its env sets still apply, under the ones given', async () => {
    expect((await cli(['env-set', 'create', 'mine', 'WS_VAR=mine'])).code).toBe(0);
    const started = await cli(['start', '--workspace', 'api', '-d', otherDir, '--env-set', 'mine', '--', ...reporter(path.join(otherDir, 'flags.txt'), 'flag|$(pwd)|$WS_VAR')]);
    expect(started.code, started.stderr).toBe(0);
    expect((await lines(path.join(otherDir, 'flags.txt'), 1))[0]).toBe(`flag|${otherDir}|mine`);
    expect(fs.readFileSync(path.join(wsDir, 'report'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    const session = (await api('GET', `/sessions/${started.stdout.trim()}`)).json;
    expect(session.args[0]).toBe('bash');
    expect(session.envSetIds).toHaveLength(2);
  });

  it('keeps the sets it uses: deleting one is refused with the list of workspaces, until the workspace lets go', async () => {
    const envSet = await cli(['env-set', 'rm', 'wsenv']);
    expect(envSet.code).not.toBe(0);
    expect(envSet.stderr).toMatch(/env set "wsenv" is used by workspace api/);
    const deleted = await api('DELETE', '/env-sets/wsenv');
    expect(deleted.status).toBe(409);
    expect(deleted.json.error).toMatchObject({ code: 'SET_IN_USE', details: { workspaces: ['api'] } });
    const policySet = await api('DELETE', '/policy-sets/wsrules');
    expect(policySet.json.error).toMatchObject({ code: 'SET_IN_USE', details: { workspaces: ['api'] } });
    expect((await cli(['workspace', 'update', 'api', '--no-env-sets'])).code).toBe(0);
    expect((await cli(['env-set', 'rm', 'wsenv'])).code).toBe(0);
    expect((await cli(['workspace', 'rm', 'api'])).code).toBe(0);
    expect((await api('DELETE', '/policy-sets/wsrules')).status).toBe(200);
  });

  it('says so clearly when its directory is missing, or it does not exist', async () => {
    const gone = fs.mkdtempSync(path.join(harness.dir, 'gone-'));
    expect((await cli(['workspace', 'create', 'gone', '-d', gone, '-p', 'command', '--', 'bash'])).code).toBe(0);
    fs.rmdirSync(gone);
    const started = await cli(['start', '--workspace', 'gone']);
    expect(started.code).not.toBe(0);
    expect(started.stderr).toContain(`the directory of workspace "gone" is gone: ${gone}`);
    expect((await cli(['workspace', 'list'])).stdout).toMatch(/gone .*\(missing\)/);
    const unknown = await cli(['start', '--workspace', 'nowhere']);
    expect(unknown.stderr).toMatch(/no workspace "nowhere"/);
    const notThere = await cli(['workspace', 'create', 'bad', '-d', path.join(harness.dir, 'nope')]);
    expect(notThere.stderr).toMatch(/dir: directory does not exist/);
  });
});

describe('a database from the version before, whose sessions kept their env in plain text', () => {
  const PLAIN_VALUE = `plain-secret-${crypto.randomBytes(9).toString('hex')}`;
  let old: Harness;
  let oldClient: Client;
  const oldApi = daemonApi(() => oldClient);

  afterAll(async () => {
    await oldClient?.close();
    await old?.cleanup();
  });

  it('is sealed by the first daemon start, and the session resumes with that env', async () => {
    old = createHarness();
    fs.mkdirSync(old.home, { recursive: true, mode: 0o700 });
    const report = path.join(old.dir, 'resumed.txt');
    const db = new Database(path.join(old.home, 'codepiper.db'));
    db.pragma('journal_mode = WAL');
    migrate(db, migrations.slice(0, 8));
    const at = '2024-01-01T00:00:00.000Z';
    db.prepare(`INSERT INTO sessions (id, provider, cwd, args, env, cols, rows, tmux_session, state, state_source, state_since, created_at, updated_at)
      VALUES ('0ld5e551', 'command', ?, ?, ?, 80, 24, 'cp-0ld5e551', 'stopped', 'process', ?, ?, ?)`)
      .run(old.dir, JSON.stringify(reporter(report, '$OLD_SECRET')), JSON.stringify({ OLD_SECRET: PLAIN_VALUE }), at, at, at);
    db.close();
    expect(fs.readFileSync(path.join(old.home, 'codepiper.db')).includes(PLAIN_VALUE)).toBe(true);

    const started = await old.run(['daemon', 'start', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    oldClient = new Client('http://localhost', { socketPath: old.socket });
    const session = (await oldApi.api('GET', '/sessions/0ld5e551')).json;
    expect(session).toMatchObject({ envKeys: ['OLD_SECRET'], envSetIds: [], workspaceId: null });
    for (const name of ['codepiper.db', 'codepiper.db-wal']) {
      const full = path.join(old.home, name);
      if (fs.existsSync(full)) expect(fs.readFileSync(full).includes(PLAIN_VALUE), name).toBe(false);
    }
    expect(fs.readFileSync(path.join(old.home, 'daemon.log'), 'utf8')).toMatch(/sealed the env of 1 session/);

    const resumed = await old.run(['resume', '0ld5e551']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await lines(report, 1))[0]).toBe(PLAIN_VALUE);
    const log = fs.readFileSync(path.join(old.home, 'daemon.log'), 'utf8');
    expect(log).not.toContain(PLAIN_VALUE);
  });
});

describe("a session's variables never travel on tmux's command line", () => {
  let own: Harness;
  let ownClient: Client;

  afterAll(async () => {
    await ownClient?.close();
    await own?.cleanup();
  });

  it('env set and inline values reach the agent of an API caller (no caller environment) without appearing in any tmux argv', async () => {
    own = createHarness();
    // A tmux that writes down every argv it is given (NUL-separated), then is the real one.
    const argvLog = path.join(own.dir, 'tmux-argv.log');
    const wrapper = path.join(own.dir, 'tmux-recording');
    fs.writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\0' "$@" >> '${argvLog}'\nprintf '\\n' >> '${argvLog}'\nexec tmux "$@"\n`, { mode: 0o755 });
    own.env.CODEPIPER_TMUX_BIN = wrapper;
    const started = await own.run(['daemon', 'start', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    ownClient = new Client('http://localhost', { socketPath: own.socket });
    const ownApi = daemonApi(() => ownClient).api;
    const setValue = `argv-set-${crypto.randomBytes(9).toString('hex')}`;
    const inlineValue = `argv-inline-${crypto.randomBytes(9).toString('hex')}`;
    expect((await ownApi('POST', '/env-sets', { name: 'argv', variables: { CP_ARGV_SET: setValue } })).status).toBe(200);
    const seen = path.join(own.dir, 'seen-argv.txt');
    const created = await ownApi('POST', '/sessions', {
      provider: 'command',
      cwd: own.dir,
      envSetIds: ['argv'],
      env: { CP_ARGV_INLINE: inlineValue },
      args: ['bash', '--norc', '--noprofile', '-c', 'printf "%s|%s\\n" "$CP_ARGV_SET" "$CP_ARGV_INLINE" >> "$0"; read line', seen],
    });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    expect(created.json.envFrom).toBe('daemon');
    const [line] = await lines(seen, 1);
    expect(line).toBe(`${setValue}|${inlineValue}`);
    const argv = fs.readFileSync(argvLog, 'utf8');
    expect(argv).toContain('new-session');
    expect(argv).not.toContain(setValue);
    expect(argv).not.toContain(inlineValue);
    await ownApi('POST', `/sessions/${created.json.id}/kill`);
  });
});
