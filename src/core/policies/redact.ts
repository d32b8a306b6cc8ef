/** Keys whose values are never written to the audit log. */
const SECRET_KEY = /(?:pass(?:word|wd|phrase)?|secret|token|api[-_]?key|access[-_]?key|auth(?:orization)?|credential|private[-_]?key|cookie)/i;

/** Longest text kept per value: file contents and edits are cut (the audit needs what was asked, not the whole file). */
const MAX_TEXT = 4096;

/** Secrets as they appear inside text, each with what replaces it. Order matters: whole blocks first. */
const SECRET_TEXT: Array<[RegExp, string | ((...groups: string[]) => string)]> = [
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g, '[REDACTED PRIVATE KEY]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, '[REDACTED]'],
  [/\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|[sr]k_(?:live|test)_[A-Za-z0-9]{10,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{30,}|glpat-[A-Za-z0-9_-]{16,})/g, '[REDACTED]'],
  [
    /\b((?:Proxy-)?Authorization|X-Api-Key|Api-Key|X-Auth-Token|Cookie|Set-Cookie)(\s*:\s*)(?:(Bearer|Basic|Token)\s+)?(?!\[REDACTED)[^"'\r\n]+/gi,
    (_match, name: string, colon: string, scheme: string | undefined) => `${name}${colon}${scheme ? `${scheme} ` : ''}[REDACTED]`,
  ],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]'],
  [/\b([A-Za-z_][A-Za-z0-9_]*(?:PASS|PWD|SECRET|TOKEN|KEY|CREDENTIAL)[A-Za-z0-9_]*)(\s*=\s*)(?!\[REDACTED)("[^"]*"|'[^']*'|\S+)/gi, '$1$2[REDACTED]'],
  [/(["']?(?:password|passwd|pwd|secret|token|api[-_]?key|access[-_]?key|secret[-_]?access[-_]?key|client[-_]?secret|private[-_]?key)["']?\s*[:=]\s*)(?!\[REDACTED)("[^"]*"|'[^']*'|[^\s,}\]]+)/gi, '$1[REDACTED]'],
  [/(--?(?:password|passwd|token|secret|api-key|apikey)(?:=|\s+))(?!\[REDACTED)("[^"]*"|'[^']*'|\S+)/gi, '$1[REDACTED]'],
  [/(\s-u\s+['"]?[^\s:'"]+:)[^\s'"]+/g, '$1[REDACTED]'],
  [/\b((?:mysql|mysqldump|mariadb|mysqladmin)\b[^\n]*?\s-p)(?=\S)(\S+)/g, '$1[REDACTED]'],
  [/(:\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1[REDACTED]@'],
];

/** A copy of `value` fit for the audit log: secret-looking keys and text replaced by [REDACTED], long text cut. */
export function redact<T>(value: T): T {
  return redactValue(value, 0) as T;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 20) return '[TOO DEEP]';
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, SECRET_KEY.test(key) && item !== null && item !== '' ? '[REDACTED]' : redactValue(item, depth + 1)]),
  );
}

export function redactText(text: string): string {
  const cut = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… [${text.length - MAX_TEXT} more characters]` : text;
  return redactSecrets(cut);
}

/** The text with secret-looking parts replaced by [REDACTED], whole (for log lines, whose length is their own). */
export function redactSecrets(text: string): string {
  return SECRET_TEXT.reduce((result, [pattern, replacement]) => result.replace(pattern, replacement as string), text);
}
