import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamPath, topicName } from '../../src/core/api/topics';
import { ROOT, createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');
const FAKE_CODEX = path.join(ROOT, 'test/fixtures/fake-codex.cjs');
const TMUX = execFileSync('sh', ['-c', 'command -v tmux'], { encoding: 'utf8' }).trim();

/** Only ever in the environment of the CLI that starts the session, never in the daemon's. */
const SHELL_ONLY = 'CP_SHELL_ONLY';
const SHELL_VALUE = 'from-the-callers-shell-4f1c9e';

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

/** `codepiper start` from a shell that exported SHELL_ONLY, and TMUX as a shell inside the user's own tmux would. */
async function startFromShell(args: string[]): Promise<string> {
  const env = {
    ...harness.env,
    [SHELL_ONLY]: SHELL_VALUE,
    TMUX: '/tmp/users-own-tmux,1,0',
    CODEPIPER_SESSION: 'parent-session',
    // More than tmux takes in one command (16 KB), quotes and a newline, and an exported bash function.
    CP_BIG: 'x'.repeat(40_000),
    CP_TRICKY: `it's "quoted" $HOME \\ \`no\`\nsecond line;`,
    'BASH_FUNC_cp_greet%%': '() {  echo greeted\n}',
  };
  const result = await harness.run(['start', '-p', 'command', '-d', harness.dir, ...args], { env });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout + result.stderr).not.toContain(SHELL_VALUE);
  return result.stdout.trim();
}

/** A bash that appends what it sees to `file` (one line per run), then waits until it is sent a line. */
function reporter(file: string): string[] {
  const line = 'seen=${CP_SHELL_ONLY:-none} tmux=${TMUX%%,*} session=$CODEPIPER_SESSION home=${HOME:+set} path=${PATH:+set}';
  const extra = 'printf "big=%s tricky=%s greet=%s\\n" "${#CP_BIG}" "$(printf %s "${CP_TRICKY-}" | od -An -c | tr -s " \\n" " ")" "$(cp_greet 2>/dev/null)" >> "$0.extra"';
  return ['bash', '--norc', '--noprofile', '-c', `echo "${line}" >> "$0"; ${extra}; echo reported; read line`, file];
}

function reports(file: string, count: number): Promise<string[]> {
  return waitFor(() => {
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    return lines.length >= count ? lines : undefined;
  }, { what: `${count} report(s) in ${file}`, timeoutMs: 15_000 });
}

describe("a session started from the CLI gets the caller's environment", () => {
  let id: string;
  let file: string;

  it("sees a variable only the calling shell exported, not the caller's TMUX or session", async () => {
    file = path.join(harness.dir, 'plain.txt');
    id = await startFromShell(['--', ...reporter(file)]);
    const [line] = await reports(file, 1);
    expect(line).toBe(`seen=${SHELL_VALUE} tmux=${line!.match(/tmux=(\S*)/)![1]} session=${id} home=set path=set`);
    expect(line).toMatch(new RegExp(`tmux=\\S*/${harness.tmuxSocket} `));
    const [extra] = await reports(`${file}.extra`, 1);
    const tricky = execFileSync('sh', ['-c', 'printf %s "$0" | od -An -c | tr -s " \\n" " "', `it's "quoted" $HOME \\ \`no\`\nsecond line;`], { encoding: 'utf8' });
    // An exported bash function does not pass the POSIX sh that launches agents; it does not stop the start either.
    expect(extra).toBe(`big=40000 tricky=${tricky} greet=`);
    // Nothing stays behind where the environment waited for its launcher.
    expect(fs.readdirSync(path.join(harness.home, 'launch'))).toEqual([]);
  });

  it('resumes with the environment it started with', async () => {
    await untilScreen(id, /reported/);
    await api('POST', `/sessions/${id}/send`, { text: '' });
    await untilState(id, 'stopped');
    const resumed = await harness.run(['resume', id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const lines = await reports(file, 2);
    expect(lines[1]).toContain(`seen=${SHELL_VALUE} `);
    expect(lines[1]).toBe(lines[0]);
  });

  it('--clean-env keeps PATH and HOME and drops the rest', async () => {
    const cleanFile = path.join(harness.dir, 'clean.txt');
    const clean = await startFromShell(['--clean-env', '--', ...reporter(cleanFile)]);
    const [line] = await reports(cleanFile, 1);
    expect(line).toMatch(/^seen=none .* home=set path=set$/);
    const session = (await api('GET', `/sessions/${clean}`)).json;
    expect(session).toMatchObject({ envFrom: 'caller', cleanEnv: true });
  });

  it('never shows the value: not in any answer, event, stream or the daemon log', async () => {
    const { json: list, status } = await api('GET', '/sessions');
    expect(status).toBe(200);
    expect(JSON.stringify(list)).not.toContain(SHELL_VALUE);
    expect(list.sessions.find((s: { id: string }) => s.id === id)).toMatchObject({ envFrom: 'caller', cleanEnv: false });
    expect(JSON.stringify((await api('GET', `/sessions/${id}`)).json)).not.toContain(SHELL_VALUE);
    const events = (await api('GET', `/sessions/${id}/events?limit=1000`)).json;
    expect(events.events.length).toBeGreaterThan(2);
    expect(JSON.stringify(events)).not.toContain(SHELL_VALUE);
    // The stream: the session list as it opens, and the session's events.
    const streamClient = new Client('http://localhost', { socketPath: harness.socket, bodyTimeout: 0 });
    const stream = await streamClient.request({ method: 'GET', path: streamPath([topicName('events', id), topicName('sessions')]) });
    let text = '';
    const reading = (async () => {
      for await (const chunk of stream.body) text += chunk.toString();
    })().catch(() => undefined);
    await waitFor(() => text.includes('event: ready'), { what: 'the stream to be ready' });
    stream.body.destroy();
    await reading;
    await streamClient.destroy();
    expect(text).not.toContain(SHELL_VALUE);
    // A refused create echoes no value either.
    const bad = await api('POST', '/sessions', { provider: 'command', cwd: '/nonexistent', callerEnv: { [SHELL_ONLY]: SHELL_VALUE } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).not.toContain(SHELL_VALUE);
    const log = fs.readFileSync(path.join(harness.home, 'daemon.log'), 'utf8');
    expect(log).not.toContain(SHELL_VALUE);
    // At rest it is sealed: the database files do not hold it in the clear.
    for (const name of ['codepiper.db', 'codepiper.db-wal']) {
      const file = path.join(harness.home, name);
      if (fs.existsSync(file)) expect(fs.readFileSync(file).includes(SHELL_VALUE), name).toBe(false);
    }
  });

  it("a client that sends no environment gets the daemon's, as before", async () => {
    const daemonFile = path.join(harness.dir, 'daemon.txt');
    const { json: created, status } = await api('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: reporter(daemonFile) });
    expect(status, JSON.stringify(created)).toBe(200);
    expect(created).toMatchObject({ envFrom: 'daemon', cleanEnv: false });
    const [line] = await reports(daemonFile, 1);
    expect(line).toMatch(/^seen=none /);
  });
});

describe('start without a program or a provider', () => {
  it('-p command without an argv says where the argv goes on the command line', async () => {
    const result = await harness.run(['start', '-p', 'command', '-d', harness.dir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('codepiper start -p command -- bash');
    expect(result.stderr).not.toContain('["bash"]');
  });

  it('without -p picks the one configured provider', async () => {
    const other = createHarness();
    try {
      fs.mkdirSync(other.home, { recursive: true });
      fs.writeFileSync(path.join(other.home, 'config.json'), JSON.stringify({ providers: { 'claude-code': { binary: FAKE_CLAUDE } } }));
      const started = await other.run(['start', '-d', other.dir, '--json']);
      expect(started.code, started.stderr).toBe(0);
      expect(JSON.parse(started.stdout)).toMatchObject({ provider: 'claude-code' });
    } finally {
      await other.cleanup();
    }
  });

  it('without -p picks codex when it is the one configured, though claude may be on PATH', async () => {
    const other = createHarness();
    try {
      fs.mkdirSync(other.home, { recursive: true });
      fs.writeFileSync(path.join(other.home, 'config.json'), JSON.stringify({ providers: { codex: { binary: FAKE_CODEX } } }));
      const fakeClaude = path.join(other.dir, 'bin');
      fs.mkdirSync(fakeClaude);
      fs.symlinkSync(FAKE_CLAUDE, path.join(fakeClaude, 'claude'));
      const started = await other.run(['start', '-d', other.dir, '--json'], { env: { ...other.env, PATH: `${fakeClaude}:${other.env.PATH}` } });
      expect(started.code, started.stderr).toBe(0);
      expect(JSON.parse(started.stdout)).toMatchObject({ provider: 'codex' });
    } finally {
      await other.cleanup();
    }
  });

  it('without -p and nothing to default to, says how to choose', async () => {
    const other = createHarness();
    try {
      // A PATH without claude on it (nothing at all: node and tmux are named by their paths), and no provider configured.
      const env = { ...other.env, PATH: other.dir, CODEPIPER_TMUX_BIN: TMUX };
      const started = await other.run(['start', '-d', other.dir], { env });
      expect(started.code).toBe(2);
      expect(started.stderr).toMatch(/provider: none given, and there is no default/);
      expect(started.stderr).toContain('codepiper start -p <provider>');
    } finally {
      await other.cleanup();
    }
  });
});

describe('doctor and the running daemon', () => {
  it("says what the daemon's own environment finds differently from this shell", async () => {
    const other = createHarness();
    try {
      // The daemon was started from somewhere without claude on PATH; this shell has one, and its own Claude home.
      const daemonEnv = { ...other.env, PATH: other.dir, CODEPIPER_TMUX_BIN: TMUX };
      expect((await other.run(['daemon', 'start', '--detach'], { env: daemonEnv })).code).toBe(0);
      const bin = path.join(other.dir, 'bin');
      fs.mkdirSync(bin);
      fs.symlinkSync(FAKE_CLAUDE, path.join(bin, 'claude'));
      const shellEnv = { ...daemonEnv, PATH: bin, CLAUDE_CONFIG_DIR: path.join(other.dir, 'my-claude') };
      const differing = await other.run(['doctor', '--json'], { env: shellEnv });
      const checks = JSON.parse(differing.stdout).checks as Array<{ name: string; status: string; detail: string }>;
      const check = checks.find((c) => c.name === 'daemon environment');
      expect(check?.status).toBe('warn');
      expect(check?.detail).toContain(`claude-code: the daemon finds no claude, this shell ${path.join(bin, 'claude')}`);
      expect(check?.detail).toMatch(/CLAUDE_CONFIG_DIR .*: the daemon has .*claude, this shell .*my-claude/);
      const same = await other.run(['doctor', '--json'], { env: daemonEnv });
      expect(JSON.parse(same.stdout).checks.find((c: { name: string }) => c.name === 'daemon environment')).toMatchObject({ status: 'ok' });
    } finally {
      await other.cleanup();
    }
  });
});

describe('a resume whose environment cannot be decrypted', () => {
  it('is refused with a clear message when secrets.json got another env key, and the daemon goes on', async () => {
    const other = createHarness();
    try {
      const started = await other.run(['start', '-p', 'command', '-d', other.dir, '--', 'sh', '-c', 'exit 0'], { env: { ...other.env, [SHELL_ONLY]: SHELL_VALUE } });
      expect(started.code, started.stderr).toBe(0);
      const id = started.stdout.trim();
      await waitFor(async () => {
        const shown = await other.run(['sessions', '--json']);
        return JSON.parse(shown.stdout).find((s: { id: string; state: string }) => s.id === id && s.state === 'stopped');
      }, { what: 'the session to stop', timeoutMs: 15_000 });
      expect((await other.run(['daemon', 'stop'])).code).toBe(0);
      const secretsFile = path.join(other.home, 'secrets.json');
      const secrets = JSON.parse(fs.readFileSync(secretsFile, 'utf8'));
      fs.writeFileSync(secretsFile, JSON.stringify({ ...secrets, envKey: Buffer.alloc(32, 9).toString('base64url') }));
      const resumed = await other.run(['resume', id]);
      expect(resumed.code).toBe(5);
      expect(resumed.stderr).toMatch(new RegExp(`session ${id} cannot be resumed: it started with its caller's environment, and it cannot be decrypted: it was sealed with another key`));
      expect(resumed.stderr).not.toContain(SHELL_VALUE);
      // Nothing ran, the session is as it was, and the daemon still serves.
      const after = JSON.parse((await other.run(['sessions', '--json'])).stdout);
      expect(after.find((s: { id: string }) => s.id === id)).toMatchObject({ state: 'stopped' });
    } finally {
      await other.cleanup();
    }
  });
});
