import type Database from 'better-sqlite3';
import { AppError } from '../errors';
import { Conditions } from '../transcripts/scope';

export const SEARCH_ROLES = ['all', 'user', 'assistant', 'tool'] as const;
export type SearchRole = (typeof SEARCH_ROLES)[number];

export interface SearchInput {
  q: string;
  role?: SearchRole;
  provider?: string;
  cwd?: string;
  /** A library session's numeric id (resolved by the caller). */
  sessionId?: number;
  /** recent (default): newest first, reading only the page's matches; rank: best match first (bm25), which scores every match. */
  sort?: 'rank' | 'recent';
  limit?: number;
  offset?: number;
}

/** FTS5 operators: a query using any of them is handed to FTS5 as written; anything else is matched word by word. */
const FTS_SYNTAX = /["*()^:+]|\b(AND|OR|NOT|NEAR)\b/;

/**
 * What to hand to FTS5 MATCH. Plain words become quoted terms, so `npm-test` or `foo.bar` search for those words
 * instead of failing as syntax; a query written in FTS5 syntax (quotes, prefix *, AND/OR/NOT, NEAR, column:) is used
 * as is, and its mistakes are the user's to see (a 400 with FTS5's reason).
 */
export function ftsQuery(q: string): string {
  const text = q.trim();
  if (!text) throw new AppError('VALIDATION_FAILED', 'q: the search query is empty');
  if (FTS_SYNTAX.test(text)) return text;
  return text
    .split(/\s+/)
    .map((term) => `"${term.replace(/"/g, '""')}"`)
    .join(' ');
}

/** Matches are counted exactly up to this many; beyond it `total` is this bound and `totalExact` false. */
export const COUNT_LIMIT = 1000;

export const HIGHLIGHT_START = '<mark>';
export const HIGHLIGHT_END = '</mark>';

/** Full-text search over the message index (prompts, replies, thinking, tool names and inputs). */
export class Search {
  constructor(private readonly db: Database.Database) {}

  search(input: SearchInput) {
    const match = ftsQuery(input.q);
    const where = new Conditions().add('messages_fts MATCH ?', match);
    if (input.role && input.role !== 'all') where.add('m.role = ?', input.role);
    if (input.provider) where.add('s.provider = ?', input.provider);
    if (input.cwd) where.under('s.cwd', input.cwd);
    if (input.sessionId !== undefined) where.add('m.session_id = ?', input.sessionId);
    const params = where.params;
    const from = `FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid JOIN library_sessions s ON s.id = m.session_id WHERE ${where.joined()}`;
    const limit = input.limit ?? 20;
    const offset = input.offset ?? 0;
    // Counting every match of a common word costs more than finding the page: counted up to a bound, then "more".
    const countTo = Math.max(COUNT_LIMIT, offset + limit);
    try {
      // Without filters every match is a hit: the full-text index counts alone, without reading a message.
      const counting = where.clauses.length === 1 ? 'FROM messages_fts WHERE messages_fts MATCH ?' : from;
      const counted = this.db.prepare<unknown[], { n: number }>(`SELECT count(*) n FROM (SELECT 1 ${counting} LIMIT ?)`).get(...params, countTo + 1)!.n;
      const total = Math.min(counted, countTo);
      const hits = this.db
        .prepare<unknown[], HitRow>(
          `SELECT m.id message_id, m.ts, m.role, m.kind, m.tool, m.sidechain,
                  snippet(messages_fts, -1, '${HIGHLIGHT_START}', '${HIGHLIGHT_END}', '…', 24) snippet,
                  s.external_id, s.provider, coalesce(s.name, s.custom_title, s.title) title, s.cwd,
                  (SELECT path FROM transcript_files WHERE id = m.file_id) file
           ${from} ORDER BY ${input.sort === 'rank' ? 'rank' : 'messages_fts.rowid DESC'} LIMIT ? OFFSET ?`,
        )
        .all(...params, limit, offset);
      return {
        query: input.q,
        total,
        totalExact: counted <= countTo,
        hits: hits.map((hit) => ({
          sessionId: hit.external_id,
          provider: hit.provider,
          title: hit.title,
          cwd: hit.cwd,
          messageId: hit.message_id,
          role: hit.role,
          kind: hit.kind,
          tool: hit.tool,
          sidechain: hit.sidechain === 1,
          timestamp: new Date(hit.ts).toISOString(),
          snippet: hit.snippet,
          file: hit.file,
        })),
      };
    } catch (error) {
      const message = (error as Error).message;
      if ((error as { code?: string }).code?.startsWith('SQLITE_') && /fts5|syntax|unterminated|no such column|unknown special query/i.test(message)) {
        throw new AppError('SEARCH_QUERY_INVALID', `search query "${input.q}" is not valid: ${message.replace(/^fts5: /, '')}`);
      }
      throw error;
    }
  }
}

interface HitRow {
  message_id: number;
  ts: number;
  role: string;
  kind: string;
  tool: string | null;
  sidechain: number;
  snippet: string;
  external_id: string;
  provider: string;
  title: string | null;
  cwd: string | null;
  file: string | null;
}
