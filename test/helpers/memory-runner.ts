import { EventEmitter } from 'node:events';
import type { Runner, RunnerEvents, TerminalExit, TerminalId, TerminalInput, TerminalScroll, TerminalSpec, TerminalStatus, TerminalView } from '../../src/core/runner/runner';

/**
 * A second implementation of the runner interface, in memory: terminals are text buffers and their "programs" are
 * small scripts. It stands in for the tmux side only, so that a test can show the session engine needs nothing but
 * the interface (no tmux, no processes).
 */
export class MemoryRunner extends EventEmitter<RunnerEvents> implements Runner {
  readonly description = { tmux: { binary: 'none', socket: 'memory' } };
  readonly terminals = new Map<TerminalId, MemoryTerminal>();
  private up = false;
  private connected = false;
  private count = 0;

  constructor(private readonly program: (argv: readonly string[]) => Program) {
    super();
  }

  async isUp(): Promise<boolean> {
    return this.up;
  }

  async connect(adopt: () => Promise<void>): Promise<void> {
    if (this.connected) return;
    this.up = true;
    await adopt();
    this.connected = true;
  }

  async list(): Promise<TerminalStatus[]> {
    return [...this.terminals.values()].map((terminal) => terminal.status());
  }

  async spawn(spec: TerminalSpec): Promise<TerminalId> {
    const terminal = new MemoryTerminal(this, `t${++this.count}`, spec);
    this.terminals.set(terminal.id, terminal);
    terminal.start(this.program(spec.argv));
    return terminal.id;
  }

  async respawn(status: TerminalStatus, spec: TerminalSpec): Promise<TerminalId> {
    const terminal = this.get(status.terminal);
    terminal.watched = true;
    terminal.spec = spec;
    terminal.screen = '';
    terminal.start(this.program(spec.argv));
    return terminal.id;
  }

  async find(place: string): Promise<TerminalStatus | undefined> {
    return [...this.terminals.values()].find((terminal) => terminal.spec.place === place)?.status();
  }

  async watch(terminal: TerminalId): Promise<void> {
    this.get(terminal).watched = true;
  }

  async release(terminal: TerminalId): Promise<void> {
    this.get(terminal).watched = false;
  }

  async send(terminal: TerminalId, inputs: readonly TerminalInput[]): Promise<void> {
    const target = this.get(terminal);
    target.copyMode = false;
    target.scrolled = 0;
    for (const input of inputs) {
      target.inputs.push(input);
      if (!target.ended) target.program?.onInput(target, input);
    }
  }

  async capture(terminal: TerminalId, options: { ansi: boolean; lines?: number | undefined }): Promise<string> {
    const target = this.get(terminal);
    const lines = target.screen.split('\n');
    return lines.slice(-(target.spec.rows + (options.lines ?? 0))).join('\n').trimEnd();
  }

  async resize(terminal: TerminalId, cols: number, rows: number): Promise<void> {
    const target = this.get(terminal);
    target.spec = { ...target.spec, cols, rows };
  }

  async view(terminal: TerminalId): Promise<TerminalView> {
    const target = this.get(terminal);
    const historySize = Math.max(0, target.screen.split('\n').length - target.spec.rows);
    return { copyMode: target.copyMode, scrollPosition: target.copyMode ? Math.min(target.scrolled, historySize) : 0, historySize, historyLimit: 50_000, cols: target.spec.cols, rows: target.spec.rows };
  }

  async setCopyMode(terminal: TerminalId, on: boolean): Promise<void> {
    const target = this.get(terminal);
    target.copyMode = on;
    if (!on) target.scrolled = 0;
  }

  async scroll(terminal: TerminalId, scroll: TerminalScroll): Promise<void> {
    const target = this.get(terminal);
    const historySize = (await this.view(terminal)).historySize;
    if ('to' in scroll) {
      if (scroll.to === 'bottom') return this.setCopyMode(terminal, false);
      target.copyMode = true;
      target.scrolled = historySize;
      return;
    }
    if (scroll.by <= 0 && !target.copyMode) return;
    target.copyMode = true;
    target.scrolled = Math.max(0, Math.min(historySize, target.scrolled + scroll.by));
  }

  async rows(terminal: TerminalId, from: number, to: number): Promise<string[]> {
    const target = this.get(terminal);
    const lines = target.screen.split('\n');
    const top = Math.max(0, lines.length - target.spec.rows);
    return lines.slice(Math.max(0, top + from), Math.max(0, top + to + 1));
  }

  async hasEnded(terminal: TerminalId): Promise<boolean> {
    return this.get(terminal).ended !== undefined;
  }

  async signal(terminal: TerminalId, signal: NodeJS.Signals): Promise<void> {
    const target = this.terminals.get(terminal);
    if (target && !target.ended) target.end({ status: undefined, signal: signal === 'SIGTERM' ? 15 : 9 });
  }

  async kill(terminal: TerminalId): Promise<void> {
    const target = this.terminals.get(terminal);
    if (!target) return;
    this.terminals.delete(terminal);
    if (target.watched && this.connected) this.emit('closed', terminal);
  }

  close(): void {
    this.connected = false;
  }

  /** Whether events reach the engine now: a runner that is closed reports nothing (its terminals keep running). */
  reports(terminal: MemoryTerminal): boolean {
    return this.connected && terminal.watched;
  }

  private get(terminal: TerminalId): MemoryTerminal {
    const found = this.terminals.get(terminal);
    if (!found) throw new Error(`no terminal ${terminal}`);
    return found;
  }
}

/** A program in a memory terminal: it reacts to what is typed by writing and, at some point, ending. */
export interface Program {
  start(terminal: MemoryTerminal): void;
  onInput(terminal: MemoryTerminal, input: TerminalInput): void;
}

export class MemoryTerminal {
  screen = '';
  watched = true;
  copyMode = false;
  scrolled = 0;
  ended: TerminalExit | undefined;
  program: Program | undefined;
  readonly inputs: TerminalInput[] = [];

  constructor(
    private readonly runner: MemoryRunner,
    readonly id: TerminalId,
    public spec: TerminalSpec,
  ) {}

  start(program: Program): void {
    this.ended = undefined;
    this.program = program;
    program.start(this);
  }

  write(text: string): void {
    this.screen += text.replace(/\r\n/g, '\n');
    if (this.runner.reports(this)) this.runner.emit('output', this.id, Buffer.from(text));
  }

  end(exit: TerminalExit): void {
    this.ended = exit;
    if (this.runner.reports(this)) this.runner.emit('ended', this.id, exit);
  }

  status(): TerminalStatus {
    return { place: this.spec.place, terminal: this.id, watched: this.watched, ended: this.ended };
  }
}

/**
 * A tiny shell: a `$ ` prompt; `echo <text>` prints the text, `ask` asks "Allow command? (y/n)" and says what it
 * was told, `exit <n>` ends with status n. Typed text is echoed like a terminal would.
 */
export function tinyShell(): Program {
  let line = '';
  let asking = false;
  return {
    start: (terminal) => terminal.write('$ '),
    onInput(terminal, input) {
      if ('literal' in input) {
        line += input.literal;
        terminal.write(input.literal);
        return;
      }
      if (input.key !== 'enter') return;
      const typed = line.trim();
      line = '';
      terminal.write('\r\n');
      if (asking) {
        asking = false;
        terminal.write(`${typed === 'y' ? 'allowed' : 'refused'}\r\n$ `);
      } else if (typed.startsWith('echo ')) terminal.write(`${typed.slice(5)}\r\n$ `);
      else if (typed === 'ask') {
        asking = true;
        terminal.write('Allow command? (y/n) ');
      } else if (/^exit \d+$/.test(typed)) terminal.end({ status: Number(typed.slice(5)), signal: undefined });
      else terminal.write('$ ');
    },
  };
}
