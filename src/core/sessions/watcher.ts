import type { Runner } from '../runner/runner';
import type { SessionJournal } from './journal';
import { CAPTURE_RETRIES, HOOK_STATE_WINS_MS, IDLE_CONFIRM_MS, QUIET_MS, type Live, type LiveSessions } from './live';
import type { SessionState, StateSource } from './state';

/**
 * What a live session is doing, from two channels: the agent's hooks (fresh and exact, when the agent has them) and
 * its screen (read once output has gone quiet, through each provider's patterns). A hook's word stands for a while;
 * then the screen is read again, so a state the agent left without a hook does not stick. Nothing polls: timers run
 * only after output or a hook, to read the screen once it has settled.
 */
export class StateWatcher {
  /**
   * Hook states that hold until the person acts (Claude Code's idle_prompt: needs_input on a screen that looks merely
   * idle), with the screen as it was then. An idle reading of that same screen does not end the hold, however old the
   * hook; a changed screen (the person typed), busy output, another hook or another screen state does.
   */
  private readonly held = new WeakMap<Live, { screen: string | undefined }>();

  constructor(
    private readonly runner: Runner,
    private readonly journal: SessionJournal,
    private readonly lives: LiveSessions,
  ) {}

  /** New output: kept and pushed to followers; a busy marker in it means running at once; the screen is read later. */
  onOutput(live: Live, data: Buffer): void {
    const chunk = live.output.append(data);
    this.journal.publishOutput(live.id, chunk);
    live.generation++;
    const freshHook = Date.now() - live.hookStateAt < HOOK_STATE_WINS_MS;
    if (!freshHook && (live.runtime.busyInStream(data.toString('utf8')) || live.runtime.outputMeansRunning)) {
      this.held.delete(live);
      this.setState(live, 'running', 'screen');
    }
    this.scheduleEvaluation(live);
  }

  /** A state a hook reported (or implied, once a decision is known), fresher than any screen reading. */
  applyHookState(id: string, state: SessionState, options: { untilInput?: boolean } = {}): void {
    const live = this.lives.get(id);
    if (!live) return;
    live.hookStateAt = Date.now();
    if (options.untilInput) {
      const hold: { screen: string | undefined } = { screen: undefined };
      this.held.set(live, hold);
      // The screen the hook was given on: what the person types changes it.
      void this.runner.capture(live.terminal, { ansi: false }).then(
        (screen) => {
          if (this.held.get(live) === hold) hold.screen ??= screen;
        },
        () => undefined,
      );
    } else this.held.delete(live);
    if (live.confirmTimer) clearTimeout(live.confirmTimer);
    // Once the hook's word has aged, the screen is read again: a late hook from an earlier turn, or a state the agent
    // left without a hook, must not stick when no further output comes to trigger a reading.
    live.confirmTimer = setTimeout(() => void this.evaluate(live, false), HOOK_STATE_WINS_MS + 50);
    this.setState(live, state, 'hook');
  }

  /** Reads the screen once it has been quiet for a moment (every output chunk pushes the reading back). */
  scheduleEvaluation(live: Live): void {
    if (live.confirmTimer) clearTimeout(live.confirmTimer);
    live.confirmTimer = undefined;
    if (live.quietTimer) live.quietTimer.refresh();
    else live.quietTimer = setTimeout(() => void this.evaluate(live, false), QUIET_MS);
  }

  /** No more readings for a session that ended (or an engine that closes). */
  stop(live: Live): void {
    this.held.delete(live);
    if (live.quietTimer) clearTimeout(live.quietTimer);
    if (live.confirmTimer) clearTimeout(live.confirmTimer);
    live.quietTimer = live.confirmTimer = undefined;
  }

  /** Reads the settled screen and applies what it says; an idle screen is confirmed once more before it counts. */
  private async evaluate(live: Live, confirming: boolean): Promise<void> {
    live.quietTimer = undefined;
    live.confirmTimer = undefined;
    if (!this.lives.isCurrent(live)) return;
    const generation = live.generation;
    let screen: string;
    try {
      screen = await this.runner.capture(live.terminal, { ansi: false });
      live.captureFailures = 0;
    } catch {
      // The terminal went away (its end is reported separately), or the runner could not answer just now (it is
      // reconnecting): look again shortly, a few times, so that a session does not stay "running" for want of one
      // more read when no further output comes to trigger it.
      if (this.lives.isCurrent(live) && ++live.captureFailures <= CAPTURE_RETRIES && !live.quietTimer) {
        live.quietTimer = setTimeout(() => void this.evaluate(live, confirming), QUIET_MS);
      }
      return;
    }
    if (!this.lives.isCurrent(live) || live.generation !== generation) return;
    this.learnAgentSessionId(live, screen);
    const seen = live.runtime.stateFromScreen(screen) ?? (live.runtime.outputMeansRunning ? 'idle' : undefined);
    if (!seen) return;
    const hold = this.held.get(live);
    if (hold) {
      if (seen === 'idle' && (hold.screen === undefined || hold.screen === screen)) {
        hold.screen ??= screen;
        return;
      }
      this.held.delete(live);
    }
    if (seen === 'idle' && live.state !== 'idle' && !confirming) {
      live.confirmTimer = setTimeout(() => void this.evaluate(live, true), IDLE_CONFIRM_MS);
      return;
    }
    const hookAge = Date.now() - live.hookStateAt;
    if (hookAge < HOOK_STATE_WINS_MS) {
      // The hook's word stands for now; look at the screen again once it has aged, so a state the agent left without
      // a hook (an Esc on a permission box) does not stick.
      live.confirmTimer = setTimeout(() => void this.evaluate(live, true), HOOK_STATE_WINS_MS - hookAge + 50);
      return;
    }
    this.setState(live, seen, 'screen');
  }

  /** Agents that choose their own session id (Codex) show it on screen; it is what resume needs. */
  private learnAgentSessionId(live: Live, screen: string): void {
    const record = this.journal.store.get(live.id);
    if (!record || record.agentSessionId || !live.runtime.agentSessionIdFromScreen) return;
    const agentId = live.runtime.agentSessionIdFromScreen(screen);
    if (!agentId) return;
    this.journal.store.setAgentSessionId(live.id, agentId, new Date().toISOString());
    this.journal.record(live.id, 'screen', 'agent-session', { agentSessionId: agentId });
  }

  private setState(live: Live, state: SessionState, source: StateSource): void {
    if (live.state !== state) this.journal.transition(live.id, state, source);
  }
}
