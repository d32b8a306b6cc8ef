import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { IPty } from 'node-pty';
import { WebSocketServer, type WebSocket } from 'ws';
import { WS_MAX_FRAME_BYTES, WS_MAX_QUEUED_BYTES, terminalControlSchema, type TerminalNotice } from '../../core/api/ws';
import { scopeIncludes } from '../../core/auth/types';
import { AppError, isAppError } from '../../core/errors';
import type { DaemonContext } from '../context';
import { refuseUpgrade } from './refuse';
import { CLOSE_REVOKED, stillAuthorized, type UpgradeAccess } from './ws';

export interface TerminalBridge {
  /** Upgrades to a WebSocket carrying a `tmux attach` of the session `sessionRef` (id, prefix or name). */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, access: UpgradeAccess, sessionRef: string): void;
  /** Ends every attach and closes its socket. */
  close(): void;
}

/** Past this much terminal output waiting for a viewer, the attach is paused (tmux holds the rest) until it drains. */
const PAUSE_ABOVE_BYTES = WS_MAX_QUEUED_BYTES / 4;
const RESUME_BELOW_BYTES = 64 * 1024;
const DRAIN_CHECK_MS = 50;
const DEFAULT_SIZE = { cols: 80, rows: 24 };

/**
 * A session's terminal over a WebSocket: a real `tmux attach` of its tmux session, run in a pseudo-terminal (node-pty)
 * whose bytes travel as binary frames. Keystrokes come back as frames and go to the pty as they are, as from a local
 * `codepiper attach`: they are not input-policy checked (that is for text and keys sent through the routes), and the
 * session's event log records who attached and whether they could type.
 *
 * - Read-only: a `read` grant, or `?readonly=1` with any grant, attaches with tmux's read-only flag; input frames are
 *   dropped and the client is told once. On the Unix socket (no grant) the attach may type.
 * - Size: a viewer's terminal never resizes the agent's window for everyone. The attach ignores the viewer's size
 *   (as the control client does), and since tmux still sizes a window by such clients when they are its only ones,
 *   the window is first pinned to the session's recorded size (the runner's resize makes it manual).
 *   `{type: "resize"}` frames resize the viewer's pty, so tmux draws the window within it; the agent's window keeps
 *   the size the session has (POST /sessions/:id/resize changes that, with write scope).
 * - Lifetime: the attach ends when the socket closes; when the session ends tmux detaches its viewers, the attach
 *   exits and the socket is closed.
 */
export function createTerminalBridge(daemon: DaemonContext): TerminalBridge {
  const server = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
  const attaches = new Set<Attach>();
  let closed = false;
  const version = daemon.core.version;

  const upgrade = async (req: http.IncomingMessage, socket: Duplex, head: Buffer, access: UpgradeAccess, sessionRef: string) => {
    const scope = access.transport === 'unix' ? 'admin' : access.grant?.scope;
    if (!scope) throw new AppError('AUTH_REQUIRED', "log in or send a token to attach to a session's terminal");
    if (!scopeIncludes(scope, 'read')) throw new AppError('SCOPE_INSUFFICIENT', 'attaching needs the read scope');
    const url = new URL(req.url ?? '/', 'http://codepiper.invalid');
    const readOnly = !scopeIncludes(scope, 'write') || ['1', 'true', 'yes'].includes(url.searchParams.get('readonly') ?? '');
    const size = { cols: dimension(url.searchParams.get('cols'), 'cols') ?? DEFAULT_SIZE.cols, rows: dimension(url.searchParams.get('rows'), 'rows') ?? DEFAULT_SIZE.rows };
    const session = daemon.core.sessions.get(sessionRef);
    const terminal = await daemon.core.runner.find(session.tmuxSession);
    if (!terminal) throw new AppError('SESSION_NOT_RUNNING', `session ${session.id} has no terminal to attach to (it ended and was cleaned up); resume it first`);
    const runner = daemon.core.runner;
    if (!runner.attachCommand) throw new AppError('SESSION_NOT_RUNNING', `session ${session.id} runs where it cannot be attached to from here`);
    // A viewer must not size the agent's window (see attachCommand): the window is pinned to the session's size first.
    if (!terminal.ended) await runner.resize(terminal.terminal, session.cols, session.rows).catch(() => undefined);
    const command = runner.attachCommand(session.tmuxSession, { readOnly });
    // node-pty is a native addon, loaded only when someone attaches.
    const pty = (await import('node-pty')) as typeof import('node-pty');
    if (closed || socket.destroyed) return socket.destroy();
    // The attach starts once the handshake succeeded: a refused handshake leaves no process behind.
    server.handleUpgrade(req, socket, head, (ws) => {
      if (closed) return ws.terminate();
      let child: IPty;
      try {
        child = pty.spawn(command.file, command.args, { name: 'xterm-256color', cols: size.cols, rows: size.rows, cwd: '/', env: command.env, encoding: null });
      } catch (error) {
        daemon.log.error('could not start the attach in a pseudo-terminal', error);
        ws.send(JSON.stringify({ type: 'error', code: 'TMUX_FAILED', message: 'could not start the attach' } satisfies TerminalNotice));
        return ws.close(1011, 'attach failed');
      }
      const attach = new Attach(ws, child, { readOnly, session: session.id, size, access }, () => {
        attaches.delete(attach);
        recordQuietly('detach', {});
      });
      attaches.add(attach);
      recordQuietly('attach', { readOnly, transport: access.transport, ...(access.grant ? { by: principalOf(access) } : {}) });
    });

    function recordQuietly(type: 'attach' | 'detach', data: Record<string, unknown>) {
      try {
        daemon.core.sessions.recordAttach(session.id, type, { ...data, via: 'terminal-bridge' });
      } catch {
        /* the session was deleted meanwhile */
      }
    }
  };

  return {
    handleUpgrade(req, socket, head, access, sessionRef) {
      socket.on('error', () => {
        /* the client went away during the handshake */
      });
      upgrade(req, socket, head, access, sessionRef).catch((error: unknown) => {
        const appError = isAppError(error) ? error : new AppError('INTERNAL', 'internal error');
        if (!isAppError(error)) daemon.log.error('terminal attach failed', error);
        refuseUpgrade(socket, appError, version);
      });
    },
    close() {
      closed = true;
      for (const attach of [...attaches]) attach.end(1001, 'daemon shutting down');
      attaches.clear();
      server.close();
    },
  };
}

function principalOf(access: UpgradeAccess): string {
  const principal = access.grant!.principal;
  return principal.kind === 'token' ? `token ${principal.name}` : 'login';
}

function dimension(value: string | null, name: string): number | undefined {
  if (value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2 || n > 1000) throw new AppError('VALIDATION_FAILED', `${name} must be a whole number from 2 to 1000, got "${value.slice(0, 20)}"`);
  return n;
}

/** How often an attach checks that its credentials still hold, for a viewer that sends nothing. */
const REVALIDATE_MS = 30_000;

class Attach {
  private told = false;
  private ended = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private readonly authTimer: NodeJS.Timeout;

  constructor(
    private readonly ws: WebSocket,
    private readonly child: IPty,
    private readonly options: { readOnly: boolean; session: string; size: { cols: number; rows: number }; access: UpgradeAccess },
    private readonly onGone: () => void,
  ) {
    ws.on('error', () => {
      /* ws closes the connection itself */
    });
    ws.on('close', () => this.dispose());
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.notice({ type: 'attached', session: options.session, readOnly: options.readOnly, ...options.size });
    child.onData((data: string | Buffer) => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(typeof data === 'string' ? Buffer.from(data) : data, { binary: true });
      // A viewer that reads slowly pauses the attach (tmux keeps the screen); the daemon never holds more than this.
      if (ws.bufferedAmount > PAUSE_ABOVE_BYTES && !this.drainTimer) {
        child.pause();
        this.drainTimer = setInterval(() => {
          if (ws.bufferedAmount > RESUME_BELOW_BYTES) return;
          clearInterval(this.drainTimer);
          this.drainTimer = undefined;
          if (!this.ended) child.resume();
        }, DRAIN_CHECK_MS);
      }
    });
    child.onExit(() => this.end(1000, 'detached'));
    // A viewer that never types still loses the screen once its credentials are revoked or expire.
    this.authTimer = setInterval(() => {
      if (!stillAuthorized(options.access)) this.end(CLOSE_REVOKED, 'credentials revoked or expired');
    }, REVALIDATE_MS);
    this.authTimer.unref();
  }

  end(code: number, reason: string): void {
    this.dispose();
    try {
      if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
    setTimeout(() => this.ws.terminate(), 1000).unref();
  }

  private dispose(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.drainTimer) clearInterval(this.drainTimer);
    clearInterval(this.authTimer);
    try {
      this.child.kill('SIGHUP'); // tmux's client detaches on hangup, as when a terminal window closes
    } catch {
      /* already gone */
    }
    this.onGone();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.ended) return;
    if (!isBinary) {
      const control = controlFrame(data);
      if (control !== undefined) {
        const parsed = terminalControlSchema.safeParse(control);
        if (!parsed.success) return this.notice({ type: 'error', code: 'VALIDATION_FAILED', message: `resize frame: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}` });
        try {
          this.child.resize(parsed.data.cols, parsed.data.rows);
        } catch {
          /* the attach is ending */
        }
        return;
      }
    }
    // Keystrokes go only as long as the credentials hold (a revoked token stops typing at once).
    if (!this.options.readOnly && !stillAuthorized(this.options.access)) return this.end(CLOSE_REVOKED, 'credentials revoked or expired');
    if (this.options.readOnly) {
      if (!this.told) this.notice({ type: 'readonly', message: 'this attach is read-only: keystrokes are not sent to the session' });
      this.told = true;
      return;
    }
    try {
      this.child.write(data);
    } catch {
      /* the attach is ending */
    }
  }

  private notice(notice: TerminalNotice): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(notice));
  }
}

/** A text frame that is a JSON object with a `type` is a control frame; anything else is keystrokes. */
function controlFrame(data: Buffer): unknown {
  if (data[0] !== 0x7b) return undefined; // '{'
  try {
    const value = JSON.parse(data.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && 'type' in value ? value : undefined;
  } catch {
    return undefined;
  }
}
