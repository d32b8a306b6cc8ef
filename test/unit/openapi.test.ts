import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { routes } from '../../src/core/api';
import { buildOpenApiDocument, openApiPath, type OpenApiDocument } from '../../src/core/api/openapi';
import { defineRoute, inputInQuery, pathParamNames, type RouteDef } from '../../src/core/api/route';
import { SESSION_COOKIE } from '../../src/core/auth/types';
import { ERROR_CODES } from '../../src/core/errors';
import type { DaemonContext, HandlerContext } from '../../src/daemon/context';
import { handlers } from '../../src/daemon/handlers';

type Operation = Record<string, unknown> & {
  operationId: string;
  'x-codepiper-access': string;
  security: Array<Record<string, string[]>>;
  parameters?: Array<{ name: string; in: string; required: boolean; schema: Record<string, unknown> }>;
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: Record<string, unknown> }> }>;
};

/** Every operation of a document with where it sits. */
function operationsOf(doc: OpenApiDocument): Array<{ path: string; method: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op: op as Operation })));
}

async function validate(doc: unknown): Promise<{ valid: boolean; errors: unknown }> {
  const result = await new Validator().validate(doc as Record<string, unknown>);
  return { valid: result.valid, errors: result.errors };
}

/** Every `$ref` in the document, as written. */
function refsOf(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsOf(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') found.push(inner);
      else refsOf(inner, found);
    }
  }
  return found;
}

function resolve(doc: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
}

const table = routes as readonly RouteDef[];
const doc = buildOpenApiDocument(table, { version: '9.8.7' });
const operations = operationsOf(doc);
const served = table.filter((route) => route.access !== 'local');
const local = table.filter((route) => route.access === 'local');

describe('the OpenAPI document of the route table', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('9.8.7');
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/api' })]);
  });

  it('is checked by a validator that refuses a broken document', async () => {
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses: unknown }>> };
    broken.paths['/health']!.get!.responses = 'none';
    expect((await validate(broken)).valid).toBe(false);
  });

  it('survives JSON unchanged (no functions, no undefined, no cycles)', () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('resolves every $ref inside the document', () => {
    const refs = [...new Set(refsOf(doc))];
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) expect(resolve(doc, ref), ref).toBeDefined();
  });

  it('has the table to check: local routes and served ones', () => {
    expect(served.length).toBeGreaterThan(50);
    expect(local.length).toBeGreaterThan(0);
    expect(table.find((route) => route.name === 'api.openapi')).toMatchObject({ method: 'GET', path: '/openapi.json', access: 'read' });
  });

  // Enumerates the table: a route added to it appears here, and fails here if the document leaves it out.
  it.each(served.map((route) => ({ name: route.name, route })))('$name appears once, with its method, path, access and credentials', ({ route }) => {
    const found = operations.filter(({ op }) => op.operationId === route.name);
    expect(found, `${route.name} in the document`).toHaveLength(1);
    const [{ path, method, op }] = found as [(typeof operations)[number]];
    expect(path).toBe(openApiPath(route.path));
    expect(method).toBe(route.method.toLowerCase());
    expect(op['x-codepiper-access']).toBe(route.access);
    expect(op.summary).toBe(route.summary);
    if (route.access === 'public') expect(op.security).toEqual([]);
    else {
      expect(op.security).toEqual([{ bearerToken: [] }, { sessionCookie: [] }]);
      expect(op.description).toContain(`Access: ${route.access}`);
      expect(op.responses['401']).toEqual({ $ref: '#/components/responses/Error401' });
      expect(op.responses['403']).toEqual({ $ref: '#/components/responses/Error403' });
    }

    const params = op.parameters ?? [];
    const inPath = pathParamNames(route.path);
    expect(params.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(inPath);
    for (const p of params.filter((p) => p.in === 'path')) expect(p.required).toBe(true);
    for (const name of inPath) expect(path).toContain(`{${name}}`);

    const shape = (route.input as { shape?: Record<string, z.ZodType> }).shape ?? {};
    const fields = Object.keys(shape).filter((name) => !inPath.includes(name));
    if (inputInQuery(route.method)) {
      // One query parameter per top-level input field, required exactly when the route cannot do without it.
      expect(params.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(fields);
      for (const p of params.filter((p) => p.in === 'query')) expect(p.required, p.name).toBe(!shape[p.name]!.safeParse(undefined).success);
      expect(op.requestBody).toBeUndefined();
    } else {
      expect(params.filter((p) => p.in === 'query')).toEqual([]);
      const json = op.requestBody?.content['application/json']?.schema;
      expect(json, `${route.name} has a JSON body`).toBeDefined();
      expect(Object.keys((json!.properties as object | undefined) ?? {})).toEqual(fields);
    }

    expect(op.responses['400']).toEqual({ $ref: '#/components/responses/Error400' });
    expect(op.responses['5XX']).toEqual({ $ref: '#/components/responses/Error' });
    expect(op.responses['200']).toBeDefined();
  });

  it('leaves out every local route, and holds nothing but the table and the streams (events, WebSocket, terminal)', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const route of local) {
      expect(ids).not.toContain(route.name);
      expect(doc.paths[openApiPath(route.path)]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeUndefined();
      expect(doc.info.description).toContain(route.name);
    }
    const streams = ['events.stream', 'ws.stream', 'sessions.terminal'];
    expect(ids.filter((id) => !streams.includes(id)).sort()).toEqual(served.map((route) => route.name).sort());
    expect(doc.info.description).toMatch(/local.*left out/);
  });

  it('declares the two credentials: a bearer token and the login cookie', () => {
    expect(doc.components.securitySchemes).toEqual({
      bearerToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      sessionCookie: expect.objectContaining({ type: 'apiKey', in: 'cookie', name: SESSION_COOKIE }),
    });
  });

  it('gives the error envelope with every error code, and each status its own codes', () => {
    expect(doc.components.schemas.ErrorCode).toMatchObject({ type: 'string', enum: Object.keys(ERROR_CODES) });
    const envelope = doc.components.schemas.Error as { required: string[]; properties: { error: { required: string[]; properties: Record<string, unknown> } } };
    expect(envelope.required).toEqual(['error']);
    expect(envelope.properties.error.required).toEqual(['code', 'message']);
    expect(Object.keys(envelope.properties.error.properties)).toEqual(['code', 'message', 'details']);
    const codes401 = Object.entries(ERROR_CODES)
      .filter(([, kind]) => kind.status === 401)
      .map(([code]) => code);
    expect(codes401).toContain('AUTH_REQUIRED');
    expect(JSON.stringify(doc.components.responses.Error401)).toContain(JSON.stringify(codes401));
  });

  it('documents the raw file route as bytes, not JSON', () => {
    const op = operations.find(({ op }) => op.operationId === 'git.fileRaw')!.op;
    const content = op.responses['200']!.content!;
    expect(Object.keys(content)).toEqual(['application/octet-stream', '*/*']);
    expect(content['application/json']).toBeUndefined();
  });

  it('takes the image upload as JSON or as multipart with its file part', () => {
    const op = operations.find(({ op }) => op.operationId === 'sessions.uploadImage')!.op;
    const multipart = op.requestBody!.content['multipart/form-data']!.schema as { properties: Record<string, unknown>; required: string[] };
    expect(multipart.required).toContain('image');
    expect(multipart.properties.image).toMatchObject({ type: 'string', contentMediaType: 'application/octet-stream' });
    expect(multipart.properties.dataBase64).toBeUndefined();
    expect(multipart.properties.id).toBeUndefined();
    expect(op.responses['415']).toBeDefined();
  });

  it('describes the event stream as a GET answered with text/event-stream, with each event payload', () => {
    const op = doc.paths['/events']!.get as Operation;
    expect(op['x-codepiper-access']).toBe('read');
    expect(Object.keys(op.responses['200']!.content!)).toEqual(['text/event-stream']);
    expect(Object.keys(op['x-codepiper-events'] as object)).toEqual(expect.arrayContaining(['session', 'output', 'event', 'ready', 'overflow']));
  });
});

describe('schemas that JSON Schema cannot carry', () => {
  const odd = [
    defineRoute({
      name: 'odd.get',
      method: 'GET',
      path: '/odd/:id',
      summary: 'coercions, a preprocess and a refinement in the query',
      access: 'public',
      input: z.strictObject({
        id: z.string(),
        n: z.coerce.number().int().min(1).default(5),
        flag: z.preprocess((v) => v === '1', z.boolean()).optional(),
        even: z.number().refine((v) => v % 2 === 0, 'even'),
      }),
      output: z.strictObject({ when: z.date(), size: z.string().transform((s) => s.length) }),
    }),
    defineRoute({
      name: 'odd.post',
      method: 'POST',
      path: '/odd',
      summary: 'a union input and a custom output',
      access: 'admin',
      input: z.union([z.strictObject({ a: z.string() }), z.strictObject({ b: z.number() })]),
      output: z.custom<Buffer>((v) => Buffer.isBuffer(v)),
    }),
    defineRoute({
      name: 'odd.union',
      method: 'DELETE',
      path: '/odd/:id',
      summary: 'a union in the query',
      access: 'write',
      input: z.union([z.strictObject({ id: z.string(), all: z.literal('yes') }), z.strictObject({ id: z.string() })]),
      output: z.strictObject({ ok: z.literal(true) }),
    }),
    defineRoute({ name: 'odd.local', method: 'POST', path: '/odd/local', summary: 'socket only', access: 'local', input: z.strictObject({}), output: z.strictObject({}) }),
  ] as const;

  it('still builds a valid document, with notes where a part cannot be described', async () => {
    const small = buildOpenApiDocument(odd as unknown as RouteDef[], { version: '0' });
    expect(await validate(small)).toEqual({ valid: true, errors: undefined });
    const ops = operationsOf(small);
    expect(ops.map(({ op }) => op.operationId).sort()).toEqual(['events.stream', 'odd.get', 'odd.post', 'odd.union', 'sessions.terminal', 'ws.stream']);

    const get = ops.find(({ op }) => op.operationId === 'odd.get')!.op;
    expect(get.parameters!.map((p) => [p.name, p.in, p.required])).toEqual([
      ['id', 'path', true],
      ['n', 'query', false],
      ['flag', 'query', false],
      ['even', 'query', true],
    ]);
    expect(get.parameters!.find((p) => p.name === 'n')!.schema).toMatchObject({ type: 'integer', minimum: 1, default: 5 });
    expect(get.parameters!.find((p) => p.name === 'flag')!.schema).toMatchObject({ type: 'boolean' });
    const out = get.responses['200']!.content!['application/json']!.schema as { properties: Record<string, { description?: string }> };
    expect(out.properties.when!.description).toMatch(/not expressible in JSON Schema/);

    const post = ops.find(({ op }) => op.operationId === 'odd.post')!.op;
    expect(post.requestBody!.content['application/json']!.schema).toHaveProperty('anyOf');
    expect(String(post.responses['200']!.content!['application/json']!.schema!.description)).toMatch(/not expressible in JSON Schema \(a custom/);

    // A query that is not one object cannot be split into parameters: the path ones stay, and the description says so.
    const del = ops.find(({ op }) => op.operationId === 'odd.union')!.op;
    expect(del.parameters!.map((p) => p.name)).toEqual(['id']);
    expect(del.description).toMatch(/query string as one object/);
  });

  it('refuses a table with two routes at the same method and path', () => {
    const twice = [odd[0], { ...odd[0], name: 'odd.again' }] as unknown as RouteDef[];
    expect(() => buildOpenApiDocument(twice, { version: '0' })).toThrow(/two routes for GET \/odd\/:id: odd.get and odd.again/);
  });
});

describe('the api.openapi handler', () => {
  it('answers the document of the daemon version, built once per process', async () => {
    const daemon = { core: { version: '1.2.3' } } as unknown as DaemonContext;
    const ctx = { daemon, transport: 'tcp', headers: {}, secure: false, responseHeaders: {} } as unknown as HandlerContext;
    const first = await handlers['api.openapi']({}, ctx);
    const second = await handlers['api.openapi']({}, ctx);
    expect(second).toBe(first);
    expect(first).toMatchObject({ openapi: '3.1.0', info: { version: '1.2.3' } });
    expect(routes.find((route) => route.name === 'api.openapi')!.output.safeParse(first).success).toBe(true);
  });
});
