import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { claudeSessionFromPath, parseClaudeRecord } from './claude';
import { initialCodexState, parseCodexRecord, type CodexState } from './codex';
import { looksBinary, readLines, readUsageLines } from './lines';
import type { PriceTable } from './prices';
import type { LineResult, MessageRow, Provider, SessionFacts, UsageRow } from './records';

/** Where transcripts live: Claude config dirs (their `projects/` is walked) and Codex homes (their `sessions/`). */
export interface TranscriptRoots {
  claude: string[];
  codex: string[];
}

export interface SkipCounts {
  badLines: number;
  binary: number;
  unreadable: number;
  vanished: number;
  oversizedLines: number;
}

export interface ScanProgress {
  running: boolean;
  /** tokens: the first pass, token counts only (analytics are complete once it ends); messages: the full pass. */
  phase: 'tokens' | 'messages' | null;
  startedAt: string | null;
  /** When the token pass ended: from then on analytics are complete, search follows with the full pass. */
  tokensFinishedAt: string | null;
  finishedAt: string | null;
  filesTotal: number;
  filesDone: number;
  filesChanged: number;
  bytesTotal: number;
  bytesRead: number;
  skipped: SkipCounts;
  error: string | null;
}

export interface FileResult {
  /** What happened to the file: nothing new, new bytes read, read again from the start, or skipped. */
  outcome: 'unchanged' | 'appended' | 'reread' | 'binary' | 'unreadable' | 'vanished';
  bytesRead: number;
  /** False when the budget ran out before the end of the file: call again. */
  done: boolean;
  badLines: number;
  oversizedLines: number;
}

interface FileRow {
  id: number;
  path: string;
  provider: Provider;
  session_id: number | null;
  dev: number;
  ino: number;
  size: number;
  mtime_ms: number;
  offset: number;
  usage_offset: number;
  usage_size: number;
  head: string | null;
  parser: string | null;
  lines: number;
  bad_lines: number;
  error: string | null;
}

/** Changes accumulated over a slice, written to library_sessions once per slice. */
interface SessionDelta {
  facts: SessionFacts;
  firstAt: number;
  lastAt: number;
  messages: number;
  firstPrompt: string | null;
}

type FtsRow = [rowid: number | bigint, text: string, tool: string | null];

/** `full`: everything a line holds; `usage`: token counts only (the fast first pass of a cold scan). */
export type IndexMode = 'full' | 'usage';

interface PendingUsage {
  usage: UsageRow;
  total: number;
  session: number;
}

const HEAD_BYTES = 1024;
const IDS_PER_MS = 1024;
/** Times past this (year 2255) would overflow a double's integers once multiplied: clamped for ids only. */
const MAX_ID_TIME = 8_796_093_022_207;
const DEFAULT_SLICE_BYTES = 16 << 20;
const TITLE_LENGTH = 120;

export function emptySkips(): SkipCounts {
  return { badLines: 0, binary: 0, unreadable: 0, vanished: 0, oversizedLines: 0 };
}

/**
 * The incremental transcript indexer. For every file it remembers the identity (device, inode), size, the offset just
 * past the last complete line, and a hash of its first bytes; a later pass reads only appended bytes, and a file that
 * shrank, changed identity or changed its beginning is read again from the start (its rows replaced). Rows and the new
 * offset are written in one transaction, so a crash never counts a line twice or loses one.
 */
export class TranscriptIndexer {
  private readonly db: Database.Database;
  private prices: PriceTable;
  private readonly sessionIds = new Map<string, number>();
  private readonly stmt;

  constructor(options: { db: Database.Database; prices: PriceTable }) {
    this.db = options.db;
    this.prices = options.prices;
    const db = this.db;
    this.stmt = {
      file: db.prepare<[string], FileRow>('SELECT * FROM transcript_files WHERE path = ?'),
      insertFile: db.prepare<[string, string], { id: number }>('INSERT INTO transcript_files (path, provider) VALUES (?, ?) RETURNING id'),
      saveFile: db.prepare(
        `UPDATE transcript_files SET session_id = @session_id, dev = @dev, ino = @ino, size = @size, mtime_ms = @mtime_ms,
           offset = @offset, usage_offset = @usage_offset, usage_size = @usage_size, head = @head, parser = @parser, lines = @lines, bad_lines = @bad_lines, error = @error,
           indexed_at = @indexed_at WHERE id = @id`,
      ),
      markFile: db.prepare('UPDATE transcript_files SET error = ?, dev = ?, ino = ?, size = ?, mtime_ms = ?, offset = ? WHERE id = ?'),
      markBinary: db.prepare(
        "UPDATE transcript_files SET error = 'binary', dev = ?, ino = ?, size = ?, mtime_ms = ?, offset = 0, usage_offset = 0, usage_size = 0 WHERE id = ?",
      ),
      session: db.prepare<[string, string], { id: number }>('SELECT id FROM library_sessions WHERE provider = ? AND external_id = ?'),
      insertSession: db.prepare<[string, string, string | null, string], { id: number }>(
        `INSERT INTO library_sessions (provider, external_id, managed_id, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
      ),
      managedFor: db.prepare<[string], { id: string }>('SELECT id FROM sessions WHERE agent_session_id = ? LIMIT 1'),
      updateSession: db.prepare(
        `UPDATE library_sessions SET
           cwd = coalesce(@cwd, cwd), git_branch = coalesce(@git_branch, git_branch), model = coalesce(@model, model),
           custom_title = coalesce(@custom_title, custom_title),
           title = CASE WHEN @summary IS NOT NULL THEN @summary WHEN title IS NULL THEN @first_prompt ELSE title END,
           first_at = CASE WHEN @first_at IS NULL THEN first_at ELSE min(coalesce(first_at, @first_at), @first_at) END,
           last_at = CASE WHEN @last_at IS NULL THEN last_at ELSE max(coalesce(last_at, @last_at), @last_at) END,
           message_count = message_count + @messages
         WHERE id = @id`,
      ),
      insertMessage: db.prepare(
        `INSERT INTO messages (id, session_id, file_id, uuid, ts, role, kind, tool, text, input, copy, sidechain)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      lastIdAt: db.prepare<[number, number], { id: number | null }>('SELECT max(id) id FROM messages WHERE id BETWEEN ? AND ?'),
      insertFts: db.prepare('INSERT INTO messages_fts (rowid, text, tool) VALUES (?, ?, ?)'),
      copyOf: db.prepare<[string, number], { one: number }>('SELECT 1 AS one FROM messages WHERE uuid = ? AND file_id != ? LIMIT 1'),
      usageByKey: db.prepare<[string], { id: number; file_id: number; kept: number; total: number }>(
        'SELECT id, file_id, kept, input + output + cache_create + cache_read AS total FROM usage_entries WHERE dedup_key = ? ORDER BY id',
      ),
      deleteUsage: db.prepare('DELETE FROM usage_entries WHERE id = ?'),
      unkeep: db.prepare('UPDATE usage_entries SET kept = 0 WHERE id = ?'),
      insertUsage: db.prepare(
        `INSERT INTO usage_entries (dedup_key, kept, session_id, file_id, ts, model, input, output, cache_create, cache_read, cost, assumed_model)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      keptKeysOfFile: db.prepare<[number], { dedup_key: string }>(
        'SELECT DISTINCT dedup_key FROM usage_entries WHERE file_id = ? AND kept = 1 AND dedup_key IS NOT NULL',
      ),
      deleteFileUsage: db.prepare('DELETE FROM usage_entries WHERE file_id = ?'),
      promote: db.prepare(
        `UPDATE usage_entries SET kept = 1 WHERE id = (
           SELECT id FROM usage_entries WHERE dedup_key = ? ORDER BY input + output + cache_create + cache_read DESC, id LIMIT 1)`,
      ),
      deleteFileMessages: db.prepare('DELETE FROM messages WHERE file_id = ?'),
      sessionsOfFile: db.prepare<[number], { session_id: number }>('SELECT DISTINCT session_id FROM messages WHERE file_id = ?'),
      recount: db.prepare(
        `UPDATE library_sessions SET
           message_count = (SELECT count(*) FROM messages WHERE session_id = @id AND kind IN ('prompt', 'text')),
           first_at = (SELECT min(ts) FROM messages WHERE session_id = @id),
           last_at = (SELECT max(ts) FROM messages WHERE session_id = @id)
         WHERE id = @id`,
      ),
    };
  }

  /** Every transcript file under the roots, with its provider. Unreadable directories are skipped and counted. */
  discover(roots: TranscriptRoots, skipped: SkipCounts = emptySkips()): Array<{ path: string; provider: Provider }> {
    const found: Array<{ path: string; provider: Provider }> = [];
    const seen = new Set<string>();
    const walk = (dir: string, provider: Provider, accept: (name: string) => boolean) => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM') skipped.unreadable++;
        else if (code !== 'ENOENT' && code !== 'ENOTDIR') skipped.unreadable++;
        return;
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full, provider, accept);
        else if ((entry.isFile() || entry.isSymbolicLink()) && accept(entry.name) && !seen.has(full)) {
          seen.add(full);
          found.push({ path: full, provider });
        }
      }
    };
    for (const root of unique(roots.claude)) walk(path.join(root, 'projects'), 'claude-code', (name) => name.endsWith('.jsonl'));
    for (const root of unique(roots.codex)) walk(path.join(root, 'sessions'), 'codex', (name) => name.startsWith('rollout-') && name.endsWith('.jsonl'));
    return found;
  }

  /** Replaces the price table; rows written from now on use it (see repriceAll for the ones already written). */
  setPrices(prices: PriceTable): void {
    this.prices = prices;
  }

  /** Recomputes every stored cost with the current prices (after a price file changed); rollups follow by trigger. */
  repriceAll(): number {
    const models = this.db.prepare<[], { model: string }>('SELECT DISTINCT model FROM usage_entries').all();
    const select = this.db.prepare<[string], { id: number; input: number; output: number; cache_create: number; cache_read: number; cost: number | null }>(
      'SELECT id, input, output, cache_create, cache_read, cost FROM usage_entries WHERE model = ?',
    );
    const update = this.db.prepare('UPDATE usage_entries SET cost = ? WHERE id = ?');
    let changed = 0;
    this.db.transaction(() => {
      for (const { model } of models) {
        for (const row of select.all(model)) {
          const cost = this.prices.cost(model, { input: row.input, output: row.output, cacheCreate: row.cache_create, cacheRead: row.cache_read });
          if (cost !== row.cost) {
            update.run(cost, row.id);
            changed++;
          }
        }
      }
    })();
    return changed;
  }

  /**
   * Brings one file's rows up to date, reading at most about `budget` new bytes (call again while `done` is false).
   * Never throws for what the file holds or for a file that went away: that is counted in the result.
   */
  indexFile(file: string, provider: Provider, budget = DEFAULT_SLICE_BYTES, requested: IndexMode = 'full'): FileResult {
    const result: FileResult = { outcome: 'unchanged', bytesRead: 0, done: true, badLines: 0, oversizedLines: 0 };
    // Codex rollouts are small and their token counts depend on the lines before them: always read whole.
    const mode: IndexMode = provider === 'codex' ? 'full' : requested;
    let row = this.stmt.file.get(file);
    let stat: fs.Stats;
    let fd: number;
    try {
      stat = fs.statSync(file);
      const upToDate = row && (row.size === stat.size || (mode === 'usage' && row.usage_size === stat.size));
      if (row && upToDate && row.error === null && row.ino === stat.ino && row.dev === stat.dev && row.mtime_ms === Math.floor(stat.mtimeMs)) {
        return result;
      }
      fd = fs.openSync(file, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      result.outcome = code === 'ENOENT' ? 'vanished' : 'unreadable';
      // A file that went away keeps its rows: its conversation stays in the library and in the totals.
      if (row && result.outcome === 'unreadable') this.stmt.markFile.run(`unreadable: ${code ?? (error as Error).message}`, row.dev, row.ino, row.size, row.mtime_ms, row.offset, row.id);
      return result;
    }
    try {
      fstatInto(fd, stat);
      if (!row) row = this.newFileRow(file, provider);
      const mtime = Math.floor(stat.mtimeMs);
      const known = Math.max(row.offset, row.usage_offset);
      let binary: boolean;
      try {
        binary = stat.size > 0 && (known === 0 || row.error === 'binary') && looksBinary(fd, stat.size);
      } catch (error) {
        this.stmt.markFile.run(`unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, row.dev, row.ino, row.size, row.mtime_ms, row.offset, row.id);
        result.outcome = 'unreadable';
        return result;
      }
      if (binary) {
        if (known > 0) this.db.transaction(() => this.dropFileRows(row!.id))();
        this.stmt.markBinary.run(stat.dev, stat.ino, stat.size, mtime, row.id);
        result.outcome = 'binary';
        return result;
      }
      const replaced = known > 0 && (row.ino !== stat.ino || row.dev !== stat.dev || stat.size < known || headHash(fd, Math.min(HEAD_BYTES, known)) !== row.head);
      result.outcome = replaced ? 'reread' : 'appended';
      const current = row;
      const before = { offset: row.offset, dev: row.dev, ino: row.ino, size: row.size, mtime: row.mtime_ms };
      try {
        this.db.transaction(() => {
          if (replaced) {
            this.dropFileRows(current.id);
            Object.assign(current, { offset: 0, usage_offset: 0, usage_size: 0, size: 0, parser: null, lines: 0, bad_lines: 0, session_id: null });
          }
          this.readSlice(fd, current, provider, stat, budget, result, mode);
        })();
      } catch (error) {
        // A read that fails midway (EIO, a directory named *.jsonl) rolls the slice back and is counted.
        const code = (error as NodeJS.ErrnoException).code;
        if (!code || code.startsWith('SQLITE')) throw error;
        // The rollback kept the rows as they were: so must the offset be.
        this.stmt.markFile.run(`unreadable: ${code}`, before.dev, before.ino, before.size, before.mtime, before.offset, current.id);
        Object.assign(result, { outcome: 'unreadable', bytesRead: 0, done: true, badLines: 0, oversizedLines: 0 });
      }
      return result;
    } finally {
      fs.closeSync(fd);
    }
  }

  private newFileRow(file: string, provider: Provider): FileRow {
    const { id } = this.stmt.insertFile.get(file, provider)!;
    return { id, path: file, provider, session_id: null, dev: 0, ino: 0, size: 0, mtime_ms: 0, offset: 0, usage_offset: 0, usage_size: 0, head: null, parser: null, lines: 0, bad_lines: 0, error: null };
  }

  /**
   * Reads one slice. `full`: every line from `offset`, its messages and facts, and its tokens unless a usage pass
   * counted them already (the line ends at or before `usage_offset`). `usage`: only the lines holding token counts,
   * from `usage_offset`, found by a byte search; their messages wait for the full pass.
   */
  private readSlice(fd: number, file: FileRow, provider: Provider, stat: fs.Stats, budget: number, result: FileResult, mode: IndexMode): void {
    const codexState: CodexState = provider === 'codex' ? parseParserState(file.parser) : initialCodexState();
    const pathSession = provider === 'claude-code' ? claudeSessionFromPath(file.path) : undefined;
    let sessionId = file.session_id;
    const deltas = new Map<number, SessionDelta>();
    const pendingUsage = new Map<string, PendingUsage>();
    const ftsRows: FtsRow[] = [];
    let pendingFacts: SessionFacts = {};
    let lines = 0;
    let bad = 0;

    const resolveSession = (facts: SessionFacts | null): number | null => {
      if (sessionId !== null) return sessionId;
      const external = pathSession ?? facts?.sessionId;
      if (!external) return null;
      sessionId = this.sessionId(provider, external);
      return sessionId;
    };

    const usageDoneTo = file.usage_offset;
    const onLine = (line: string, end: number) => {
      if (mode === 'full') lines++;
      if (provider === 'claude-code' && isToolResultOnly(line)) return;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        if (mode === 'full') bad++; // counted once, by the full pass
        return;
      }
      if (!record || typeof record !== 'object' || Array.isArray(record)) {
        if (mode === 'full') bad++;
        return;
      }
      let parsed: LineResult;
      try {
        parsed = provider === 'claude-code' ? parseClaudeRecord(record as Record<string, unknown>) : parseCodexRecord(record as Record<string, unknown>, codexState);
      } catch {
        bad++;
        return;
      }
      if (!parsed.facts && !parsed.usage && parsed.messages.length === 0) return;
      const session = resolveSession(parsed.facts);
      if (session === null) {
        // Facts that come before the line naming the conversation (a summary first): kept for when it is known.
        if (parsed.facts) Object.assign(pendingFacts, parsed.facts);
        return;
      }
      let delta = deltas.get(session);
      if (!delta) {
        delta = { facts: pendingFacts, firstAt: Infinity, lastAt: -Infinity, messages: 0, firstPrompt: null };
        pendingFacts = {};
        deltas.set(session, delta);
      }
      if (parsed.facts) Object.assign(delta.facts, parsed.facts);
      if (mode === 'full') for (const message of parsed.messages) this.insertMessage(session, file.id, message, delta, ftsRows);
      if (parsed.usage && (mode === 'usage' || end > usageDoneTo)) this.insertUsage(session, file.id, parsed.usage, delta, pendingUsage);
    };

    const start = mode === 'full' ? file.offset : file.usage_offset;
    const slice = mode === 'full' ? readLines(fd, start, stat.size, budget, onLine) : readUsageLines(fd, start, stat.size, budget, onLine);
    this.flushKeyedUsage(file.id, pendingUsage);
    // Last in the slice: FTS5 flushes its pending terms whenever a later statement of the transaction opens a
    // savepoint (any statement that fires a trigger does), which per row made indexing several times slower.
    for (const row of ftsRows) this.stmt.insertFts.run(...row);
    for (const [id, delta] of deltas) this.applyDelta(id, delta);
    result.bytesRead = slice.end - start;
    // The budget ran out before the end: the file is not up to date, whatever its size says.
    result.done = result.bytesRead < budget;
    result.badLines = bad;
    result.oversizedLines = mode === 'full' ? slice.oversized : 0;
    const knownBefore = Math.max(file.offset, file.usage_offset);
    const known = Math.max(knownBefore, slice.end);
    const head = knownBefore < HEAD_BYTES || file.head === null ? headHash(fd, Math.min(HEAD_BYTES, known)) : file.head;
    const fullOffset = mode === 'full' ? slice.end : file.offset;
    const usageOffset = Math.max(file.usage_offset, slice.end);
    Object.assign(file, {
      session_id: sessionId,
      dev: stat.dev,
      ino: stat.ino,
      size: mode === 'full' ? (result.done ? stat.size : 0) : file.size,
      usage_size: result.done ? stat.size : 0,
      mtime_ms: Math.floor(stat.mtimeMs),
      offset: fullOffset,
      usage_offset: usageOffset,
      head,
      parser: provider === 'codex' ? JSON.stringify(codexState) : null,
      lines: file.lines + lines,
      bad_lines: file.bad_lines + bad + result.oversizedLines,
      error: null,
      indexed_at: Date.now(),
    });
    this.stmt.saveFile.run(file);
  }

  private insertMessage(session: number, fileId: number, message: MessageRow, delta: SessionDelta, fts: FtsRow[]): void {
    const copy = message.uuid !== null && this.stmt.copyOf.get(message.uuid, fileId) !== undefined ? 1 : 0;
    const id = this.messageId(message.ts);
    this.stmt.insertMessage.run(id, session, fileId, message.uuid, message.ts, message.role, message.kind, message.tool, message.text, message.input, copy, message.sidechain ? 1 : 0);
    fts.push([id, message.text, message.tool]);
    if (message.ts < delta.firstAt) delta.firstAt = message.ts;
    if (message.ts > delta.lastAt) delta.lastAt = message.ts;
    if (message.kind === 'prompt' || message.kind === 'text') delta.messages++;
    if (message.kind === 'prompt' && delta.firstPrompt === null && !message.sidechain) delta.firstPrompt = oneLine(message.text);
  }

  /**
   * Message ids follow time: the message's millisecond times 1024, plus a sequence for messages of the same
   * millisecond. The full-text index shares them as rowids, so "most recent first" is its own order and a search
   * reads only as many matches as it shows.
   */
  private messageId(ts: number): number {
    const base = Math.min(Math.max(ts, 0), MAX_ID_TIME) * IDS_PER_MS;
    const last = this.stmt.lastIdAt.get(base, base + IDS_PER_MS - 1)!.id;
    if (last === null) return base;
    if (last < base + IDS_PER_MS - 1) return last + 1;
    // A thousand messages in one millisecond: the next free id after them (order within it is lost, nothing else).
    return this.db.prepare<[], { id: number }>('SELECT max(id) + 1 id FROM messages').get()!.id;
  }

  /** Keyless usage is written at once; keyed usage waits for the end of the slice (see flushKeyedUsage). */
  private insertUsage(session: number, fileId: number, usage: UsageRow, delta: SessionDelta, pending: Map<string, PendingUsage>): void {
    if (usage.ts < delta.firstAt) delta.firstAt = usage.ts;
    if (usage.ts > delta.lastAt) delta.lastAt = usage.ts;
    const total = usage.input + usage.output + usage.cacheCreate + usage.cacheRead;
    if (usage.key === null) {
      this.writeUsage(session, fileId, usage, 1);
      return;
    }
    // A streamed response is several lines with one key: only the largest (the first on a tie) can ever count.
    const earlier = pending.get(usage.key);
    if (!earlier || total > earlier.total) pending.set(usage.key, { usage, total, session });
  }

  /**
   * ccusage's rule across files: per key the entry with the larger token sum counts, the earlier one on a tie. Each
   * file keeps its best entry per key (kept or not), so that if the counted one's file goes, another takes over.
   */
  private flushKeyedUsage(fileId: number, pending: Map<string, PendingUsage>): void {
    for (const [key, { usage, total, session }] of pending) {
      const rows = this.stmt.usageByKey.all(key);
      const own = rows.find((row) => row.file_id === fileId);
      if (own) {
        if (total <= own.total) continue;
        this.stmt.deleteUsage.run(own.id);
      }
      const kept = rows.find((row) => row.kept === 1 && row !== own);
      if (kept && total <= kept.total) {
        this.writeUsage(session, fileId, usage, 0);
        continue;
      }
      if (kept) this.stmt.unkeep.run(kept.id);
      this.writeUsage(session, fileId, usage, 1);
    }
  }

  private writeUsage(session: number, fileId: number, usage: UsageRow, kept: 0 | 1): void {
    const cost = this.prices.cost(usage.model, usage);
    this.stmt.insertUsage.run(usage.key, kept, session, fileId, usage.ts, usage.model, usage.input, usage.output, usage.cacheCreate, usage.cacheRead, cost, usage.assumedModel ? 1 : 0);
  }

  private applyDelta(id: number, delta: SessionDelta): void {
    const f = delta.facts;
    this.stmt.updateSession.run({
      id,
      cwd: f.cwd ?? null,
      git_branch: f.gitBranch ?? null,
      model: f.model ?? null,
      custom_title: f.customTitle ?? null,
      summary: f.summary ?? null,
      first_prompt: delta.firstPrompt,
      first_at: Number.isFinite(delta.firstAt) ? delta.firstAt : null,
      last_at: Number.isFinite(delta.lastAt) ? delta.lastAt : null,
      messages: delta.messages,
    });
  }

  /** Removes what a file contributed; a duplicate in another file takes over the count of each entry it held. */
  dropFileRows(fileId: number): void {
    const keys = this.stmt.keptKeysOfFile.all(fileId).map((row) => row.dedup_key);
    const sessions = this.stmt.sessionsOfFile.all(fileId).map((row) => row.session_id);
    this.stmt.deleteFileUsage.run(fileId);
    for (const key of keys) this.stmt.promote.run(key);
    this.stmt.deleteFileMessages.run(fileId);
    for (const id of sessions) this.stmt.recount.run({ id });
  }

  sessionId(provider: Provider, external: string): number {
    const cacheKey = `${provider}\0${external}`;
    const cached = this.sessionIds.get(cacheKey);
    if (cached !== undefined) return cached;
    const existing = this.stmt.session.get(provider, external);
    const id = existing?.id ?? this.stmt.insertSession.get(provider, external, this.stmt.managedFor.get(external)?.id ?? null, new Date().toISOString())!.id;
    this.sessionIds.set(cacheKey, id);
    return id;
  }

  /** Forgets cached session ids (after rows were deleted outside the indexer). */
  forgetSessions(): void {
    this.sessionIds.clear();
  }
}

/**
 * A Claude line that only returns tool output (the bulk of a transcript's bytes) holds nothing the index keeps: no
 * text, no token counts. Told apart without parsing it: these keys cannot occur unescaped inside a JSON string.
 */
function isToolResultOnly(line: string): boolean {
  return line.includes('"type":"tool_result"') && !line.includes('"type":"text"') && !line.includes('"usage"');
}

function unique(list: string[]): string[] {
  return [...new Set(list.map((p) => path.resolve(p)))];
}

function headHash(fd: number, length: number): string {
  const buffer = Buffer.alloc(length);
  const bytes = length > 0 ? fs.readSync(fd, buffer, 0, length, 0) : 0;
  return `${bytes}:${crypto.createHash('sha1').update(buffer.subarray(0, bytes)).digest('hex')}`;
}

/** The stat of the open descriptor: the file we read, even if the path was replaced since the statSync. */
function fstatInto(fd: number, stat: fs.Stats): void {
  Object.assign(stat, fs.fstatSync(fd));
}

function parseParserState(text: string | null): CodexState {
  if (!text) return initialCodexState();
  try {
    const state = JSON.parse(text) as CodexState;
    return { model: typeof state.model === 'string' ? state.model : null, totals: state.totals ?? null };
  } catch {
    return initialCodexState();
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > TITLE_LENGTH ? `${line.slice(0, TITLE_LENGTH - 1)}…` : line;
}
