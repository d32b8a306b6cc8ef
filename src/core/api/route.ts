import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. On the Unix socket every route answers: the socket is 0600 in a 0700 directory, so whoever
 * reaches it is the user. On a network listener the level is all the auth layer needs to decide:
 *
 * - `public`: anyone who reaches the listener;
 * - `read`: looks at sessions, transcripts and settings, changes nothing;
 * - `write`: drives what exists (types into sessions, stops and resumes them, answers their permission questions,
 *   edits the library). Typing into a session is running code wherever a shell reads it: a write scope is as
 *   powerful as the sessions that run, and is granted as such;
 * - `admin`: starts programs of the caller's choosing, or changes the policies that decide what agents may do;
 * - `local`: never served on the network (404 there), only on the socket.
 *
 * read, write and admin are meant as nested scopes: write includes read, admin includes both.
 */
export const ROUTE_ACCESS_LEVELS = ['public', 'read', 'write', 'admin', 'local'] as const;
export type RouteAccess = (typeof ROUTE_ACCESS_LEVELS)[number];

/** For checks at run time (a route table is also data that a test or a plain JavaScript caller can get wrong). */
export function isRouteAccess(value: unknown): value is RouteAccess {
  return (ROUTE_ACCESS_LEVELS as readonly unknown[]).includes(value);
}

/**
 * One operation of the daemon, declared once. The router, the typed client, the manifest the CLI is built with and
 * the tests all read these objects; nothing else lists routes.
 *
 * Input is one object: path parameters (`:id`), plus the query string for GET/DELETE or the JSON body otherwise.
 * Query values arrive as strings, so GET schemas coerce.
 */
export interface RouteDef<
  Name extends string = string,
  Input extends z.ZodType = z.ZodType,
  Output extends z.ZodType = z.ZodType,
> {
  name: Name;
  method: HttpMethod;
  path: string;
  summary: string;
  access: RouteAccess;
  input: Input;
  output: Output;
  /** How the request body may come, for the few routes that take more than a small JSON body; JSON within 1 MiB when absent. */
  body?: RouteBody | undefined;
}

/**
 * A route's request body beyond the default: the kinds it takes and its own size limit. A multipart/form-data body
 * becomes the same input object as JSON would: its text fields by name, and the file part `multipartFile` as `name`
 * (the client's file name) and `dataBase64` (its bytes), so one schema checks both.
 */
export interface RouteBody {
  accepts: readonly ('json' | 'multipart')[];
  maxBytes: number;
  multipartFile?: string | undefined;
}

export function defineRoute<const Name extends string, Input extends z.ZodType, Output extends z.ZodType>(
  def: RouteDef<Name, Input, Output>,
): RouteDef<Name, Input, Output> {
  return def;
}

/** Methods whose input travels in the query string rather than a body. */
export function inputInQuery(method: HttpMethod): boolean {
  return method === 'GET' || method === 'DELETE';
}

/** `/sessions/:id/send` → ['id']. */
export function pathParamNames(routePath: string): string[] {
  return routePath
    .split('/')
    .filter((segment) => segment.startsWith(':'))
    .map((segment) => segment.slice(1));
}
