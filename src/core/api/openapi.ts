import { z } from 'zod';
import { SESSION_COOKIE } from '../auth/types';
import { ERROR_CODES } from '../errors';
import { API_PREFIX } from './headers';
import { STREAM_ACCESS, STREAM_MESSAGES, STREAM_PATH, TOPICS } from './events';
import { rawBodySchema } from './raw';
import { wsClientFrameSchema, wsServerFrameSchema } from './ws';
import { TERMINAL_PATH, WS_CLOSE_OVERFLOW, WS_HEARTBEAT_MS, WS_MAX_FRAME_BYTES, WS_MAX_QUEUED_BYTES, WS_PATH, WS_PROTOCOL } from './ws-protocol';
import { inputInQuery, pathParamNames, type RouteAccess, type RouteDef } from './route';

/**
 * The OpenAPI 3.1 document of the network listener, generated from the route table: every route a remote tool may
 * call, with its schemas as zod writes them in JSON Schema, its access level and the credentials that reach it.
 * `local` routes are left out: they do not exist on TCP.
 */


type JsonSchema = Record<string, unknown>;
type Json = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string; description: string }>;
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, Json>; securitySchemes: Record<string, Json> };
}

/** Lowercase, as OpenAPI names the operations of a path item. */
const METHOD_KEY = { GET: 'get', POST: 'post', PUT: 'put', PATCH: 'patch', DELETE: 'delete' } as const;

const SCOPE_TEXT: Record<Exclude<RouteAccess, 'public' | 'local'>, string> = {
  read: 'a login, or a token of scope read, write or admin',
  write: 'a login, or a token of scope write or admin',
  admin: 'a login, or a token of scope admin',
};

/** Either credential reaches a protected route: the login cookie (a person) or a bearer token (a tool). */
const PROTECTED_SECURITY = [{ bearerToken: [] }, { sessionCookie: [] }];

/** zod types whose rules JSON Schema cannot carry: written as `{}` plus a note, and checked by the daemon anyway. */
const UNREPRESENTABLE = new Set(['custom', 'transform', 'function', 'promise', 'symbol', 'bigint', 'date', 'map', 'set', 'nan', 'undefined', 'void']);

/**
 * A zod schema as JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), for the side a caller sees: `input` for
 * what a request may carry (before defaults and coercion), `output` for what an answer holds. A part JSON Schema
 * cannot express (a custom check, a transform) becomes "anything" with a note rather than failing the document;
 * refinements are left out by zod and still enforced by the daemon, which answers 400 VALIDATION_FAILED.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  let converted: JsonSchema;
  try {
    converted = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
      override: ({ zodSchema, jsonSchema }) => {
        const type = (zodSchema as { _zod: { def: { type: string } } })._zod.def.type;
        if (UNREPRESENTABLE.has(type) && Object.keys(jsonSchema).length === 0) {
          jsonSchema.description = `not expressible in JSON Schema (a ${type} in the contract); the daemon checks it`;
        }
      },
    }) as JsonSchema;
  } catch (error) {
    // A cycle or anything else zod refuses: the operation stays in the document, described as unknown.
    return { description: `schema not expressible in JSON Schema (${(error as Error).message}); the daemon checks it` };
  }
  const { $schema: _dialect, ...rest } = converted;
  return rest;
}

/** `/sessions/:id/send` → `/sessions/{id}/send`. */
export function openApiPath(routePath: string): string {
  return routePath
    .split('/')
    .map((segment) => (segment.startsWith(':') ? `{${segment.slice(1)}}` : segment))
    .join('/');
}

function objectParts(schema: JsonSchema): { properties: Record<string, JsonSchema>; required: string[] } | undefined {
  if (schema.type !== 'object' || typeof schema.properties !== 'object' || schema.properties === null) {
    return schema.type === 'object' ? { properties: {}, required: [] } : undefined;
  }
  return { properties: schema.properties as Record<string, JsonSchema>, required: Array.isArray(schema.required) ? (schema.required as string[]) : [] };
}

/** The object schema without some properties (those carried elsewhere: the path, a file part). */
function withoutProperties(schema: JsonSchema, names: readonly string[]): JsonSchema {
  const parts = objectParts(schema);
  if (!parts) return schema;
  const properties = Object.fromEntries(Object.entries(parts.properties).filter(([name]) => !names.includes(name)));
  const required = parts.required.filter((name) => !names.includes(name));
  const { required: _required, ...rest } = schema;
  return { ...rest, properties, ...(required.length ? { required } : {}) };
}

function parameters(route: RouteDef, input: JsonSchema): { list: Json[]; inputNote?: string } {
  const parts = objectParts(input);
  const inPath = pathParamNames(route.path);
  const list: Json[] = inPath.map((name) => {
    const schema = parts?.properties[name] ?? { type: 'string' };
    const { description, ...rest } = schema;
    return { name, in: 'path', required: true, schema: rest, ...(typeof description === 'string' ? { description } : {}) };
  });
  if (!inputInQuery(route.method)) return { list };
  if (!parts) {
    // Not an object (a union, say): the query string cannot be listed field by field.
    return { list, inputNote: `The query string as one object matching: ${JSON.stringify(input)}` };
  }
  for (const [name, schema] of Object.entries(parts.properties)) {
    if (inPath.includes(name)) continue;
    const { description, ...rest } = schema;
    // Repeated keys make an array (?topic=a&topic=b), which is OpenAPI's default for a query parameter (form, exploded).
    list.push({ name, in: 'query', required: parts.required.includes(name), schema: rest, ...(typeof description === 'string' ? { description } : {}) });
  }
  return { list };
}

function requestBody(route: RouteDef, input: JsonSchema): Json | undefined {
  if (inputInQuery(route.method)) return undefined;
  const inPath = pathParamNames(route.path);
  const json = withoutProperties(input, inPath);
  const parts = objectParts(json);
  const accepts = route.body?.accepts ?? ['json'];
  const content: Json = {};
  if (accepts.includes('json')) content['application/json'] = { schema: json };
  const file = route.body?.multipartFile;
  if (accepts.includes('multipart') && file && parts) {
    // The router fills dataBase64 (and name, when absent) from the file part; the other fields come as text parts.
    const fields = withoutProperties(json, ['dataBase64']);
    const fieldParts = objectParts(fields)!;
    content['multipart/form-data'] = {
      schema: {
        type: 'object',
        properties: { ...fieldParts.properties, [file]: { type: 'string', contentMediaType: 'application/octet-stream', description: 'the file itself; its name fills name when name is not given' } },
        required: [...fieldParts.required, file],
      },
      encoding: { [file]: { contentType: 'application/octet-stream' } },
    };
  }
  const maxBytes = route.body?.maxBytes;
  return {
    // A body with no required field may be left out: the router reads an empty body as {}.
    required: (parts?.required.length ?? 1) > 0,
    content,
    ...(maxBytes ? { description: `At most ${maxBytes} bytes.` } : {}),
  };
}

/** The error answers every operation may give, by status, each naming the codes of that status. */
function errorResponses(route: RouteDef, hasBody: boolean): Json {
  const statuses = new Set<number>([400, 429]);
  if (route.access !== 'public') for (const status of [401, 403]) statuses.add(status);
  if (pathParamNames(route.path).length) statuses.add(404);
  if (hasBody) statuses.add(413);
  if (route.body?.accepts.includes('multipart')) statuses.add(415);
  const responses: Json = {};
  for (const status of [...statuses].sort((a, b) => a - b)) responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
  responses['4XX'] = { $ref: '#/components/responses/Error' };
  responses['5XX'] = { $ref: '#/components/responses/Error' };
  return responses;
}

function successResponse(route: RouteDef): Json {
  if (route.output === rawBodySchema) {
    return {
      description:
        "The bytes themselves, not JSON: the content type comes from the bytes and the name (a known image type, application/octet-stream for other binary, text/plain for text; never one a browser renders as a page).",
      headers: {
        'Content-Disposition': { description: 'inline or attachment, with the file name', schema: { type: 'string' } },
        'X-Content-Type-Options': { description: 'always nosniff', schema: { type: 'string', const: 'nosniff' } },
      },
      content: {
        'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
        '*/*': { schema: { description: 'the bytes, of the content type given in Content-Type' } },
      },
    };
  }
  return { description: 'The answer.', content: { 'application/json': { schema: jsonSchemaOf(route.output, 'output') } } };
}

function accessText(access: RouteAccess): string {
  if (access === 'public') return 'Access: public (needs no credentials).';
  if (access === 'local') return 'Access: local (the Unix socket only).';
  return `Access: ${access} (needs ${SCOPE_TEXT[access]}; sent as the ${SESSION_COOKIE} cookie or Authorization: Bearer cpt_…).`;
}

function operation(route: RouteDef): Json {
  const input = jsonSchemaOf(route.input, 'input');
  const { list, inputNote } = parameters(route, input);
  const body = requestBody(route, input);
  const description = [accessText(route.access), ...(inputNote ? [inputNote] : [])].join('\n\n');
  return {
    operationId: route.name,
    summary: route.summary,
    description,
    tags: [tagOf(route.name)],
    'x-codepiper-access': route.access,
    security: route.access === 'public' ? [] : PROTECTED_SECURITY,
    ...(list.length ? { parameters: list } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: { '200': successResponse(route), ...errorResponses(route, body !== undefined) },
  };
}

/** `git.fileRaw` → `git`; `health` → `health`. */
function tagOf(name: string): string {
  return name.split('.')[0]!;
}

/** The event stream, declared in events.ts like a route: documented as what it is, a GET answered with text/event-stream. */
function streamOperation(): Json {
  const events = { ...Object.fromEntries(Object.values(TOPICS).map((topic) => [topic.event, topic])), ...STREAM_MESSAGES };
  const topics = Object.values(TOPICS).map((topic) => `- \`${topic.pattern}\` (event \`${topic.event}\`): ${topic.summary}`);
  const own = Object.entries(STREAM_MESSAGES).map(([event, { summary }]) => `- \`${event}\`: ${summary}`);
  return {
    operationId: 'events.stream',
    summary: 'Server-sent events: the topics named in the query string, each message under its event name with a JSON payload.',
    description: [
      'Topics (`<id>` is a session id, prefix or name):',
      topics.join('\n'),
      'And, whatever the topics:',
      own.join('\n'),
      'The payload schema of each event is in `x-codepiper-events`.',
      accessText(STREAM_ACCESS),
    ].join('\n\n'),
    tags: ['events'],
    'x-codepiper-access': STREAM_ACCESS,
    security: PROTECTED_SECURITY,
    'x-codepiper-events': Object.fromEntries(Object.entries(events).map(([event, { payload }]) => [event, jsonSchemaOf(payload as z.ZodType, 'output')])),
    parameters: [
      { name: 'topic', in: 'query', required: true, description: 'one or more topics, repeated: ?topic=sessions&topic=session:abc:output', schema: { type: 'array', items: { type: 'string' }, minItems: 1 } },
      { name: 'since', in: 'query', required: false, description: 'replay held output from this byte sequence number', schema: { type: 'integer', minimum: 0 } },
    ],
    responses: {
      '200': { description: 'The stream: `event: <name>` and `data: <json>` lines, one blank line after each message.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
      '400': { $ref: '#/components/responses/Error400' },
      '401': { $ref: '#/components/responses/Error401' },
      '403': { $ref: '#/components/responses/Error403' },
      '404': { $ref: '#/components/responses/Error404' },
      '429': { $ref: '#/components/responses/Error429' },
      '4XX': { $ref: '#/components/responses/Error' },
      '5XX': { $ref: '#/components/responses/Error' },
    },
  };
}

/** The refusals an upgrade can meet before it becomes a WebSocket. */
const UPGRADE_REFUSALS = {
  '401': { $ref: '#/components/responses/Error401' },
  '403': { $ref: '#/components/responses/Error403' },
  '404': { $ref: '#/components/responses/Error404' },
  '429': { $ref: '#/components/responses/Error429' },
  '4XX': { $ref: '#/components/responses/Error' },
};

/**
 * OpenAPI has no WebSocket operation: the stream is a GET that upgrades (101), its frames described in
 * `x-codepiper-frames` as JSON Schema, from the same zod schemas the daemon checks them with (api/ws.ts).
 */
function webSocketOperation(): Json {
  return {
    operationId: 'ws.stream',
    summary: 'WebSocket: the event stream\'s topics with resume, and input (send, keys, paste) through the same routes, policy and audit.',
    description: [
      `Upgrade with \`Connection: Upgrade\`, \`Upgrade: websocket\`. The daemon greets with \`hello\` (its version, protocol ${WS_PROTOCOL}, the topic patterns, the connection's scope, the limits).`,
      'Every frame is a JSON text frame with a `type`. `subscribe {topics, since?}` follows topics as the event stream names them and answers `ready`; each message arrives as `event {topic, event, seq?, data}`, and `seq` is where to resume. `send`, `paste` and `keys` are the routes sessions.send and sessions.keys (write scope), answered `ok {result}` or `error {code, message}`; a `ref` on any frame is echoed on its answer.',
      `Limits: a frame over ${WS_MAX_FRAME_BYTES} bytes closes the connection (1009); a client that falls ${WS_MAX_QUEUED_BYTES} bytes behind is sent \`overflow\` and closed (${WS_CLOSE_OVERFLOW}); the daemon pings every ${WS_HEARTBEAT_MS / 1000} s and drops a client that missed the last ping; revoked credentials close it (1008).`,
      'Browsers must open it from an allowed origin (the Origin is checked).',
      accessText(STREAM_ACCESS),
    ].join('\n\n'),
    tags: ['events'],
    'x-codepiper-access': STREAM_ACCESS,
    security: PROTECTED_SECURITY,
    'x-codepiper-frames': { client: jsonSchemaOf(wsClientFrameSchema, 'input'), server: jsonSchemaOf(wsServerFrameSchema, 'output') },
    responses: { '101': { description: 'Switching protocols: the WebSocket is open.' }, ...UPGRADE_REFUSALS },
  };
}

function terminalOperation(): Json {
  return {
    operationId: 'sessions.terminal',
    summary: "The terminal bridge: a real tmux attach of the session in a pseudo-terminal, as a WebSocket.",
    description: [
      'Binary frames carry the terminal\'s bytes both ways; a JSON text frame `{"type":"resize","cols":N,"rows":N}` resizes the viewer, and the daemon\'s own notices (`attached`, `readonly`, `error`) are JSON text frames.',
      'A read grant, or `?readonly=1` with any grant, attaches read-only (tmux attach -r): keystrokes are dropped and the viewer is told once. A write grant may type; keystrokes through the bridge are what a person types after attach, not input preflight.',
      accessText(STREAM_ACCESS),
    ].join('\n\n'),
    tags: ['sessions'],
    'x-codepiper-access': STREAM_ACCESS,
    security: PROTECTED_SECURITY,
    parameters: [
      { name: 'id', in: 'path', required: true, description: 'the session: id, prefix or name', schema: { type: 'string' } },
      { name: 'readonly', in: 'query', required: false, description: 'attach read-only even with a write grant', schema: { type: 'string', enum: ['1', 'true', 'yes'] } },
    ],
    responses: { '101': { description: 'Switching protocols: the attach is open.' }, ...UPGRADE_REFUSALS },
  };
}

function errorComponents(): { schemas: Record<string, JsonSchema>; responses: Record<string, Json> } {
  const codes = Object.keys(ERROR_CODES);
  const schemas: Record<string, JsonSchema> = {
    ErrorCode: { type: 'string', enum: codes, description: 'Every error code the daemon uses; each has one HTTP status.' },
    Error: {
      type: 'object',
      required: ['error'],
      additionalProperties: false,
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          additionalProperties: false,
          properties: {
            code: { $ref: '#/components/schemas/ErrorCode' },
            message: { type: 'string', description: 'one line meant for a person' },
            details: { description: 'data for a program, on some errors only (for VALIDATION_FAILED, the failing fields with their paths)' },
          },
        },
      },
    },
  };
  const envelope = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  const responses: Record<string, Json> = { Error: { description: 'An error: the code says what went wrong.', content: envelope } };
  const byStatus = new Map<number, string[]>();
  for (const [code, kind] of Object.entries(ERROR_CODES)) byStatus.set(kind.status, [...(byStatus.get(kind.status) ?? []), code]);
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[`Error${status}`] = {
      description: `An error with one of the codes of status ${status}: ${list.join(', ')}.`,
      content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/Error' }], properties: { error: { properties: { code: { enum: list } } } } } } },
    };
  }
  return { schemas, responses };
}

/**
 * The document for a route table. Pure: the daemon builds it once and caches it (see its handler); tests build it
 * from the real table and from tables of their own.
 */
export function buildOpenApiDocument(table: readonly RouteDef[], options: { version: string }): OpenApiDocument {
  const served = table.filter((route) => route.access !== 'local');
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of served) {
    const item = (paths[openApiPath(route.path)] ??= {});
    const method = METHOD_KEY[route.method];
    if (item[method]) throw new Error(`two routes for ${route.method} ${route.path}: ${String(item[method].operationId)} and ${route.name}`);
    item[method] = operation(route);
  }
  if (!paths[STREAM_PATH]?.get) (paths[STREAM_PATH] ??= {}).get = streamOperation();
  if (!paths[WS_PATH]?.get) (paths[WS_PATH] ??= {}).get = webSocketOperation();
  if (!paths[openApiPath(TERMINAL_PATH)]?.get) (paths[openApiPath(TERMINAL_PATH)] ??= {}).get = terminalOperation();
  const left = table.filter((route) => route.access === 'local').map((route) => route.name);
  const errors = errorComponents();
  return {
    openapi: '3.1.0',
    info: {
      title: 'CodePiper API',
      version: options.version,
      description: [
        `The CodePiper daemon's routes as its network listener (\`codepiper daemon start --web\`) serves them, under ${API_PREFIX}. ` +
          'Generated from the route table; each operation carries its access level in `x-codepiper-access`.',
        'Access levels: `public` needs nothing; `read`, `write` and `admin` need a login (the ' +
          `\`${SESSION_COOKIE}\` cookie, from POST /auth/login) or an API token of that scope or higher (\`Authorization: Bearer cpt_…\`, ` +
          'from `codepiper token create`); write includes read, admin includes both, a login holds admin.',
        `Routes of access \`local\` are left out: they are served only on the daemon's Unix socket and answer 404 over the network${left.length ? ` (${left.join(', ')})` : ''}.`,
        'Inputs: path parameters, plus the query string for GET and DELETE or a JSON body otherwise; query values arrive as text and are converted ' +
          '(booleans as 1/true/0/false). Schemas show the shapes; some rules (refinements) are checked only by the daemon, which answers ' +
          '400 VALIDATION_FAILED with the failing fields. Errors are `{"error": {"code", "message", "details"?}}`.',
      ].join('\n\n'),
    },
    servers: [{ url: API_PREFIX, description: 'the network listener, relative to where this document was fetched' }],
    tags: [...new Set([...served.map((route) => tagOf(route.name)), 'events'])].sort().map((name) => ({ name })),
    paths,
    components: {
      schemas: errors.schemas,
      responses: errors.responses,
      securitySchemes: {
        bearerToken: { type: 'http', scheme: 'bearer', bearerFormat: 'cpt_…', description: 'An API token from `codepiper token create --scope read|write|admin`, shown once.' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'The login session set by POST /auth/login (HttpOnly, SameSite=Strict).' },
      },
    },
  };
}
