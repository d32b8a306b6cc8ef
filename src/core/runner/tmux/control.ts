import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Tmux, TmuxError } from './exec';

/** The hidden session the control client sits in; every agent window is linked into it (tmux-notes.md). */
export const CONTROL_SESSION = 'cp-control';

export interface PaneDeath {
  paneId: string;
  windowId: string;
  dead: boolean;
  /** Exit status when the process exited normally. */
  status: number | undefined;
  /** Signal number when a signal ended it. */
  signal: number | undefined;
}

export interface ControlEvents {
  output: [paneId: string, data: Buffer];
  pane: [PaneDeath];
  windowClose: [windowId: string];
  /** The client process went away (it is restarted by the owner). */
  exit: [reason: string];
  ready: [];
}

/**
 * One tmux control-mode client attached to the hidden control session. It turns tmux's notifications into events:
 * `%output` (every linked pane's bytes, unescaped), pane death through a format subscription, window closes. Nothing
 * polls: an idle agent produces no line here and costs the daemon nothing.
 */
export class ControlClient extends EventEmitter<ControlEvents> {
  private child: ChildProcessWithoutNullStreams | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private subscribed = false;
  /** Commands sent through this client, in order; tmux answers each with one %begin … %end|%error block. */
  private waiting: Array<{ resolve: (lines: string[]) => void; reject: (error: Error) => void; command: string }> = [];
  /** The block being read: its lines and the `time number` pair that its end line must repeat. */
  private block: { lines: string[]; ours: boolean; id: string } | undefined;

  constructor(private readonly tmux: Tmux) {
    super();
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    if (this.child) return;
    this.subscribed = false;
    this.pending = Buffer.alloc(0);
    // ignore-size: this client never changes the size of an agent's window; the agent's own viewers do.
    const child = spawn(this.tmux.options.binary, [...this.tmux.baseArgs, '-C', 'attach-session', '-f', 'ignore-size', '-t', `=${CONTROL_SESSION}`], {
      env: this.tmux.options.env,
      cwd: Tmux.CWD,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    child.stderr.on('data', () => {});
    child.stdin.on('error', () => {});
    child.on('error', (error) => this.onExit(`control client failed: ${error.message}`));
    child.on('exit', (code, signal) => this.onExit(`control client exited (${signal ?? code})`));
  }

  /**
   * Runs one tmux command line through the control connection: no process is spawned, so this is the fast path for
   * keystrokes and screen captures. Resolves with the command's output lines (UTF-8), rejects with its error.
   */
  command(line: string): Promise<string[]> {
    if (line.includes('\n')) return Promise.reject(new Error('a control-mode command must be a single line'));
    const child = this.child;
    if (!child || !this.subscribed) return Promise.reject(new TmuxError('tmux control client is not connected', 'no server running', undefined));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject, command: line });
      child.stdin.write(line + '\n');
    });
  }

  stop(): void {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    child.removeAllListeners('exit');
    // Closing stdin detaches a control client cleanly; the tmux server and its sessions stay.
    child.stdin.end();
    child.kill('SIGTERM');
    this.subscribed = false;
    this.failWaiting('control client stopped');
  }

  private failWaiting(reason: string): void {
    const waiting = this.waiting;
    this.waiting = [];
    this.block = undefined;
    for (const entry of waiting) entry.reject(new TmuxError(`tmux ${entry.command.split(' ')[0]} failed: ${reason}`, 'no server running', undefined));
  }

  private onExit(reason: string): void {
    if (!this.child) return;
    this.child = undefined;
    this.subscribed = false;
    this.failWaiting(reason);
    this.emit('exit', reason);
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const end = this.pending.indexOf(0x0a, start);
      if (end < 0) break;
      // latin1 keeps every byte as one char, so the unescaped bytes come back exactly (UTF-8 included).
      this.onLine(this.pending.toString('latin1', start, end));
      start = end + 1;
    }
    this.pending = this.pending.subarray(start);
  }

  private onLine(line: string): void {
    if (this.block) {
      // Output inside a block is not escaped (a captured screen can hold any text), so only the end line that repeats
      // the block's own time and number closes it; a look-alike printed by an agent is content.
      const end = /^%(end|error) (\d+ \d+) \d+$/.exec(line);
      if (!end || end[2] !== this.block.id) {
        this.block.lines.push(Buffer.from(line, 'latin1').toString('utf8'));
        return;
      }
      const { lines, ours } = this.block;
      this.block = undefined;
      // flags 1 marks a command this client sent; the attach command's own block (flags 0) answers nobody.
      if (!ours) return;
      const entry = this.waiting.shift();
      if (!entry) return;
      if (end[1] === 'end') entry.resolve(lines);
      else {
        const message = lines.join('\n').trim();
        entry.reject(new TmuxError(`tmux ${entry.command.split(' ')[0]} failed: ${message}`, message, undefined));
      }
      return;
    }
    const begin = /^%begin (\d+ \d+) (\d+)$/.exec(line);
    if (begin) {
      this.block = { lines: [], ours: begin[2] === '1', id: begin[1]! };
      return;
    }
    if (line.startsWith('%output ')) {
      const space = line.indexOf(' ', 8);
      if (space < 0) return;
      this.emit('output', line.slice(8, space), unescapeOutput(line.slice(space + 1)));
      return;
    }
    if (line.startsWith('%subscription-changed dead ')) {
      const parsed = parseDeadSubscription(line);
      if (parsed) this.emit('pane', parsed);
      return;
    }
    if (line.startsWith('%window-close ') || line.startsWith('%unlinked-window-close ')) {
      this.emit('windowClose', line.slice(line.indexOf(' ') + 1).trim());
      return;
    }
    if (line.startsWith('%session-changed') && !this.subscribed) {
      // Only now does the client count as attached; a subscription sent earlier fails with "no current client".
      this.subscribed = true;
      // Through command(), like every other line: tmux answers it with a block of its own, which must not be taken
      // for the answer to the next command.
      this.command(`refresh-client -B '${DEAD_SUBSCRIPTION}'`).catch((error: Error) => {
        // Without it pane deaths go unseen: drop this client, and the owner's reconnect tries again.
        const child = this.child;
        this.onExit(`pane subscription failed: ${error.message}`);
        child?.kill('SIGTERM');
      });
      this.emit('ready');
    }
  }
}

const DEAD_SUBSCRIPTION = 'dead:%*:#{pane_dead}/#{pane_dead_status}/#{pane_dead_signal}';

/** `%subscription-changed dead $0 @2 2 %2 : 1//15` → the pane, whether it is dead, and how it ended. */
export function parseDeadSubscription(line: string): PaneDeath | undefined {
  const match = /^%subscription-changed dead \$\d+ (@\d+) \d+ (%\d+) : (\d)\/(\d*)\/(\d*)$/.exec(line);
  if (!match) return undefined;
  return {
    windowId: match[1]!,
    paneId: match[2]!,
    dead: match[3] === '1',
    status: match[4] ? Number(match[4]) : undefined,
    signal: match[5] ? Number(match[5]) : undefined,
  };
}

/** Control mode escapes bytes below 32 and the backslash as `\ooo` octal; everything else is the raw byte. */
export function unescapeOutput(escaped: string): Buffer {
  if (!escaped.includes('\\')) return Buffer.from(escaped, 'latin1');
  let result = '';
  for (let i = 0; i < escaped.length; i++) {
    const char = escaped[i]!;
    if (char === '\\' && i + 3 < escaped.length && /^[0-7]{3}$/.test(escaped.slice(i + 1, i + 4))) {
      result += String.fromCharCode(parseInt(escaped.slice(i + 1, i + 4), 8));
      i += 3;
    } else result += char;
  }
  return Buffer.from(result, 'latin1');
}

/**
 * Quotes one argument for a tmux command line (control mode parses lines like a config file): single quotes, inside
 * which nothing is special; a single quote itself is closed, escaped and reopened. Newlines cannot travel in a line.
 */
export function quoteTmux(arg: string): string {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}
