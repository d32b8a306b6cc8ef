import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamPath, topicName } from '../../src/core/api/topics';
import { ROOT, alive, createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');
const FAKE_CODEX = path.join(ROOT, 'test/fixtures/fake-codex.cjs');

let harness: Harness;
let client: Client;

interface Session {
  id: string;
  name: string | null;
  state: string;
  stateSource: string;
  exitCode: number | null;
  exitSignal: number | null;
  agentSessionId: string | null;
  tmuxSession: string;
}

beforeAll(async () => {
  harness = createHarness();
  Object.assign(harness.env, { CODEPIPER_CLAUDE_BIN: FAKE_CLAUDE, CODEPIPER_CODEX_BIN: FAKE_CODEX, SECRET_TOKEN: 'must-not-leak' });
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

const { api, screen, untilScreen, untilState } = daemonApi(() => client);

async function create(body: Record<string, unknown>): Promise<Session> {
  const { status, json } = await api('POST', '/sessions', { cwd: harness.dir, ...body });
  expect(status, JSON.stringify(json)).toBe(200);
  return json as Session;
}

async function session(id: string): Promise<Session> {
  return (await api('GET', `/sessions/${id}`)).json as Session;
}

async function send(id: string, text: string): Promise<void> {
  const { status, json } = await api('POST', `/sessions/${id}/send`, { text });
  expect(status, JSON.stringify(json)).toBe(200);
}

async function events(id: string): Promise<Array<{ id: number; source: string; type: string; data: Record<string, unknown> }>> {
  return (await api('GET', `/sessions/${id}/events?limit=1000`)).json.events;
}

async function lastEventId(id: string): Promise<number> {
  const all = await events(id);
  return all.length ? all.at(-1)!.id : 0;
}

/** Waits for the agent's hook `event` to have reached the daemon after event id `after`. */
function untilHook(id: string, event: string, after: number) {
  return waitFor(async () => (await events(id)).find((entry) => entry.id > after && entry.type === 'hook' && entry.data.event === event), {
    what: `the ${event} hook of ${id}`,
    timeoutMs: 15_000,
  });
}

describe('sessions with the fake Claude Code', () => {
  let id: string;

  it('starts, shows its prompt and becomes idle', async () => {
    const created = await create({ provider: 'claude-code', name: 'claude-one' });
    id = created.id;
    expect(created.tmuxSession).toBe(`cp-${id}`);
    expect(created.agentSessionId).toMatch(/^[0-9a-f-]{36}$/);
    await untilScreen(id, new RegExp(`session ${created.agentSessionId}`));
    const idle = await untilState(id, 'idle');
    expect(idle.stateSource).toBe('screen');
  });

  it('shows typed text in its output', async () => {
    const before = await lastEventId(id);
    await send(id, 'hello there');
    await untilScreen(id, /You said: hello there/);
    await untilHook(id, 'Stop', before);
  });

  it('is running while it works, then idle again', async () => {
    await send(id, 'work 2500');
    const running = await untilState(id, 'running');
    // Its UserPromptSubmit hook says so first; the busy marker on screen says the same.
    expect(['hook', 'screen']).toContain(running.stateSource);
    await untilState(id, 'idle');
    expect(await screen(id)).toContain('● done working');
  });

  it('waits for permission at its permission box, and goes on when it is answered', async () => {
    await send(id, 'ask Bash rm -rf build');
    await untilState(id, 'needs_permission');
    // Its PermissionRequest hook can tell before the box is drawn.
    await untilScreen(id, /Do you want to proceed\?/);
    expect((await api('POST', `/sessions/${id}/keys`, { keys: ['1'] })).status).toBe(200);
    await untilState(id, 'idle');
    expect(await screen(id)).toContain('● allowed Bash rm -rf build');
  });

  it('answers a pending permission through the permission route, and refuses when nothing is asked', async () => {
    const idle = await api('POST', `/sessions/${id}/permission`, { answer: 'approve' });
    expect(idle.status).toBe(409);
    expect(idle.json.error.code).toBe('SESSION_NOT_WAITING');
    expect(idle.json.error.message).toMatch(/is idle, not waiting for permission/);

    await send(id, 'ask Write notes.md');
    await untilState(id, 'needs_permission');
    await untilScreen(id, /Do you want to proceed\?/);
    const denied = await api('POST', `/sessions/${id}/permission`, { answer: 'deny' });
    expect(denied.status, JSON.stringify(denied.json)).toBe(200);
    await untilState(id, 'idle');
    expect(await screen(id)).toContain('● denied Write notes.md');

    await send(id, 'ask Bash make');
    await untilState(id, 'needs_permission');
    await untilScreen(id, /Do you want to proceed\?/);
    // Two answers at once (a double key press, two clients): one is pressed, the other refused, nothing leaks.
    const both = await Promise.all([api('POST', `/sessions/${id}/permission`, { answer: 'approve' }), api('POST', `/sessions/${id}/permission`, { answer: 'approve' })]);
    expect(both.map((result) => result.status).sort()).toEqual([200, 409]);
    expect(both.find((result) => result.status === 409)!.json.error.message).toMatch(/was just answered/);
    await untilState(id, 'idle');
    expect(await screen(id)).toContain('● allowed Bash make');
    expect(await screen(id)).not.toMatch(/❯ 1/); // no stray "1" typed into the prompt
    const answers = (await events(id)).filter((entry) => entry.type === 'permission').map((entry) => entry.data.answer);
    expect(answers).toEqual(['deny', 'approve']);

    const bad = await api('POST', `/sessions/${id}/permission`, { answer: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/answer/);
  });

  it('passes the session env and the allowlist, never the daemon secrets', async () => {
    await send(id, 'env CODEPIPER_SESSION');
    await untilScreen(id, new RegExp(`CODEPIPER_SESSION=${id}`));
    await send(id, 'env SECRET_TOKEN');
    await untilScreen(id, /SECRET_TOKEN is unset/);
  });

  it('keeps colours only when asked', async () => {
    const plain = (await api('GET', `/sessions/${id}/output`)).json.text as string;
    const ansi = (await api('GET', `/sessions/${id}/output?ansi=1`)).json.text as string;
    expect(plain).not.toContain('\u001b[');
    expect(ansi).toContain('\u001b[');
    const withHistory = (await api('GET', `/sessions/${id}/output?lines=500`)).json.text as string;
    expect(withHistory).toContain('Fake Claude Code');
  });

  it('pushes output and state changes on the event stream', async () => {
    const seen: string[] = [];
    // A stream holds its connection; requests go on through the other client.
    const streamClient = new Client('http://localhost', { socketPath: harness.socket, bodyTimeout: 0 });
    const stream = await streamClient.request({ method: 'GET', path: streamPath([topicName('output', id), topicName('sessions')]) });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toMatch(/text\/event-stream/);
    const reading = (async () => {
      for await (const chunk of stream.body) {
        seen.push(chunk.toString());
        const text = seen.join('');
        const outputs = [...text.matchAll(/event: output\ndata: (.*)\n/g)].map((m) => Buffer.from(JSON.parse(m[1]!).data, 'base64').toString('utf8'));
        if (outputs.join('').includes('streamed token') && /event: session\ndata: .*"state":"running"/.test(text)) return true;
      }
      return false;
    })();
    await waitFor(() => seen.join('').includes('event: ready'), { what: 'the stream to be ready' });
    await send(id, 'echo streamed token');
    await send(id, 'work 1000');
    expect(await reading).toBe(true);
    stream.body.destroy();
    await streamClient.destroy();
    await untilState(id, 'idle');
  });

  it('says that output arrived, without the bytes and at most every 25 ms, on the changed topic', async () => {
    const streamClient = new Client('http://localhost', { socketPath: harness.socket, bodyTimeout: 0 });
    const stream = await streamClient.request({ method: 'GET', path: streamPath([topicName('changed', id)]) });
    expect(stream.statusCode).toBe(200);
    let text = '';
    const reading = (async () => {
      for await (const chunk of stream.body) text += chunk.toString();
    })().catch(() => undefined);
    await waitFor(() => text.includes('event: ready'), { what: 'the stream to be ready' });
    const before = (await api('GET', `/sessions/${id}/output`)).json.seq as number;
    const started = Date.now();
    await send(id, 'flood 3000');
    await untilScreen(id, /line 3000/);
    const elapsed = Date.now() - started;
    const changes = () => [...text.matchAll(/event: changed\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!) as { session: string; seq: number });
    await waitFor(() => changes().some((event) => event.seq >= before), { what: 'a changed event for the flood' });
    expect(changes().every((event) => event.session === id)).toBe(true);
    // Throttled: a few thousand lines of output make at most one event per 25 ms, not one per chunk.
    const flood = changes().filter((event) => event.seq >= before);
    expect(flood.length).toBeLessThanOrEqual(Math.ceil(elapsed / 25) + 2);
    expect(text).not.toContain('event: output');
    stream.body.destroy();
    await reading;
    await streamClient.destroy();
    await untilState(id, 'idle');
  });

  it('exit 0 is stopped, with the code recorded', async () => {
    await send(id, 'exit 0');
    const stopped = await untilState(id, 'stopped');
    expect(stopped).toMatchObject({ exitCode: 0, stateSource: 'process' });
  });

  it('refuses input to an ended session with 409', async () => {
    const { status, json } = await api('POST', `/sessions/${id}/send`, { text: 'hello' });
    expect(status).toBe(409);
    expect(json.error.code).toBe('SESSION_NOT_RUNNING');
    expect(json.error.message).toContain('resume');
  });

  it('resumes under the same id with the agent\'s own resume id', async () => {
    const before = await session(id);
    const { status, json } = await api('POST', `/sessions/claude-one/resume`);
    expect(status, JSON.stringify(json)).toBe(200);
    expect(json.id).toBe(id);
    await untilScreen(id, new RegExp(`resumed ${before.agentSessionId}`));
    await untilState(id, 'idle');
    const resumed = (await events(id)).find((event) => event.type === 'resumed');
    expect(resumed?.data).toMatchObject({ continued: true });
    const argv = resumed!.data.argv as string[];
    expect(argv.slice(0, 3)).toEqual([FAKE_CLAUDE, '--resume', before.agentSessionId]);
    expect(argv[3]).toBe('--settings');
    const again = await api('POST', `/sessions/${id}/resume`);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('SESSION_ALREADY_RUNNING');
  });

  it('exit 3 is crashed with code 3', async () => {
    await send(id, 'exit 3');
    const crashed = await untilState(id, 'crashed');
    expect(crashed).toMatchObject({ exitCode: 3, exitSignal: null });
    const types = (await events(id)).map((event) => `${event.source}:${event.type}`);
    expect(types).toContain('process:exit');
  });

  it('records a death by signal as crashed with the signal', async () => {
    await api('POST', `/sessions/${id}/resume`);
    await untilState(id, 'idle');
    await send(id, 'signal SIGKILL');
    const crashed = await untilState(id, 'crashed');
    expect(crashed.exitSignal).toBe(9);
  });

  it('stops gracefully with the agent\'s own quit command, and kill ends it at once', async () => {
    await api('POST', `/sessions/${id}/resume`);
    await untilState(id, 'idle');
    const stopped = await api('POST', `/sessions/${id}/stop`);
    expect(stopped.json).toMatchObject({ state: 'stopped', exitCode: 0 });
    await api('POST', `/sessions/${id}/resume`);
    await untilState(id, 'idle');
    const killed = await api('POST', `/sessions/${id}/kill`);
    expect(killed.json.state).toBe('stopped');
    // The agent's own SessionEnd hook (fired on the SIGHUP of the kill) may land after it: it is a hook, not a state.
    expect((await events(id)).filter((event) => event.type === 'state').at(-1)).toMatchObject({ data: { to: 'stopped' } });
  });

  it('shows the last output of a killed session from its log', async () => {
    const { json } = await api('GET', `/sessions/${id}/output`);
    expect(json.source).toBe('log');
    expect(json.text).toContain('Fake Claude Code');
  });
});

describe('sessions with the fake Codex', () => {
  it('detects its permission question and resumes with the id it printed', async () => {
    const created = await create({ provider: 'codex' });
    const idle = await untilState(created.id, 'idle');
    const agentId = await waitFor(async () => (await session(created.id)).agentSessionId, { what: 'the codex session id' });
    await send(created.id, 'ask Bash git push');
    await untilState(created.id, 'needs_permission');
    expect((await api('POST', `/sessions/${created.id}/keys`, { keys: ['esc'] })).status).toBe(200);
    await untilScreen(created.id, /● denied Bash git push/);
    await untilState(created.id, 'idle');
    await send(created.id, '/quit');
    await untilState(created.id, 'stopped');
    await api('POST', `/sessions/${created.id}/resume`);
    await untilScreen(created.id, new RegExp(`resumed ${agentId}`));
  });
});

describe('sessions with the fake Codex, questions in a row', () => {
  it('answers the next question too, though the state never left needs permission and no hook said so', async () => {
    const created = await create({ provider: 'codex' });
    await untilState(created.id, 'idle');
    await send(created.id, 'work 1500');
    await untilState(created.id, 'running');
    await send(created.id, 'ask Bash first');
    await send(created.id, 'ask Bash second');
    await untilScreen(created.id, /\$ first/);
    await untilState(created.id, 'needs_permission');
    expect((await api('POST', `/sessions/${created.id}/permission`, { answer: 'approve' })).status).toBe(200);
    await untilScreen(created.id, /● allowed Bash first/);
    await untilScreen(created.id, /\$ second/);
    const second = await waitFor(
      async () => {
        const result = await api('POST', `/sessions/${created.id}/permission`, { answer: 'deny' });
        return result.status === 200 ? result : undefined;
      },
      { what: 'the second question to be answerable', timeoutMs: 5000, intervalMs: 200 },
    );
    expect(second.status).toBe(200);
    await untilScreen(created.id, /● denied Bash second/);
  });
});

describe('command sessions', () => {
  it('are running while output flows and idle once it stops', async () => {
    const created = await create({ provider: 'command', args: ['bash', '--norc', '--noprofile'] });
    await untilState(created.id, 'idle');
    await send(created.id, 'for i in $(seq 1 30); do echo tick $i; sleep 0.1; done');
    await untilState(created.id, 'running');
    await untilScreen(created.id, /tick 30/);
    await untilState(created.id, 'idle');
  });

  it('run a single-word argv without a shell and report its exit', async () => {
    const created = await create({ provider: 'command', args: ['true'] });
    const stopped = await untilState(created.id, 'stopped');
    expect(stopped.exitCode).toBe(0);
  });

  it('keep arguments that end in a semicolon intact', async () => {
    const created = await create({ provider: 'command', args: ['sh', '-c', 'printf "%s|" "$@"; exec sleep 30', 'sh', 'a;', ';', "it's"] });
    await untilScreen(created.id, /a;\|;\|it's\|/);
    await api('POST', `/sessions/${created.id}/kill`);
  });
});

describe('awkward but valid input', () => {
  it('starts in a directory whose name has "#" and ends in ";", and runs a relative program from there', async () => {
    const fs = await import('node:fs');
    const dir = path.join(harness.dir, 'issue#12 #{pane_id};');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'hello.sh'), '#!/bin/sh\necho "hello from $(pwd)"\nexec sleep 30\n', { mode: 0o755 });
    const created = await create({ provider: 'command', cwd: dir, args: ['./hello.sh'] });
    await untilScreen(created.id, new RegExp(`hello from ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    await api('POST', `/sessions/${created.id}/kill`);
  });
});

describe('bad input', () => {
  it('validate reports every problem at once and creates nothing', async () => {
    const before = (await api('GET', '/sessions')).json.sessions.length;
    const { status, json } = await api('POST', '/sessions/validate', { provider: 'command', cwd: 'relative/dir', args: [], billingMode: 'api', surelyNotAField: 1 });
    expect(status).toBe(200);
    expect(json.valid).toBe(false);
    const paths = json.issues.map((issue: { path: string }) => issue.path);
    expect(paths).toEqual(expect.arrayContaining(['cwd', 'args', 'billingMode']));
    expect(json.issues.some((issue: { message: string }) => issue.message.includes('surelyNotAField'))).toBe(true);
    expect((await api('GET', '/sessions')).json.sessions.length).toBe(before);
    const good = await api('POST', '/sessions/validate', { provider: 'claude-code', cwd: harness.dir });
    expect(good.json).toMatchObject({ valid: true, issues: [] });
    expect(good.json.argv[0]).toBe(FAKE_CLAUDE);
  });

  it('rejects relative and missing directories and unknown providers', async () => {
    const relative = await api('POST', '/sessions', { provider: 'command', cwd: 'tmp', args: ['true'] });
    expect(relative.status).toBe(400);
    expect(relative.json.error.message).toContain('must be an absolute path');
    const missing = await api('POST', '/sessions', { provider: 'command', cwd: '/no/such/dir', args: ['true'] });
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toContain('directory does not exist: /no/such/dir');
    const unknown = await api('POST', '/sessions', { provider: 'gpt-shell', cwd: harness.dir });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.details.issues[0].path).toBe('provider');
  });

  it('names the provider and its setting when the binary is missing', async () => {
    const other = createHarness();
    try {
      other.env.CODEPIPER_CLAUDE_BIN = '/nonexistent/claude';
      const result = await other.run(['start', '-p', 'claude-code', '-d', other.dir]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('claude-code: "/nonexistent/claude" was not found');
      expect(result.stderr).toContain('CODEPIPER_CLAUDE_BIN');
      const listed = await other.run(['sessions', '--json']);
      expect(JSON.parse(listed.stdout)).toEqual([]);
    } finally {
      await other.cleanup();
    }
  });

  it('refuses NUL bytes in argv, env and cwd up front, leaving no row behind', async () => {
    const before = (await api('GET', '/sessions')).json.sessions.length;
    const result = await api('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['sleep', '1\u0000'], env: { A: 'x\u0000y' } });
    expect(result.status).toBe(400);
    expect(result.json.error.code).toBe('VALIDATION_FAILED');
    expect(result.json.error.details.issues.map((issue: { path: string }) => issue.path)).toEqual(['args[1]', 'env.A']);
    expect((await api('GET', '/sessions')).json.sessions.length).toBe(before);
  });

  it('404s an unknown session, 413s oversized text, 400s unknown keys with the valid names', async () => {
    const unknown = await api('POST', '/sessions/ffffffff/send', { text: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('SESSION_NOT_FOUND');
    const live = await create({ provider: 'command', args: ['cat'] });
    const big = await api('POST', `/sessions/${live.id}/send`, { text: 'x'.repeat(64 * 1024 + 1) });
    expect(big.status).toBe(413);
    const keys = await api('POST', `/sessions/${live.id}/keys`, { keys: ['enter', 'hyperspace'] });
    expect(keys.status).toBe(400);
    expect(keys.json.error.message).toContain('"hyperspace"');
    expect(keys.json.error.message).toContain('shift+tab');
    const taken = await api('PUT', `/sessions/${live.id}/name`, { name: 'claude-one' });
    expect(taken.status).toBe(409);
    await api('POST', `/sessions/${live.id}/kill`);
  });
});

// Before the -9 test on purpose. tmux 3.3a's server segfaults now and then ("segfault at f0" in dmesg: a NULL
// session) when a session with a control client attached is destroyed; after the -9 test's adoption, killing the
// control session here brought the whole server down in about one run of three, and every agent with it. That is
// tmux's bug (not ours to test here); in this order it has not happened in five runs.
describe('tmux under our feet', () => {
  // Killing cp-control can crash tmux 3.3a itself (its once-a-second subscription check walks the destroyed session:
  // segfault at 0xf0, seen in dmesg and cores on this machine, about one full run in five). The daemon then reports
  // its sessions crashed (engine-truth.test.ts kills the server and checks that); the reconnect this test is about
  // is tried once more, on a fresh server, rather than failing on tmux's fault.
  it('reconnects when the control session is killed, and still sees output and exits', { retry: 1 }, async () => {
    const { spawnSync } = await import('node:child_process');
    const created = await create({ provider: 'command', args: ['cat'] });
    await untilState(created.id, 'idle');
    spawnSync('tmux', ['-L', harness.tmuxSocket, 'kill-session', '-t', '=cp-control']);
    await waitFor(() => spawnSync('tmux', ['-L', harness.tmuxSocket, 'has-session', '-t', '=cp-control']).status === 0, { what: 'a new control session' });
    // Input is refused while no control client is attached; once one is, the session's window is linked again.
    const before = Math.max(...(await events(created.id)).map((event) => event.id));
    await waitFor(async () => (await api('POST', `/sessions/${created.id}/send`, { text: 'still heard' })).status === 200, { what: 'input to be taken again', intervalMs: 100 }).catch(
      async (error) => {
        const { readFileSync } = await import('node:fs');
        throw new Error(`${(error as Error).message}\n${readFileSync(path.join(harness.home, 'daemon.log'), 'utf8').split('\n').slice(-15).join('\n')}`);
      },
    );
    await untilScreen(created.id, /^still heard\nstill heard$/m);
    // The output reached the daemon's stream: it made the session run, then go idle.
    await waitFor(async () => (await events(created.id)).some((event) => event.id > before && event.type === 'state' && event.data.to === 'running'), { what: 'the output to be seen' });
    await untilState(created.id, 'idle').catch(async (error) => {
      throw new Error(`${(error as Error).message}\n${JSON.stringify((await events(created.id)).slice(-8))}\n${await screen(created.id)}`);
    });
    await api('POST', `/sessions/${created.id}/keys`, { keys: ['ctrl+d'] });
    expect((await untilState(created.id, 'stopped')).exitCode).toBe(0);
  });

  it('lets go of ended windows, and kill removes an ended session\'s window', async () => {
    const { spawnSync } = await import('node:child_process');
    const windows = () => spawnSync('tmux', ['-L', harness.tmuxSocket, 'list-windows', '-a', '-F', '#{session_name} #{window_id}'], { encoding: 'utf8' }).stdout;
    const created = await create({ provider: 'command', args: ['true'] });
    await untilState(created.id, 'stopped');
    const windowId = await waitFor(() => new RegExp(`^cp-${created.id} (@\\d+)$`, 'm').exec(windows())?.[1], { what: 'its window' });
    await waitFor(() => !windows().includes(`cp-control ${windowId}`), { what: 'the control session to let go of it' });
    await api('POST', `/sessions/${created.id}/kill`);
    expect(windows()).not.toContain(windowId + '\n');
  });
});

describe('a daemon killed with -9', () => {
  it('re-adopts live sessions with their state, output and events, and marks the dead ones', async () => {
    const survivor = await create({ provider: 'claude-code', name: 'survivor' });
    await untilState(survivor.id, 'idle');
    await send(survivor.id, 'echo before the crash');
    await untilScreen(survivor.id, /● before the crash/);
    const doomed = await create({ provider: 'command', args: ['sh', '-c', 'read line; exit 7'] });
    await untilState(doomed.id, 'idle');
    const eventsBefore = await events(survivor.id);

    const pid = harness.discovery()!.pid;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), { what: 'the daemon to die' });
    // While no daemon watches, one agent exits.
    const { spawnSync } = await import('node:child_process');
    spawnSync('tmux', ['-L', harness.tmuxSocket, 'send-keys', '-t', `=cp-${doomed.id}:`, 'go', 'Enter']);
    await waitFor(() => {
      const out = spawnSync('tmux', ['-L', harness.tmuxSocket, 'display', '-p', '-t', `=cp-${doomed.id}:`, '#{pane_dead}'], { encoding: 'utf8' });
      return out.stdout.trim() === '1';
    }, { what: 'the unwatched agent to exit' });

    // Any command brings a daemon back (autostart), which adopts what it finds.
    const listed = await harness.run(['sessions', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const sessions = JSON.parse(listed.stdout) as Session[];
    expect(sessions.find((s) => s.id === survivor.id)?.state).toBe('idle');
    const dead = sessions.find((s) => s.id === doomed.id);
    expect(dead).toMatchObject({ state: 'crashed', exitCode: 7 });

    const sent = await harness.run(['send', 'survivor', 'echo after the crash']);
    expect(sent.code, sent.stderr).toBe(0);
    await untilScreen(survivor.id, /● after the crash/);
    const tail = await harness.run(['tail', 'survivor', '-n', '50']);
    expect(tail.stdout).toContain('● before the crash');
    expect(tail.stdout).toContain('● after the crash');

    const eventsAfter = await events(survivor.id);
    expect(eventsAfter.slice(0, eventsBefore.length)).toEqual(eventsBefore);
    expect(eventsAfter.map((event) => event.type)).toContain('adopted');
    const logs = await harness.run(['logs', 'survivor']);
    expect(logs.stdout).toMatch(/process created/);
    expect(logs.stdout).toMatch(/process adopted/);
  });
});

describe('attach', () => {
  /** Runs `codepiper attach` in a pseudo-terminal from util-linux script(1); what is written to it is typed there. */
  async function attach(id: string) {
    const { spawn } = await import('node:child_process');
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(ROOT, 'bin/codepiper'))} attach ${id}`;
    // TMUX is set as it is inside the user's own tmux: attach must still work.
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: { ...harness.env, TERM: 'xterm', TMUX: '/tmp/not-this-one,1,0' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const output = { text: '' };
    child.stdout!.on('data', (chunk) => (output.text += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => output.text.includes('? for shortcuts') && output.text.includes(`codepiper cp-${id}`), { what: 'the attached screen' }).catch((error) => {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}; saw: ${JSON.stringify(output.text)}`);
    });
    return { child, output, exited };
  }

  it('hands the terminal to tmux attach, and detaching returns with status 0', async () => {
    const created = await create({ provider: 'claude-code' });
    await untilState(created.id, 'idle');
    const { child, output, exited } = await attach(created.id);
    try {
      child.stdin!.write('\u0002d'); // C-b d
      expect(await exited).toBe(0);
      expect(output.text).toMatch(/detached/);
      expect((await session(created.id)).state).toBe('idle');
    } finally {
      child.kill('SIGKILL');
      await api('POST', `/sessions/${created.id}/kill`);
    }
  });

  it('returns to the shell when the agent exits', async () => {
    const created = await create({ provider: 'claude-code' });
    await untilState(created.id, 'idle');
    const { child, exited } = await attach(created.id);
    try {
      await send(created.id, 'exit 0');
      expect(await exited).toBe(0);
      expect((await untilState(created.id, 'stopped')).exitCode).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('the CLI', () => {
  it('starts, lists, drives and stops a session', async () => {
    const started = await harness.run(['start', '-p', 'command', '-d', harness.dir, '--name', 'cli-cat', '--env', 'GREETING=hi there', '--', 'bash', '--norc', '--noprofile']);
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    await untilState(id, 'idle');

    const table = await harness.run(['sessions', '--provider', 'command', '--status', 'idle']);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+cli-cat\\s+command\\s+idle\\s+\\S+ ago\\s+`));

    expect((await harness.run(['send', 'cli-cat', 'echo "$GREETING from bash"'])).code).toBe(0);
    await untilScreen(id, /^hi there from bash$/m);
    const piped = await harness.run(['send', 'cli-cat'], { input: 'echo piped $((6 * 7))\n' });
    expect(piped.code, piped.stderr).toBe(0);
    await untilScreen(id, /^piped 42$/m);
    expect((await harness.run(['keys', 'cli-cat', 'ctrl+c'])).code).toBe(0);
    const badKey = await harness.run(['keys', 'cli-cat', 'nokey']);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('unknown key "nokey"');

    expect((await harness.run(['rename', id, 'cli-renamed'])).stdout.trim()).toBe(`${id} cli-renamed`);
    expect((await harness.run(['resize', 'cli-renamed', '100', '30'])).stdout.trim()).toBe(`${id} 100x30`);
    const stop = await harness.run(['stop', 'cli-renamed', '--timeout', '2']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`^${id} stopped`));
    const missing = await harness.run(['send', 'cli-renamed', 'hello']);
    expect(missing.code).toBe(5);
  });
});
