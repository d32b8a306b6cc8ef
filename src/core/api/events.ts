import { z } from 'zod';
import { scanProgressSchema } from './library';
import { notificationEventSchema } from './notify';
import { sessionEventSchema, sessionSchema } from './sessions';
import type { RouteAccess } from './route';
import { TOPIC_KINDS, type TopicKind } from './topics';

/**
 * The event stream, declared once like the routes: `GET /events?topic=…[&topic=…][&since=<seq>]` answers with
 * server-sent events. Each topic's name and event (topics.ts, free of zod for the clients) gets its payload schema
 * here; the daemon's stream, the typed clients (CLI, dashboard), the man page and the tests read this table.
 */
export { STREAM_PATH, TOPIC_KINDS, parseTopic, streamPath, topicName, type TopicKind } from './topics';

/**
 * Who may follow the stream, as for a route (see route.ts): it carries every session's output and changes, so a
 * network listener serves it to readers only; on the Unix socket it answers everyone, like every route.
 */
export const STREAM_ACCESS = 'read' satisfies RouteAccess;

/** Transcript index news: scan progress, and each watched file read. */
export const libraryNewsSchema = z.discriminatedUnion('type', [
  scanProgressSchema.extend({ type: z.literal('scan') }),
  z.strictObject({
    type: z.literal('indexed'),
    file: z.string(),
    outcome: z.enum(['unchanged', 'appended', 'reread', 'binary', 'unreadable', 'vanished']),
    bytesRead: z.number(),
  }),
]);

export const TOPICS = {
  sessions: {
    ...TOPIC_KINDS.sessions,
    summary: 'every change of every session (the whole session as it is now)',
    payload: sessionSchema,
  },
  library: {
    ...TOPIC_KINDS.library,
    summary: 'transcript index news: scan progress ({type: "scan", ...}) and files read ({type: "indexed", ...})',
    payload: libraryNewsSchema,
  },
  notifications: {
    ...TOPIC_KINDS.notifications,
    summary: 'notification events the terminal channels let through (a TUI shows a banner and rings the bell)',
    payload: notificationEventSchema,
  },
  output: {
    ...TOPIC_KINDS.output,
    summary: 'raw output, base64, with the byte sequence number of its first byte; since=<seq> replays what is still held from there',
    payload: z.strictObject({ session: z.string(), seq: z.number().int().nonnegative(), data: z.string().describe('base64') }),
  },
  changed: {
    ...TOPIC_KINDS.changed,
    summary: 'that output arrived, without it: at most one event per 25 ms, for viewers that re-read the screen',
    payload: z.strictObject({ session: z.string(), seq: z.number().int().nonnegative() }),
  },
  events: {
    ...TOPIC_KINDS.events,
    summary: 'the session event log as it grows; since=<event id> replays the log after that event (its newest 1000)',
    payload: sessionEventSchema,
  },
} as const satisfies Record<TopicKind, { pattern: string; event: string; summary: string; payload: z.ZodType }>;

/** Messages of the stream itself, whatever its topics. */
export const STREAM_MESSAGES = {
  ready: { summary: 'sent once the stream is subscribed: nothing published after it is missed', payload: z.strictObject({ topics: z.array(z.string()) }) },
  overflow: { summary: 'the client read too slowly; the daemon closes the stream after it', payload: z.strictObject({ message: z.string() }) },
} as const;

/** One message as a client receives it: its event name and its payload, typed together. */
export type StreamMessage =
  | { [K in TopicKind]: { event: (typeof TOPICS)[K]['event']; data: z.output<(typeof TOPICS)[K]['payload']> } }[TopicKind]
  | { [K in keyof typeof STREAM_MESSAGES]: { event: K; data: z.output<(typeof STREAM_MESSAGES)[K]['payload']> } }[keyof typeof STREAM_MESSAGES];

export type LibraryNews = z.output<typeof libraryNewsSchema>;

/**
 * A message as the two arguments of a handler, `(event, data)`, typed together: a handler whose parameters are
 * declared with this rest type knows `data`'s type once it has checked `event`.
 */
export type StreamArgs = StreamMessage extends infer M ? (M extends { event: infer E; data: infer D } ? [event: E, data: D] : never) : never;
