import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';

/**
 * The audit log tells who settled each permission question, how and when: one row per question (its PreToolUse and
 * PermissionRequest are one), and its outcome — policy, a person through the CLI, the TUI or the agent's own prompt,
 * a policy answer that came too late, or a session that ended with the question open.
 */

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');

let harness: Harness;
let client: Client;
let id: string;
let tmuxSession: string;

beforeAll(async () => {
  harness = createHarness();
  harness.env.CODEPIPER_CLAUDE_BIN = FAKE_CLAUDE;
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
  await ok('POST', '/policies', {
    name: 'audit rules',
    priority: 10,
    rules: [
      { action: 'allow', tool: 'Bash', args: { command: ['npm test*', 'slow *'] } },
      { action: 'deny', tool: 'Bash', args: { command: 'rm *' }, reason: 'no removing' },
    ],
  });
  ({ id, tmuxSession } = await claudeSession());
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

const { api, screen, untilScreen, untilState } = daemonApi(() => client);

async function ok(method: string, route: string, body?: unknown): Promise<any> {
  const { status, json } = await api(method, route, body);
  expect(status, `${method} ${route}: ${JSON.stringify(json)}`).toBe(200);
  return json;
}

async function claudeSession(): Promise<{ id: string; tmuxSession: string }> {
  const session = await ok('POST', '/sessions', { provider: 'claude-code', cwd: harness.dir });
  await untilScreen(session.id, /\? for shortcuts/);
  await waitFor(async () => (await ok('GET', `/sessions/${session.id}/events?limit=1000`)).events.some((e: any) => e.type === 'hook' && e.data.event === 'SessionStart'), {
    what: 'its SessionStart hook',
  });
  return { id: session.id, tmuxSession: session.tmuxSession };
}

/** The audit rows of a command the fake agent was asked to run with `ask Bash <command>`. */
async function rowsFor(session: string, command: string): Promise<any[]> {
  const { decisions } = await ok('GET', `/policy-decisions?sessionId=${session}&limit=1000`);
  return decisions.filter((d: any) => d.args.command === command);
}

/** Waits until the row of `command` is settled (no longer pending) and returns it. */
function settled(session: string, command: string): Promise<any> {
  return waitFor(async () => {
    const rows = await rowsFor(session, command);
    return rows.length === 1 && rows[0].outcome !== 'pending' ? rows[0] : undefined;
  }, { what: `the audit row of "${command}" to be settled`, timeoutMs: 15_000 });
}

/** Types into the agent's terminal as a person who attached would: straight through tmux, not through CodePiper. */
function typeInAgent(session: string, ...keys: string[]): void {
  const result = spawnSync('tmux', ['-L', harness.tmuxSocket, 'send-keys', '-t', `=${session}:`, ...keys], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
}

/** Asks the fake agent for a Bash call and waits for its permission box. */
async function askAndWaitForBox(session: string, command: string): Promise<void> {
  await ok('POST', `/sessions/${session}/send`, { text: `ask Bash ${command}` });
  await untilScreen(session, /Do you want to proceed\?/);
  await untilState(session, 'needs_permission');
}

describe('one row per question, with its outcome', () => {
  it('records a question the agent shows as exactly one row, waiting for an answer', async () => {
    await askAndWaitForBox(id, 'make deploy');
    const rows = await waitFor(async () => {
      const found = await rowsFor(id, 'make deploy');
      return found.length > 0 && found[0].askedAt ? found : undefined;
    }, { what: 'the PermissionRequest to mark the row as shown' });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ event: 'PreToolUse', decision: 'ask', outcome: 'pending', toolUseId: expect.stringMatching(/^toolu_/) });
  });

  it('codepiper approve settles it: approved by a person via cli, with the time', async () => {
    const before = Date.now();
    const approved = await harness.run(['approve', id]);
    expect(approved.code, approved.stderr).toBe(0);
    await untilScreen(id, /● allowed Bash make deploy/);
    const row = await settled(id, 'make deploy');
    expect(row).toMatchObject({ outcome: 'allowed', outcomeBy: 'person', outcomeVia: 'cli' });
    expect(Date.parse(row.outcomeAt)).toBeGreaterThanOrEqual(before - 1000);
    // The PostToolUse that followed did not turn it into an answer typed in the agent.
    expect((await rowsFor(id, 'make deploy'))[0].outcomeVia).toBe('cli');
  });

  it('an allow rule settles it at once: allowed by policy', async () => {
    await ok('POST', `/sessions/${id}/send`, { text: 'ask Bash npm test' });
    await untilScreen(id, /● allowed Bash npm test/);
    const row = await settled(id, 'npm test');
    expect(row).toMatchObject({ decision: 'allow', policyName: 'audit rules', outcome: 'allowed', outcomeBy: 'policy', outcomeVia: null });
  });

  it('a deny rule settles it at once: denied by policy', async () => {
    await ok('POST', `/sessions/${id}/send`, { text: 'ask Bash rm build' });
    await untilScreen(id, /● denied Bash rm build: no removing/);
    expect(await settled(id, 'rm build')).toMatchObject({ decision: 'deny', outcome: 'denied', outcomeBy: 'policy' });
  });

  it('a deny through the route from the TUI: denied by a person via tui', async () => {
    await askAndWaitForBox(id, 'make release');
    await ok('POST', `/sessions/${id}/permission`, { answer: 'deny', via: 'tui' });
    await untilScreen(id, /● denied Bash make release/);
    expect(await settled(id, 'make release')).toMatchObject({ outcome: 'denied', outcomeBy: 'person', outcomeVia: 'tui', outcomeAt: expect.any(String) });
  });

  it('the route without via is an api caller', async () => {
    await askAndWaitForBox(id, 'make api');
    await ok('POST', `/sessions/${id}/permission`, { answer: 'approve' });
    await untilScreen(id, /● allowed Bash make api/);
    expect(await settled(id, 'make api')).toMatchObject({ outcome: 'allowed', outcomeBy: 'person', outcomeVia: 'api' });
    const bad = await api('POST', `/sessions/${id}/permission`, { answer: 'approve', via: 'agent-ui' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('via');
  });

  it('an answer typed in the agent itself: approved in the agent UI (its tool ran)', async () => {
    await askAndWaitForBox(id, 'make lint');
    typeInAgent(tmuxSession, '1');
    await untilScreen(id, /● allowed Bash make lint/);
    expect(await settled(id, 'make lint')).toMatchObject({ outcome: 'allowed', outcomeBy: 'person', outcomeVia: 'agent-ui', outcomeAt: expect.any(String) });
  });

  it('a refusal typed in the agent itself: denied in the agent UI (the turn ended without the tool)', async () => {
    await askAndWaitForBox(id, 'make clean');
    typeInAgent(tmuxSession, 'Escape');
    await untilScreen(id, /● denied Bash make clean/);
    expect(await settled(id, 'make clean')).toMatchObject({ outcome: 'denied', outcomeBy: 'person', outcomeVia: 'agent-ui' });
  });

  it('a tool approved in the agent that then fails was still approved (PostToolUseFailure), not denied at the end of the turn', async () => {
    await askAndWaitForBox(id, 'false && make check');
    typeInAgent(tmuxSession, '1');
    await untilScreen(id, /● allowed Bash false && make check/);
    await waitFor(async () => (await ok('GET', `/sessions/${id}/events?limit=1000`)).events.some((e: any) => e.type === 'hook' && e.data.event === 'Stop' && e.id > 0), {
      what: 'the Stop hook',
    });
    expect(await settled(id, 'false && make check')).toMatchObject({ outcome: 'allowed', outcomeBy: 'person', outcomeVia: 'agent-ui' });
  });

  it('codepiper audit shows the outcome; --csv and --json carry it', async () => {
    const table = await harness.run(['audit', '--session', id]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/\bOUTCOME\b/);
    expect(table.stdout).toMatch(/approved via cli after /);
    expect(table.stdout).toMatch(/denied via tui after /);
    expect(table.stdout).toMatch(/allowed by policy/);
    expect(table.stdout).toMatch(/approved in the agent after /);

    const csv = await harness.run(['audit', '--session', id, '--csv']);
    const [header, ...lines] = csv.stdout.trim().split('\n');
    const columns = header!.split(',');
    expect(columns).toEqual(expect.arrayContaining(['outcome', 'outcomeBy', 'outcomeVia', 'outcomeAt']));
    const deploy = lines.find((line) => line.includes('make deploy'))!;
    const cells = deploy.split(',');
    expect(cells[columns.indexOf('outcome')]).toBe('allowed');
    expect(cells[columns.indexOf('outcomeBy')]).toBe('person');
    expect(cells[columns.indexOf('outcomeVia')]).toBe('cli');
    expect(cells[columns.indexOf('outcomeAt')]).toMatch(/^\d{4}-\d\d-\d\dT/);

    const json = JSON.parse((await harness.run(['audit', '--session', id, '--json'])).stdout);
    expect(json.find((d: any) => d.args.command === 'make clean')).toMatchObject({ outcome: 'denied', outcomeBy: 'person', outcomeVia: 'agent-ui' });
    // One row per question: no PermissionRequest row of its own for any of them.
    expect(json.filter((d: any) => d.event === 'PermissionRequest')).toEqual([]);
  });
});

describe('questions that nobody or nothing answered in time', () => {
  it('a policy answer that comes after the hook gave up: timed out, and the agent asked the person instead', async () => {
    const daemonPid = harness.discovery()!.pid;
    // A stopped daemon answers nothing: the hooks give up (printing nothing), then get their answers late.
    process.kill(daemonPid, 'SIGSTOP');
    try {
      typeInAgent(tmuxSession, '-l', 'ask Bash slow build');
      typeInAgent(tmuxSession, 'Enter');
      await waitFor(() => {
        const pane = spawnSync('tmux', ['-L', harness.tmuxSocket, 'capture-pane', '-p', '-t', `=${tmuxSession}:`], { encoding: 'utf8' });
        return /Do you want to proceed\?/.test(pane.stdout);
      }, { what: "the agent's own permission box", timeoutMs: 20_000, intervalMs: 100 });
    } finally {
      process.kill(daemonPid, 'SIGCONT');
    }
    const row = await settled(id, 'slow build');
    // The policy allowed it, but its answer never reached the agent: the audit must not say "allowed by policy".
    expect(row).toMatchObject({ decision: 'allow', outcome: 'timed_out', outcomeBy: 'policy' });
    expect(await screen(id)).toContain('Do you want to proceed?');
    typeInAgent(tmuxSession, 'Escape');
    await untilScreen(id, /● denied Bash slow build/);
    // Timed out stays what it was: the policy's answer was never applied.
    expect((await rowsFor(id, 'slow build'))[0].outcome).toBe('timed_out');
  });

  it("hook-forward's deadline tells the daemon when an answer is too late, without waiting for the agent's next hook", async () => {
    const secret = JSON.parse(fs.readFileSync(path.join(harness.home, 'secrets.json'), 'utf8')).hookSecret as string;
    const headers = { 'x-codepiper-session': id, 'x-codepiper-secret': secret };
    const call = (command: string, deadline: number) =>
      api('POST', '/hooks/claude', { hook_event_name: 'PreToolUse', session_id: 'x', tool_name: 'Bash', tool_input: { command }, tool_use_id: `toolu_${command.length}` }, {
        ...headers,
        'x-codepiper-hook-deadline': String(deadline),
      });
    expect((await call('slow past', Date.now() - 1)).json.output).toMatchObject({ hookSpecificOutput: { permissionDecision: 'allow' } });
    expect((await rowsFor(id, 'slow past'))[0]).toMatchObject({ decision: 'allow', outcome: 'timed_out', askedAt: null });
    await call('slow future', Date.now() + 60_000);
    expect((await rowsFor(id, 'slow future'))[0]).toMatchObject({ decision: 'allow', outcome: 'allowed', outcomeBy: 'policy' });
  });

  it('a question still open when the session ends: unanswered, session ended', async () => {
    const other = await claudeSession();
    await askAndWaitForBox(other.id, 'make forever');
    await ok('POST', `/sessions/${other.id}/kill`);
    expect(await settled(other.id, 'make forever')).toMatchObject({ outcome: 'session_ended', outcomeAt: expect.any(String) });
  });
});
