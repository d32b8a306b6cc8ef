/** Topic names: `sessions` (every session's changes), `session:<id>:output`, `session:<id>:events`. */
export type Topic = string;

export type Listener = (message: unknown) => void;

/** In-process publish/subscribe between the session engine and the daemon's streams. */
export class EventBus {
  private readonly listeners = new Map<Topic, Set<Listener>>();

  subscribe(topic: Topic, listener: Listener): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => {
      set!.delete(listener);
      if (set!.size === 0) this.listeners.delete(topic);
    };
  }

  publish(topic: Topic, message: unknown): void {
    const set = this.listeners.get(topic);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(message);
      } catch {
        // one broken subscriber must not stop the others
      }
    }
  }

  hasSubscribers(topic: Topic): boolean {
    return this.listeners.has(topic);
  }
}

export const sessionOutputTopic = (id: string): Topic => `session:${id}:output`;
export const sessionEventsTopic = (id: string): Topic => `session:${id}:events`;
export const SESSIONS_TOPIC: Topic = 'sessions';
/** Transcript index news: scan progress (`{type: 'scan', ...}`) and live files read (`{type: 'indexed', ...}`). */
export const LIBRARY_TOPIC: Topic = 'library';
