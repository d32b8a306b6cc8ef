import { z } from 'zod';
import { SCOPES } from '../auth/types';
import { TOPIC_KINDS } from './topics';

export * from './ws-protocol';

/**
 * The WebSocket stream, declared once like the routes and the event stream (events.ts): the frames a client may send
 * and the frames the daemon answers with, each a JSON text frame with a `type`. The topics are the event stream's
 * (TOPIC_KINDS); each `event` frame carries what `/events` would send under the same event name.
 *
 * On the Unix socket the stream is at WS_PATH; a network listener serves it under /api (with its authentication).
 * Input frames (send, keys, paste) are the routes sessions.send and sessions.keys: the same input schema, the same
 * access level, the same policy check and audit row, the same answer (in an `ok` frame) or error (in an `error` frame).
 */
/** Set by a client on any frame, echoed on the `ok`, `ready`, `pong` or `error` that answers it. */
const ref = z.union([z.string().max(200), z.number().int()]).optional().describe('echoed on the answer to this frame');
const topicList = z.array(z.string().min(1).max(300)).min(1).max(64);

export const wsClientFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('subscribe'),
    ref,
    topics: topicList,
    since: z
      .number()
      .int()
      .nonnegative()
      .optional()
      .describe('resume point, read by each topic in its own terms (see WS_RESUME); send one subscribe per topic to resume each from its own point'),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), ref, topics: topicList }),
  z.strictObject({
    type: z.literal('send'),
    ref,
    session: z.string().min(1),
    text: z.string(),
    enter: z.boolean().optional().describe('press Enter after the text (default true), as sessions.send newline'),
  }),
  z.strictObject({ type: z.literal('keys'), ref, session: z.string().min(1), keys: z.array(z.string()) }),
  z.strictObject({ type: z.literal('paste'), ref, session: z.string().min(1), text: z.string() }),
  z.strictObject({ type: z.literal('ping'), ref }),
]);

export type WsClientFrame = z.output<typeof wsClientFrameSchema>;
export type WsClientFrameType = WsClientFrame['type'];
export const WS_CLIENT_FRAME_TYPES = wsClientFrameSchema.options.map((option) => option.shape.type.value);

/** The route each input frame is: its input schema, access level, policy check and audit row are that route's. */
export const WS_INPUT_ROUTES = { send: 'sessions.send', paste: 'sessions.send', keys: 'sessions.keys' } as const;

/** What `since` means for each topic, and what resuming gives back. The same meaning as `?since=` and Last-Event-ID on /events. */
export const WS_RESUME = {
  output: 'a byte position: output still held in memory from there is replayed; each output event carries the position after it (seq)',
  changed: 'an output position: one `changed` event at once if output moved past it',
  events: 'an event id: the event log after it is replayed (its newest 1000 events); each event carries its id (seq)',
  sessions: 'any value: every session as it is now is sent at once (each event is the whole session, so that is all a client missed)',
  library: 'nothing is replayed: scan news is transient; re-read the library',
  notifications: 'nothing is replayed: GET /notify/log keeps what was delivered',
} as const satisfies Record<keyof typeof TOPIC_KINDS, string>;

const errorFrame = z.strictObject({ type: z.literal('error'), ref, code: z.string(), message: z.string(), details: z.unknown().optional() });

export const wsServerFrameSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('hello'),
    version: z.string().describe("the daemon's version"),
    protocol: z.number().int(),
    topics: z.array(z.string()).describe('the topic patterns; <id> stands for a session id, prefix or name'),
    scope: z.enum(SCOPES).describe('what this connection may do: read follows topics, write may also send input'),
    limits: z.strictObject({ maxFrameBytes: z.number().int(), maxQueuedBytes: z.number().int(), heartbeatMs: z.number().int() }),
  }),
  z.strictObject({
    type: z.literal('ready'),
    ref,
    topics: z.array(z.string()).describe('the topics now followed, sessions named by id'),
    positions: z.record(z.string(), z.number().int()).describe('for topics that can resume: the point to resume from if nothing arrives before a disconnect'),
  }),
  z.strictObject({
    type: z.literal('event'),
    topic: z.string(),
    event: z.string().describe('the event name /events uses for this topic'),
    seq: z.number().int().optional().describe('where to resume after this event: pass it as since'),
    data: z.unknown(),
  }),
  z.strictObject({ type: z.literal('ok'), ref, result: z.unknown().describe("the answer of the frame's route") }),
  errorFrame,
  z.strictObject({ type: z.literal('overflow'), message: z.string() }),
  z.strictObject({ type: z.literal('pong'), ref }),
]);

export type WsServerFrame = z.output<typeof wsServerFrameSchema>;
export type WsErrorFrame = z.output<typeof errorFrame>;

export type ParsedClientFrame = { ok: true; frame: WsClientFrame } | { ok: false; error: WsErrorFrame };

/**
 * One frame as the client sent it, checked: binary frames, text that is not JSON, unknown types and malformed fields
 * each become an `error` frame that names what was wrong (with the frame's ref when one could be read).
 */
export function parseClientFrame(data: Buffer | string, isBinary: boolean): ParsedClientFrame {
  const fail = (code: string, message: string, refValue?: unknown): ParsedClientFrame => ({
    ok: false,
    error: { type: 'error', code, message, ...(typeof refValue === 'string' || typeof refValue === 'number' ? { ref: refValue } : {}) },
  });
  if (isBinary) return fail('UNSUPPORTED_MEDIA_TYPE', 'binary frames are not understood here: send JSON text frames');
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch (error) {
    return fail('INVALID_JSON', `frame is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('VALIDATION_FAILED', 'a frame is a JSON object with a "type"');
  const { type, ref: refValue } = value as { type?: unknown; ref?: unknown };
  if (typeof type !== 'string' || !(WS_CLIENT_FRAME_TYPES as readonly string[]).includes(type)) {
    return fail('VALIDATION_FAILED', `unknown frame type ${JSON.stringify(type ?? null)}; types are ${WS_CLIENT_FRAME_TYPES.join(', ')}`, refValue);
  }
  const parsed = wsClientFrameSchema.safeParse(value);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return fail('VALIDATION_FAILED', `${type} frame: ${where}${issue.message}`, refValue);
}

/**
 * Client → bridge: binary frames (or text frames that are not a control frame) are keystrokes, as bytes; a text frame
 * holding this JSON resizes the pseudo-terminal the attach runs in (the viewer's size, not the agent's window).
 */
export const terminalControlSchema = z.strictObject({
  type: z.literal('resize'),
  cols: z.number().int().min(2).max(1000),
  rows: z.number().int().min(2).max(1000),
});
