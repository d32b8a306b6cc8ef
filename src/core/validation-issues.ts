/**
 * zod's issues in words a person acts on: a value outside a list names the list and the nearest value, an unknown key
 * the nearest known key. Shared by the daemon's 400s and the config file's errors, so the API, the TUI and the CLI
 * all get the same help.
 */
import type { z } from 'zod';
import { didYouMean, withSuggestion } from './nearest';

type Issue = z.core.$ZodIssue;
type Key = PropertyKey;

/** What is wrong at `issue.path`, without the path: `input` is what was parsed, `schema` what parsed it. */
export function describeIssue(issue: Issue, input: unknown, schema?: z.ZodType): string {
  if (issue.code === 'invalid_value' && issue.values.every((value) => typeof value === 'string')) {
    const values = issue.values as string[];
    const got = valueAt(input, issue.path);
    const expected = values.length === 1 ? `expected ${values[0]}` : `expected one of ${values.join(', ')}`;
    return typeof got === 'string' ? withSuggestion(`${expected}, got ${JSON.stringify(got)}`, got, values) : expected;
  }
  if (issue.code === 'unrecognized_keys') {
    const known = schema ? keysAt(schema, issue.path) : [];
    const described = issue.keys.map((key) => {
      const hint = didYouMean(key, known);
      return `${JSON.stringify(key)}${hint ? ` (${hint})` : ''}`;
    });
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${described.join(', ')}`;
  }
  return issue.message;
}

/** The value at `path` in `input`, or undefined. */
export function valueAt(input: unknown, path: readonly Key[]): unknown {
  let at = input;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<Key, unknown>)[key];
  }
  return at;
}

/** The keys an object schema at `path` of `schema` knows, through optional, nullable, default and pipe wrappers. */
export function keysAt(schema: z.ZodType, path: readonly Key[]): string[] {
  let at: z.ZodType | undefined = unwrap(schema);
  for (const key of path) {
    if (!at) return [];
    const def = at._zod.def as unknown as { type: string; shape?: Record<string, z.ZodType>; element?: z.ZodType; valueType?: z.ZodType };
    if (def.type === 'object' && typeof key === 'string') at = def.shape?.[key];
    else if (def.type === 'array') at = def.element;
    else if (def.type === 'record') at = def.valueType;
    else return [];
    at = at && unwrap(at);
  }
  const def = at?._zod.def as unknown as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let at = schema;
  for (let depth = 0; depth < 16; depth++) {
    const def = at._zod.def as unknown as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    const inner = def.type === 'pipe' ? def.in : def.innerType;
    if (!inner) return at;
    at = inner;
  }
  return at;
}
