import type { z } from 'zod';
import type { RouteByName, RouteName, RouteParsedInput } from '../core/api';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan } from '../core/api/json';
import { inputInQuery, isRouteAccess, type RouteDef } from '../core/api/route';
import { storageError } from '../core/db/storage-error';
import { scopeIncludes, type Grant } from '../core/auth/types';
import { AppError, isAppError } from '../core/errors';
import { describeIssue } from '../core/validation-issues';
import type { HandlerContext, Transport } from './context';

type Awaitable<T> = T | Promise<T>;

/** One handler per route name; the compiler refuses a missing one or a wrong shape. */
export type Handlers = {
  [N in RouteName]: (input: RouteParsedInput<N>, ctx: HandlerContext) => Awaitable<z.input<RouteByName<N>['output']>>;
};

export interface DispatchRequest {
  method: string;
  /** Path and query, as in the request line. */
  url: string;
  body?: Buffer | undefined;
  transport: Transport;
  headers?: Record<string, string | string[] | undefined>;
  /** Over TCP: what the request's credentials grant (the listener authenticates), undefined when it sent none. */
  grant?: Grant | undefined;
  /**
   * Over TCP: the credentials sent were refused (unknown, expired, revoked). Answered on every route that needs a
   * grant; a public route (a login) still answers, as to anyone.
   */
  authFailure?: AppError | undefined;
  /** Over TCP: the client's address (after trustProxy), for lockouts and the audit log. */
  remoteAddress?: string | undefined;
  /** Over TCP: whether the client reached the daemon over TLS (its own, or a trusted proxy's). */
  secure?: boolean | undefined;
}

export interface DispatchResult {
  status: number;
  body: unknown;
  headers?: Record<string, string | string[]>;
}

interface CompiledRoute {
  route: RouteDef;
  segments: string[];
  handler: (input: unknown, ctx: HandlerContext) => unknown;
}

export interface Router {
  dispatch(request: DispatchRequest): Promise<DispatchResult>;
  /** The largest body the route `method url` takes (its own limit, else `fallback`), read before the body is. */
  bodyLimit(method: string, url: string, fallback: number): number;
  /**
   * The refusal a request gets whatever its body says (no such route, a method it does not take, missing or too low
   * credentials over TCP), or undefined when the body is worth reading. Asked before the body is read, so that nobody
   * without the right to call a route can make the daemon hold a body of that route's size in memory.
   */
  refusal(request: Omit<DispatchRequest, 'body' | 'headers'>): DispatchResult | undefined;
}

/**
 * Builds the dispatcher from the route table: match the path, then the method, parse the input with the route's
 * schema, call the handler, check its answer against the output schema. Every failure becomes an error envelope with
 * a fitting status; nothing a client sends can make it throw.
 */
export function createRouter(
  routes: readonly RouteDef[],
  handlers: Record<string, unknown>,
  context: (request: DispatchRequest, responseHeaders: Record<string, string | string[]>) => HandlerContext,
): Router {
  const compiled: CompiledRoute[] = routes.map((route) => {
    const handler = handlers[route.name];
    if (typeof handler !== 'function') throw new Error(`route ${route.name} has no handler`);
    // Only 'local' is hidden from the network below, so a route without a known level would be served there: refuse it.
    if (!isRouteAccess(route.access)) throw new Error(`route ${route.name} has no access level (got ${JSON.stringify(route.access)})`);
    return { route, segments: splitPath(route.path), handler: handler as CompiledRoute['handler'] };
  });

  async function dispatch(request: DispatchRequest): Promise<DispatchResult> {
    try {
      return await dispatchOrThrow(request);
    } catch (error) {
      return errorResult(error, context(request, {}));
    }
  }

  function refusal(request: Omit<DispatchRequest, 'body' | 'headers'>): DispatchResult | undefined {
    try {
      const { match } = matchRoute(request);
      if (request.transport === 'tcp') checkAccess(match.entry.route, request.grant, request.authFailure);
      return undefined;
    } catch (error) {
      return errorResult(error, context(request, {}));
    }
  }

  async function dispatchOrThrow(request: DispatchRequest): Promise<DispatchResult> {
    const { url, match } = matchRoute(request);
    const { route, handler } = match.entry;
    if (request.transport === 'tcp') checkAccess(route, request.grant, request.authFailure);
    const type = contentType(request.headers);
    const raw = type === 'multipart/form-data' && !inputInQuery(route.method) ? await multipartInput(route, request.body, request.headers!, match.params) : rawInput(route, url, request.body, match.params);
    const parsed = route.input.safeParse(raw);
    if (!parsed.success) throw validationError(parsed.error, raw, route.input);

    const responseHeaders: Record<string, string | string[]> = {};
    const ctx = context(request, responseHeaders);
    const result = await handler(parsed.data, ctx);
    const checked = route.output.safeParse(result);
    if (!checked.success) {
      ctx.daemon.log.error(`route ${route.name} answered outside its contract: ${describeIssues(checked.error)}`);
      throw new AppError('INTERNAL', `internal error: ${route.name} produced an invalid answer`);
    }
    return { status: 200, body: checked.data, headers: responseHeaders };
  }

  /** The route a request's method and path name (a 'local' one only on the socket); throws the 404 or 405. */
  function matchRoute(request: Pick<DispatchRequest, 'method' | 'url' | 'transport'>): { url: URL; match: { entry: CompiledRoute; params: Record<string, string> } } {
    let url: URL;
    try {
      url = new URL(request.url, 'http://codepiper.invalid');
    } catch {
      throw new AppError('USAGE', `malformed request target: ${request.url}`);
    }
    const segments = splitPath(url.pathname);
    const visible = compiled.filter((entry) => request.transport === 'unix' || entry.route.access !== 'local');
    const pathMatches: Array<{ entry: CompiledRoute; params: Record<string, string> }> = [];
    for (const entry of visible) {
      const params = matchSegments(entry.segments, segments);
      if (params) pathMatches.push({ entry, params });
    }
    if (pathMatches.length === 0) {
      throw new AppError('ROUTE_NOT_FOUND', `no route for ${request.method} ${url.pathname}`);
    }
    const match = pathMatches.find(({ entry }) => entry.route.method === request.method);
    if (!match) {
      const allowed = [...new Set(pathMatches.map(({ entry }) => entry.route.method))];
      throw new AppError('METHOD_NOT_ALLOWED', `${url.pathname} does not accept ${request.method}; it accepts ${allowed.join(', ')}`, {
        details: { allowed },
      });
    }
    return { url, match };
  }

  function bodyLimit(method: string, url: string, fallback: number): number {
    let pathname: string;
    try {
      pathname = new URL(url, 'http://codepiper.invalid').pathname;
    } catch {
      return fallback;
    }
    const segments = splitPath(pathname);
    const entry = compiled.find((candidate) => candidate.route.method === method && candidate.route.body && matchSegments(candidate.segments, segments, false));
    return entry?.route.body?.maxBytes ?? fallback;
  }

  return { dispatch, bodyLimit, refusal };
}

/**
 * Over TCP the route's access level decides (route.ts): public answers anyone, read/write/admin need a grant of at
 * least that scope. A 'local' route never gets here: it is not even matched over TCP (a 404, as if absent).
 */
function checkAccess(route: RouteDef, grant: Grant | undefined, authFailure: AppError | undefined): void {
  if (route.access === 'public') return;
  if (route.access === 'local') throw new AppError('ROUTE_NOT_FOUND', `no route for ${route.method} ${route.path}`);
  if (authFailure) throw authFailure;
  if (!grant) throw new AppError('AUTH_REQUIRED', 'log in (POST /api/auth/login) or send an API token (Authorization: Bearer cpt_…)');
  if (!scopeIncludes(grant.scope, route.access)) {
    throw new AppError('SCOPE_INSUFFICIENT', `${route.name} needs the ${route.access} scope; this token has ${grant.scope}`, {
      details: { needed: route.access, held: grant.scope },
    });
  }
}

/** The media type of a request's body, lower case, without its parameters. */
function contentType(headers: DispatchRequest['headers']): string | undefined {
  const value = headers?.['content-type'];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.split(';')[0]!.trim().toLowerCase() || undefined;
}

/**
 * A multipart/form-data body as the route's input: text parts by name, the route's file part as `name` and
 * `dataBase64` (see RouteBody). Parsed by the platform's own form-data reader (undici's Response), not by hand.
 */
async function multipartInput(route: RouteDef, body: Buffer | undefined, headers: NonNullable<DispatchRequest['headers']>, params: Record<string, string>): Promise<unknown> {
  const file = route.body?.multipartFile;
  if (!route.body?.accepts.includes('multipart') || !file) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `${route.method} ${route.path} takes a JSON body (content-type application/json), not multipart/form-data`);
  }
  let form: FormData;
  try {
    const type = headers['content-type'];
    form = await new Response(body ?? Buffer.alloc(0), { headers: { 'content-type': String(Array.isArray(type) ? type[0] : type) } }).formData();
  } catch (error) {
    throw new AppError('USAGE', `request body is not valid multipart/form-data: ${(error as Error).message}`);
  }
  const input: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) {
    if (key === file || key === 'id' || key === 'dataBase64') continue;
    if (typeof value === 'string') input[key] = value === 'true' ? true : value === 'false' ? false : value;
  }
  const part = form.get(file);
  if (part === null || typeof part === 'string') {
    throw new AppError('VALIDATION_FAILED', `multipart body has no file part named "${file}" (send the file as ${file}=@path)`, {
      details: { issues: [{ path: file, message: 'missing file part', code: 'custom' }] },
    });
  }
  if (part.name && input.name === undefined) input.name = part.name;
  input.dataBase64 = Buffer.from(await part.arrayBuffer()).toString('base64');
  return { ...input, ...params };
}

function errorResult(error: unknown, ctx: HandlerContext): DispatchResult {
  if (isAppError(error)) {
    const headers: Record<string, string> = {};
    const allowed = (error.details as { allowed?: string[] } | undefined)?.allowed;
    if (error.code === 'METHOD_NOT_ALLOWED' && allowed) headers.allow = allowed.join(', ');
    // A refusal for now (a login lockout, a rate limit) says when to come back, as HTTP clients expect to read it.
    const retryAfter = (error.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (error.status === 429 && typeof retryAfter === 'number') headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
    if (error.status >= 500) ctx.daemon.log.error(`${error.code}: ${error.message}`, error.cause);
    return { status: error.status, body: error.toJSON(), headers };
  }
  // A full disk or an unwritable home is not a bug: say which file and why, with its own code and status.
  // errorResult must never throw, not even for a context without a core (in-process tests of the router).
  const storage = storageError(error, (error as NodeJS.ErrnoException)?.path ?? ctx.daemon.core?.paths.database ?? 'the database');
  if (storage) return errorResult(storage, ctx);
  ctx.daemon.log.error('unexpected error in a handler', error);
  return { status: 500, body: new AppError('INTERNAL', `internal error: ${(error as Error)?.message ?? String(error)}`).toJSON() };
}

function rawInput(route: RouteDef, url: URL, body: Buffer | undefined, params: Record<string, string>): unknown {
  if (inputInQuery(route.method)) {
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? values[0]! : values;
    }
    return { ...query, ...params };
  }
  const text = body?.toString('utf8') ?? '';
  if (text.trim() === '') return { ...params };
  if (jsonNestsDeeperThan(text)) {
    throw new AppError('INVALID_JSON', `request body nests arrays or objects deeper than the limit of ${MAX_JSON_DEPTH} levels`, {
      details: { limit: MAX_JSON_DEPTH },
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AppError('INVALID_JSON', `request body is not valid JSON: ${(error as Error).message}`);
  }
  const isPlainObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  return isPlainObject ? { ...(value as Record<string, unknown>), ...params } : value;
}

/**
 * A 400 that names each field and what is wrong with it; a value outside a list suggests the nearest ("provider:
 * expected one of claude-code, codex, command, got "claud"; did you mean claude-code?"), as an unknown key does.
 */
function validationError(error: z.ZodError, input: unknown, schema: z.ZodType): AppError {
  const issues = error.issues.map((issue) => ({ path: formatPath(issue.path), message: describeIssue(issue, input, schema), code: issue.code }));
  return new AppError('VALIDATION_FAILED', `invalid input: ${issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ')}`, { details: { issues } });
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(body)';
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: string[], actual: string[], strict = true): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const got = actual[i]!;
    if (expected.startsWith(':')) {
      try {
        params[expected.slice(1)] = decodeURIComponent(got);
      } catch {
        if (!strict) return undefined;
        throw new AppError('USAGE', `malformed percent-encoding in path segment: ${got}`);
      }
    } else if (expected !== got) {
      return undefined;
    }
  }
  return params;
}
