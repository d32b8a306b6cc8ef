/**
 * `<column> = dir OR <column> below dir`, for the "this directory or below it" filters of analytics, search and the
 * library. A prefix test on `dir/`, so /work/app does not take in /work/application.
 */
export function underDirectory(column: string, dir: string): { sql: string; params: unknown[] } {
  const cwd = dir.replace(/\/+$/, '') || '/';
  return { sql: `(${column} = ? OR substr(${column}, 1, ?) = ?)`, params: [cwd, cwd.length + 1, cwd === '/' ? '/' : `${cwd}/`] };
}
