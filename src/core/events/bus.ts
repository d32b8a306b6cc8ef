import type { LibraryNews } from '../api/events';
import type { NotificationEvent } from '../api/notify';
import type { Session } from '../api/sessions';
import { topicName, type SessionTopic } from '../api/topics';
import type { OutputChunk } from '../sessions/output';
import type { SessionEvent } from '../sessions/store';

/**
 * What travels on the bus, by topic. The names are the stream's (api/topics.ts); a session's output travels as the
 * chunks the engine keeps (the stream encodes them), and its `changed` topic is derived from output by the stream.
 */
export interface BusTopics {
  sessions: Session;
  library: LibraryNews;
  notifications: NotificationEvent;
  [output: SessionTopic<'output'>]: OutputChunk;
  [events: SessionTopic<'events'>]: SessionEvent;
}

export type BusTopic = keyof BusTopics;

/** In-process publish/subscribe between the services and the daemon's streams; each topic has its payload type. */
export class EventBus {
  private readonly listeners = new Map<string, Set<(message: never) => void>>();

  subscribe<T extends BusTopic>(topic: T, listener: (message: BusTopics[T]) => void): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(topic);
    };
  }

  publish<T extends BusTopic>(topic: T, message: BusTopics[T]): void {
    const set = this.listeners.get(topic);
    if (!set) return;
    for (const listener of [...set] as Array<(message: BusTopics[T]) => void>) {
      try {
        listener(message);
      } catch {
        // one broken subscriber must not stop the others
      }
    }
  }

  hasSubscribers(topic: BusTopic): boolean {
    return this.listeners.has(topic);
  }
}

export const sessionOutputTopic = (id: string): SessionTopic<'output'> => topicName('output', id);
export const sessionEventsTopic = (id: string): SessionTopic<'events'> => topicName('events', id);
export const SESSIONS_TOPIC = 'sessions' satisfies BusTopic;
export const LIBRARY_TOPIC = 'library' satisfies BusTopic;
export const NOTIFICATIONS_TOPIC = 'notifications' satisfies BusTopic;
