import WebSocket from 'ws';
import { waitFor } from './wait';

/** A frame as received: JSON text frames parsed, binary frames as bytes. */
export type Received = { json: any; binary?: undefined } | { json?: undefined; binary: Buffer }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface TestSocket {
  ws: WebSocket;
  frames: Received[];
  closed: Promise<{ code: number; reason: string }>;
  /** The first JSON frame (from index `from`) that matches, waiting for it with a deadline. */
  next(match: (frame: any) => boolean, what: string, from?: number): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  sendJson(frame: unknown): void;
  /** Every binary frame so far, as one string. */
  bytes(): string;
  close(): Promise<void>;
}

/** Opens a WebSocket on a daemon's Unix socket (`ws+unix://<socket>:<path>`) and records what arrives. */
export function openSocket(socketPath: string, path: string, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
  return openUrl(`ws+unix://${socketPath}:${path}`, options);
}

/** Opens a WebSocket at `url` (a TCP listener's `ws://host:port/api/...`) and records what arrives. */
export async function openUrl(url: string, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, options);
  const frames: Received[] = [];
  ws.on('message', (data: Buffer, isBinary) => frames.push(isBinary ? { binary: data } : { json: JSON.parse(data.toString('utf8')) }));
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    closed,
    next: (match, what, from = 0) => waitFor(() => frames.slice(from).find((frame) => frame.json !== undefined && match(frame.json))?.json, { what, timeoutMs: 15_000 }),
    sendJson: (frame) => ws.send(JSON.stringify(frame)),
    bytes: () => Buffer.concat(frames.flatMap((frame) => (frame.binary ? [frame.binary] : []))).toString('utf8'),
    close: async () => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
      ws.terminate();
    },
  };
}

/** The status an upgrade is refused with (or 101 when it is accepted). */
export function upgradeStatus(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws+unix://${socketPath}:${path}`);
    ws.on('error', () => undefined);
    ws.once('open', () => {
      ws.terminate();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}
