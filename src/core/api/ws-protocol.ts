/**
 * The WebSocket stream's and the terminal bridge's paths, limits and plain types, without zod: what clients need at
 * run time (the CLI's remote attach, the dashboard), as topics.ts is for the event stream. The frames' schemas are in
 * ws.ts, which re-exports all of this.
 */
export const WS_PATH = '/ws';
/** Bumped when a frame changes in a way an older client would misread; `hello` says which one the daemon speaks. */
export const WS_PROTOCOL = 1;
/** The largest frame a client may send; a larger one closes the connection with 1009 (message too big). */
export const WS_MAX_FRAME_BYTES = 1024 * 1024;
/** What may wait for a client that reads slowly before it is sent `overflow` and disconnected. */
export const WS_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** How often the daemon pings; a client that has not answered the previous ping by then is disconnected. */
export const WS_HEARTBEAT_MS = 30_000;
/** The close code after `overflow` (1013: try again later). */
export const WS_CLOSE_OVERFLOW = 1013;

/** The terminal bridge: a session's terminal as a WebSocket (see TERMINAL_PATH). */
export const TERMINAL_PATH = '/sessions/:id/terminal';
/** `/sessions/<ref>/terminal` → `<ref>`; undefined for any other path. */
export function terminalSessionRef(pathname: string): string | undefined {
  const match = /^\/sessions\/([^/]+)\/terminal$/.exec(pathname);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

/** The path that attaches to `session` (id, prefix or name), read-only if asked, in a terminal of the given size. */
export function terminalPath(session: string, options: { readOnly?: boolean; cols?: number; rows?: number } = {}): string {
  const query = new URLSearchParams();
  if (options.readOnly) query.set('readonly', '1');
  if (options.cols !== undefined) query.set('cols', String(options.cols));
  if (options.rows !== undefined) query.set('rows', String(options.rows));
  const search = query.toString();
  return `/sessions/${encodeURIComponent(session)}/terminal${search ? `?${search}` : ''}`;
}

/** Client → bridge, as a JSON text frame: resizes the viewer's pseudo-terminal (2 to 1000 columns and rows). */
export interface TerminalControl {
  type: 'resize';
  cols: number;
  rows: number;
}

/** Bridge → client: binary frames are the terminal's bytes; these JSON text frames say what happens around them. */
export type TerminalNotice =
  | { type: 'attached'; session: string; readOnly: boolean; cols: number; rows: number }
  | { type: 'readonly'; message: string }
  | { type: 'error'; code: string; message: string };
