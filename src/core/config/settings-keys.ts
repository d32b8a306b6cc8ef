/**
 * The pure half of the settings: JSON merge patch, dotted keys, and matching a key against the keys a schema knows.
 * No zod and no file system, so that the CLI (whose bundle carries no zod) can use it on what the daemon answers.
 */

export type SettingsObject = Record<string, unknown>;
export type AppliesAt = 'now' | 'restart';

/** One key the schema knows, dotted; `*` stands for any name under a map. */
export interface SettingKey {
  key: string;
  kind: 'object' | 'value';
  appliesAt: AppliesAt;
  description?: string;
}

// ---------------------------------------------------------------------------------------------------------------------
// JSON merge patch (RFC 7386)

export function isPlainObject(value: unknown): value is SettingsObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * RFC 7386: an object patch merges key by key, `null` removes a key, anything else (a string, a number, a list)
 * replaces what was there. `target` is not changed; the result shares no objects with the patch.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const result: SettingsObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Leaves of a settings object as dotted keys (a list is one value), in the object's own order. */
export function flattenSettings(value: unknown, prefix = ''): Array<[string, unknown]> {
  if (!isPlainObject(value)) return prefix ? [[prefix, value]] : [];
  return Object.entries(value).flatMap(([key, inner]) => flattenSettings(inner, prefix ? `${prefix}.${key}` : key));
}

/** The value at a dotted path (already split), or undefined. */
export function settingAt(settings: unknown, keyPath: readonly string[]): unknown {
  let at = settings;
  for (const key of keyPath) {
    if (!isPlainObject(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

/** `["a","b"]`, 1 → `{a: {b: 1}}`: one key's change as a merge patch (null removes it). */
export function patchFor(keyPath: readonly string[], value: unknown): SettingsObject {
  let patch: unknown = value;
  for (const key of [...keyPath].reverse()) patch = { [key]: patch };
  return patch as SettingsObject;
}

/** The known key a dotted key falls under (itself, or a `*` pattern), if any. */
export function knownKey(keys: readonly SettingKey[], key: string): SettingKey | undefined {
  const parts = key.split('.');
  return keys.find((known) => {
    const pattern = known.key.split('.');
    return pattern.length === parts.length && pattern.every((part, i) => part === '*' || part === parts[i]);
  });
}

