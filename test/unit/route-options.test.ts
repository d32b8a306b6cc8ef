import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { routeOption } from '../../src/cli/route-options';
import { routesByName } from '../../src/core/api';
import { routeManifest } from '../../src/core/api/manifest';

function refusal(parse: (value: string) => number, value: string): string {
  try {
    parse(value);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error(`"${value}" was accepted`);
}

describe('the route manifest', () => {
  it("gives each numeric and enumerated input field the bounds, values and default the route's schema has", () => {
    let checked = 0;
    for (const [name, entry] of Object.entries(routeManifest)) {
      const shape = (routesByName.get(name)!.input as unknown as { shape: Record<string, { safeParse(value: unknown): { success: boolean; data?: unknown } }> }).shape;
      for (const [field, spec] of Object.entries(entry.fields ?? {})) {
        const schema = shape[field]!;
        const accepts = (value: unknown) => schema.safeParse(value).success;
        if (spec.type === 'enum') {
          for (const value of spec.values) expect(accepts(value), `${name}.${field} = ${value}`).toBe(true);
          expect(accepts('surely-not-a-value'), `${name}.${field}`).toBe(false);
        } else {
          if (spec.min !== undefined) expect([accepts(spec.min), accepts(spec.min - 1)], `${name}.${field} min`).toEqual([true, false]);
          if (spec.max !== undefined) expect([accepts(spec.max), accepts(spec.max + 1)], `${name}.${field} max`).toEqual([true, false]);
          if (spec.type === 'integer') expect(accepts((spec.min ?? 0) + 0.5), `${name}.${field} whole`).toBe(false);
        }
        if (spec.default !== undefined) expect(schema.safeParse(undefined).data, `${name}.${field} default`).toBe(spec.default);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(routeManifest['sessions.events']!.fields).toEqual({ limit: { type: 'integer', min: 1, max: 1000, default: 100 }, offset: { type: 'integer', min: 0, default: 0 } });
  });
});

describe('routeOption', () => {
  it("takes a whole number within the route's bounds and says the range otherwise", () => {
    const limit = routeOption('sessions.events', 'limit');
    expect(limit('1')).toBe(1);
    expect(limit(' 1000 ')).toBe(1000);
    for (const bad of ['abc', '', '0', '1001', '5.5', '1e3', '0x10']) expect(refusal(limit, bad)).toBe(`expected a whole number from 1 to 1000, got "${bad}"`);
    const offset = routeOption('library.get', 'offset');
    expect(offset('0')).toBe(0);
    expect(refusal(offset, '-1')).toBe('expected a whole number, 0 or more, got "-1"');
    const priority = routeOption('policies.create', 'priority');
    expect(priority('-5')).toBe(-5);
    expect(refusal(priority, '1000001')).toBe('expected a whole number from -1000000 to 1000000, got "1000001"');
  });

  it("converts the route's bounds into the option's unit", () => {
    const timeout = routeOption('sessions.stop', 'timeoutMs', { scale: 1000, unit: 'seconds' });
    expect(timeout('2.5')).toBe(2.5);
    expect(timeout('120')).toBe(120);
    expect(refusal(timeout, '121')).toBe('expected a number of seconds from 0 to 120, got "121"');
    expect(refusal(timeout, 'soon')).toBe('expected a number of seconds from 0 to 120, got "soon"');
  });

  it('refuses, when the program is built, a field the route does not have as a number', () => {
    expect(() => routeOption('sessions.events', 'source' as 'limit')).toThrow('the route sessions.events has no numeric input field "source"');
  });
});
