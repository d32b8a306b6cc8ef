import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { AppError } from '../errors';
import type { TranscriptIndexer } from '../transcripts/indexer';
import { Conditions } from '../transcripts/scope';
import { renderExport, type ExportFormat } from './export';
import type { Provider } from '../transcripts/records';
import { moveToTrash, restoreFromTrash, type TrashPlace } from './trash';

export interface LibraryListInput {
  provider?: string;
  cwd?: string;
  /** Words of the title (case-insensitive substring). */
  q?: string;
  tag?: string;
  favourite?: boolean;
  sort?: 'recent' | 'oldest' | 'tokens' | 'cost' | 'messages';
  limit?: number;
  offset?: number;
}

export interface TagView {
  id: number;
  name: string;
  /** The tag's full name from the root, `parent/child`. */
  path: string;
  parentId: number | null;
  color: string | null;
  sessions: number;
}

interface SessionRow {
  id: number;
  provider: string;
  external_id: string;
  cwd: string | null;
  git_branch: string | null;
  model: string | null;
  title: string | null;
  custom_title: string | null;
  name: string | null;
  first_at: number | null;
  last_at: number | null;
  message_count: number;
  favourite: number;
  managed_id: string | null;
}

/** A deleted conversation's library facts and where its files went (migration 006), while it is out of the index. */
interface KeptRow {
  provider: Provider;
  external_id: string;
  files: string;
}

interface TagRow {
  id: number;
  name: string;
  parent_id: number | null;
  color: string | null;
}

const COLOR = /^#[0-9a-fA-F]{6}$/;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * The session library: every conversation in the transcript index, whoever started it, with rename, tags,
 * favourites, export and delete-to-trash. Public ids are the agents' own session ids (unique prefixes accepted).
 */
export class Library {
  constructor(
    private readonly db: Database.Database,
    private readonly indexer: TranscriptIndexer,
    private readonly trash: () => TrashPlace,
  ) {}

  /** A library session by its id, a unique prefix of it (4+ characters), or a managed session's id or name. */
  resolve(ref: string): SessionRow {
    const exact = this.db.prepare<[string], SessionRow>('SELECT * FROM library_sessions WHERE external_id = ?').all(ref);
    if (exact.length === 1) return exact[0]!;
    const managed = this.db.prepare<[string, string], { agent_session_id: string | null }>('SELECT agent_session_id FROM sessions WHERE id = ? OR name = ?').get(ref, ref);
    if (managed?.agent_session_id) {
      const row = this.db.prepare<[string], SessionRow>('SELECT * FROM library_sessions WHERE external_id = ?').get(managed.agent_session_id);
      if (row) return row;
    }
    if (ref.length >= 4 && !/[%_\\]/.test(ref)) {
      const prefixed = this.db.prepare<[string], SessionRow>("SELECT * FROM library_sessions WHERE external_id LIKE ? || '%' LIMIT 6").all(ref);
      if (prefixed.length === 1) return prefixed[0]!;
      if (prefixed.length > 1) {
        throw new AppError('LIBRARY_SESSION_AMBIGUOUS', `"${ref}" matches several sessions (${prefixed.map((r) => r.external_id).join(', ')}): give more of the id`);
      }
    }
    throw new AppError('LIBRARY_SESSION_NOT_FOUND', `no session "${ref}" in the library (ids come from codepiper library list)`);
  }

  list(input: LibraryListInput) {
    const where = new Conditions();
    if (input.provider) where.add('s.provider = ?', input.provider);
    if (input.cwd) where.under('s.cwd', input.cwd);
    if (input.q) {
      where.add("lower(coalesce(s.name, s.custom_title, s.title, '')) LIKE '%' || lower(?) || '%' ESCAPE '\\'", input.q.replace(/[%_\\]/g, (c) => `\\${c}`));
    }
    if (input.favourite !== undefined) where.add('s.favourite = ?', input.favourite ? 1 : 0);
    if (input.tag) {
      const tag = this.resolveTag(input.tag);
      // A tag covers its descendants.
      where.add(
        `s.id IN (SELECT session_id FROM session_tags WHERE tag_id IN (
        WITH RECURSIVE sub(id) AS (SELECT ? UNION SELECT t.id FROM tags t JOIN sub ON t.parent_id = sub.id) SELECT id FROM sub))`,
        tag.id,
      );
    }
    const filter = `WHERE ${where.joined()}`;
    const params = where.params;
    const total = this.db.prepare<unknown[], { n: number }>(`SELECT count(*) n FROM library_sessions s ${filter}`).get(...params)!.n;
    const totals = `(SELECT sum(input + output + cache_create + cache_read) FROM usage_rollup WHERE session_id = s.id)`;
    const costs = `(SELECT sum(cost) FROM usage_rollup WHERE session_id = s.id)`;
    const order = {
      recent: 's.last_at DESC, s.id DESC',
      oldest: 's.first_at ASC, s.id',
      tokens: `${totals} DESC, s.id`,
      cost: `${costs} DESC, s.id`,
      messages: 's.message_count DESC, s.id',
    }[input.sort ?? 'recent'];
    const rows = this.db
      .prepare<unknown[], SessionRow>(`SELECT s.* FROM library_sessions s ${filter} ORDER BY ${order} LIMIT ? OFFSET ?`)
      .all(...params, input.limit ?? 50, input.offset ?? 0);
    return { total, sessions: this.views(rows) };
  }

  private views(rows: SessionRow[]) {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const marks = ids.map(() => '?').join(',');
    const usage = new Map(
      this.db
        .prepare<number[], { session_id: number; input: number; output: number; cache_create: number; cache_read: number; cost: number; unpriced: number }>(
          `SELECT session_id, sum(input) input, sum(output) output, sum(cache_create) cache_create, sum(cache_read) cache_read,
                  sum(cost) cost, sum(unpriced) unpriced FROM usage_rollup WHERE session_id IN (${marks}) GROUP BY session_id`,
        )
        .all(...ids)
        .map((u) => [u.session_id, u]),
    );
    const tags = new Map<number, string[]>();
    const allTags = this.tagPaths();
    for (const row of this.db.prepare<number[], { session_id: number; tag_id: number }>(`SELECT session_id, tag_id FROM session_tags WHERE session_id IN (${marks})`).all(...ids)) {
      const list = tags.get(row.session_id) ?? [];
      list.push(allTags.get(row.tag_id) ?? String(row.tag_id));
      tags.set(row.session_id, list);
    }
    const managed = new Map(
      this.db
        .prepare<[], { id: string; name: string | null; state: string; agent_session_id: string }>('SELECT id, name, state, agent_session_id FROM sessions WHERE agent_session_id IS NOT NULL')
        .all()
        .map((m) => [m.agent_session_id, m]),
    );
    return rows.map((r) => {
      const u = usage.get(r.id);
      const m = managed.get(r.external_id);
      return {
        id: r.external_id,
        provider: r.provider,
        title: r.name ?? r.custom_title ?? r.title,
        name: r.name,
        cwd: r.cwd,
        gitBranch: r.git_branch,
        model: r.model,
        firstActivity: iso(r.first_at),
        lastActivity: iso(r.last_at),
        messageCount: r.message_count,
        inputTokens: u?.input ?? 0,
        outputTokens: u?.output ?? 0,
        cacheCreationTokens: u?.cache_create ?? 0,
        cacheReadTokens: u?.cache_read ?? 0,
        totalTokens: u ? u.input + u.output + u.cache_create + u.cache_read : 0,
        totalCost: u ? Math.round(u.cost * 1e4) / 1e4 : 0,
        unpricedTokens: u?.unpriced ?? 0,
        tags: (tags.get(r.id) ?? []).sort(),
        favourite: r.favourite === 1,
        managed: m ? { id: m.id, name: m.name, state: m.state } : null,
      };
    });
  }

  get(ref: string, page: { limit?: number; offset?: number } = {}) {
    const row = this.resolve(ref);
    const [view] = this.views([row]);
    const files = this.db
      .prepare<[number], { path: string; size: number; offset: number; lines: number; bad_lines: number; error: string | null }>(
        'SELECT path, size, offset, lines, bad_lines, error FROM transcript_files WHERE session_id = ? ORDER BY path',
      )
      .all(row.id)
      .map((f) => ({ path: f.path, bytesIndexed: f.offset, lines: f.lines, badLines: f.bad_lines, error: f.error }));
    const limit = page.limit ?? 500;
    const offset = page.offset ?? 0;
    const totalMessages = this.db.prepare<[number], { n: number }>('SELECT count(*) n FROM messages WHERE session_id = ?').get(row.id)!.n;
    return { session: view!, files, totalMessages, messages: this.messages(row.id, limit, offset) };
  }

  private messages(sessionId: number, limit: number, offset: number) {
    return this.db
      .prepare<[number, number, number], { id: number; ts: number; role: string; kind: string; tool: string | null; text: string; input: string | null; sidechain: number; copy: number }>(
        'SELECT id, ts, role, kind, tool, text, input, sidechain, copy FROM messages WHERE session_id = ? ORDER BY ts, id LIMIT ? OFFSET ?',
      )
      .all(sessionId, limit, offset)
      .map((m) => ({ id: m.id, timestamp: new Date(m.ts).toISOString(), role: m.role, kind: m.kind, tool: m.tool, text: m.text, input: m.input, sidechain: m.sidechain === 1 }));
  }

  rename(ref: string, name: string | null) {
    const row = this.resolve(ref);
    this.db.prepare('UPDATE library_sessions SET name = ? WHERE id = ?').run(name, row.id);
    return this.views([{ ...row, name }])[0]!;
  }

  setFavourite(ref: string, favourite?: boolean) {
    const row = this.resolve(ref);
    const value = favourite ?? row.favourite === 0;
    this.db.prepare('UPDATE library_sessions SET favourite = ? WHERE id = ?').run(value ? 1 : 0, row.id);
    return this.views([{ ...row, favourite: value ? 1 : 0 }])[0]!;
  }

  export(ref: string, format: ExportFormat) {
    const row = this.resolve(ref);
    const [view] = this.views([row]);
    const messages = this.messages(row.id, 1e9, 0).map(({ id: _id, ...m }) => m);
    const rendered = renderExport(
      format,
      {
        id: view!.id,
        provider: view!.provider,
        title: view!.title,
        cwd: view!.cwd,
        gitBranch: view!.gitBranch,
        model: view!.model,
        firstAt: view!.firstActivity,
        lastAt: view!.lastActivity,
        messageCount: view!.messageCount,
        totalTokens: view!.totalTokens,
        totalCost: view!.totalCost,
        tags: view!.tags,
      },
      messages,
    );
    const stem = (view!.title ?? view!.id).replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60) || view!.id;
    return { format, filename: `${stem}.${rendered.extension}`, mimeType: rendered.mimeType, content: rendered.content };
  }

  /**
   * Moves the session's transcript files to the trash, then removes its index rows. A file that cannot be moved stops
   * the deletion before any row is touched; files already gone from disk are reported as such.
   */
  delete(ref: string) {
    const row = this.resolve(ref);
    const files = this.db.prepare<[number], { id: number; path: string }>('SELECT id, path FROM transcript_files WHERE session_id = ?').all(row.id);
    const place = this.trash();
    const trashed: Array<{ from: string; to: string }> = [];
    const missing: string[] = [];
    for (const file of files) {
      if (!fs.existsSync(file.path)) {
        missing.push(file.path);
        continue;
      }
      trashed.push({ from: file.path, to: moveToTrash(file.path, place) });
      // A subagent's folder (<session>/subagents) left empty goes too; project folders stay.
      if (path.basename(path.dirname(file.path)) === 'subagents') removeEmptyDirs(path.dirname(file.path), 2);
    }
    this.db.transaction(() => {
      for (const file of files) this.indexer.dropFileRows(file.id);
      this.db.prepare('DELETE FROM transcript_files WHERE session_id = ?').run(row.id);
      this.db.prepare('DELETE FROM messages WHERE session_id = ?').run(row.id);
      this.db.prepare('DELETE FROM usage_entries WHERE session_id = ?').run(row.id);
      this.keep(row, trashed);
      this.db.prepare('DELETE FROM library_sessions WHERE id = ?').run(row.id);
    })();
    this.indexer.forgetSessions();
    return { id: row.external_id, trash: place, trashed, missing };
  }

  /**
   * Keeps what only the library knows of a conversation (name, favourite, tags) and where its files went, by its
   * identity: when the conversation is indexed again, however its files came back, a trigger gives them back.
   */
  private keep(row: SessionRow, trashed: Array<{ from: string; to: string }>): void {
    this.db
      .prepare(
        `INSERT INTO library_kept (provider, external_id, name, favourite, files, deleted_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (provider, external_id) DO UPDATE SET name = excluded.name, favourite = excluded.favourite, files = excluded.files, deleted_at = excluded.deleted_at`,
      )
      .run(row.provider, row.external_id, row.name, row.favourite, JSON.stringify(trashed), new Date().toISOString());
    this.db.prepare('DELETE FROM library_kept_tags WHERE provider = ? AND external_id = ?').run(row.provider, row.external_id);
    this.db
      .prepare('INSERT INTO library_kept_tags (provider, external_id, tag_id) SELECT ?, ?, tag_id FROM session_tags WHERE session_id = ?')
      .run(row.provider, row.external_id, row.id);
  }

  /**
   * Puts a deleted conversation's files back from the trash where they came from, has `index` read each one, and
   * answers with the conversation as the library shows it again (its name, tags and favourite come back with it).
   */
  restore(ref: string, index: (file: string, provider: Provider) => void) {
    const kept = this.resolveKept(ref);
    const restored: Array<{ from: string; to: string }> = [];
    const skipped: Array<{ path: string; reason: string }> = [];
    for (const file of JSON.parse(kept.files) as Array<{ from: string; to: string }>) {
      const outcome = restoreFromTrash(file.to, file.from);
      if (outcome === 'restored') restored.push({ from: file.to, to: file.from });
      else if (outcome === 'gone') skipped.push({ path: file.to, reason: 'no longer in the trash' });
      else skipped.push({ path: file.from, reason: 'a file is at its original path already (put back by hand?): indexed as it is' });
    }
    const back = [...restored.map((file) => file.to), ...skipped.filter((s) => !s.reason.startsWith('no longer')).map((s) => s.path)];
    if (back.length === 0) {
      throw new AppError('TRASH_FAILED', `none of ${kept.external_id}'s files is in the trash any more: ${skipped.map((s) => s.path).join(', ') || 'it had none'}`);
    }
    for (const file of back) index(file, kept.provider);
    const row = this.db.prepare<[string, string], SessionRow>('SELECT * FROM library_sessions WHERE provider = ? AND external_id = ?').get(kept.provider, kept.external_id);
    return { id: kept.external_id, session: row ? this.views([row])[0]! : null, restored, skipped };
  }

  /** A deleted conversation by its id or a unique prefix of it (4+ characters). */
  private resolveKept(ref: string): KeptRow {
    const exact = this.db.prepare<[string], KeptRow>('SELECT provider, external_id, files FROM library_kept WHERE external_id = ?').all(ref);
    if (exact.length === 1) return exact[0]!;
    if (exact.length === 0 && ref.length >= 4 && !/[%_\\]/.test(ref)) {
      const prefixed = this.db.prepare<[string], KeptRow>("SELECT provider, external_id, files FROM library_kept WHERE external_id LIKE ? || '%' LIMIT 6").all(ref);
      if (prefixed.length === 1) return prefixed[0]!;
      if (prefixed.length > 1) {
        throw new AppError('LIBRARY_SESSION_AMBIGUOUS', `"${ref}" matches several deleted sessions (${prefixed.map((r) => r.external_id).join(', ')}): give more of the id`);
      }
    }
    if (exact.length > 1) throw new AppError('LIBRARY_SESSION_AMBIGUOUS', `"${ref}" names deleted sessions of several providers`);
    const inLibrary = this.db.prepare<[string, string, string], { n: number }>("SELECT count(*) n FROM library_sessions WHERE external_id = ? OR (length(?) >= 4 AND external_id LIKE ? || '%')").get(ref, ref, ref)!.n;
    throw new AppError(
      'LIBRARY_SESSION_NOT_FOUND',
      inLibrary ? `"${ref}" is in the library, not deleted: nothing to restore` : `no deleted session "${ref}" to restore (library rm keeps what it deletes for restore)`,
    );
  }

  stats() {
    const one = <T>(sql: string) => this.db.prepare<[], T>(sql).get()!;
    const sessions = one<{ n: number; favourites: number; first: number | null; last: number | null }>(
      'SELECT count(*) n, coalesce(sum(favourite), 0) favourites, min(first_at) first, max(last_at) last FROM library_sessions',
    );
    const files = one<{ n: number; bytes: number | null; lines: number | null; bad: number | null; errors: number }>(
      'SELECT count(*) n, sum(offset) bytes, sum(lines) lines, sum(bad_lines) bad, count(error) errors FROM transcript_files',
    );
    const providers = this.db
      .prepare<[], { provider: string; sessions: number; messages: number }>('SELECT provider, count(*) sessions, sum(message_count) messages FROM library_sessions GROUP BY provider ORDER BY provider')
      .all();
    return {
      sessions: sessions.n,
      favourites: sessions.favourites,
      messages: one<{ n: number }>("SELECT count(*) n FROM messages WHERE kind IN ('prompt', 'text')").n,
      toolCalls: one<{ n: number }>("SELECT count(*) n FROM messages WHERE role = 'tool'").n,
      tags: one<{ n: number }>('SELECT count(*) n FROM tags').n,
      files: files.n,
      bytesIndexed: files.bytes ?? 0,
      lines: files.lines ?? 0,
      badLines: files.bad ?? 0,
      filesWithErrors: files.errors,
      firstActivity: iso(sessions.first),
      lastActivity: iso(sessions.last),
      providers,
    };
  }

  // ---- tags ----

  private tagPaths(): Map<number, string> {
    const rows = this.db.prepare<[], TagRow>('SELECT id, name, parent_id, color FROM tags').all();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const paths = new Map<number, string>();
    const pathOf = (row: TagRow, depth = 0): string => {
      const known = paths.get(row.id);
      if (known) return known;
      const parent = row.parent_id === null || depth > 64 ? undefined : byId.get(row.parent_id);
      const full = parent ? `${pathOf(parent, depth + 1)}/${row.name}` : row.name;
      paths.set(row.id, full);
      return full;
    };
    for (const row of rows) pathOf(row);
    return paths;
  }

  listTags(): TagView[] {
    const paths = this.tagPaths();
    const counts = new Map(this.db.prepare<[], { tag_id: number; n: number }>('SELECT tag_id, count(*) n FROM session_tags GROUP BY tag_id').all().map((r) => [r.tag_id, r.n]));
    return this.db
      .prepare<[], TagRow>('SELECT id, name, parent_id, color FROM tags')
      .all()
      .map((r) => ({ id: r.id, name: r.name, path: paths.get(r.id)!, parentId: r.parent_id, color: r.color, sessions: counts.get(r.id) ?? 0 }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** A tag by id, or by name or full path (`parent/child`). */
  resolveTag(ref: string | number): TagView {
    const tags = this.listTags();
    const found = typeof ref === 'number' || /^\d+$/.test(String(ref)) ? tags.find((t) => t.id === Number(ref)) : tags.find((t) => t.path === ref) ?? (tags.filter((t) => t.name === ref).length === 1 ? tags.find((t) => t.name === ref) : undefined);
    if (!found) throw new AppError('TAG_NOT_FOUND', `no tag "${ref}" (see codepiper library tag --list)`);
    return found;
  }

  createTag(input: { name: string; parentId?: number | null; color?: string | null }): TagView {
    checkTagName(input.name);
    if (input.color && !COLOR.test(input.color)) throw new AppError('VALIDATION_FAILED', `color: "${input.color}" is not a #rrggbb colour`);
    const parent = input.parentId == null ? null : this.resolveTag(input.parentId).id;
    try {
      const { id } = this.db.prepare<[string, number | null, string | null, string], { id: number }>('INSERT INTO tags (name, parent_id, color, created_at) VALUES (?, ?, ?, ?) RETURNING id').get(input.name, parent, input.color ?? null, new Date().toISOString())!;
      return this.resolveTag(id);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new AppError('NAME_TAKEN', `a tag named "${input.name}" already exists there`);
      throw error;
    }
  }

  updateTag(ref: string, changes: { name?: string; parentId?: number | null; color?: string | null }): TagView {
    const tag = this.resolveTag(ref);
    if (changes.name !== undefined) checkTagName(changes.name);
    if (changes.color && !COLOR.test(changes.color)) throw new AppError('VALIDATION_FAILED', `color: "${changes.color}" is not a #rrggbb colour`);
    let parent = tag.parentId;
    if (changes.parentId !== undefined) {
      parent = changes.parentId === null ? null : this.resolveTag(changes.parentId).id;
      // A tag cannot move under itself or its own descendants.
      for (let at: number | null = parent, hops = 0; at !== null && hops < 100; hops++) {
        if (at === tag.id) throw new AppError('VALIDATION_FAILED', `parentId: tag "${tag.path}" cannot be placed under itself or its descendants`);
        at = this.db.prepare<[number], { parent_id: number | null }>('SELECT parent_id FROM tags WHERE id = ?').get(at)?.parent_id ?? null;
      }
    }
    try {
      this.db.prepare('UPDATE tags SET name = ?, parent_id = ?, color = ? WHERE id = ?').run(changes.name ?? tag.name, parent, changes.color === undefined ? tag.color : changes.color, tag.id);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new AppError('NAME_TAKEN', `a tag named "${changes.name}" already exists there`);
      throw error;
    }
    return this.resolveTag(tag.id);
  }

  /** Deletes a tag and, with it, its descendants; sessions lose those tags, nothing else. */
  deleteTag(ref: string): TagView {
    const tag = this.resolveTag(ref);
    this.db.prepare('DELETE FROM tags WHERE id = ?').run(tag.id);
    return tag;
  }

  tagSession(ref: string, tagRef: string | number, on: boolean) {
    const row = this.resolve(ref);
    const tag = this.resolveTag(tagRef);
    if (on) this.db.prepare('INSERT OR IGNORE INTO session_tags (session_id, tag_id) VALUES (?, ?)').run(row.id, tag.id);
    else this.db.prepare('DELETE FROM session_tags WHERE session_id = ? AND tag_id = ?').run(row.id, tag.id);
    return this.views([row])[0]!;
  }
}

function checkTagName(name: string): void {
  if (!name.trim() || name.includes('/') || name.length > 100) {
    throw new AppError('VALIDATION_FAILED', `name: a tag name is 1 to 100 characters without "/" (nest tags with parentId instead): "${name}"`);
  }
}

/** Removes `dir` and up to `levels` - 1 parents while they are empty (a subagents folder left behind). */
function removeEmptyDirs(dir: string, levels: number): void {
  for (let i = 0; i < levels; i++) {
    try {
      fs.rmdirSync(dir);
    } catch {
      return;
    }
    dir = path.dirname(dir);
  }
}
