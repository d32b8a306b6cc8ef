import { TOPICS, type StreamMessage } from '../core/api/events';
import { describeTopics, parseTopic, topicName, type SessionTopicKind, type TopicKind } from '../core/api/topics';
import { AppError } from '../core/errors';
import { sessionEventsTopic, sessionOutputTopic } from '../core/events/bus';
import type { OutputChunk } from '../core/sessions/output';
import type { DaemonContext } from './context';

/**
 * Following one topic of the contract, for both streams (/events and the WebSocket): the bus subscription, the replay
 * of what a resuming client missed, and the resume point after each message. What `since` means per topic is
 * declared in the contract (WS_RESUME in api/ws.ts).
 */

/** A `changed` follower hears of new output at most this often (the first chunk at once, then one trailing event). */
const CHANGED_INTERVAL_MS = 25;
/** The most session events a resuming follower is sent (the newest ones). */
export const EVENTS_REPLAY_LIMIT = 1000;

export interface FollowedTopic {
  /** The topic as the bus names it: a session by its id, whatever the client called it. */
  name: string;
  kind: TopicKind;
  session?: string | undefined;
}

/**
 * Receives each message of a followed topic, with where to resume after it: for output the position of the next byte,
 * for the event log this event's id; undefined for topics that do not resume by position.
 */
export type Deliver = (message: StreamMessage, position: number | undefined) => void;

export interface Following {
  /** Where a client that received nothing more would resume; undefined for topics without positions. */
  readonly position: number | undefined;
  stop(): void;
}

/** A requested topic, its session (by id, prefix or name) resolved to the session's id; throws a 400/404 AppError. */
export function resolveTopic(name: string, daemon: DaemonContext): FollowedTopic {
  const parsed = parseTopic(name);
  if (!parsed) throw new AppError('VALIDATION_FAILED', `unknown topic "${name}"; topics are ${describeTopics()}`);
  if (parsed.session === undefined) return { name, kind: parsed.kind };
  const session = daemon.core.sessions.resolve(parsed.session).id;
  return { name: topicName(parsed.kind as SessionTopicKind, session), kind: parsed.kind, session };
}

/**
 * Subscribes `deliver` to a topic and, when `since` is given, first replays what the topic still holds from there.
 * Everything runs synchronously, so nothing published between the subscription and the replay is lost or doubled.
 */
export function followTopic(daemon: DaemonContext, topic: FollowedTopic, deliver: Deliver, since?: number): Following {
  const { core } = daemon;
  const session = topic.session!;
  switch (topic.kind) {
    case 'sessions': {
      const stop = core.bus.subscribe('sessions', (data) => deliver({ event: TOPICS.sessions.event, data }, undefined));
      if (since !== undefined) for (const data of core.sessions.list({})) deliver({ event: TOPICS.sessions.event, data }, undefined);
      return { position: undefined, stop };
    }
    case 'library':
      return { position: undefined, stop: core.bus.subscribe('library', (data) => deliver({ event: TOPICS.library.event, data }, undefined)) };
    case 'notifications':
      return { position: undefined, stop: core.bus.subscribe('notifications', (data) => deliver({ event: TOPICS.notifications.event, data }, undefined)) };
    case 'events': {
      let position = since ?? core.sessions.lastEventId(session);
      const send = (data: Parameters<Deliver>[0]['data'] & { id: number }) => {
        if (data.id <= position) return;
        position = data.id;
        deliver({ event: TOPICS.events.event, data } as StreamMessage, position);
      };
      const stop = core.bus.subscribe(sessionEventsTopic(session), send);
      if (since !== undefined) for (const event of core.sessions.eventsAfter(session, since, EVENTS_REPLAY_LIMIT)) send(event);
      return {
        get position() {
          return position;
        },
        stop,
      };
    }
    case 'output': {
      let position = since ?? core.terminal.outputSeq(session);
      const send = (chunk: OutputChunk) => {
        position = chunk.seq + chunk.data.length;
        deliver({ event: TOPICS.output.event, data: { session, seq: chunk.seq, data: chunk.data.toString('base64') } }, position);
      };
      const stop = core.bus.subscribe(sessionOutputTopic(session), send);
      if (since !== undefined) for (const chunk of core.terminal.outputSince(session, since)) send(chunk);
      return {
        get position() {
          return position;
        },
        stop,
      };
    }
    case 'changed': {
      // Output without the bytes, for a viewer that re-reads the screen anyway: at most one event per interval.
      let last = 0;
      let pending: NodeJS.Timeout | undefined;
      let seq = core.terminal.outputSeq(session) ?? 0;
      const send = () => {
        pending = undefined;
        last = Date.now();
        deliver({ event: TOPICS.changed.event, data: { session, seq } }, undefined);
      };
      const onChunk = (chunk: OutputChunk) => {
        seq = chunk.seq;
        if (pending) return;
        const wait = last + CHANGED_INTERVAL_MS - Date.now();
        if (wait <= 0) send();
        else pending = setTimeout(send, wait);
      };
      const unsubscribe = core.bus.subscribe(sessionOutputTopic(session), onChunk);
      if (since !== undefined && seq > since) send();
      return {
        position: undefined,
        stop: () => {
          unsubscribe();
          if (pending) clearTimeout(pending);
        },
      };
    }
  }
}
