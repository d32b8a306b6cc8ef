import { AppError } from '../errors';
import type { ProviderRuntime } from '../providers/runtime';
import type { TerminalId } from '../runner/runner';
import type { SessionOutput } from './output';
import type { SessionState } from './state';
import type { SessionRecord } from './store';

/** Output quiet for this long makes the screen worth reading. */
export const QUIET_MS = 300;
/** An idle-looking screen must stay quiet this much longer before the session counts as idle. */
export const IDLE_CONFIRM_MS = 700;
/** For this long after a hook reported a state, what the screen seems to say does not override it. */
export const HOOK_STATE_WINS_MS = 3000;
/**
 * How long after an answer another is refused even if the screen changed: the agent redraws as it takes the first
 * (and a late hook may still call it waiting); a question that is still there after this is the agent's next one.
 */
export const ANSWER_SETTLE_MS = 1000;
/** Failed screen reads in a row that are retried before the next output has to trigger another. */
export const CAPTURE_RETRIES = 5;
/** Output that arrives for a terminal before its session is registered (the first bytes of a fast agent) is held this long. */
export const ORPHAN_BYTES = 256 * 1024;
/** Pause between the keys of an agent's quit sequence. */
export const QUIT_KEY_GAP_MS = 100;

/** What the engine holds for a session whose agent runs. */
export interface Live {
  id: string;
  terminal: TerminalId;
  /** Where the runner keeps the terminal (the session's tmuxSession). */
  place: string;
  runtime: ProviderRuntime;
  output: SessionOutput;
  state: SessionState;
  quietTimer: NodeJS.Timeout | undefined;
  confirmTimer: NodeJS.Timeout | undefined;
  stopRequested: boolean;
  killing: boolean;
  /** When a hook last set the state: a fresher hook beats a screen guess. */
  hookStateAt: number;
  /**
   * When the pending permission question was answered, and the output generation then: a second answer waits until
   * the state changes, or the screen has changed since and still asks (the agent's next question).
   */
  permissionAnswer: { at: number; generation: number } | undefined;
  /** Screen reads that failed in a row (retried a few times; see StateWatcher.evaluate). */
  captureFailures: number;
  /** Bumped by every output chunk, so an evaluation started before new output knows it is stale. */
  generation: number;
  ended: Promise<void>;
  markEnded: () => void;
}

/** The sessions whose agents run, by session id and by the terminal they run in. */
export class LiveSessions {
  private readonly byId = new Map<string, Live>();
  private readonly byTerminal = new Map<TerminalId, Live>();

  get(id: string): Live | undefined {
    return this.byId.get(id);
  }

  inTerminal(terminal: TerminalId): Live | undefined {
    return this.byTerminal.get(terminal);
  }

  /** Whether `live` is still the registered one for its session (a resumed session gets a new one). */
  isCurrent(live: Live): boolean {
    return this.byId.get(live.id) === live;
  }

  values(): Live[] {
    return [...this.byId.values()];
  }

  add(live: Live): void {
    this.byId.set(live.id, live);
    this.byTerminal.set(live.terminal, live);
  }

  remove(live: Live): void {
    if (this.byId.get(live.id) === live) this.byId.delete(live.id);
    if (this.byTerminal.get(live.terminal) === live) this.byTerminal.delete(live.terminal);
  }

  /** The live session of `record`, or a 409 that says how to get it running. */
  require(record: SessionRecord): Live {
    const live = this.byId.get(record.id);
    if (!live) {
      throw new AppError('SESSION_NOT_RUNNING', `session ${record.id} is ${record.state.replace('_', ' ')}; resume it first (codepiper resume ${record.id})`);
    }
    return live;
  }
}

/** A new Live for `record`, running in `terminal`. */
export function newLive(record: SessionRecord, terminal: TerminalId, runtime: ProviderRuntime, output: SessionOutput): Live {
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  return {
    id: record.id,
    terminal,
    place: record.tmuxSession,
    runtime,
    output,
    state: record.state,
    quietTimer: undefined,
    confirmTimer: undefined,
    stopRequested: false,
    killing: false,
    hookStateAt: 0,
    permissionAnswer: undefined,
    captureFailures: 0,
    generation: 0,
    ended,
    markEnded,
  };
}
