/**
 * `codepiper attach` against a remote daemon: this terminal joined to the daemon's terminal bridge
 * (`GET /api/sessions/:id/terminal`, a WebSocket carrying a real `tmux attach` in a pseudo-terminal on its host).
 * Built as its own bundle (dist/remote-attach.cjs) with `ws` in it, loaded only when attach runs remotely: the CLI's
 * other commands never pay for a WebSocket library.
 */
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import { terminalPath, type TerminalControl, type TerminalNotice } from '../core/api/ws-protocol';
import { AppError, isAppError } from '../core/errors';
import { API_PREFIX } from '../core/api/headers';
import { remoteConnectionError, remoteErrorInWords, remoteHeaders, type RemoteTarget } from './remote';

/** Ctrl-\: detaches at once, whatever the remote end does (C-b d, tmux's own, works too and is passed through). */
export const DETACH_BYTE = 0x1c;
export const DETACH_KEY_NAME = 'Ctrl-\\';

export interface RemoteAttachOptions {
  remote: RemoteTarget;
  /** The session's id (or prefix or name). */
  session: string;
  /** What the closing line calls it. */
  label: string;
  /** Watch only: ask the bridge for a read-only attach, and send no keys. */
  readonly?: boolean;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  /** How long the connection and upgrade may take. */
  connectTimeoutMs?: number;
  /** Where the session's screen bytes and this module's own lines go: `stdout.write` unless told otherwise. */
  write?: (data: Buffer | string) => void;
  /**
   * Pause stdin when done (the default), so that a command can end. The dashboard says false: it reads stdin again
   * with its own 'readable' listener, which a paused stream never serves.
   */
  pauseInput?: boolean;
}

/**
 * The bridge's address for a session: ws(s)://host:port[/prefix]/api/sessions/<id>/terminal, with `readonly=1` and
 * the terminal's size (what the bridge's pseudo-terminal starts with, within the 2–1000 it takes) when known.
 */
export function terminalUrl(remote: RemoteTarget, session: string, readonly: boolean, size?: { columns?: number | undefined; rows?: number | undefined }): string {
  const base = remote.base.replace(/^http/, 'ws');
  const fit = (n: number | undefined) => (n && Number.isInteger(n) && n > 0 ? Math.min(1000, Math.max(2, n)) : undefined);
  const [cols, rows] = [fit(size?.columns), fit(size?.rows)];
  return `${base}${API_PREFIX}${terminalPath(session, { readOnly: readonly, ...(cols && rows ? { cols, rows } : {}) })}`;
}

/** The resize frame the bridge takes: a JSON text frame. */
export function resizeFrame(columns: number, rows: number): string {
  return JSON.stringify({ type: 'resize', cols: columns, rows } satisfies TerminalControl);
}

/**
 * Splits a chunk of keyboard input at the detach byte: what goes before it is still sent, and `detach` says the user
 * asked to leave. Pure, for tests.
 */
export function splitAtDetach(chunk: Buffer): { send: Buffer; detach: boolean } {
  const at = chunk.indexOf(DETACH_BYTE);
  return at < 0 ? { send: chunk, detach: false } : { send: chunk.subarray(0, at), detach: true };
}

/**
 * Runs until the user detaches (Ctrl-\ here, or C-b d in tmux), the session ends, or the connection fails; resolves
 * with an exit status (0 for a detach or an ended session). The terminal is put in raw mode while attached and given
 * back as it was on every way out: a detach, a close from the daemon, an error, a signal.
 */
export async function attachRemote(options: RemoteAttachOptions): Promise<number> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const write = options.write ?? ((data: Buffer | string) => void stdout.write(data));
  const { remote } = options;
  const socket = new WebSocket(terminalUrl(remote, options.session, options.readonly === true, { columns: stdout.columns, rows: stdout.rows }), {
    headers: remoteHeaders(remote),
    handshakeTimeout: options.connectTimeoutMs ?? 15_000,
    perMessageDeflate: false,
    // The bridge's frames are pseudo-terminal reads (kilobytes); a frame past this is a bridge gone wrong.
    maxPayload: 16 * 1024 * 1024,
  });
  // Listening from the start: the bridge's first frames (the notice, tmux's first drawing of the screen) can come in
  // the same read as the upgrade's answer, and ws hands them out before an await after 'open' would resume. A frame
  // nobody listens for is dropped, and an idle session would then stay blank.
  socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) write(bytes);
    else controlFrame(bytes.toString('utf8'), write);
  });
  // Until the upgrade is through nothing of the terminal changes: a refused token leaves it as it was.
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response: IncomingMessage) => {
      refusal(response, remote).then(reject, reject);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => reject(isAppError(error) ? error : remoteConnectionError(error, remote)));
  });

  const wasRaw = stdin.isRaw;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdin.off('data', onInput);
    stdout.off('resize', onResize);
    for (const signal of SIGNALS) process.off(signal, onSignal);
    process.off('exit', restore);
    if (stdin.isTTY) stdin.setRawMode(wasRaw);
    if (options.pauseInput !== false) stdin.pause();
  };
  let detached = false;
  // A stream given an encoding (the dashboard's, by Ink) hands over text: the bridge takes bytes.
  const onInput = (chunk: Buffer | string) => {
    const { send, detach } = splitAtDetach(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    if (send.length && !options.readonly && socket.readyState === WebSocket.OPEN) socket.send(send, { binary: true });
    if (detach) {
      detached = true;
      socket.close(1000, 'detached');
    }
  };
  const onResize = () => {
    if (socket.readyState === WebSocket.OPEN && stdout.columns && stdout.rows) socket.send(resizeFrame(stdout.columns, stdout.rows));
  };
  const onSignal = () => {
    detached = true;
    socket.terminate();
  };

  try {
    const ended = new Promise<{ code: number; reason: string }>((resolve, reject) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
      socket.on('error', (error: NodeJS.ErrnoException) => reject(remoteConnectionError(error, remote)));
    });
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.on('data', onInput);
    stdin.resume();
    stdout.on('resize', onResize);
    for (const signal of SIGNALS) process.on(signal, onSignal);
    process.once('exit', restore);
    onResize();
    const { code, reason } = await ended;
    restore();
    if (detached) {
      write(`\r\n[detached from ${options.label}: ${remote.label}]\r\n`);
      return 0;
    }
    // 1000: tmux's client ended (C-b d, or the session went away); 1001: the daemon is shutting down; anything else
    // is the bridge's or the network's.
    if (code === 1000 || code === 1001) {
      write(`\r\n[detached from ${options.label}${reason && reason !== 'detached' ? ` (${reason})` : ''}]\r\n`);
      return 0;
    }
    // 1008: the daemon re-checks the token of an open attach, and a revoked or expired one ends it.
    if (code === 1008) throw remoteErrorInWords(new AppError('AUTH_REQUIRED', reason || 'the token is no longer valid'), remote);
    throw new AppError('DAEMON_UNAVAILABLE', `the terminal bridge of ${remote.label} closed the connection (${code}${reason ? `: ${reason}` : ''})`);
  } finally {
    restore();
    if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
  }
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'];

/**
 * A text frame from the bridge: a notice, not screen bytes (`attached`, `readonly`, `error`). What a person should
 * know (an error, keys dropped by a read-only attach) is shown on its own line.
 */
function controlFrame(text: string, write: (data: string) => void): void {
  try {
    const frame = JSON.parse(text) as Partial<TerminalNotice> & { message?: unknown };
    if ((frame.type === 'error' || frame.type === 'readonly') && typeof frame.message === 'string') write(`\r\n[codepiper: ${frame.message}]\r\n`);
  } catch {
    // not JSON: nothing we were told to show
  }
}

/** The daemon refused the upgrade with an HTTP answer: its error, in the words of a remote call. */
async function refusal(response: IncomingMessage, remote: RemoteTarget): Promise<AppError> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) break;
    chunks.push(chunk);
  }
  const status = response.statusCode ?? 0;
  try {
    const envelope = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    if (typeof envelope.error?.code === 'string' && typeof envelope.error.message === 'string') {
      return remoteErrorInWords(new AppError(envelope.error.code, envelope.error.message, { status, details: envelope.error.details }), remote);
    }
  } catch {
    // not an error envelope
  }
  return new AppError('DAEMON_UNAVAILABLE', `the terminal bridge of ${remote.label} refused the connection with HTTP ${status}`, { status });
}
