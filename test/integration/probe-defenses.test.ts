import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';

// Reproductions of what a hostile probe of the daemon found: each must be refused or survived, not suffered.

let harness: Harness;
let client: Client;

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

const { api } = daemonApi(() => client);

async function ok(method: string, route: string, body?: unknown): Promise<any> {
  const { status, json } = await api(method, route, body);
  expect(status, `${method} ${route}: ${JSON.stringify(json)}`).toBe(200);
  return json;
}

function hookHeaders(session: string): Record<string, string> {
  const { hookSecret } = JSON.parse(fs.readFileSync(path.join(harness.home, 'secrets.json'), 'utf8')) as { hookSecret: string };
  return { 'x-codepiper-session': session, 'x-codepiper-secret': hookSecret };
}

describe('policy globs an agent cannot turn against the daemon', () => {
  it('decides hostile paths at once, and GET /health is not kept waiting meanwhile', async () => {
    const policy = await ok('POST', '/policies', {
      name: 'hostile globs',
      priority: 100,
      rules: [
        { action: 'deny', tool: 'Write', args: { file_path: '/**/*-*-*-*-*.log' } },
        { action: 'deny', tool: 'Write', args: { file_path: '/**/*a*a*a*a*a*a*a*a*a*a*a*a*b' } },
        { action: 'deny', tool: 'Write', args: { file_path: '/tmp/**/secret' }, reason: 'the guard still holds' },
      ],
    });
    const session = await ok('POST', '/sessions', { provider: 'command', cwd: harness.dir, args: ['cat'] });
    const headers = hookHeaders(session.id);
    const hook = (file_path: string) =>
      api('POST', '/hooks/claude', { hook_event_name: 'PreToolUse', tool_name: 'Write', tool_input: { file_path, content: 'x' }, cwd: harness.dir }, headers);

    const started = performance.now();
    const hooks = Array.from({ length: 20 }, (_, i) => hook(i % 2 ? `/${'-'.repeat(208)}` : `/tmp/${'a'.repeat(34)}`));
    const healthStarted = performance.now();
    const health = await api('GET', '/health');
    const healthMs = performance.now() - healthStarted;
    const answers = await Promise.all(hooks);
    const hooksMs = performance.now() - started;
    expect(health.status).toBe(200);
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    // Picomatch took seconds per hook here; the automaton takes well under a millisecond.
    expect(healthMs).toBeLessThan(1000);
    expect(hooksMs).toBeLessThan(2000);
    // And the deny rules still apply.
    const denied = await hook('/tmp/x/secret');
    expect(JSON.stringify(denied.json)).toContain('the guard still holds');
    await ok('POST', `/sessions/${session.id}/kill`);
    await ok('DELETE', `/policies/${policy.id}`);
  });
});
