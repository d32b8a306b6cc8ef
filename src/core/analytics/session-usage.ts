import path from 'node:path';
import type Database from 'better-sqlite3';

/**
 * What ccusage calls a session, from a transcript's path: a Claude Code transcript is named by the entry right under
 * its project directory (`<project>/<id>.jsonl`, and `<project>/<id>/subagents/*.jsonl` counts with `<id>`; an old
 * subagent file `<project>/agent-<x>.jsonl` is its own `agent-<x>`), a Codex rollout by its path under `sessions/`
 * without `.jsonl` (`2026/11/13/rollout-…`). The library files both kinds of subagent under their parent conversation;
 * per-session reports follow ccusage so that their rows and totals can be checked against it.
 */
export function ccusageSessionKey(provider: string, file: string): string {
  const parts = file.split(path.sep);
  const anchor = parts.lastIndexOf(provider === 'codex' ? 'sessions' : 'projects');
  if (provider === 'codex') {
    const rel = anchor >= 0 ? parts.slice(anchor + 1).join('/') : path.basename(file);
    return rel.replace(/\.jsonl$/, '');
  }
  // parts[anchor + 1] is the project directory; the next part names the session.
  const under = anchor >= 0 && parts.length > anchor + 2 ? parts[anchor + 2]! : path.basename(file);
  return under.replace(/\.jsonl$/, '');
}

export interface SessionSums {
  input: number;
  output: number;
  cache_create: number;
  cache_read: number;
  cost: number;
}

interface LibraryRow {
  id: number;
  provider: string;
  external_id: string;
  cwd: string | null;
  title: string | null;
  custom_title: string | null;
  name: string | null;
  last_at: number | null;
}

export interface SessionUsageRow {
  sessionId: string;
  provider: string;
  /** The library conversation the tokens belong to (what `library show` and `--session` take). */
  librarySession: string;
  title: string | null;
  cwd: string | null;
  lastActivity: string | null;
  models: string[];
  sums: SessionSums;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Tokens and cost per session as ccusage keys them. Sums come from the per-session rollups; only a conversation whose
 * files carry several ccusage names (an old-layout subagent file beside its parent) is split, from its own entries.
 * `scope` restricts `r.session_id` of the rollups (directory, one conversation).
 */
export function sessionUsage(db: Database.Database, from: number, to: number, scope: { sql: string; params: unknown[] }): SessionUsageRow[] {
  const perSession = db
    .prepare<unknown[], SessionSums & { sid: number; model: string }>(
      // The rollup's session index would be read row by row in the primary key: a plain scan is several times faster.
      `SELECT +r.session_id sid, r.model model, sum(r.input) input, sum(r.output) output, sum(r.cache_create) cache_create,
              sum(r.cache_read) cache_read, sum(r.cost) cost
       FROM usage_rollup r WHERE r.bucket >= ? AND r.bucket < ? AND r.entries > 0${scope.sql} GROUP BY sid, r.model`,
    )
    .all(from, to, ...scope.params);
  if (perSession.length === 0) return [];
  const sessions = new Map(
    db
      .prepare<[], LibraryRow>('SELECT id, provider, external_id, cwd, title, custom_title, name, last_at FROM library_sessions')
      .all()
      .map((row) => [row.id, row]),
  );
  const keysOf = new Map<number, Set<string>>();
  const fileKey = new Map<number, string>();
  for (const file of db.prepare<[], { id: number; path: string; provider: string; session_id: number | null }>('SELECT id, path, provider, session_id FROM transcript_files').all()) {
    const key = ccusageSessionKey(file.provider, file.path);
    fileKey.set(file.id, key);
    if (file.session_id === null) continue;
    let keys = keysOf.get(file.session_id);
    if (!keys) keysOf.set(file.session_id, (keys = new Set()));
    keys.add(key);
  }

  const rows = new Map<string, SessionUsageRow & { modelSet: Set<string>; lastMs: number | null }>();
  const add = (library: LibraryRow, key: string, model: string, sums: SessionSums, lastAt: number | null) => {
    const id = `${library.provider}\0${key}`;
    let row = rows.get(id);
    if (!row) {
      row = {
        sessionId: key,
        provider: library.provider,
        librarySession: library.external_id,
        title: library.name ?? library.custom_title ?? library.title,
        cwd: library.cwd,
        lastActivity: null,
        lastMs: lastAt,
        models: [],
        modelSet: new Set(),
        sums: { input: 0, output: 0, cache_create: 0, cache_read: 0, cost: 0 },
      };
      rows.set(id, row);
    }
    row.modelSet.add(model);
    if (lastAt !== null && (row.lastMs === null || lastAt > row.lastMs)) row.lastMs = lastAt;
    row.sums.input += sums.input;
    row.sums.output += sums.output;
    row.sums.cache_create += sums.cache_create;
    row.sums.cache_read += sums.cache_read;
    row.sums.cost += sums.cost;
  };

  const split = db.prepare<unknown[], SessionSums & { file_id: number; model: string; last: number }>(
    `SELECT file_id, model, sum(input) input, sum(output) output, sum(cache_create) cache_create, sum(cache_read) cache_read,
            sum(coalesce(cost, 0)) cost, max(ts) last
     FROM usage_entries WHERE session_id = ? AND kept = 1 AND ts >= ? AND ts < ? GROUP BY file_id, model`,
  );
  const splitDone = new Set<number>();
  for (const row of perSession) {
    const library = sessions.get(row.sid);
    if (!library) continue;
    const keys = keysOf.get(row.sid);
    if (!keys || keys.size <= 1) {
      add(library, keys ? [...keys][0]! : library.external_id, row.model, row, library.last_at);
      continue;
    }
    if (splitDone.has(row.sid)) continue;
    splitDone.add(row.sid);
    // Bucket bounds, as the rollups use: both halves of a report count the same entries.
    for (const part of split.all(row.sid, from * 900_000, to * 900_000)) add(library, fileKey.get(part.file_id) ?? library.external_id, part.model, part, part.last);
  }
  return [...rows.values()].map(({ modelSet, lastMs, ...row }) => ({ ...row, lastActivity: iso(lastMs), models: [...modelSet].sort() }));
}
