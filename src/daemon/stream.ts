import type http from 'node:http';
import { STREAM_MESSAGES, TOPICS, type StreamMessage } from '../core/api/events';
import { describeTopics, parseTopic, type TopicKind } from '../core/api/topics';
import { AppError, isAppError } from '../core/errors';
import { sessionEventsTopic, sessionOutputTopic } from '../core/events/bus';
import type { OutputChunk } from '../core/sessions/output';
import type { DaemonContext } from './context';

export { STREAM_PATH } from '../core/api/topics';

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
 * Serves one event stream: the topics of the contract (api/events.ts), each message under its topic's event name.
 * A session may be named by id, prefix or name.
 */
export function serveStream(req: http.IncomingMessage, res: http.ServerResponse, daemon: DaemonContext): void {
  const { core } = daemon;
  let topics: Array<{ name: string; kind: TopicKind; session?: string }>;
  let since: number | undefined;
  try {
    const url = new URL(req.url ?? '/', 'http://codepiper.invalid');
    const requested = url.searchParams.getAll('topic');
    if (requested.length === 0) throw new AppError('USAGE', `name at least one topic: ?topic=${describeTopics('or')}`);
    topics = requested.map((name) => resolveTopic(name, daemon));
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

  const write = (message: StreamMessage) => {
    if (res.writableEnded) return;
    res.write(`event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.write(`event: overflow\ndata: ${JSON.stringify({ message: 'client too slow; stream closed' } satisfies StreamData<'overflow'>)}\n\n`);
      res.end();
      close();
    }
  };
  const output = (session: string) => (chunk: OutputChunk) => write({ event: TOPICS.output.event, data: { session, seq: chunk.seq, data: chunk.data.toString('base64') } });
  /** Output without the bytes, for a viewer that re-reads the screen anyway: at most one event per interval. */
  const changed = (session: string) => {
    let last = 0;
    let pending: NodeJS.Timeout | undefined;
    let seq = 0;
    const send = () => {
      pending = undefined;
      last = Date.now();
      write({ event: TOPICS.changed.event, data: { session, seq } });
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

  for (const { kind, session } of topics) {
    switch (kind) {
      case 'sessions':
        unsubscribers.push(core.bus.subscribe('sessions', (data) => write({ event: TOPICS.sessions.event, data })));
        break;
      case 'library':
        unsubscribers.push(core.bus.subscribe('library', (data) => write({ event: TOPICS.library.event, data })));
        break;
      case 'events':
        unsubscribers.push(core.bus.subscribe(sessionEventsTopic(session!), (data) => write({ event: TOPICS.events.event, data })));
        break;
      case 'changed':
        unsubscribers.push(core.bus.subscribe(sessionOutputTopic(session!), changed(session!)));
        break;
      case 'output': {
        const send = output(session!);
        unsubscribers.push(core.bus.subscribe(sessionOutputTopic(session!), send));
        if (since !== undefined) for (const chunk of core.terminal.outputSince(session!, since)) send(chunk);
        break;
      }
    }
  }
  write({ event: 'ready', data: { topics: topics.map(({ name }) => name) } });
}

type StreamData<E extends keyof typeof STREAM_MESSAGES> = Extract<StreamMessage, { event: E }>['data'];

/** A requested topic, its session (by id, prefix or name) resolved to the session's id. */
function resolveTopic(name: string, daemon: DaemonContext): { name: string; kind: TopicKind; session?: string } {
  const parsed = parseTopic(name);
  if (!parsed) throw new AppError('VALIDATION_FAILED', `unknown topic "${name}"; topics are ${describeTopics()}`);
  if (parsed.session === undefined) return { name, kind: parsed.kind };
  const session = daemon.core.sessions.resolve(parsed.session).id;
  // The name the client used is echoed back in `ready` as the bus names it (by id), as before.
  return { name: parsed.kind === 'events' ? sessionEventsTopic(session) : sessionOutputTopic(session), kind: parsed.kind, session };
}
