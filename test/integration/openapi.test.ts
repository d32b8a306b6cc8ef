import { Validator } from '@seriousme/openapi-schema-validator';
import { Client } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { routes } from '../../src/core/api';
import { daemonApi } from '../helpers/daemon-api';
import { createHarness, type Harness } from '../helpers/harness';

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

  it('names an unknown subcommand with the nearest one', async () => {
    harness = createHarness();
    const wrong = await harness.run(['api', 'openapo']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/unknown api command "openapo"; did you mean openapi\?/);
    expect(wrong.stdout).toBe('');
  });
});
