import { z } from 'zod';
import { routes } from './index';
import type { HttpMethod, RouteAccess } from './route';

/**
 * A top-level field of a route's input that a client can check before sending: a number with its bounds (integers
 * are safe integers, so bounds past that range are left out), or one of a list of strings. The default is the one the
 * route applies when the field is left out.
 */
export type FieldSpec = { type: 'integer' | 'number'; min?: number; max?: number; default?: number } | { type: 'enum'; values: string[]; default?: string };

export interface RouteManifestEntry {
  method: HttpMethod;
  path: string;
  access: RouteAccess;
  /**
   * The input's numeric and enumerated top-level fields, when it has any. Free strings, booleans, objects, arrays
   * and nullable fields carry nothing a client checks: the daemon does, and the manifest stays small (the CLI
   * parses it on every command).
   */
  fields?: Record<string, FieldSpec>;
}

/**
 * What a client needs to reach a route and check an option, derived from the contract. The CLI bundle gets this
 * object inlined at build time (scripts/build.mjs), so a command does not pay for loading zod just to learn a method,
 * a path or a limit.
 */
export const routeManifest: Record<string, RouteManifestEntry> = Object.fromEntries(
  routes.map((route) => {
    const fields = checkableFields(route.input);
    return [route.name, { method: route.method, path: route.path, access: route.access, ...(Object.keys(fields).length ? { fields } : {}) }];
  }),
);

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
}

/** Read from the input's JSON Schema as a caller sees it (before coercion and defaults): zod's public view of it. */
function checkableFields(input: z.ZodType): Record<string, FieldSpec> {
  const schema = z.toJSONSchema(input, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const fields: Record<string, FieldSpec> = {};
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const spec = fieldSpec(field);
    if (spec) fields[name] = spec;
  }
  return fields;
}

function fieldSpec(field: JsonSchema): FieldSpec | undefined {
  const given = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  if (field.enum && field.enum.every((value) => typeof value === 'string')) {
    return { type: 'enum', values: field.enum as string[], ...given('default', field.default as string | undefined) };
  }
  if (field.type === 'integer' || field.type === 'number') {
    const min = field.minimum !== undefined && field.minimum > Number.MIN_SAFE_INTEGER ? field.minimum : undefined;
    const max = field.maximum !== undefined && field.maximum < Number.MAX_SAFE_INTEGER ? field.maximum : undefined;
    return { type: field.type, ...given('min', min), ...given('max', max), ...given('default', field.default as number | undefined) };
  }
  return undefined;
}
