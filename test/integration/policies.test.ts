import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, createHarness, hookForward, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');

let harness: Harness;
let client: Client;

beforeAll(async () => {
  harness = createHarness();
  harness.env.CODEPIPER_CLAUDE_BIN = FAKE_CLAUDE;
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
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

async function claudeSession(): Promise<string> {
  const session = await ok('POST', '/sessions', { provider: 'claude-code', cwd: harness.dir });
  await untilScreen(session.id, /\? for shortcuts/);
  await waitFor(async () => (await ok('GET', `/sessions/${session.id}/events?limit=1000`)).events.some((e: any) => e.type === 'hook' && e.data.event === 'SessionStart'), {
    what: 'its SessionStart hook',
  });
  return session.id;
}

describe('policies decide the fake Claude Code\'s tool calls through its hooks', () => {
  let id: string;
  let policyId: string;

  it('installs the hooks as a settings overlay', async () => {
    id = await claudeSession();
    const status = await ok('GET', '/hooks');
    const entry = status.sessions.find((s: any) => s.sessionId === id);
    expect(entry).toMatchObject({ installed: true, events: expect.arrayContaining(['PreToolUse', 'PermissionRequest', 'Stop']) });
    expect(entry.settingsFile).toBe(path.join(harness.home, 'sessions', id, 'claude-settings.json'));
    // SessionStart told where the agent's transcript is, for the indexer and resume.
    const session = await ok('GET', `/sessions/${id}`);
    expect(session.transcriptPath).toBe(path.join(harness.env.CLAUDE_CONFIG_DIR!, 'projects', harness.dir.replace(/[^A-Za-z0-9]/g, '-'), `${session.agentSessionId}.jsonl`));
  });

  it('a deny rule stops rm -rf and its reason reaches the agent', async () => {
    const policy = await ok('POST', '/policies', {
      name: 'guard rails',
      priority: 10,
      rules: [
        { action: 'deny', tool: 'Bash', args: { command: '*rm -rf*' }, reason: 'deleting trees is not allowed here' },
        { action: 'allow', tool: 'Bash', args: { command: ['npm test*', 'git status'] } },
      ],
    });
    policyId = policy.id;
    await ok('POST', `/sessions/${id}/send`, { text: 'ask Bash rm -rf build' });
    await untilScreen(id, /● denied Bash rm -rf build: deleting trees is not allowed here/);
    expect(await screen(id)).not.toContain('Do you want to proceed?');
  });

  it('an allow rule lets the call through without a prompt', async () => {
    await ok('POST', `/sessions/${id}/send`, { text: 'ask Bash npm test' });
    await untilScreen(id, /● allowed Bash npm test/);
    const states = (await ok('GET', `/sessions/${id}/events?limit=1000`)).events.filter((e: any) => e.type === 'state').map((e: any) => e.data.to);
    expect(states).not.toContain('needs_permission');
  });

  it('no match leaves the permission box on screen and the session needing permission', async () => {
    await ok('POST', `/sessions/${id}/send`, { text: 'ask Bash make deploy' });
    await untilScreen(id, /Do you want to proceed\?/);
    const session = await untilState(id, 'needs_permission');
    expect(session.stateSource).toBe('hook');
    await ok('POST', `/sessions/${id}/keys`, { keys: ['3'] });
    await untilScreen(id, /● denied Bash make deploy/);
  });

  it('records every case in the audit log', async () => {
    const { decisions } = await ok('GET', `/policy-decisions?sessionId=${id}`);
    const summary = decisions.map((d: any) => `${d.event} ${d.args.command} ${d.decision} ${d.policyName ?? '-'}`);
    expect(summary).toEqual(
      expect.arrayContaining([
        'PreToolUse rm -rf build deny guard rails',
        'PreToolUse npm test allow guard rails',
        'PreToolUse make deploy ask -',
      ]),
    );
    // The question's PermissionRequest is the same question: no second row.
    expect(summary.filter((line: string) => line.includes('make deploy'))).toEqual(['PreToolUse make deploy ask -']);
    const audit = await harness.run(['audit', '--session', id, '--csv']);
    expect(audit.stdout.split('\n')[0]).toBe('at,sessionId,event,tool,args,decision,policyId,policyName,ruleIndex,reason,outcome,outcomeBy,outcomeVia,outcomeAt');
    expect(audit.stdout).toContain('deleting trees is not allowed here');
  });

  it('shows the effective rules with their origin, sets included, and applies the default set to new sessions', async () => {
    const own = await ok('PUT', `/sessions/${id}/policy`, { rules: [{ action: 'ask', tool: 'Bash', args: { command: 'npm test*' } }], priority: 10 });
    expect(own.policy).toMatchObject({ name: `session:${id}`, sessionId: id });
    const extra = await ok('POST', '/policies', { name: 'team reads', enabled: false, rules: [{ action: 'allow', tool: 'Read' }] });
    const set = await ok('POST', '/policy-sets', { name: 'team', isDefault: true, policyIds: [extra.id] });
    await ok('POST', `/sessions/${id}/policy-sets`, { setId: 'team' });
    await ok('PUT', `/policies/${extra.id}`, { enabled: true });
    const effective = await ok('GET', `/sessions/${id}/effective-policies`);
    expect(effective.defaultAction).toBe('ask');
    expect(effective.rules.map((r: any) => [r.policyName, r.origin.kind, r.ruleIndex])).toEqual([
      [`session:${id}`, 'session', 0],
      ['guard rails', 'global', 0],
      ['guard rails', 'global', 1],
      ['team reads', 'set', 0],
    ]);
    const later = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    expect((await ok('GET', `/sessions/${later.id}/policy-sets`)).policySets.map((s: any) => s.id)).toEqual([set.id]);
    await ok('POST', `/sessions/${later.id}/kill`);
  });

  it('refuses bad policies with the reason, and unknown ones with 404', async () => {
    const noCriteria = await api('POST', '/policies', { name: 'everything', rules: [{ action: 'allow' }] });
    expect(noCriteria.status).toBe(400);
    expect(noCriteria.json.error.message).toContain('matchAll');
    const taken = await api('POST', '/policies', { name: 'guard rails', rules: [{ action: 'allow', matchAll: true }] });
    expect(taken.status).toBe(409);
    expect((await api('GET', '/policies/pol_nope')).status).toBe(404);
    expect((await api('DELETE', `/policy-sets/team/policies/${policyId}`)).status).toBe(404);
    const cli = await harness.run(['policy', 'create', '--name', 'x', '--rules', '{"action":"allow"}']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('expected a JSON array of rules');
  });
});

describe('hook-forward', () => {
  it('refuses a wrong or missing secret with 401', async () => {
    const body = { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } };
    expect((await api('POST', '/hooks/claude', body, { 'x-codepiper-session': 'x' })).status).toBe(401);
    expect((await api('POST', '/hooks/claude', body, { 'x-codepiper-session': 'x', 'x-codepiper-secret': 'wrong' })).status).toBe(401);
  });

  it('records garbage on stdin as an event, prints nothing and exits 0', async () => {
    const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    const result = await hookForward('this is not json', { ...harness.env, CODEPIPER_SESSION: session.id });
    expect(result).toMatchObject({ code: 0, stdout: '' });
    const { events } = await ok('GET', `/sessions/${session.id}/events?source=hook`);
    expect(events.at(-1)).toMatchObject({ type: 'hook-invalid', data: { reason: 'not a JSON object', sample: 'this is not json' } });
    await ok('POST', `/sessions/${session.id}/kill`);
  });

  it('exits 0 with no output, quickly, when the daemon is down', async () => {
    const other = createHarness();
    try {
      const payload = JSON.stringify({ hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'rm -rf /' } });
      const result = await hookForward(payload, { ...other.env, CODEPIPER_SESSION: 'abcd1234', CODEPIPER_SECRET: 'whatever-secret' });
      expect(result).toMatchObject({ code: 0, stdout: '' });
      expect(result.ms).toBeLessThan(2500);
    } finally {
      await other.cleanup();
    }
  });
});

describe('input preflight for agents without hooks', () => {
  it('denies with 403, holds an explicit ask with 409, and lets the rest through', async () => {
    const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    await ok('POST', '/policies', {
      name: 'terminal',
      priority: 5,
      rules: [
        { action: 'deny', tool: 'terminal_input', args: { text: '*DROP TABLE*' }, reason: 'no destructive SQL' },
        { action: 'ask', tool: 'terminal_keys', args: { keys: '*ctrl+c*' } },
      ],
    });
    const denied = await api('POST', `/sessions/${session.id}/send`, { text: 'DROP TABLE users;' });
    expect(denied.status).toBe(403);
    expect(denied.json.error).toMatchObject({ code: 'INPUT_DENIED', message: expect.stringContaining('no destructive SQL') });
    const held = await api('POST', `/sessions/${session.id}/keys`, { keys: ['ctrl+c'] });
    expect(held.status).toBe(409);
    expect(held.json.error.code).toBe('INPUT_NEEDS_APPROVAL');
    await ok('POST', `/sessions/${session.id}/send`, { text: 'SELECT 1;' });
    await untilScreen(session.id, /^SELECT 1;$/m);
    expect(await screen(session.id)).not.toContain('DROP TABLE');
    const cli = await harness.run(['send', session.id, 'DROP TABLE x']);
    expect(cli.code).toBe(6);
    const { decisions } = await ok('GET', `/policy-decisions?sessionId=${session.id}`);
    // One row per check, its outcome what happened to the input: what no rule spoke of was typed, so it says allow.
    expect(decisions.map((d: any) => `${d.event} ${d.tool} ${d.decision} ${d.outcome} by ${d.outcomeBy}`)).toEqual([
      'InputPreflight terminal_input deny denied by policy',
      'InputPreflight terminal_input allow allowed by policy',
      'InputPreflight terminal_keys ask denied by policy',
      'InputPreflight terminal_input deny denied by policy',
    ]);
    await ok('POST', `/sessions/${session.id}/kill`);
  });

  it('allows what no rule speaks of in dangerous mode, says so in the audit, and keeps explicit denies', async () => {
    const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'], dangerousMode: true });
    await ok('POST', `/sessions/${session.id}/send`, { text: 'SELECT 2;' });
    expect((await api('POST', `/sessions/${session.id}/send`, { text: 'DROP TABLE users;' })).status).toBe(403);
    const { decisions } = await ok('GET', `/policy-decisions?sessionId=${session.id}`);
    expect(decisions.map((d: any) => [d.decision, d.reason])).toEqual([
      ['deny', 'no destructive SQL'],
      ['allow', expect.stringContaining('dangerous mode')],
    ]);
    await ok('POST', `/sessions/${session.id}/kill`);
  });
});
