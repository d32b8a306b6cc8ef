/**
 * A forgiving reader for the JSON files people write by hand (config.json, prices): it goes on past a mistake so that
 * every problem of the file is reported at once, each at its line and column, and it remembers where each key and
 * value starts so that a schema's complaint can point at its line too. JSON.parse stops at the first mistake and, on
 * Node 20, often without saying where.
 */

export interface JsonProblem {
  offset: number;
  message: string;
}

export interface JsonText {
  /** The value as JSON.parse gives it when there are no problems; else what could be made of the rest. */
  value: unknown;
  problems: JsonProblem[];
  /** Where the key (in an object) or the value (in an array, or the top) at a path starts: see pathKey. */
  positions: Map<string, number>;
  /** Paths whose value could not be read: a schema's complaint about them (or below them) says nothing new. */
  broken: string[][];
}

/** The key of a path in JsonText.positions. */
export function pathKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(path.map(String));
}

/** 1-based line and column of `offset` in `text` (columns count UTF-16 units, as editors mostly do). */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

const BROKEN = Symbol('broken');

export function readJsonText(text: string): JsonText {
  const problems: JsonProblem[] = [];
  const positions = new Map<string, number>();
  const broken: string[][] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte-order mark is not a mistake worth a word

  // One mistake at a place is one problem: what follows from it there (no ":", so no value either) is not another.
  const problem = (offset: number, message: string) => {
    if (problems.at(-1)?.offset !== offset) problems.push({ offset, message });
  };
  const describe = (at: number) => (at >= text.length ? 'the end of the file' : JSON.stringify(text[at]));

  function skipSpace(): void {
    for (;;) {
      while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
      if (text.startsWith('//', i) || text.startsWith('/*', i)) {
        problem(i, 'comments are not allowed in JSON');
        const end = text.startsWith('//', i) ? text.indexOf('\n', i) : text.indexOf('*/', i + 2);
        i = end === -1 ? text.length : text.startsWith('//', i) ? end : end + 2;
        continue;
      }
      return;
    }
  }

  /** Past a value that cannot be read: up to the next comma, closing bracket or line end at this level. */
  function skipToDelimiter(): void {
    while (i < text.length && !',}]\n'.includes(text[i]!)) i++;
  }

  function readString(): string {
    const quote = text[i]!;
    const start = i++;
    if (quote === "'") problem(start, 'strings need double quotes, not single quotes');
    let raw = '';
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\n') break;
      if (text[i] === '\\') raw += text[i++];
      raw += text[i++] ?? '';
    }
    if (text[i] !== quote) {
      problem(start, 'this string has no closing quote');
      return raw;
    }
    i++;
    try {
      return JSON.parse(`"${quote === "'" ? raw.replace(/\\'/g, "'").replace(/"/g, '\\"') : raw}"`) as string;
    } catch {
      problem(start, 'this string has an invalid escape or control character');
      return raw;
    }
  }

  function readValue(path: string[]): unknown {
    skipSpace();
    const start = i;
    if (!positions.has(pathKey(path))) positions.set(pathKey(path), start);
    const c = text[i];
    if (c === '{') return readObject(path);
    if (c === '[') return readArray(path);
    if (c === '"' || c === "'") return readString();
    const word = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)(?![\w.+-])/.exec(text.slice(i));
    if (word) {
      i += word[0].length;
      return JSON.parse(word[0]);
    }
    problem(start, `expected a value here, found ${c === undefined ? 'the end of the file' : JSON.stringify(text.slice(i).match(/^[^\s,}\]]{1,20}/)?.[0] ?? c)}`);
    broken.push(path);
    skipToDelimiter();
    if (i === start) i++; // a stray "}" or "]": step over it, so that reading always moves on
    return BROKEN;
  }

  function readObject(path: string[]): Record<string, unknown> {
    const object: Record<string, unknown> = {};
    i++; // {
    let comma = -1;
    for (;;) {
      skipSpace();
      if (text[i] === '}') {
        if (comma >= 0) problem(comma, 'a comma before "}": remove it');
        i++;
        return object;
      }
      if (i >= text.length) {
        problem(i, 'the file ends inside an object: a "}" is missing');
        return object;
      }
      const keyAt = i;
      let key: string;
      if (text[i] === '"' || text[i] === "'") key = readString();
      else {
        const bare = /^[A-Za-z_$][\w$-]*/.exec(text.slice(i));
        if (!bare) {
          problem(i, `expected a key in double quotes, found ${describe(i)}`);
          skipToDelimiter();
          if (i === keyAt || text[i] === ',' || text[i] === '\n') i++;
          continue;
        }
        problem(i, `keys need double quotes: "${bare[0]}"`);
        key = bare[0];
        i += bare[0].length;
      }
      positions.set(pathKey([...path, key]), keyAt);
      skipSpace();
      if (text[i] === ':') i++;
      else problem(i, `expected ":" after the key "${key}", found ${describe(i)}`);
      const value = readValue([...path, key]);
      if (value !== BROKEN) object[key] = value;
      skipSpace();
      comma = -1;
      if (text[i] === ',') {
        comma = i++;
        continue;
      }
      if (text[i] === '}' || i >= text.length) continue;
      // Most often a forgotten comma between two members: say so and read on.
      problem(i, text[i] === '"' ? `a comma is missing after the value of "${key}"` : `expected "," or "}" after the value of "${key}", found ${describe(i)}`);
      if (text[i] !== '"') {
        skipToDelimiter();
        if (text[i] === ',' || text[i] === '\n') i++;
      }
    }
  }

  function readArray(path: string[]): unknown[] {
    const array: unknown[] = [];
    i++; // [
    let comma = -1;
    for (;;) {
      skipSpace();
      if (text[i] === ']') {
        if (comma >= 0) problem(comma, 'a comma before "]": remove it');
        i++;
        return array;
      }
      if (i >= text.length) {
        problem(i, 'the file ends inside a list: a "]" is missing');
        return array;
      }
      const value = readValue([...path, String(array.length)]);
      array.push(value === BROKEN ? null : value);
      skipSpace();
      comma = -1;
      if (text[i] === ',') {
        comma = i++;
        continue;
      }
      if (text[i] === ']' || i >= text.length) continue;
      problem(i, `expected "," or "]" after an item, found ${describe(i)}`);
      skipToDelimiter();
      if (text[i] === ',' || text[i] === '\n') i++;
    }
  }

  skipSpace();
  if (i >= text.length) {
    problem(i, 'the file is empty (an empty configuration is {})');
    return { value: undefined, problems, positions, broken: [[]] };
  }
  let value = readValue([]);
  skipSpace();
  if (i < text.length) problem(i, `unexpected ${describe(i)} after the end of the JSON value`);
  if (value === BROKEN) value = undefined;
  // Exactly JSON's own reading when it can have one (after the byte-order mark, which JSON.parse refuses).
  if (problems.length === 0) value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  return { value, problems, positions, broken };
}
