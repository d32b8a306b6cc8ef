/**
 * The configuration file as a setting store: read it, change it with a JSON merge patch, check the result against the
 * schema, write it atomically, and tell which changes the running daemon applies at once and which wait for a restart.
 * Generic over the schema: nothing here names a setting. When a change applies is declared on the schema itself
 * (`liveSetting`), next to the key; a key that says nothing needs a restart, the safe guess.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { AppError } from '../errors';
import { describeIssue } from '../validation-issues';
import { checkJsonText, configSchema, type FileProblem } from './index';
import { readJsonText } from './json-text';
import { flattenSettings, isPlainObject, knownKey, mergePatch, settingAt, type AppliesAt, type SettingKey, type SettingsObject } from './settings-keys';

export * from './settings-keys';

/** What `GET /settings/daemon` answers, and what `codepiper config` reads when no daemon runs. */
export interface SettingsState {
  path: string;
  exists: boolean;
  /** The file's settings as read (checked or not); null when the file is not plain JSON. */
  settings: SettingsObject | null;
  /** Every problem of the file, syntax and schema; empty when it is fine (or absent). */
  problems: FileProblem[];
  /** Some value in the file differs from what the running daemon applies, and only a restart applies it. */
  restartRequired: boolean;
  restartKeys: string[];
  keys: SettingKey[];
}

export interface SettingsUpdate extends SettingsState {
  /** Leaf keys whose value the patch changed (added, changed or removed). */
  changed: string[];
  /** Those of `changed` the running daemon applied at once. */
  applied: string[];
}

// ---------------------------------------------------------------------------------------------------------------------
// What the schema knows

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
}

/** The schema under its optional/nullable/default/pipe wrappers, and what any layer declares of when it applies. */
function unwrapped(schema: z.ZodType): { inner: z.ZodType; appliesAt?: AppliesAt; description?: string } {
  let at = schema;
  let appliesAt: AppliesAt | undefined;
  let description: string | undefined;
  for (let depth = 0; depth < 16; depth++) {
    const meta = at.meta() as { appliesAt?: AppliesAt; description?: string } | undefined;
    appliesAt ??= meta?.appliesAt;
    description ??= meta?.description ?? at.description;
    const def = at._zod.def as unknown as SchemaDef;
    const inner = def.type === 'pipe' ? def.in : def.innerType;
    if (!inner) break;
    at = inner;
  }
  return { inner: at, ...(appliesAt ? { appliesAt } : {}), ...(description ? { description } : {}) };
}

/**
 * Every key of the schema, parents before children, in the schema's order: objects (which hold keys) and values.
 * When a key applies is inherited from the nearest parent that says; "restart" when none does.
 */
export function schemaKeys(schema: z.ZodType = configSchema): SettingKey[] {
  const keys: SettingKey[] = [];
  const walk = (node: z.ZodType, prefix: string, inherited: AppliesAt | undefined) => {
    const { inner, appliesAt, description } = unwrapped(node);
    const applies = appliesAt ?? inherited;
    const def = inner._zod.def as unknown as SchemaDef;
    const children: Array<[string, z.ZodType]> =
      def.type === 'object' ? Object.entries(def.shape ?? {}) : def.type === 'record' && def.valueType ? [['*', def.valueType]] : [];
    if (prefix) keys.push({ key: prefix, kind: children.length ? 'object' : 'value', appliesAt: applies ?? 'restart', ...(description ? { description } : {}) });
    for (const [name, child] of children) walk(child, prefix ? `${prefix}.${name}` : name, applies);
  };
  walk(schema, '', undefined);
  return keys;
}

/** When a leaf key applies: that of the deepest known key above or at it ("restart" for anything unknown). */
function appliesAtKey(keys: readonly SettingKey[], key: string): AppliesAt {
  const parts = key.split('.');
  for (let n = parts.length; n > 0; n--) {
    const known = knownKey(keys, parts.slice(0, n).join('.'));
    if (known) return known.appliesAt;
  }
  return 'restart';
}

// ---------------------------------------------------------------------------------------------------------------------
// Reading, checking and writing the file

interface FileRead {
  exists: boolean;
  text: string | undefined;
  /** The top-level value when the text is plain JSON, whatever the schema says of it. */
  raw: unknown;
  plainJson: boolean;
  problems: FileProblem[];
}

function readFile(file: string, schema: z.ZodType): FileRead {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, text: undefined, raw: {}, plainJson: true, problems: [] };
    throw new AppError('CONFIG_INVALID', `cannot read the config file ${file}: ${(error as Error).message}`, { cause: error });
  }
  // An empty file holds nothing a rewrite could lose (the daemon refuses it all the same: it is reported).
  if (text.trim() === '') return { exists: true, text, raw: {}, plainJson: true, problems: checkJsonText(text, schema).problems };
  const syntax = readJsonText(text.replace(/^\uFEFF/, ''));
  const { problems } = checkJsonText(text.replace(/^\uFEFF/, ''), schema);
  return { exists: true, text, raw: syntax.problems.length ? undefined : syntax.value, plainJson: syntax.problems.length === 0, problems };
}

/** The differences between two settings objects, as leaf keys. */
function differingKeys(a: unknown, b: unknown): string[] {
  const left = new Map(flattenSettings(a));
  const right = new Map(flattenSettings(b));
  const keys = [...new Set([...left.keys(), ...right.keys()])];
  return keys.filter((key) => JSON.stringify(left.get(key)) !== JSON.stringify(right.get(key)));
}

/**
 * The file's state. `running` is the configuration the daemon applies (its live object), when a daemon asks: the keys
 * whose value in the file differs from it are the ones a restart would apply.
 */
export function readSettings(file: string, running?: SettingsObject, schema: z.ZodType = configSchema): SettingsState {
  const read = readFile(file, schema);
  const keys = schemaKeys(schema);
  const settings = !read.exists ? {} : read.plainJson && isPlainObject(read.raw) ? read.raw : null;
  const restartKeys = running && read.problems.length === 0 ? differingKeys(settings, running) : [];
  return { path: file, exists: read.exists, settings, problems: read.problems, restartRequired: restartKeys.length > 0, restartKeys, keys };
}

/** Each problem of a settings value against the schema, as `{path, message}`. */
export function settingsProblems(value: unknown, schema: z.ZodType = configSchema): Array<{ path: string; message: string }> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: describeIssue(issue, value, schema) }));
}

export interface UpdateOptions {
  /** The running daemon's configuration: keys that apply at once are set in it, in place. */
  running?: SettingsObject;
  schema?: z.ZodType;
  /** The file system calls of the write (tests make one fail). */
  io?: AtomicWriteIo;
}

/**
 * Applies a JSON merge patch to the file: the result is checked against the schema (every problem at once, nothing
 * written when there is one), written atomically, and the keys that apply at once are set in `running`.
 *
 * A file that is not plain JSON (comments, trailing commas, ...) is refused, not rewritten: writing it back would drop
 * what the user put there by hand. A file that is plain JSON but breaks the schema may be patched, so that a patch can
 * remove the key that breaks it.
 */
export function updateSettings(file: string, patch: unknown, options: UpdateOptions = {}): SettingsUpdate {
  const schema = options.schema ?? configSchema;
  const target = realTarget(file);
  const read = readFile(target, schema);
  if (!read.plainJson) {
    const shown = read.problems.slice(0, 5).map((p) => `line ${p.line}, column ${p.column}: ${p.message}`);
    throw new AppError(
      'CONFIG_INVALID',
      `the config file ${file} is not plain JSON, which the daemon needs too (${shown.join('; ')}): nothing was written, so as not to drop what was written there by hand; fix it by hand`,
      { status: 409, details: { file, problems: read.problems } },
    );
  }
  if (!isPlainObject(patch)) throw new AppError('CONFIG_INVALID', 'the settings change must be a JSON object (a JSON merge patch: null removes a key)');
  const merged = mergePatch(read.raw, patch);
  const problems = settingsProblems(merged, schema);
  if (problems.length) {
    const head = problems.length === 1 ? 'the change would leave the config file with a problem' : `the change would leave the config file with ${problems.length} problems`;
    throw new AppError('CONFIG_INVALID', `${head}: ${problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ')}; ${file} was not changed`, {
      details: { file, problems },
    });
  }
  const changed = differingKeys(read.raw, merged);
  if (changed.length) {
    const text = JSON.stringify(merged, null, indentOf(read.text)) + '\n';
    writeFileAtomically(target, text, options.io);
  }
  const keys = schemaKeys(schema);
  const applied = options.running ? applyLive(options.running, merged as SettingsObject, keys) : [];
  const state = readSettings(file, options.running, schema);
  return { ...state, changed, applied: applied.filter((key) => changed.includes(key)) };
}

/** Sets in `running` every key whose value changed and that applies at once; returns those keys. */
function applyLive(running: SettingsObject, settings: SettingsObject, keys: readonly SettingKey[]): string[] {
  const applied: string[] = [];
  for (const key of differingKeys(running, settings)) {
    if (appliesAtKey(keys, key) !== 'now') continue;
    const parts = key.split('.');
    const value = settingAt(settings, parts);
    let at: SettingsObject = running;
    for (const part of parts.slice(0, -1)) {
      if (!isPlainObject(at[part])) at[part] = {};
      at = at[part] as SettingsObject;
    }
    if (value === undefined) delete at[parts.at(-1)!];
    else at[parts.at(-1)!] = structuredClone(value);
    applied.push(key);
  }
  return applied;
}

/** The indentation the file uses (two spaces when it has none, or is new), so a rewrite keeps its look. */
function indentOf(text: string | undefined): string | number {
  return /\n([ \t]+)"/.exec(text ?? '')?.[1] ?? 2;
}

/** A config file that is a symbolic link (kept with dotfiles, say) is written through: the link stays a link. */
function realTarget(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

export type AtomicWriteIo = Pick<typeof fs, 'openSync' | 'writeSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync' | 'mkdirSync'>;

/**
 * Writes `text` to `file` so that a reader only ever sees the old file or the new one, whole: a temporary file in the
 * same directory (mode 0600), flushed to disk, then renamed over the file, then the directory flushed. Anything that
 * fails leaves the old file as it was and removes the temporary one.
 */
export function writeFileAtomically(file: string, text: string, io: AtomicWriteIo = fs): void {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    io.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = io.openSync(temp, 'wx', 0o600);
    try {
      const bytes = Buffer.from(text, 'utf8');
      for (let written = 0; written < bytes.length; ) written += io.writeSync(fd, bytes, written, bytes.length - written);
      io.fsyncSync(fd);
    } finally {
      io.closeSync(fd);
    }
    io.renameSync(temp, file);
  } catch (error) {
    try {
      io.rmSync(temp, { force: true });
    } catch {
      /* nothing to remove */
    }
    const code = (error as NodeJS.ErrnoException).code;
    const storage = code === 'ENOSPC' || code === 'EDQUOT' ? 'STORAGE_FULL' : 'STORAGE_UNAVAILABLE';
    throw new AppError(storage, `cannot write ${file}: ${(error as Error).message}; the file was left as it was`, { cause: error });
  }
  try {
    const dirFd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch {
    /* some file systems cannot flush a directory; the rename is done either way */
  }
}
