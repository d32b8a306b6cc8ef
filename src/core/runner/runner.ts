import type { EventEmitter } from 'node:events';
import { AppError } from '../errors';
import type { KeyName } from './keys';

/**
 * A runner is a place where agents run: the session engine asks it to start a program in a terminal of a given size,
 * type into it, read its screen, and tell when it writes or ends. The engine knows sessions; the runner knows
 * terminals. LocalTmuxRunner (runner/tmux/) does this over a private tmux server on this machine; runners on other
 * hosts implement the same interface.
 */
export interface Runner extends EventEmitter<RunnerEvents> {
  /** What a user needs to reach the runner's terminals by hand (shown by `daemon info`, used by `attach`). */
  readonly description: RunnerDescription;
  /** Whether the runner's server already runs (so that connecting now may find terminals to adopt). */
  isUp(): Promise<boolean>;
  /**
   * Makes the runner ready (starting what it needs) and calls `adopt` just before it starts reporting: there the
   * engine lists the terminals and decides which to watch (see watch), so that it hears them from the first moment.
   * Idempotent while connected; the runner calls `adopt` again by itself whenever it has to reconnect.
   */
  connect(adopt: () => Promise<void>): Promise<void>;
  /** Every terminal the runner has, live or ended. */
  list(): Promise<TerminalStatus[]>;
  /** Starts `spec.argv` in a new terminal named `spec.place`, watched from its first byte. */
  spawn(spec: TerminalSpec): Promise<TerminalId>;
  /** Starts `spec.argv` again in the place of an ended terminal (its last screen gives way), watched from its first byte. */
  respawn(terminal: TerminalStatus, spec: TerminalSpec): Promise<TerminalId>;
  /** The terminal in `place`, live or ended; undefined when there is none. */
  find(place: string): Promise<TerminalStatus | undefined>;
  /** Reports a terminal's output and end from now on (an adopted one). */
  watch(terminal: TerminalId): Promise<void>;
  /** Stops reporting an ended terminal and sends its viewers back to their shells; its last screen stays readable. */
  release(terminal: TerminalId, place: string): Promise<void>;
  /**
   * Types into the terminal's program, in order: literal text (no newlines: send those as the key ctrl+j) and named
   * keys. A view in copy mode goes back to the live screen first, so the keys reach the program.
   */
  send(terminal: TerminalId, inputs: readonly TerminalInput[]): Promise<void>;
  /** The screen as text (`ansi` keeps colours), with `lines` of scrollback above it; trailing blank lines removed. */
  capture(terminal: TerminalId, options: { ansi: boolean; lines?: number | undefined }): Promise<string>;
  resize(terminal: TerminalId, cols: number, rows: number): Promise<void>;
  /** How the terminal is being viewed: copy mode or the live screen, how far it is scrolled, its scrollback and size. */
  view(terminal: TerminalId): Promise<TerminalView>;
  /** Enters copy mode (the view stops following output and can scroll) or leaves it for the live screen. */
  setCopyMode(terminal: TerminalId, on: boolean): Promise<void>;
  /** Scrolls the view (entering copy mode first when needed); `bottom` leaves copy mode, back to the live screen. */
  scroll(terminal: TerminalId, scroll: TerminalScroll): Promise<void>;
  /**
   * The plain text of rows `from` to `to` inclusive, one string per row (wrapped rows stay apart, so numbers match
   * the view's): 0 is the screen's top row, negative rows are the scrollback. Reads the terminal, never the view.
   */
  rows(terminal: TerminalId, from: number, to: number): Promise<string[]>;
  /** Whether the terminal's program has ended (the terminal may stay for its last screen). */
  hasEnded(terminal: TerminalId): Promise<boolean>;
  /** Sends a signal to the terminal's program; nothing when it has already gone. */
  signal(terminal: TerminalId, signal: NodeJS.Signals): Promise<void>;
  /** Removes the terminal and ends its processes; a `closed` event follows when it was watched. */
  kill(terminal: TerminalId): Promise<void>;
  /** Stops reporting; the terminals and their programs keep running. */
  close(): void;
  /**
   * The command that shows the terminal in `place` to a person, in a pseudo-terminal of their own (the terminal
   * bridge): it never sizes the terminal by the viewer's, and with `readOnly` it passes on no keystrokes. Runners that
   * cannot be attached to from here leave it out.
   */
  attachCommand?(place: string, options: { readOnly: boolean }): AttachCommand;
}

export interface AttachCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

/** A terminal as the runner names it; opaque to everyone else. */
export type TerminalId = string;

export interface TerminalSpec {
  /** A name the runner keeps the terminal under, unique among the runner's terminals (the session's, `cp-<id>`). */
  place: string;
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  /**
   * True when `env` is the program's whole environment (its caller's, as from a shell): what the runner's own
   * environment has besides is removed. False: `env` is set over the runner's own environment.
   */
  exactEnv?: boolean | undefined;
  cwd: string;
  cols: number;
  rows: number;
}

export interface TerminalStatus {
  place: string;
  terminal: TerminalId;
  /** Whether output and the end are being reported (it was spawned or watched by this connection or an earlier one). */
  watched: boolean;
  /** Set once the program has ended, with what is known of how. */
  ended: TerminalExit | undefined;
}

/** How a program ended: its exit status, or the signal that ended it; neither when that could not be learnt. */
export interface TerminalExit {
  status: number | undefined;
  signal: number | undefined;
}

export type TerminalInput = { literal: string } | { key: KeyName };

export interface TerminalView {
  /** Copy mode: the view is frozen (scrolled back, or selecting); otherwise it follows the live screen. */
  copyMode: boolean;
  /** Rows scrolled up from the bottom while in copy mode; 0 otherwise. */
  scrollPosition: number;
  /** Rows of scrollback above the screen, and the most it keeps. */
  historySize: number;
  historyLimit: number;
  cols: number;
  rows: number;
}

/** Up or down by a number of rows (positive: up, into the scrollback), or to the top of the scrollback or the bottom. */
export type TerminalScroll = { by: number } | { to: 'top' | 'bottom' };

export interface RunnerDescription {
  /** The tmux binary and `-L` socket name through which a person attaches to these terminals. */
  tmux: { binary: string; socket: string };
}

export interface RunnerEvents {
  /** Bytes a watched terminal's program wrote, exactly as written. */
  output: [terminal: TerminalId, data: Buffer];
  /** A watched terminal's program ended; the terminal stays (its last screen) until released or killed. */
  ended: [terminal: TerminalId, exit: TerminalExit];
  /** A watched terminal is gone altogether (killed, here or from outside): its programs were hung up on. */
  closed: [terminal: TerminalId];
  /** Every terminal is gone with the runner's server; `why` names what happened, for the session log. */
  lost: [why: string];
}

/**
 * A runner that could not do what it was asked. `gone` is true when the terminal (or the whole runner) is not there
 * any more, usually a race with an exit rather than a fault.
 */
export class RunnerError extends AppError {
  constructor(
    message: string,
    readonly gone: boolean,
    cause?: unknown,
  ) {
    super('TMUX_FAILED', message, { cause });
  }
}

export function isTerminalGone(error: unknown): boolean {
  return error instanceof RunnerError && error.gone;
}
