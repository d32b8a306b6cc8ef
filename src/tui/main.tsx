/**
 * The dashboard's entry: `codepiper` with no arguments in a terminal, and `codepiper tui`. Built as its own ES module
 * (dist/tui.mjs) that the CLI imports only then, so no other command pays for Ink and React.
 */
import { render } from 'ink';
import React from 'react';
import { AppError } from '../core/errors';
import type { Paths } from '../core/paths';
import { callerEnvironment } from '../client/caller-env';
import { attachTerminal } from '../client/tmux-attach';
import type { RemoteTarget } from '../client/remote';
import { App } from './App';
import { Controller, type Host } from './controller';
import { socketLink, type DaemonLink } from './link';
import { initialState, type Session } from './state';
import { createStore } from './store';
import { themeFromEnv } from './theme';

const ENTER_ALT_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALT_SCREEN = '\u001b[?1049l';
const SHOW_CURSOR = '\u001b[?25h';
const HIDE_CURSOR = '\u001b[?25l';
/** How long the first frame may wait for the session list already on its way. */
const FIRST_LIST_WAIT_MS = 300;

export interface TuiOptions {
  paths: Paths;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  link?: DaemonLink;
  /** The session list, already requested while this module loaded (see commands/tui.ts). */
  initialSessions?: Promise<Session[]>;
  /** A daemon's --web listener to work with instead of this machine's socket (--remote / CODEPIPER_REMOTE). */
  remote?: RemoteTarget;
}

/** Runs the dashboard until the user quits; the terminal is restored however it ends (q, a signal, an error). */
export async function runTui(options: TuiOptions): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const env = options.env ?? process.env;
  if (!stdin.isTTY || !stdout.isTTY) throw new AppError('USAGE', 'the dashboard needs a terminal (stdin and stdout must be a TTY); the other commands work without one');

  const store = createStore(initialState({ columns: stdout.columns || 80, rows: stdout.rows || 24 }));
  // The first frame lists the sessions when the list asked for during start-up is there (it usually is: the daemon
  // answers while this module loads); it is not waited for long, and the controller's own connect follows anyway.
  if (options.initialSessions) {
    const early = await Promise.race([options.initialSessions.catch(() => undefined), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), FIRST_LIST_WAIT_MS).unref())]);
    if (early) store.dispatch({ type: 'sessions/loaded', sessions: early });
  }
  const link = options.link ?? socketLink(options.paths, options.remote);
  let instance: ReturnType<typeof render> | undefined;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.write(`${SHOW_CURSOR}${LEAVE_ALT_SCREEN}`);
  };

  const host: Host = {
    cwd: process.cwd(),
    env: options.remote ? undefined : callerEnvironment(),
    exit: () => instance?.unmount(),
    bell: () => stdout.write('\x07'),
    async attach(tmux, target, sessionId) {
      // tmux gets the terminal as the user left it before the dashboard: main screen, cooked mode, cursor on.
      stdin.setRawMode?.(false);
      stdout.write(`${SHOW_CURSOR}${LEAVE_ALT_SCREEN}`);
      let status: number | null;
      try {
        if (tmux.remote) {
          // The terminal bridge's client is its own bundle (ws in it): loaded at the first remote attach only. Unlike
          // tmux attach, it runs while the dashboard's event loop does: the dashboard's reader of the keyboard (Ink's
          // 'readable' listener) is taken off meanwhile, or every key would also reach the dashboard.
          const { attachRemote } = await import('../client/remote-attach');
          // Its frames are held back likewise: the dashboard still renders (a timer, a resize), and would draw over
          // the session's screen.
          const readers = stdin.listeners('readable') as Array<(...args: unknown[]) => void>;
          for (const reader of readers) stdin.off('readable', reader);
          const inkWrite = stdout.write;
          const write = inkWrite.bind(stdout);
          stdout.write = (() => true) as typeof stdout.write;
          try {
            status = await attachRemote({ remote: tmux.remote, session: sessionId ?? target, label: target, stdin, stdout, write: (data) => void write(data), pauseInput: false });
          } finally {
            stdout.write = inkWrite;
            for (const reader of readers) stdin.on('readable', reader);
          }
        } else status = attachTerminal(tmux, target, env);
      } finally {
        stdout.write(`${ENTER_ALT_SCREEN}${HIDE_CURSOR}`);
        stdin.setRawMode?.(true);
        instance?.clear();
      }
      if (status !== 0) throw new AppError('TMUX_FAILED', `tmux attach ended with status ${status}`);
    },
  };

  const controller = new Controller(store, link, host);
  // Every way out restores the terminal: q, a signal (Ctrl-C reaches us as a key in raw mode, but kill -INT does
  // not), or a bug: the alternate screen is left before the error is printed, so the user can read it.
  const onSignal = () => host.exit();
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'];
  for (const signal of signals) process.on(signal, onSignal);
  const onFatal = (error: unknown) => {
    restore();
    process.stderr.write(`codepiper: the dashboard failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  process.once('exit', restore);

  stdout.write(ENTER_ALT_SCREEN);
  try {
    instance = render(<App store={store} controller={controller} theme={themeFromEnv(env)} />, {
      stdin,
      stdout,
      exitOnCtrlC: false,
      patchConsole: false,
      maxFps: 30,
    });
    void controller.start();
    await instance.waitUntilExit();
  } finally {
    controller.stop();
    for (const signal of signals) process.off(signal, onSignal);
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
    restore();
  }
}
