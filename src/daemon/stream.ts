import type http from 'node:http';
import { AppError, isAppError } from '../core/errors';
import { LIBRARY_TOPIC, SESSIONS_TOPIC, sessionEventsTopic, sessionOutputTopic } from '../core/events/bus';
import type { OutputChunk } from '../core/sessions/output';
import type { DaemonContext } from './context';

/** Where live updates are served: `GET /events?topic=…` as a server-sent event stream. */
export const STREAM_PATH = '/events';

/** A `changed` follower hears of new output at most this often (the first chunk at once, then one trailing event). */
const CHANGED_INTERVAL_MS = 25;

/** A client that stops reading is dropped once this much is queued for it, so it cannot grow the daemon's memory. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Open streams, ended when the daemon shuts down. */
const openStreams = new Set<http.ServerResponse>();

export function endAllStreams(): void {
  for (const res of openStreams) res.end();
  openStreams.clear();
}

/**
 * Serves one event stream. Topics: `sessions` (every change of every session), `session:<id>:output` (raw output,
 * base64, with its byte sequence number; `since=<seq>` replays what is still held from there),
 * `session:<id>:changed` (that output arrived, without it: at most one event per 25 ms) and `session:<id>:events`
 * (the event log as it grows). A session may be named by id, prefix or name.
 */
export function serveStream(req: http.IncomingMessage, res: http.ServerResponse, daemon: DaemonContext): void {
  let url: URL;
  let topics: Array<{ topic: string; kind: TopicKind; session?: string }>;
  let since: number | undefined;
  try {
    url = new URL(req.url ?? '/', 'http://codepiper.invalid');
    const requested = url.searchParams.getAll('topic');
    if (requested.length === 0) throw new AppError('USAGE', 'name at least one topic: ?topic=sessions, library, session:<id>:output, session:<id>:changed or session:<id>:events');
    topics = requested.map((topic) => parseTopic(topic, daemon));
    const sinceParam = url.searchParams.get('since');
    if (sinceParam !== null) {
      since = Number(sinceParam);
      if (!Number.isSafeInteger(since) || since < 0) throw new AppError('VALIDATION_FAILED', `since must be a non-negative integer, got "${sinceParam}"`);
    }
  } catch (error) {
    const appError = isAppError(error) ? error : new AppError('USAGE', String(error));
    const body = JSON.stringify(appError.toJSON());
    res.writeHead(appError.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  openStreams.add(res);
  const unsubscribers: Array<() => void> = [];
  const close = () => {
    openStreams.delete(res);
    for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
  };
  res.on('close', close);

  const write = (event: string, data: unknown) => {
    if (res.writableEnded) return;
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.write(`event: overflow\ndata: ${JSON.stringify({ message: 'client too slow; stream closed' })}\n\n`);
      res.end();
      close();
    }
  };
  const output = (session: string) => (chunk: OutputChunk) => write('output', { session, seq: chunk.seq, data: chunk.data.toString('base64') });
  /** Output without the bytes, for a viewer that re-reads the screen anyway: at most one event per interval. */
  const changed = (session: string) => {
    let last = 0;
    let pending: NodeJS.Timeout | undefined;
    let seq = 0;
    const send = () => {
      pending = undefined;
      last = Date.now();
      write('changed', { session, seq });
    };
    unsubscribers.push(() => pending && clearTimeout(pending));
    return (chunk: OutputChunk) => {
      seq = chunk.seq;
      if (pending) return;
      const wait = last + CHANGED_INTERVAL_MS - Date.now();
      if (wait <= 0) send();
      else pending = setTimeout(send, wait);
    };
  };

  for (const { topic, kind, session } of topics) {
    if (kind === 'sessions') unsubscribers.push(daemon.core.bus.subscribe(topic, (message) => write('session', message)));
    else if (kind === 'library') unsubscribers.push(daemon.core.bus.subscribe(topic, (message) => write('library', message)));
    else if (kind === 'events') unsubscribers.push(daemon.core.bus.subscribe(topic, (message) => write('event', message)));
    else if (kind === 'changed') {
      const notify = changed(session!);
      unsubscribers.push(daemon.core.bus.subscribe(topic, (message) => notify(message as OutputChunk)));
    } else {
      const send = output(session!);
      unsubscribers.push(daemon.core.bus.subscribe(topic, (message) => send(message as OutputChunk)));
      if (since !== undefined) for (const chunk of daemon.core.terminal.outputSince(session!, since)) send(chunk);
    }
  }
  write('ready', { topics: topics.map(({ topic }) => topic) });
}

type TopicKind = 'sessions' | 'library' | 'output' | 'changed' | 'events';

function parseTopic(topic: string, daemon: DaemonContext): { topic: string; kind: TopicKind; session?: string } {
  if (topic === SESSIONS_TOPIC) return { topic, kind: 'sessions' };
  if (topic === LIBRARY_TOPIC) return { topic, kind: 'library' };
  const match = /^session:(.+):(output|changed|events)$/.exec(topic);
  if (!match) {
    throw new AppError('VALIDATION_FAILED', `unknown topic "${topic}"; topics are sessions, library, session:<id>:output, session:<id>:changed and session:<id>:events`);
  }
  const id = daemon.core.sessions.resolve(match[1]!).id;
  const kind = match[2] as TopicKind;
  return { topic: kind === 'events' ? sessionEventsTopic(id) : sessionOutputTopic(id), kind, session: id };
}
