import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Tab completion of a directory path, the way a shell does it: the typed prefix grows to what every matching
 * directory shares, and the matches are returned to show when more than one remains. "~" is the home directory;
 * a relative path is taken from `base`. Hidden directories match only when the prefix starts with ".".
 */
export function completeDirectory(typed: string, base: string, home = os.homedir()): { value: string; candidates: string[] } {
  // The typed text is split as typed: only the part before the last "/" is resolved, so ".." and "." stay as they
  // were written and the completion is appended to exactly what the user sees.
  const text = typed === '~' ? '~/' : typed;
  const slash = text.lastIndexOf('/');
  const typedParent = text.slice(0, slash + 1);
  const prefix = text.slice(slash + 1);
  if (prefix === '..' || prefix === '.') return { value: `${text}/`, candidates: [] };
  const expandedParent = typedParent.startsWith('~/') ? path.join(home, typedParent.slice(2)) : typedParent;
  const parent = path.resolve(base, expandedParent || '.');
  let names: string[];
  try {
    names = fs
      .readdirSync(parent, { withFileTypes: true })
      .filter((entry) => (entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(path.join(parent, entry.name)))) && entry.name.startsWith(prefix))
      .filter((entry) => prefix.startsWith('.') || !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return { value: typed, candidates: [] };
  }
  if (names.length === 0) return { value: typed, candidates: [] };
  const shared = names.reduce((common, name) => {
    let i = 0;
    while (i < common.length && common[i] === name[i]) i++;
    return common.slice(0, i);
  });
  const value = typedParent + shared + (names.length === 1 ? '/' : '');
  return { value, candidates: names.length === 1 ? [] : names };
}

function isDirectory(target: string): boolean {
  try {
    return fs.statSync(target).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Splits an argument line the way a shell would for plain words: whitespace separates, single quotes keep text as
 * is, double quotes keep spaces (a backslash escapes " and \ inside them), a backslash outside quotes escapes the
 * next character. No expansion of any kind. Throws on an unclosed quote, naming it.
 */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (char === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' at column ${i + 1}`);
      current += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (char === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && (line[j + 1] === '"' || line[j + 1] === '\\')) j++;
        current += line[j];
      }
      if (j >= line.length) throw new Error(`unclosed " at column ${i + 1}`);
      i = j;
      inWord = true;
    } else if (char === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (inWord) args.push(current);
  return args;
}
