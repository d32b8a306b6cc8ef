import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** `any`: served on the Unix socket and (later) on the authenticated TCP listener; `local`: Unix socket only. */
export type RouteAccess = 'any' | 'local';

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
