import { AppError } from '../core/errors';

/**
 * Variables in the .env format: `KEY=VALUE` lines, an optional `export ` before the key, `#` comments and blank
 * lines skipped; a value in double quotes takes \n, \t, \" and \\ escapes, in single quotes is taken as it is,
 * unquoted is trimmed (a ` #` starts a comment). `where` names the source in errors; an error names the line, never
 * its value.
 */
export function parseDotenv(text: string, where: string): Record<string, string> {
  const variables: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new AppError('USAGE', `${where}, line ${index + 1}: expected KEY=VALUE (a name of letters, digits and "_")`);
    variables[match[1]!] = dotenvValue(match[2]!, `${where}, line ${index + 1}`);
  });
  return variables;
}

function dotenvValue(text: string, where: string): string {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    const end = quote === "'" ? text.indexOf("'", 1) : closingDoubleQuote(text);
    if (end < 0) throw new AppError('USAGE', `${where}: the value's ${quote === '"' ? 'double' : 'single'} quote is not closed`);
    const rest = text.slice(end + 1).trim();
    if (rest !== '' && !rest.startsWith('#')) throw new AppError('USAGE', `${where}: text after the closing quote`);
    const inner = text.slice(1, end);
    if (quote === "'") return inner;
    return inner.replace(/\\([nrt"\\])/g, (_all, escape: string) => ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' })[escape]!);
  }
  const comment = text.search(/\s#/);
  return (comment >= 0 ? text.slice(0, comment) : text).trim();
}

function closingDoubleQuote(text: string): number {
  for (let at = 1; at < text.length; at += 1) {
    if (text[at] === '\\') at += 1;
    else if (text[at] === '"') return at;
  }
  return -1;
}
