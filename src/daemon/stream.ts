import type http from 'node:http';
import { STREAM_MESSAGES, type StreamMessage } from '../core/api/events';
import { describeTopics } from '../core/api/topics';
import { AppError, isAppError } from '../core/errors';
import type { DaemonContext } from './context';
import { followTopic, resolveTopic, type FollowedTopic, type Following } from './follow';

export { STREAM_PATH } from '../core/api/topics';

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
 *
 * Resuming: messages of topics that have positions (output, events) carry an `id:` line, the stream's cursor: each such
 * topic's position after everything sent so far (`session:<id>:output=<n> session:<id>:events=<n>`). A client that
 * reconnects with it as Last-Event-ID (EventSource does so by itself) gets what it missed, each topic from its own
 * point; a plain number as Last-Event-ID means the same as `?since=`. What resuming gives per topic is WS_RESUME
 * (api/ws.ts): output replays what is still held, events replays the log, sessions sends every session as it is now.
 */
export function serveStream(req: http.IncomingMessage, res: http.ServerResponse, daemon: DaemonContext): void {
  let topics: FollowedTopic[];
  let since: number | undefined;
  let cursor: Map<string, number> | undefined;
  try {
    const url = new URL(req.url ?? '/', 'http://codepiper.invalid');
    const requested = url.searchParams.getAll('topic');
    if (requested.length === 0) throw new AppError('USAGE', `name at least one topic: ?topic=${describeTopics('or')}`);
    topics = requested.map((name) => resolveTopic(name, daemon));
    const sinceParam = url.searchParams.get('since');
    if (sinceParam !== null) since = parsePosition(sinceParam, 'since');
    const lastEventId = req.headers['last-event-id'];
    if (typeof lastEventId === 'string' && lastEventId.trim() !== '') {
      if (/^\d+$/.test(lastEventId.trim())) since = parsePosition(lastEventId.trim(), 'Last-Event-ID');
      else cursor = parseCursor(lastEventId);
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
  const followings: Following[] = [];
  const close = () => {
    openStreams.delete(res);
    for (const following of followings.splice(0)) following.stop();
  };
  res.on('close', close);

  /** Each resumable topic's position after what was sent: the `id:` of every message that moves one. */
  const positions = new Map<string, number>();
  const idLine = () => (positions.size ? `id: ${[...positions].map(([topic, position]) => `${topic}=${position}`).join(' ')}\n` : '');
  const write = (message: StreamMessage, id = '') => {
    if (res.writableEnded) return;
    // id after data: followers that match "event: …\ndata: …" keep working.
    res.write(`event: ${message.event}\ndata: ${JSON.stringify(message.data)}\n${id}\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.write(`event: overflow\ndata: ${JSON.stringify({ message: 'client too slow; stream closed' } satisfies StreamData<'overflow'>)}\n\n`);
      res.end();
      close();
    }
  };

  // A resumed stream replays as it subscribes: the ready that follows still means nothing later is missed.
  for (const topic of topics) {
    const from = cursor ? cursor.get(topic.name) ?? (topic.kind === 'sessions' ? 0 : undefined) : since;
    const following = followTopic(daemon, topic, (message, position) => {
      if (position === undefined) return write(message);
      positions.set(topic.name, position);
      write(message, idLine());
    }, from);
    followings.push(following);
    if (following.position !== undefined && !positions.has(topic.name)) positions.set(topic.name, following.position);
    if (res.writableEnded) return;
  }
  write({ event: 'ready', data: { topics: topics.map(({ name }) => name) } }, idLine());
}

type StreamData<E extends keyof typeof STREAM_MESSAGES> = Extract<StreamMessage, { event: E }>['data'];

function parsePosition(value: string, what: string): number {
  const position = Number(value);
  if (!Number.isSafeInteger(position) || position < 0) throw new AppError('VALIDATION_FAILED', `${what} must be a non-negative integer, got "${value}"`);
  return position;
}

/** A Last-Event-ID this stream wrote: `topic=position` pairs, space-separated. */
function parseCursor(value: string): Map<string, number> {
  const cursor = new Map<string, number>();
  for (const part of value.trim().split(/\s+/)) {
    const at = part.lastIndexOf('=');
    if (at <= 0) throw new AppError('VALIDATION_FAILED', `Last-Event-ID must be a number or topic=position pairs as the stream sent them, got "${value.slice(0, 200)}"`);
    cursor.set(part.slice(0, at), parsePosition(part.slice(at + 1), `Last-Event-ID position of ${part.slice(0, at)}`));
  }
  return cursor;
}
