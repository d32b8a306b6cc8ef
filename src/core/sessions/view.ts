import vm from 'node:vm';
import type { z } from 'zod';
import { MAX_MATCH_TEXT, type terminalInfoSchema, type terminalSearchSchema } from '../api/controls';
import { AppError } from '../errors';
import type { Runner, TerminalId, TerminalScroll } from '../runner/runner';
import type { SessionJournal } from './journal';
import type { LiveSessions } from './live';

export type TerminalInfo = z.output<typeof terminalInfoSchema>;
export type TerminalSearchResult = z.output<typeof terminalSearchSchema>;

/** Rows read from tmux per capture while searching (one control-mode answer each). */
const SEARCH_CHUNK_ROWS = 5000;
/** Most rows a search reads: the scrollback CodePiper's tmux server keeps (history-limit), and the screen. */
const MAX_SEARCH_ROWS = 50_000 + 1000;
/** How long a regular expression may run over one chunk, and over the whole search, before it is stopped. */
const REGEX_CHUNK_MS = 500;
const REGEX_TOTAL_MS = 2000;

/**
 * The view of a session's terminal: copy mode in and out, scrolling, and a search of its scrollback that reads a
 * capture of the rows (never tmux's copy-mode search), so the view a person is looking at does not move.
 */
export class TerminalViewControl {
  constructor(private readonly options: { runner: Runner; journal: SessionJournal; lives: LiveSessions }) {}

  async info(ref: string): Promise<TerminalInfo> {
    const { id, terminal } = await this.terminalOf(ref);
    return this.describe(id, terminal);
  }

  async setMode(ref: string, mode: 'normal' | 'copy'): Promise<TerminalInfo> {
    const { id, terminal } = await this.terminalOf(ref);
    await this.options.runner.setCopyMode(terminal, mode === 'copy');
    this.options.journal.record(id, 'user', 'terminal-mode', { mode });
    return this.describe(id, terminal);
  }

  async scroll(ref: string, input: { direction?: 'up' | 'down' | undefined; lines?: number | undefined; to?: 'top' | 'bottom' | undefined }): Promise<TerminalInfo> {
    const { id, terminal } = await this.terminalOf(ref);
    let scroll: TerminalScroll;
    if (input.to) scroll = { to: input.to };
    else {
      // Without lines: a screenful, as Page Up and Page Down move.
      const lines = input.lines ?? (await this.options.runner.view(terminal)).rows;
      scroll = { by: input.direction === 'down' ? -lines : lines };
    }
    await this.options.runner.scroll(terminal, scroll);
    return this.describe(id, terminal);
  }

  async search(ref: string, input: { query: string; regex: boolean; caseSensitive: boolean; limit: number }): Promise<TerminalSearchResult> {
    const { id, terminal } = await this.terminalOf(ref);
    const matcher = compileMatcher(input);
    const view = await this.options.runner.view(terminal);
    const historyRows = Math.min(view.historySize, MAX_SEARCH_ROWS - view.rows);
    const first = -historyRows;
    const last = view.rows - 1;
    const matches: TerminalSearchResult['matches'] = [];
    let total = 0;
    let scanned = 0;
    let truncated = false;
    const budget = { until: Date.now() + REGEX_TOTAL_MS };
    for (let from = first; from <= last; from += SEARCH_CHUNK_ROWS) {
      const to = Math.min(last, from + SEARCH_CHUNK_ROWS - 1);
      const rows = await this.options.runner.rows(terminal, from, to);
      const found = matcher(rows, budget);
      scanned += found.scanned;
      for (const [index, column] of found.hits) {
        total++;
        if (matches.length >= input.limit) continue;
        const offset = from + index;
        matches.push({ line: offset - first + 1, offset, column, text: rows[index]!.slice(0, MAX_MATCH_TEXT) });
      }
      if (found.stopped) {
        truncated = true;
        break;
      }
    }
    return { sessionId: id, query: input.query, historySize: view.historySize, scannedLines: scanned, total, truncated: truncated || total > matches.length, matches };
  }

  private async describe(id: string, terminal: TerminalId): Promise<TerminalInfo> {
    const view = await this.options.runner.view(terminal);
    return {
      sessionId: id,
      mode: view.copyMode ? 'copy' : 'normal',
      scrollPosition: view.scrollPosition,
      historySize: view.historySize,
      historyLimit: view.historyLimit,
      cols: view.cols,
      rows: view.rows,
    };
  }

  /** The session's terminal: its live one, else the window an ended agent left (its last screen is still there). */
  private async terminalOf(ref: string): Promise<{ id: string; terminal: TerminalId }> {
    const record = this.options.journal.resolve(ref);
    const terminal = this.options.lives.get(record.id)?.terminal ?? (await this.options.runner.find(record.tmuxSession))?.terminal;
    if (!terminal) throw new AppError('SESSION_NOT_RUNNING', `session ${record.id} has no terminal any more; resume it first (codepiper resume ${record.id})`);
    return { id: record.id, terminal };
  }
}

type Matcher = (rows: string[], budget: { until: number }) => { hits: Array<[number, number]>; scanned: number; stopped: boolean };

/**
 * A plain query is found with indexOf. A regular expression runs in a separate context with a time limit: a pattern
 * that backtracks without end is stopped there (the search answers with what it found, truncated) instead of holding
 * the daemon's one thread.
 */
function compileMatcher(input: { query: string; regex: boolean; caseSensitive: boolean }): Matcher {
  if (!input.regex) {
    const needle = input.caseSensitive ? input.query : input.query.toLowerCase();
    return (rows) => {
      const hits: Array<[number, number]> = [];
      rows.forEach((row, index) => {
        const column = (input.caseSensitive ? row : row.toLowerCase()).indexOf(needle);
        if (column >= 0) hits.push([index, column]);
      });
      return { hits, scanned: rows.length, stopped: false };
    };
  }
  const flags = input.caseSensitive ? '' : 'i';
  try {
    new RegExp(input.query, flags);
  } catch (error) {
    throw new AppError('VALIDATION_FAILED', `query is not a valid regular expression: ${(error as Error).message}`, {
      details: { issues: [{ path: 'query', message: (error as Error).message, code: 'custom' }] },
    });
  }
  const script = new vm.Script(
    'const re = new RegExp(pattern, flags); for (let i = 0; i < rows.length; i++) { const m = re.exec(rows[i]); if (m) hits.push([i, m.index]); done = i + 1; }',
  );
  return (rows, budget) => {
    const context = vm.createContext({ rows, pattern: input.query, flags, hits: [] as Array<[number, number]>, done: 0 });
    const left = budget.until - Date.now();
    if (left <= 0) return { hits: [], scanned: 0, stopped: true };
    try {
      script.runInContext(context, { timeout: Math.max(1, Math.min(REGEX_CHUNK_MS, left)) });
      return { hits: [...(context.hits as Array<[number, number]>)], scanned: rows.length, stopped: false };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw error;
      return { hits: [...(context.hits as Array<[number, number]>)], scanned: context.done as number, stopped: true };
    }
  };
}
