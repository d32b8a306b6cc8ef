import { describe, expect, it } from 'vitest';
import { routes } from '../../src/core/api';
import { routeManifest } from '../../src/core/api/manifest';
import { inputInQuery, type RouteDef } from '../../src/core/api/route';
import type { DaemonContext, HandlerContext } from '../../src/daemon/context';
import { handlers } from '../../src/daemon/handlers';
import { createRouter } from '../../src/daemon/router';
import { LaunchPlanner } from '../../src/core/sessions/launch';

const fakeDaemon = { log: { info: () => {}, warn: () => {}, error: () => {} } } as unknown as DaemonContext;
const router = createRouter(routes as unknown as RouteDef[], handlers, (request): HandlerContext => ({ daemon: fakeDaemon, transport: request.transport, headers: {}, secure: false, responseHeaders: {} }));

type ErrorBody = { error: { code: string; message: string; details: { issues: Array<{ path: string; message: string }> } } };

/** One request to `route` with `fields` as its input (query or body, by method) and its path parameters filled. */
async function send(route: RouteDef, fields: Record<string, unknown>) {
  const path = route.path.replace(/:(\w+)/g, 'x');
  const query = new URLSearchParams(Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, String(value)]))).toString();
  const url = inputInQuery(route.method) && query ? `${path}?${query}` : path;
  const body = inputInQuery(route.method) ? undefined : Buffer.from(JSON.stringify(fields));
  return router.dispatch({ method: route.method, url, body, transport: 'unix' });
}

describe("the daemon's 400 for a value outside a list", () => {
  const enumFields = Object.entries(routeManifest).flatMap(([name, entry]) =>
    Object.entries(entry.fields ?? {}).flatMap(([field, spec]) => (spec.type === 'enum' ? [{ name, field, values: spec.values }] : [])),
  );

  it('covers every enumerated field of the contract', () => expect(enumFields.length).toBeGreaterThan(10));

  it.each(enumFields)('$name $field names the field, the values and the nearest one', async ({ name, field, values }) => {
    const route = routes.find((r) => r.name === name) as unknown as RouteDef;
    const meant = values[values.length - 1]!;
    const typo = meant.slice(0, -1);
    const result = await send(route, { [field]: typo });
    expect(result.status).toBe(400);
    const { error } = result.body as ErrorBody;
    expect(error.code).toBe('VALIDATION_FAILED');
    const issue = error.details.issues.find((i) => i.path === field);
    expect(issue?.message.startsWith(`expected one of ${values.join(', ')}, got ${JSON.stringify(typo)}; did you mean `)).toBe(true);
    expect(issue?.message).toMatch(new RegExp(`; did you mean (.*\\b)?${meant.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b.*\\?$`));
    expect(error.message).toContain(`${field}: expected one of`);
    expect(error.message).not.toContain('Invalid option');
  });

  it('says it in words for POST /sessions -p claud, and suggests the known key for a misspelt one', async () => {
    const create = routes.find((r) => r.name === 'sessions.create') as unknown as RouteDef;
    const result = await send(create, { provider: 'claud', cwd: '/tmp', args: [] });
    expect((result.body as ErrorBody).error.message).toBe('invalid input: provider: expected one of claude-code, codex, command, got "claud"; did you mean claude-code?');
    const misspelt = await send(create, { provder: 'codex', provider: 'codex', cwd: '/tmp' });
    expect((misspelt.body as ErrorBody).error.message).toBe('invalid input: (body): unknown key "provder" (did you mean provider?)');
  });

  it('says it in the same words when a new session is only validated (the dashboard checks its form this way)', () => {
    const launcher = new LaunchPlanner({ paths: {} as never, env: {}, config: {}, store: {} as never, secrets: { envKey: undefined } });
    const { issues } = launcher.validate({ provider: 'codx', cwd: '/', args: ['true'], billingMod: 'api' });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'provider', message: 'expected one of claude-code, codex, command, got "codx"; did you mean codex?' },
        { path: '(body)', message: 'unknown key "billingMod" (did you mean billingMode?)' },
      ]),
    );
  });
});
