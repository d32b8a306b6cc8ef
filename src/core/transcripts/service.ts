import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { emptySkips, TranscriptIndexer, type FileResult, type IndexMode, type ScanProgress, type TranscriptRoots } from './indexer';
import type { PriceTable } from './prices';
import type { Provider } from './records';

/** Where transcripts are by default: CLAUDE_CONFIG_DIR (else ~/.claude and ~/.config/claude), CODEX_HOME (else ~/.codex). */
export function defaultRoots(env: NodeJS.ProcessEnv, configured?: Partial<TranscriptRoots>): TranscriptRoots {
  const home = env.HOME || os.homedir();
  const claude = configured?.claude ?? (env.CLAUDE_CONFIG_DIR ? env.CLAUDE_CONFIG_DIR.split(',').filter(Boolean) : [path.join(home, '.claude'), path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'claude')]);
  const codex = configured?.codex ?? [env.CODEX_HOME || path.join(home, '.codex')];
  return { claude, codex };
}

export interface TranscriptServiceOptions {
  db: Database.Database;
  prices: PriceTable;
  roots: TranscriptRoots;
  /** Called (at most every progressIntervalMs, and at the end) while a scan runs. */
  onProgress?: (progress: ScanProgress) => void;
  /** Called after rows changed for live files. */
  onIndexed?: (file: string, result: FileResult) => void;
  log?: { warn(message: string): void };
  progressIntervalMs?: number;
  /** Stat interval of the fallback for files fs.watch cannot follow (or that do not exist yet). */
  pollIntervalMs?: number;
}

/** A slice of work between two turns of the event loop: the daemon stays responsive while a scan runs. */
const SCAN_SLICE_BYTES = 8 << 20;

/**
 * The indexer's owner in the daemon: full scans in the background (one at a time, yielding to the event loop between
 * slices, with progress), and live tailing of the transcripts of running managed sessions.
 */
export class TranscriptService {
  readonly indexer: TranscriptIndexer;
  private progress: ScanProgress = idleProgress();
  private scanning: Promise<ScanProgress> | null = null;
  private rescanRequested = false;
  private readonly live = new Map<string, LiveFile>();
  private closed = false;

  constructor(private readonly options: TranscriptServiceOptions) {
    this.indexer = new TranscriptIndexer({ db: options.db, prices: options.prices });
  }

  get roots(): TranscriptRoots {
    return this.options.roots;
  }

  status(): ScanProgress {
    return { ...this.progress, skipped: { ...this.progress.skipped } };
  }

  /** Starts a scan, or joins the one running (a scan asked for during one runs again after it). */
  scan(): Promise<ScanProgress> {
    if (this.scanning) {
      this.rescanRequested = true;
      return this.scanning;
    }
    this.scanning = this.runScan().finally(() => {
      this.scanning = null;
      if (this.rescanRequested && !this.closed) {
        this.rescanRequested = false;
        void this.scan();
      }
    });
    return this.scanning;
  }

  /**
   * Two passes over the files. The first reads only the lines holding token counts (a byte search, no parsing of
   * the rest), so the analytics are complete early; the second reads everything else for search and the library.
   * Both read only what is new since the last scan.
   */
  private async runScan(): Promise<ScanProgress> {
    const progress: ScanProgress = { ...idleProgress(), running: true, phase: 'tokens', startedAt: new Date().toISOString() };
    this.progress = progress;
    let lastReport = 0;
    const report = (force = false) => {
      const now = Date.now();
      if (!force && now - lastReport < (this.options.progressIntervalMs ?? 250)) return;
      lastReport = now;
      this.options.onProgress?.(this.status());
    };
    try {
      const files = this.indexer.discover(this.options.roots, progress.skipped);
      progress.filesTotal = files.length;
      for (const file of files) {
        try {
          progress.bytesTotal += fs.statSync(file.path).size;
        } catch {
          // Gone already: counted when its turn comes.
        }
      }
      report(true);
      for (const file of files) {
        if (file.provider !== 'claude-code') continue;
        if (!(await this.indexWhole(file.path, file.provider, 'usage', report))) break;
      }
      progress.tokensFinishedAt = new Date().toISOString();
      progress.phase = 'messages';
      report(true);
      for (const file of files) {
        if (this.closed) break;
        const result = await this.indexWhole(file.path, file.provider, 'full', report);
        if (!result) break;
        count(progress, result);
        progress.filesDone++;
        if (result.outcome === 'appended' || result.outcome === 'reread') progress.filesChanged++;
        report();
        if (progress.filesDone % 16 === 0) await turn();
      }
    } catch (error) {
      progress.error = (error as Error).message;
      this.options.log?.warn(`transcript scan failed: ${(error as Error).message}`);
    } finally {
      progress.running = false;
      progress.phase = null;
      progress.finishedAt = new Date().toISOString();
      report(true);
    }
    return this.status();
  }

  /** One file to its end, a slice per turn of the event loop; the slices' results summed; null once closed. */
  private async indexWhole(file: string, provider: Provider, mode: IndexMode, report: () => void): Promise<FileResult | null> {
    let total: FileResult | undefined;
    for (;;) {
      if (this.closed) return null;
      const result = this.indexer.indexFile(file, provider, SCAN_SLICE_BYTES, mode);
      total = total ? { ...result, outcome: total.outcome === 'unchanged' ? result.outcome : total.outcome, bytesRead: total.bytesRead + result.bytesRead, badLines: total.badLines + result.badLines, oversizedLines: total.oversizedLines + result.oversizedLines } : result;
      if (result.done) return total;
      report();
      await turn();
    }
  }

  /** Reads what was appended to one file now (a live transcript, or a file the caller knows changed). */
  indexNow(file: string, provider: Provider): FileResult {
    let result: FileResult;
    let total: FileResult | undefined;
    do {
      result = this.indexer.indexFile(file, provider);
      total = total ? { ...result, bytesRead: total.bytesRead + result.bytesRead, badLines: total.badLines + result.badLines } : result;
    } while (!result.done);
    if (total.outcome === 'appended' || total.outcome === 'reread') this.options.onIndexed?.(file, total);
    return total;
  }

  /**
   * Follows a live transcript: fs.watch when it can (the event says "look now"), else a stat poll (a file that does
   * not exist yet, or a file system without notifications). Each wake-up reads only appended bytes.
   */
  follow(key: string, file: string, provider: Provider): void {
    const current = this.live.get(key);
    if (current?.file === file) return;
    if (current) this.unfollow(key);
    const live: LiveFile = { file, provider, watcher: null, polling: false, timer: null };
    this.live.set(key, live);
    this.attachWatch(live);
    this.wake(live);
  }

  /** Stops following (a final read first, so the last lines of a finished session are in). */
  unfollow(key: string): void {
    const live = this.live.get(key);
    if (!live) return;
    this.live.delete(key);
    this.detach(live);
    this.safeIndex(live);
  }

  following(): string[] {
    return [...this.live.values()].map((live) => live.file);
  }

  close(): void {
    this.closed = true;
    for (const live of this.live.values()) this.detach(live);
    this.live.clear();
  }

  private attachWatch(live: LiveFile): void {
    try {
      live.watcher = fs.watch(live.file, { persistent: false }, (event) => {
        // A rename means the file was replaced or removed: follow the path again.
        if (event === 'rename') {
          this.detach(live);
          if (this.live.get(liveKey(this.live, live)) === live) this.attachWatch(live);
        }
        this.wake(live);
      });
      live.watcher.on('error', () => {
        this.detach(live);
        this.poll(live);
      });
    } catch {
      this.poll(live);
    }
  }

  private poll(live: LiveFile): void {
    if (live.polling) return;
    live.polling = true;
    fs.watchFile(live.file, { persistent: false, interval: this.options.pollIntervalMs ?? 1000 }, (now, before) => {
      if (now.size !== before.size || now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) {
        // Once it exists, notifications are cheaper than polling.
        if (now.ino !== 0 && !live.watcher) {
          fs.unwatchFile(live.file);
          live.polling = false;
          this.attachWatch(live);
        }
        this.wake(live);
      }
    });
  }

  private detach(live: LiveFile): void {
    live.watcher?.close();
    live.watcher = null;
    if (live.polling) fs.unwatchFile(live.file);
    live.polling = false;
    if (live.timer) clearTimeout(live.timer);
    live.timer = null;
  }

  /** Coalesces a burst of writes into one read, shortly after the burst. */
  private wake(live: LiveFile): void {
    if (live.timer || this.closed) return;
    live.timer = setTimeout(() => {
      live.timer = null;
      this.safeIndex(live);
    }, 30);
    live.timer.unref?.();
  }

  private safeIndex(live: LiveFile): void {
    try {
      this.indexNow(live.file, live.provider);
    } catch (error) {
      this.options.log?.warn(`indexing ${live.file} failed: ${(error as Error).message}`);
    }
  }
}

interface LiveFile {
  file: string;
  provider: Provider;
  watcher: fs.FSWatcher | null;
  polling: boolean;
  timer: NodeJS.Timeout | null;
}

function liveKey(map: Map<string, LiveFile>, live: LiveFile): string {
  for (const [key, value] of map) if (value === live) return key;
  return '';
}

/** The full pass's counts (the token pass visits the same files first: counting both would count twice). */
function count(progress: ScanProgress, result: FileResult): void {
  progress.bytesRead += result.bytesRead;
  progress.skipped.badLines += result.badLines;
  progress.skipped.oversizedLines += result.oversizedLines;
  if (result.outcome === 'binary') progress.skipped.binary++;
  else if (result.outcome === 'unreadable') progress.skipped.unreadable++;
  else if (result.outcome === 'vanished') progress.skipped.vanished++;
}

function idleProgress(): ScanProgress {
  return { running: false, phase: null, startedAt: null, tokensFinishedAt: null, finishedAt: null, filesTotal: 0, filesDone: 0, filesChanged: 0, bytesTotal: 0, bytesRead: 0, skipped: emptySkips(), error: null };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
