import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { routes } from '../../src/core/api';
import { defineRoute, type RouteDef } from '../../src/core/api/route';
import { AppError } from '../../src/core/errors';
import type { DaemonContext, HandlerContext, Transport } from '../../src/daemon/context';
import { handlers } from '../../src/daemon/handlers';
import type { Grant } from '../../src/core/auth/types';
import { createRouter, type DispatchRequest } from '../../src/daemon/router';

const logged: string[] = [];
const fakeDaemon = { log: { info: () => {}, warn: () => {}, error: (message: string) => logged.push(message) } } as unknown as DaemonContext;
const context = (request: DispatchRequest): HandlerContext => ({ daemon: fakeDaemon, transport: request.transport, headers: {}, grant: request.grant, secure: false, responseHeaders: {} });

const testRoutes = [
  defineRoute({
    name: 'items.get',
    method: 'GET',
    path: '/items/:id',
    summary: 'one item',
    access: 'read',
    input: z.strictObject({ id: z.string(), limit: z.coerce.number().int().positive().optional() }),
    output: z.strictObject({ id: z.string(), limit: z.number().optional() }),
  }),
  defineRoute({
    name: 'items.create',
    method: 'POST',
    path: '/items',
    summary: 'make one',
    access: 'write',
    input: z.strictObject({ name: z.string(), tags: z.array(z.string()).default([]), nested: z.strictObject({ n: z.number() }).optional() }),
    output: z.strictObject({ name: z.string(), tags: z.array(z.string()) }),
  }),
  defineRoute({
    name: 'items.rename',
    method: 'PUT',
    path: '/items/:id',
    summary: 'rename',
    access: 'local',
    input: z.strictObject({ id: z.string(), name: z.string() }),
    output: z.strictObject({ id: z.string(), name: z.string() }),
  }),
  defineRoute({ name: 'boom', method: 'GET', path: '/boom', summary: '', access: 'public', input: z.strictObject({}), output: z.strictObject({}) }),
  defineRoute({ name: 'conflict', method: 'GET', path: '/conflict', summary: '', access: 'public', input: z.strictObject({}), output: z.strictObject({}) }),
  defineRoute({ name: 'liar', method: 'GET', path: '/liar', summary: '', access: 'public', input: z.strictObject({}), output: z.strictObject({ n: z.number() }) }),
] as const;

const router = createRouter(testRoutes as unknown as RouteDef[], {
  'items.get': (input: { id: string; limit?: number }) => input,
  'items.create': (input: { name: string; tags: string[] }) => ({ name: input.name, tags: input.tags }),
  'items.rename': (input: { id: string; name: string }) => input,
  boom: () => {
    throw new TypeError('kaput');
  },
  conflict: () => {
    throw new AppError('DAEMON_ALREADY_RUNNING', 'busy');
  },
  liar: () => ({ n: 'not a number' }),
}, context);

const call = (method: string, url: string, body?: string, transport: Transport = 'unix', grant?: Grant) =>
  router.dispatch({ method, url, body: body === undefined ? undefined : Buffer.from(body), transport, grant });
const token = (scope: Grant['scope']): Grant => ({ scope, principal: { kind: 'token', tokenId: 't1', name: 'ci' } });

describe('router built from the route table', () => {
  it('routes by path and method, with path parameters and coerced query values', async () => {
    expect(await call('GET', '/items/a%2Fb?limit=5')).toEqual({ status: 200, headers: {}, body: { id: 'a/b', limit: 5 } });
    expect(await call('POST', '/items', '{"name":"x"}')).toEqual({ status: 200, headers: {}, body: { name: 'x', tags: [] } });
    expect(await call('PUT', '/items/7', '{"name":"y"}')).toEqual({ status: 200, headers: {}, body: { id: '7', name: 'y' } });
  });

  it('a path parameter wins over a body field of the same name', async () => {
    expect((await call('PUT', '/items/7', '{"id":"8","name":"y"}')).body).toEqual({ id: '7', name: 'y' });
  });

  it('names the field path of a validation failure', async () => {
    const result = await call('POST', '/items', '{"name":5,"nested":{"n":"x"}}');
    expect(result.status).toBe(400);
    const error = (result.body as { error: { code: string; message: string; details: { issues: Array<{ path: string }> } } }).error;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.issues.map((issue) => issue.path)).toEqual(['name', 'nested.n']);
    expect(error.message).toMatch(/^invalid input: name: .*expected string.*; nested\.n: .*expected number/);
  });

  it('rejects unknown fields, bad query values and empty required input', async () => {
    expect((await call('POST', '/items', '{"name":"x","colour":"red"}')).status).toBe(400);
    expect((await call('GET', '/items/1?limit=-3')).status).toBe(400);
    expect((await call('GET', '/items/1?limit=abc')).status).toBe(400);
    const empty = await call('POST', '/items');
    expect(empty.status).toBe(400);
    expect(JSON.stringify(empty.body)).toContain('name');
  });

  it('answers 404 for an unknown path and 405 with the allowed methods for a wrong method', async () => {
    expect(await call('GET', '/nothing')).toMatchObject({ status: 404, body: { error: { code: 'ROUTE_NOT_FOUND' } } });
    const wrong = await call('DELETE', '/items/1');
    expect(wrong).toMatchObject({ status: 405, body: { error: { code: 'METHOD_NOT_ALLOWED' } } });
    expect(wrong.headers?.allow).toBe('GET, PUT');
  });

  it('turns malformed JSON and malformed percent-encoding into 400s', async () => {
    expect(await call('POST', '/items', '{"name":')).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
    expect(await call('GET', '/items/%E0%A4%A')).toMatchObject({ status: 400, body: { error: { code: 'USAGE' } } });
  });

  it('refuses JSON nested past the limit with a 400 naming it, before anything walks it', async () => {
    const deep = (levels: number) => `{"name":"x","nested":${'['.repeat(levels)}${']'.repeat(levels)}}`;
    const refused = await call('POST', '/items', deep(5000));
    expect(refused).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON', details: { limit: 100 } } } });
    expect((refused.body as { error: { message: string } }).error.message).toMatch(/deeper than the limit of 100 levels/);
    // Brackets inside strings are text, and ordinary nesting is read as before.
    expect(await call('POST', '/items', JSON.stringify({ name: '['.repeat(5000), tags: ['{'] }))).toMatchObject({ status: 200 });
    expect((await call('POST', '/items', deep(99))).body).toMatchObject({ error: { code: 'VALIDATION_FAILED' } });
  });

  it('hides local routes from the TCP listener', async () => {
    expect((await call('PUT', '/items/7', '{"name":"y"}', 'tcp', token('admin'))).status).toBe(405);
    expect((await call('GET', '/items/7', undefined, 'tcp', token('read'))).status).toBe(200);
  });

  it('over TCP, asks for credentials, then for a scope as high as the route needs; the socket needs neither', async () => {
    expect(await call('GET', '/items/7', undefined, 'tcp')).toMatchObject({ status: 401, body: { error: { code: 'AUTH_REQUIRED' } } });
    expect(await call('POST', '/items', '{"name":"x"}', 'tcp', token('read'))).toMatchObject({
      status: 403,
      body: { error: { code: 'SCOPE_INSUFFICIENT', details: { needed: 'write', held: 'read' } } },
    });
    expect((await call('POST', '/items', '{"name":"x"}', 'tcp', token('write'))).status).toBe(200);
    expect((await call('POST', '/items', '{"name":"x"}', 'tcp', token('admin'))).status).toBe(200);
    expect((await call('GET', '/conflict', undefined, 'tcp')).status).toBe(409); // public: no credentials needed
    expect((await call('POST', '/items', '{"name":"x"}')).status).toBe(200);
  });

  it('never throws: handler errors become envelopes, a broken contract a logged 500', async () => {
    expect(await call('GET', '/conflict')).toEqual({ status: 409, headers: {}, body: { error: { code: 'DAEMON_ALREADY_RUNNING', message: 'busy' } } });
    const boom = await call('GET', '/boom');
    expect(boom).toMatchObject({ status: 500, body: { error: { code: 'INTERNAL', message: 'internal error: kaput' } } });
    const liar = await call('GET', '/liar');
    expect(liar).toMatchObject({ status: 500, body: { error: { code: 'INTERNAL' } } });
    expect(logged.some((line) => line.includes('liar answered outside its contract'))).toBe(true);
  });

  it('refuses to build when a route has no handler', () => {
    expect(() => createRouter(testRoutes as unknown as RouteDef[], {}, context)).toThrow(/items.get has no handler/);
  });

  it('refuses to build when a route has no known access level, which the network would otherwise serve', () => {
    const route = (access: unknown) => ({ ...testRoutes[3], access }) as unknown as RouteDef;
    const build = (access: unknown) => () => createRouter([route(access)], { boom: () => ({}) }, context);
    expect(build(undefined)).toThrow(/route boom has no access level \(got undefined\)/);
    expect(build('any')).toThrow(/route boom has no access level \(got "any"\)/);
    expect(build('public')).not.toThrow();
  });
});

describe('the real contract', () => {
  it('has unique names and unique method + path pairs, each with a handler', () => {
    const names = routes.map((route) => route.name);
    expect(new Set(names).size).toBe(names.length);
    const endpoints = routes.map((route) => `${route.method} ${route.path}`);
    expect(new Set(endpoints).size).toBe(endpoints.length);
    expect(Object.keys(handlers).sort()).toEqual([...names].sort());
  });

  it('declares strict inputs, so unknown fields are refused everywhere', () => {
    // sessions.validate takes any object on purpose: it answers with every problem, unknown fields included, as data;
    // hooks.claude takes whatever Claude Code sends (newer versions add fields and events).
    // settings.update takes a merge patch of the configuration: its keys are checked, all at once, against the
    // configuration schema once merged with the file (an unknown one is a 400 with the nearest known key).
    const open = new Set(['sessions.validate', 'hooks.claude', 'settings.update']);
    for (const route of routes.filter((candidate) => !open.has(candidate.name))) {
      const parsed = route.input.safeParse({ surelyNotAField: 1 });
      expect(parsed.success, route.name).toBe(false);
    }
  });
});
