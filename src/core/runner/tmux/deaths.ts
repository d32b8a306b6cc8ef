import { spawn, type ChildProcess } from 'node:child_process';
import { Tmux } from './exec';

/**
 * The tmux wait channel the server's `pane-died` hook signals. tmux 3.3 sends a control client nothing when a pane's
 * program exits under remain-on-exit (the format subscription only notices on its once-a-second check, often before
 * the exit status is known); the hook runs the moment tmux has reaped the program, with its status known. A channel
 * signalled while nobody waits stays signalled, so a death between two waits is not lost.
 */
export const DEATH_CHANNEL = 'cp-died';

/** The hook command set on the private server (`set-hook -g pane-died …`). */
export const DEATH_HOOK = `wait-for -S ${DEATH_CHANNEL}`;

/** Pause before waiting again after a wait-for client failed. */
const RETRY_MS = 100;

/**
 * Waits on the death channel with one `tmux wait-for` client at a time and calls `onDeath` each time it is signalled
 * (which panes died is then asked of tmux). Stops when the server is gone: the control client's exit reports that.
 */
export class DeathWaiter {
  private child: ChildProcess | undefined;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly tmux: Tmux,
    private readonly onDeath: () => void,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wait();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const child = this.child;
    this.child = undefined;
    child?.removeAllListeners('exit');
    child?.kill('SIGTERM');
  }

  private wait(): void {
    if (this.stopped) return;
    const child = spawn(this.tmux.options.binary, [...this.tmux.baseArgs, 'wait-for', DEATH_CHANNEL], { env: this.tmux.options.env, cwd: Tmux.CWD, stdio: 'ignore' });
    this.child = child;
    child.on('error', () => undefined);
    child.on('exit', (code) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (code !== 0) {
        // A client refused for a moment (a loaded machine), or no server: wait again shortly. The runner stops this
        // when it closes or loses the server.
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.wait();
        }, RETRY_MS);
        // Whatever died meanwhile is asked for all the same.
        this.onDeath();
        return;
      }
      this.onDeath();
      this.wait();
    });
  }
}
