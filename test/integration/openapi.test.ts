import fs from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { routes } from '../../src/core/api';
import { daemonApi } from '../helpers/daemon-api';
import { createHarness, type Harness } from '../helpers/harness';
import { createToken, startWebDaemon, webRequest } from '../helpers/web';

let harness: Harness;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await harness?.cleanup();
});

const { api } = daemonApi(() => client!);

describe('codepiper api openapi (built CLI, real daemon)', () => {
  it('prints a valid OpenAPI 3.1 document of the served routes, the same the daemon answers on GET /openapi.json', async () => {
    harness = createHarness();
    const started = await harness.run(['daemon', 'start', '--detach']);
    expect(started.code, started.stderr).toBe(0);

    const printed = await harness.run(['api', 'openapi']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stderr).toBe('');
    const doc = JSON.parse(printed.stdout) as { openapi: string; info: { version: string }; paths: Record<string, Record<string, { operationId: string; 'x-codepiper-access': string }>> };

    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe(harness.discovery()!.version);

    const operationIds = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    for (const route of routes) {
      if (route.access === 'local') expect(operationIds, route.name).not.toContain(route.name);
      else expect(operationIds, route.name).toContain(route.name);
    }
    expect(doc.paths['/openapi.json']!.get).toMatchObject({ operationId: 'api.openapi', 'x-codepiper-access': 'read' });

    client = new Client('http://localhost', { socketPath: harness.socket });
    const served = await api('GET', '/openapi.json');
    expect(served.status).toBe(200);
    expect(served.json).toEqual(doc);
  });

  it('is served at /api/openapi.json over TCP to any token, and what it says of each operation holds there', async () => {
    harness = createHarness();
    // One request per operation: a rate limit that never bites here.
    fs.mkdirSync(harness.home, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(harness.home, 'config.json'), JSON.stringify({ web: { rateLimit: { burst: 100000, perSecond: 100000 } } }));
    client = new Client('http://localhost', { socketPath: harness.socket });
    const url = await startWebDaemon(harness, () => client!);
    const token = await createToken(() => client!, 'openapi', 'read');

    expect((await webRequest(url, 'GET', '/api/openapi.json')).json).toMatchObject({ error: { code: 'AUTH_REQUIRED' } });
    const remote = await webRequest(url, 'GET', '/api/openapi.json', { headers: { authorization: `Bearer ${token}` } });
    expect(remote.status).toBe(200);
    expect(remote.json).toEqual((await api('GET', '/openapi.json')).json);
    const doc = remote.json as { servers: Array<{ url: string }>; paths: Record<string, Record<string, { operationId: string; security: unknown[] }>> };
    expect((await new Validator().validate(doc)).valid).toBe(true);

    // Each documented operation, at the server's prefix, without credentials: 401 exactly when the document asks for some.
    const prefix = doc.servers[0]!.url;
    const wrong: string[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const concrete = `${prefix}${template.replace(/\{[^}]+\}/g, 'nosuch')}${op.operationId === 'events.stream' ? '?topic=sessions' : ''}`;
        const query = method === 'get' || method === 'delete';
        // The WebSocket operations answer only an upgrade.
        const upgrade = op.operationId === 'ws.stream' || op.operationId === 'sessions.terminal';
        const headers: Record<string, string> = upgrade ? { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } : {};
        const answer = await webRequest(url, method.toUpperCase(), concrete, query ? { headers } : { headers, body: '{}' });
        const protectedOp = op.security.length > 0;
        if (answer.json?.error?.code === 'ROUTE_NOT_FOUND') wrong.push(`${op.operationId}: ${method} ${concrete} is not served`);
        else if ((answer.status === 401) !== protectedOp) wrong.push(`${op.operationId}: ${answer.status} without credentials, security ${JSON.stringify(op.security)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('names an unknown subcommand with the nearest one', async () => {
    harness = createHarness();
    const wrong = await harness.run(['api', 'openapo']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/unknown api command "openapo"; did you mean openapi\?/);
    expect(wrong.stdout).toBe('');
  });
});
