import path from 'node:path';
import { MAX_SEND_BYTES, type Session } from '../api/sessions';
import { AppError } from '../errors';
import type { AnswerVia } from '../policies/outcome';
import { redactSecrets } from '../policies/redact';
import type { Paths } from '../paths';
import type { PermissionAnswer } from '../providers/runtime';
import { isTerminalGone, type Runner, type TerminalInput } from '../runner/runner';
import type { SessionJournal } from './journal';
import { parseKeys } from '../runner/keys';
import { ANSWER_SETTLE_MS, type LiveSessions } from './live';
import { SessionOutput, type OutputChunk } from './output';
import type { SessionRecord } from './store';

/** Asks policy about input before it is typed (agents without hooks); throws when policy refuses it. */
export type InputPreflight = (record: SessionRecord, tool: 'terminal_input' | 'terminal_keys', args: Record<string, unknown>) => void;

/** Told of each permission answer typed (after its keys reached the agent), so the audit log can settle the question. */
export type PermissionAnswered = (record: SessionRecord, answer: PermissionAnswer, via: AnswerVia) => void;

export interface SessionTerminalOptions {
  runner: Runner;
  journal: SessionJournal;
  lives: LiveSessions;
  paths: Paths;
  preflight?: InputPreflight | undefined;
  onPermissionAnswer?: PermissionAnswered | undefined;
}

/**
 * A session's terminal as users reach it: text and keys typed in (checked by policy first), answers to permission
 * questions, the screen read back, the live output replayed, the window resized.
 */
export class SessionTerminal {
  private readonly runner: Runner;
  private readonly journal: SessionJournal;
  private readonly lives: LiveSessions;
  /**
   * The input being typed into each session: one send, key list or answer at a time, so that concurrent ones never
   * interleave (a text and its Enter are separate tmux commands).
   */
  private readonly typing = new Map<string, Promise<unknown>>();

  constructor(private readonly options: SessionTerminalOptions) {
    ({ runner: this.runner, journal: this.journal, lives: this.lives } = options);
  }

  async send(ref: string, text: string, newline: boolean): Promise<{ ok: true; bytes: number }> {
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_SEND_BYTES) {
      throw new AppError('PAYLOAD_TOO_LARGE', `text is ${bytes} bytes, over the ${MAX_SEND_BYTES}-byte limit of one send`, {
        details: { bytes, limit: MAX_SEND_BYTES },
      });
    }
    const record = this.journal.resolve(ref);
    const live = this.lives.require(record);
    this.options.preflight?.(record, 'terminal_input', { text, newline });
    const inputs: TerminalInput[] = [];
    // A newline is typed as the key it is (ctrl+j), so that text never carries one.
    text.replace(/\r\n/g, '\n').split('\n').forEach((part, i) => {
      if (i > 0) inputs.push({ key: 'ctrl+j' });
      if (part) inputs.push({ literal: part });
    });
    if (newline) inputs.push({ key: 'enter' });
    await this.inTurn(record.id, () => this.runner.send(live.terminal, inputs));
    // Redacted before it is cut, or a secret across the cut would keep its first characters (the journal redacts
    // too). Only the start is read: a secret that begins before the cut is all redacted within it.
    const shown = redactSecrets(text.slice(0, 1000));
    this.journal.record(record.id, 'user', 'input', { bytes, newline, preview: shown.length > 200 || text.length > 1000 ? `${shown.slice(0, 200)}…` : shown });
    return { ok: true, bytes };
  }

  async keys(ref: string, names: string[]): Promise<{ ok: true; keys: number }> {
    const keys = parseKeys(names);
    const record = this.journal.resolve(ref);
    const live = this.lives.require(record);
    this.options.preflight?.(record, 'terminal_keys', { keys: names.join(' ') });
    await this.inTurn(record.id, () => this.runner.send(live.terminal, keys));
    this.journal.record(record.id, 'user', 'keys', { keys: names });
    return { ok: true, keys: keys.length };
  }

  /**
   * Answers the permission question the agent shows, with the keys its prompt takes (see permissionKeys). Only a
   * session waiting for permission is answered: keys meant for a dialog must not land in a prompt or a busy agent.
   */
  async answerPermission(ref: string, answer: PermissionAnswer, via: AnswerVia = 'api'): Promise<Session> {
    const record = this.journal.resolve(ref);
    const live = this.lives.require(record);
    if (live.state !== 'needs_permission') {
      throw new AppError('SESSION_NOT_WAITING', `session ${record.id} is ${live.state.replace('_', ' ')}, not waiting for permission; nothing to ${answer}`);
    }
    // One answer per question: a second (a double key press, two clients) would land in whatever the agent shows
    // next. Taken before anything is awaited, so a concurrent call sees it; freed when the agent asks again.
    const previous = live.permissionAnswer;
    if (previous && (Date.now() - previous.at < ANSWER_SETTLE_MS || live.generation === previous.generation)) {
      throw new AppError('SESSION_NOT_WAITING', `session ${record.id}'s permission question was just answered; waiting for the agent`);
    }
    live.permissionAnswer = { at: Date.now(), generation: live.generation };
    try {
      // The screen is read in turn too: input typed before the answer is on it by then.
      await this.inTurn(record.id, async () => {
        const screen = await this.runner.capture(live.terminal, { ansi: false });
        const keys = live.runtime.permissionKeys(screen, answer);
        if (!keys) {
          throw new AppError('SESSION_NOT_WAITING', `session ${record.id} shows no permission question CodePiper knows how to answer; attach and answer it there`);
        }
        this.options.preflight?.(record, 'terminal_keys', { keys: keys.map((key) => ('literal' in key ? key.literal : key.key)).join(' ') });
        await this.runner.send(live.terminal, keys);
      });
    } catch (error) {
      live.permissionAnswer = previous;
      throw error;
    }
    this.journal.record(record.id, 'user', 'permission', { answer, via });
    this.options.onPermissionAnswer?.(record, answer, via);
    return this.journal.get(record.id);
  }

  /** Runs `work` once every input queued before it for the session has been typed (or has failed). */
  private inTurn<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.typing.get(id) ?? Promise.resolve();
    const turn = previous.then(work, work);
    const settled = turn.then(() => undefined, () => undefined);
    this.typing.set(id, settled);
    // The last in line clears the entry, so an idle session holds nothing.
    void settled.then(() => {
      if (this.typing.get(id) === settled) this.typing.delete(id);
    });
    return turn;
  }

  /** The screen now (while its terminal exists), else the end of the persisted output log. */
  async output(ref: string, options: { ansi: boolean; lines?: number | undefined }): Promise<{ text: string; seq: number; source: 'screen' | 'log' }> {
    const record = this.journal.resolve(ref);
    const live = this.lives.get(record.id);
    // An ended session's output is opened once, for both its sequence number and its saved tail.
    const output = live?.output ?? new SessionOutput(path.join(this.options.paths.sessionsDir, record.id));
    const seq = output.seq;
    const terminal = live?.terminal ?? (await this.runner.find(record.tmuxSession))?.terminal;
    if (terminal) {
      try {
        return { text: await this.runner.capture(terminal, options), seq, source: 'screen' };
      } catch (error) {
        if (!isTerminalGone(error)) throw error;
      }
    }
    const tail = output.readPersistedTail(256 * 1024).toString('utf8');
    const plain = options.ansi ? tail : stripAnsi(tail);
    const lines = plain.split(/\r?\n/);
    const keep = (options.lines ?? 0) + record.rows;
    return { text: trimTrailingBlank(lines.slice(-keep)).join('\n'), seq, source: 'log' };
  }

  /** Output chunks from `seq` on still in memory, for a follower that starts from a snapshot. */
  outputSince(ref: string, seq: number): OutputChunk[] {
    const live = this.lives.get(this.journal.resolve(ref).id);
    return live ? live.output.since(seq) : [];
  }

  /** The sequence number the session's next output byte will carry, while it runs; undefined once it has ended. */
  outputSeq(ref: string): number | undefined {
    return this.lives.get(this.journal.resolve(ref).id)?.output.seq;
  }

  async resize(ref: string, cols: number, rows: number): Promise<Session> {
    const record = this.journal.resolve(ref);
    const live = this.lives.require(record);
    await this.runner.resize(live.terminal, cols, rows);
    this.journal.store.setSize(record.id, cols, rows, new Date().toISOString());
    this.journal.record(record.id, 'user', 'resize', { cols, rows });
    return this.journal.publish(record.id);
  }
}

/**
 * Terminal escape sequences: strings (DCS, SOS, PM, APC, OSC) with their payload, CSI sequences, and the short
 * escapes (charset selection `ESC ( B`, `ESC 7`, `ESC =`, …: ESC, intermediates, one final byte).
 */
const ANSI = /\u001b[PX^_][^\u001b]*(?:\u001b\\)?|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b\[[0-?]*[ -/]*[@-~]|\u001b[ -/]*[0-~]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '').replace(/\r(?!\n)/g, '\n');
}

function trimTrailingBlank(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && lines[end - 1]!.trim() === '') end--;
  return lines.slice(0, end);
}
