/**
 * `<column> = dir OR <column> below dir`, for the "this directory or below it" filters of analytics, search and the
 * library. A prefix test on `dir/`, so /work/app does not take in /work/application.
 */
export function underDirectory(column: string, dir: string): { sql: string; params: unknown[] } {
  const cwd = dir.replace(/\/+$/, '') || '/';
  return { sql: `(${column} = ? OR substr(${column}, 1, ?) = ?)`, params: [cwd, cwd.length + 1, cwd === '/' ? '/' : `${cwd}/`] };
}

/**
 * The conditions of a WHERE clause and their parameters, added side by side so that they cannot fall out of step:
 * the filters of analytics, search and the library are built with it.
 */
export class Conditions {
  readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  add(sql: string, ...params: unknown[]): this {
    this.clauses.push(sql);
    this.params.push(...params);
    return this;
  }

  /** `column` is `dir` or a directory below it. */
  under(column: string, dir: string): this {
    const { sql, params } = underDirectory(column, dir);
    return this.add(sql, ...params);
  }

  /** "a AND b", or `empty` when there is no condition. */
  joined(empty = '1'): string {
    return this.clauses.length ? this.clauses.join(' AND ') : empty;
  }
}
