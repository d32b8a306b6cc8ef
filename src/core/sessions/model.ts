import fs from 'node:fs';
import type { z } from 'zod';
import type { modelSwitchSchema, sessionModelSchema } from '../api/controls';
import { AppError } from '../errors';
import { findProvider } from '../providers';
import { RUNTIMES, type ModelSeen, type ModelSwitching } from '../providers/runtime';
import type { Runner } from '../runner/runner';
import type { SessionJournal } from './journal';
import type { LiveSessions } from './live';
import type { SessionRecord } from './store';
import type { SessionTerminal } from './terminal';

export type SessionModel = z.output<typeof sessionModelSchema>;
export type ModelSwitch = z.output<typeof modelSwitchSchema>;

/** Rows of scrollback read with the screen when looking for what the agent said about its model. */
const SCREEN_HISTORY_ROWS = 2000;
/** The end of a transcript read for its latest model (a record is a few KB; the latest one is near the end). */
const TRANSCRIPT_TAIL_BYTES = 512 * 1024;
/** How often the screen and transcript are read again while waiting for a switch to be confirmed. */
const POLL_MS = 150;
/**
 * The state in which the agent reads its prompt, so that a typed command is taken at once. Not needs_input: that is a
 * question or menu on the screen (a trust dialog, a choice the agent asks for), where the Enter after the command
 * would pick the highlighted answer for the person.
 */
const READY_STATES = new Set(['idle']);

export interface ModelControlOptions {
  runner: Runner;
  journal: SessionJournal;
  lives: LiveSessions;
  terminal: SessionTerminal;
}

/**
 * The agent's model: read from what the agent itself wrote (its transcript, its screen), and switched with its own
 * command typed into an idle session, the new model read back rather than assumed.
 */
export class ModelControl {
  /** Sessions with a switch under way: a second one would type into the first one's wait. */
  private readonly switching = new Set<string>();

  constructor(private readonly options: ModelControlOptions) {}

  async get(ref: string): Promise<SessionModel> {
    const record = this.options.journal.resolve(ref);
    const base = { sessionId: record.id, provider: record.provider, supportsModelSwitch: supportsSwitch(record) };
    const fromTranscript = record.transcriptPath ? latestModelInTranscript(record.transcriptPath) : undefined;
    const fromSwitch = this.lastSwitch(record.id);
    // Both carry times: the newer tells (a switch the agent has not written down yet, or a change made by hand since).
    const timed = [fromTranscript, fromSwitch].filter((seen) => seen !== undefined).sort((a, b) => (a.at < b.at ? 1 : -1))[0];
    if (timed) return { ...base, model: timed.model, source: timed === fromSwitch ? 'switch' : 'transcript', seenAt: timed.at };
    const switching = RUNTIMES[record.provider].model;
    const screen = switching ? await this.readScreen(record) : undefined;
    const onScreen = screen !== undefined && switching ? lastSeen(screen, switching.current) : undefined;
    if (onScreen) return { ...base, model: onScreen.model, source: 'screen', seenAt: null };
    const fromArgs = modelInArgs(record.args);
    if (fromArgs) return { ...base, model: fromArgs, source: 'args', seenAt: null };
    return { ...base, model: null, source: null, seenAt: null };
  }

  async set(ref: string, model: string, timeoutMs: number): Promise<ModelSwitch> {
    const record = this.options.journal.resolve(ref);
    const switching = RUNTIMES[record.provider].model;
    if (!supportsSwitch(record) || !switching) {
      throw new AppError('MODEL_SWITCH_UNSUPPORTED', `session ${record.id} runs ${record.provider}, which has no model switch CodePiper can drive; restart it with the model in its arguments`, {
        details: { provider: record.provider },
      });
    }
    const live = this.options.lives.require(record);
    if (!READY_STATES.has(live.state)) {
      const why = live.state === 'needs_input' || live.state === 'needs_permission' ? 'it shows a question, which the Enter after /model would answer' : 'its /model command would wait behind the work';
      throw new AppError('SESSION_BUSY', `session ${record.id} is ${live.state.replace('_', ' ')}; the model can be switched once it is idle (${why})`, {
        details: { state: live.state },
      });
    }
    if (this.switching.has(record.id)) throw new AppError('SESSION_BUSY', `session ${record.id} is already switching its model; wait for that answer`);
    this.switching.add(record.id);
    try {
      return await this.switchAndConfirm(record, switching, model, timeoutMs);
    } finally {
      this.switching.delete(record.id);
    }
  }

  private async switchAndConfirm(record: SessionRecord, switching: ModelSwitching, model: string, timeoutMs: number): Promise<ModelSwitch> {
    const started = Date.now();
    // What was said before: only a confirmation that comes after the command counts.
    const before = countSeen((await this.readScreen(record)) ?? '', switching.confirmation);
    const transcriptFrom = record.transcriptPath ? fileSize(record.transcriptPath) : 0;
    await this.options.terminal.send(record.id, switching.command(model), true);

    let evidence: { seen: ModelSeen; source: 'screen' | 'transcript' } | undefined;
    const deadline = started + timeoutMs;
    for (;;) {
      const screen = (await this.readScreen(record)) ?? '';
      const confirmations = allSeen(screen, switching.confirmation);
      if (confirmations.length > before) evidence = { seen: confirmations.at(-1)!, source: 'screen' };
      else if (record.transcriptPath) {
        const written = modelSwitchInTranscript(record.transcriptPath, transcriptFrom, switching);
        if (written) evidence = { seen: written, source: 'transcript' };
      }
      if (evidence || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
    }
    const waitedMs = Date.now() - started;
    const confirmed = evidence !== undefined;
    this.options.journal.record(record.id, 'user', 'model', { requested: model, confirmed, model: evidence?.seen.model ?? null });
    const base = { sessionId: record.id, provider: record.provider, requested: model, waitedMs };
    if (!evidence) {
      return {
        ...base,
        confirmed: false,
        model: null,
        evidence: null,
        message: `typed "${switching.command(model)}" into session ${record.id}, but the agent did not confirm a model within ${Math.round(timeoutMs / 100) / 10} s; look at its screen (codepiper tail ${record.id})`,
      };
    }
    return {
      ...base,
      confirmed: true,
      model: evidence.seen.model,
      evidence: { source: evidence.source, text: evidence.seen.text },
      message: `session ${record.id} now uses ${evidence.seen.model}`,
    };
  }

  /** The screen and recent scrollback as plain text, or undefined when the session's terminal is gone. */
  private async readScreen(record: SessionRecord): Promise<string | undefined> {
    const terminal = this.options.lives.get(record.id)?.terminal ?? (await this.options.runner.find(record.tmuxSession))?.terminal;
    if (!terminal) return undefined;
    return this.options.runner.capture(terminal, { ansi: false, lines: SCREEN_HISTORY_ROWS }).catch(() => undefined);
  }

  /** The newest switch CodePiper saw confirmed, from the session's event log. */
  private lastSwitch(id: string): { model: string; at: string } | undefined {
    const store = this.options.journal.store;
    const { total } = store.events(id, { source: 'user', limit: 1, offset: 0 });
    const { events } = store.events(id, { source: 'user', limit: 500, offset: Math.max(0, total - 500) });
    for (let i = events.length - 1; i >= 0; i--) {
      const event = events[i]!;
      if (event.type === 'model' && event.data.confirmed === true && typeof event.data.model === 'string') return { model: event.data.model, at: event.at };
    }
    return undefined;
  }
}

function supportsSwitch(record: SessionRecord): boolean {
  return findProvider(record.provider)?.capabilities.supportsModelSwitch === true;
}

function allSeen(screen: string, read: (line: string) => ModelSeen | undefined): ModelSeen[] {
  const seen: ModelSeen[] = [];
  for (const line of screen.split('\n')) {
    const found = read(line);
    if (found) seen.push(found);
  }
  return seen;
}

function countSeen(screen: string, read: (line: string) => ModelSeen | undefined): number {
  return allSeen(screen, read).length;
}

function lastSeen(screen: string, read: (line: string) => ModelSeen | undefined): ModelSeen | undefined {
  return allSeen(screen, read).at(-1);
}

/** `--model X`, `--model=X` or `-m X` among an agent's launch arguments (the last one wins, as in the agents). */
export function modelInArgs(args: readonly string[]): string | undefined {
  let model: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if ((arg === '--model' || arg === '-m') && args[i + 1] !== undefined) model = args[++i];
    else if (arg.startsWith('--model=')) model = arg.slice('--model='.length);
  }
  return model || undefined;
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** The text of a file from `from` (at most its last `max` bytes), or undefined when it cannot be read. */
function readFrom(file: string, from: number, max: number): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const start = Math.max(from, size - max);
    if (size <= start) return '';
    const buffer = Buffer.alloc(size - start);
    fs.readSync(fd, buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A local command's output as Claude Code writes it into its transcript. */
const LOCAL_STDOUT = /<local-command-stdout>([\s\S]*?)<\/local-command-stdout>/;

/** A transcript record's plain text (a string content, or its text blocks). */
function recordText(record: Record<string, unknown>): string {
  const message = record.message as { content?: unknown } | undefined;
  const content = message?.content ?? record.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((block) => (block && typeof block === 'object' && typeof (block as { text?: unknown }).text === 'string' ? (block as { text: string }).text : '')).join('\n');
  return '';
}

/**
 * The model a transcript record shows in use: a Claude Code reply's message.model (not "<synthetic>"), the output of
 * its /model command, or a Codex turn_context's model.
 */
function modelOfRecord(record: Record<string, unknown>): string | undefined {
  const message = record.message as { model?: unknown } | undefined;
  if (record.type === 'assistant' && typeof message?.model === 'string' && message.model !== '<synthetic>') return message.model;
  if (record.type === 'turn_context') {
    const model = (record.payload as { model?: unknown } | undefined)?.model;
    if (typeof model === 'string') return model;
  }
  const stdout = LOCAL_STDOUT.exec(recordText(record))?.[1];
  const confirmed = stdout ? RUNTIMES['claude-code'].model!.confirmation(stdout.replace(/\u001b\[[0-9;]*m/g, '')) : undefined;
  return confirmed?.model;
}

/** The newest model a transcript names, with the time of its record. */
export function latestModelInTranscript(file: string): { model: string; at: string } | undefined {
  const text = readFrom(file, 0, TRANSCRIPT_TAIL_BYTES);
  if (!text) return undefined;
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const record = parseRecord(lines[i]!);
    const model = record && modelOfRecord(record);
    if (model) return { model, at: typeof record.timestamp === 'string' ? record.timestamp : new Date(0).toISOString() };
  }
  return undefined;
}

/** A confirmation of a model switch among the records appended since byte `from`. */
function modelSwitchInTranscript(file: string, from: number, switching: ModelSwitching): ModelSeen | undefined {
  const text = readFrom(file, from, TRANSCRIPT_TAIL_BYTES);
  if (!text) return undefined;
  for (const line of text.split('\n').reverse()) {
    const record = parseRecord(line);
    const stdout = record ? LOCAL_STDOUT.exec(recordText(record))?.[1] : undefined;
    const seen = stdout ? switching.confirmation(stdout.replace(/\u001b\[[0-9;]*m/g, '')) : undefined;
    if (seen) return seen;
  }
  return undefined;
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // a line still being written
  }
}
