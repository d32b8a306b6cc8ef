import { Terminal } from '@xterm/headless';
import * as pty from 'node-pty';
import { waitFor } from './wait';

/**
 * A program on a pseudo-terminal, with a terminal emulator reading what it writes: `text()` is the screen a user
 * would see (the alternate screen while a full-screen program shows it), not the raw escape stream.
 */
export interface PtyScreen {
  pid: number;
  /** Every byte the program wrote, as text. */
  raw(): string;
  /** The visible screen, one string per row, trailing blanks removed. */
  lines(): string[];
  text(): string;
  /** Rows that continue the row above: a line longer than the terminal is wide. */
  wrappedRows(): number[];
  /** Types into the terminal (keys as the bytes a terminal sends: "\r" Enter, "\u001b" Esc). */
  press(data: string): void;
  /** Waits until the screen matches, failing with the screen it saw. */
  waitFor(pattern: RegExp | ((text: string) => boolean), what: string, timeoutMs?: number): Promise<string>;
  exited: Promise<{ exitCode: number; signal?: number }>;
  /** SIGKILL by pid when still running (clean-up of a failed test). */
  kill(): void;
}

export function spawnOnPty(file: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; cols: number; rows: number }): PtyScreen {
  const terminal = new Terminal({ cols: options.cols, rows: options.rows, allowProposedApi: true, scrollback: 0 });
  const child = pty.spawn(file, args, { name: 'xterm-256color', cols: options.cols, rows: options.rows, cwd: options.cwd, env: options.env as Record<string, string> });
  let raw = '';
  let pending = 0;
  child.onData((data) => {
    raw += data;
    pending++;
    terminal.write(data, () => pending--);
  });
  let done = false;
  const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) =>
    child.onExit((result) => {
      done = true;
      resolve(result);
    }),
  );
  const lines = () => {
    const buffer = terminal.buffer.active;
    const rows: string[] = [];
    for (let i = 0; i < options.rows; i++) rows.push(buffer.getLine(buffer.viewportY + i)?.translateToString(true) ?? '');
    return rows;
  };
  const text = () => lines().join('\n');
  const wrappedRows = () => {
    const buffer = terminal.buffer.active;
    const rows: number[] = [];
    for (let i = 0; i < options.rows; i++) if (buffer.getLine(buffer.viewportY + i)?.isWrapped) rows.push(i);
    return rows;
  };
  return {
    pid: child.pid,
    raw: () => raw,
    lines,
    text,
    wrappedRows,
    press: (data) => child.write(data),
    async waitFor(pattern, what, timeoutMs = 15_000) {
      const matches = typeof pattern === 'function' ? pattern : (screen: string) => pattern.test(screen);
      try {
        return await waitFor(() => (pending === 0 && matches(text()) ? text() : undefined), { what, timeoutMs });
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- the screen was:\n${text()}\n---`);
      }
    },
    exited,
    kill: () => {
      if (!done) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
