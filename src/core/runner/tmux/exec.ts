import { execFile } from 'node:child_process';
import { AppError } from '../../errors';
import { RunnerError } from '../runner';

/**
 * Variables an agent (and the private tmux server itself) may inherit from the daemon; everything else is dropped.
 * CLAUDE_CONFIG_DIR and CODEX_HOME say where the agents keep their settings and transcripts: the agents and the
 * daemon's transcript index must agree on them.
 */
const ALLOWED_ENV = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TZ', 'TMPDIR', 'EDITOR', 'VISUAL', 'COLORTERM', 'CLAUDE_CONFIG_DIR', 'CODEX_HOME']);
const ALLOWED_ENV_PREFIXES = ['LC_', 'XDG_'];

/** The allowlisted part of `env`: never the daemon's own secrets or CODEPIPER_* settings. */
export function allowlistedEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (ALLOWED_ENV.has(key) || ALLOWED_ENV_PREFIXES.some((prefix) => key.startsWith(prefix))) clean[key] = value;
  }
  clean.TERM ??= 'xterm-256color';
  return clean;
}

/**
 * tmux splits a command list at an argument that ends in ";" (even after "--"); "\;" at the end stands for a literal
 * semicolon. Every argument we hand over that ends in ";" gets that escape, so an agent's argv arrives intact.
 */
export function escapeTmuxArg(arg: string): string {
  return arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg;
}

/** The separator between commands of one tmux invocation; they run atomically in the server. */
export const THEN = ';';

export interface TmuxOptions {
  binary: string;
  socketName: string;
  /** The environment tmux runs in; the server inherits it, so it is the allowlisted one. */
  env: Record<string, string>;
}

/**
 * The only way CodePiper runs tmux: argv arrays (never a shell string) against the private server (`-L`), which
 * never reads the user's ~/.tmux.conf (`-f /dev/null`).
 */
export class Tmux {
  constructor(readonly options: TmuxOptions) {}

  /**
   * Where tmux runs: the root, so that the server (forked by whichever invocation starts it) does not hold the
   * filesystem of CODEPIPER_HOME or wherever the daemon was started.
   */
  static readonly CWD = '/';

  get baseArgs(): string[] {
    return ['-L', this.options.socketName, '-f', '/dev/null'];
  }

  run(args: readonly string[], { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.options.binary,
        [...this.baseArgs, ...args],
        { env: this.options.env, cwd: Tmux.CWD, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
              reject(new AppError('TMUX_FAILED', `tmux was not found (${this.options.binary}); install tmux 3.2 or newer, or set CODEPIPER_TMUX_BIN`, { cause: error }));
              return;
            }
            // Not error.message: it quotes the whole command line, and with it the -e values of an agent's environment.
            const message = stderr.trim() || withoutOutput(error);
            reject(new TmuxError(`tmux ${args[0] ?? ''} failed: ${message}`, message, new Error(message)));
          } else resolve(stdout);
        },
      );
    });
  }

  /** Like run, but "no server running" / "can't find session" come back as undefined instead of an error. */
  async query(args: readonly string[]): Promise<string | undefined> {
    try {
      return await this.run(args);
    } catch (error) {
      if (error instanceof TmuxError && error.isMissingTarget) return undefined;
      throw error;
    }
  }
}

/** How a tmux run that printed nothing failed: killed at its deadline, by a signal, or its exit status. */
function withoutOutput(error: Error & { killed?: boolean; signal?: NodeJS.Signals | null; code?: unknown }): string {
  if (error.killed) return 'it did not answer in time';
  if (error.signal) return `it was ended by ${error.signal}`;
  return `it exited with status ${String(error.code)}`;
}

export class TmuxError extends RunnerError {
  constructor(
    message: string,
    readonly tmuxMessage: string,
    cause: unknown,
  ) {
    super(message, isMissingTarget(tmuxMessage), cause);
  }

  /** The server or the session/window/pane named is not there: usually a race with an exit, not a fault. */
  get isMissingTarget(): boolean {
    return this.gone;
  }
}

function isMissingTarget(tmuxMessage: string): boolean {
  return /no server running|no current target|can't find|error connecting|No such file/i.test(tmuxMessage);
}
