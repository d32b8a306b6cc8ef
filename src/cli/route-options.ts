/**
 * Options that fill a route's input are checked against the route's own bounds, read from the manifest the build
 * derives from the contract: the command line restates no limit, and a bad value is refused before anything is sent,
 * in words that give the range.
 */
import { InvalidArgumentError, Option } from 'commander';
import { withSuggestion } from '../core/nearest';
import type { RouteInput, RouteName } from '../core/api';
import { routeManifest, type FieldSpec } from '../core/api/manifest';

type NumberSpec = Extract<FieldSpec, { type: 'integer' | 'number' }>;

/** The numeric input field `field` of `route`: its type, bounds and default. */
export function routeNumber<N extends RouteName>(route: N, field: keyof RouteInput<N> & string): NumberSpec {
  const spec = routeManifest[route]?.fields?.[field];
  if (spec?.type !== 'integer' && spec?.type !== 'number') throw new Error(`the route ${route} has no numeric input field "${field}"`);
  return spec;
}

/**
 * A commander argParser for an option or argument that fills `field` of `route`: a whole number (any number for a
 * number field) within the route's bounds. `scale` is how many of the route's units make one of the option's (stop's
 * --timeout is in seconds, the route's timeoutMs in milliseconds): the option then takes any number within the
 * route's bounds divided by it, `unit` names its unit in the error, and the command converts what it gets.
 */
export function routeOption<N extends RouteName>(
  route: N,
  field: keyof RouteInput<N> & string,
  { scale = 1, unit }: { scale?: number; unit?: string } = {},
): (value: string) => number {
  const spec = routeNumber(route, field);
  const min = spec.min === undefined ? undefined : spec.min / scale;
  const max = spec.max === undefined ? undefined : spec.max / scale;
  const whole = spec.type === 'integer' && scale === 1;
  const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? `, ${min} or more` : max !== undefined ? `, ${max} or less` : '';
  const expected = `expected ${whole ? 'a whole number' : 'a number'}${unit ? ` of ${unit}` : ''}${range}`;
  return (value) => {
    const text = value.trim();
    const n = Number(text);
    const wellFormed = whole ? /^[-+]?\d+$/.test(text) && Number.isSafeInteger(n) : text !== '' && Number.isFinite(n);
    if (!wellFormed || (min !== undefined && n < min) || (max !== undefined && n > max)) throw new InvalidArgumentError(`${expected}, got "${value}"`);
    return n;
  };
}

/** The values an enumerated input field of `route` takes, in the contract's order: for commander's choices(). */
export function routeChoices<N extends RouteName>(route: N, field: keyof RouteInput<N> & string): string[] {
  const spec = routeManifest[route]?.fields?.[field];
  if (spec?.type !== 'enum') throw new Error(`the route ${route} has no enumerated input field "${field}"`);
  return spec.values;
}

/**
 * A commander argParser that takes one of `values` and refuses anything else in words that list them and suggest
 * the nearest ("expected one of ...; did you mean idle?"); commander puts the option's name and the value before it.
 */
export function choiceParser(values: readonly string[]): (value: string) => string {
  return (value) => {
    if (values.includes(value)) return value;
    throw new InvalidArgumentError(withSuggestion(`expected one of ${values.join(', ')}`, value, values));
  };
}

/**
 * An option that fills the enumerated field `field` of `route`: its help lists the values (from the contract), and a
 * wrong value is refused before anything is sent, with the nearest value suggested.
 */
export function routeChoiceOption<N extends RouteName>(flags: string, description: string, route: N, field: keyof RouteInput<N> & string): Option {
  const values = routeChoices(route, field);
  return new Option(flags, description).choices(values).argParser(choiceParser(values));
}
