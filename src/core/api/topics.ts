/**
 * The event stream's path, topics and event names: what clients need at run time to follow it, without zod (the CLI
 * and the dashboard bundles never load it). Each topic's payload schema is declared beside it in events.ts.
 */
export const STREAM_PATH = '/events';

/** Each topic: its name (`<id>` stands for a session id, prefix or name) and the event name its messages carry. */
export const TOPIC_KINDS = {
  sessions: { pattern: 'sessions', event: 'session' },
  library: { pattern: 'library', event: 'library' },
  notifications: { pattern: 'notifications', event: 'notification' },
  output: { pattern: 'session:<id>:output', event: 'output' },
  changed: { pattern: 'session:<id>:changed', event: 'changed' },
  events: { pattern: 'session:<id>:events', event: 'event' },
} as const;

export type TopicKind = keyof typeof TOPIC_KINDS;
export type SessionTopicKind = 'output' | 'changed' | 'events';
export type SessionTopic<K extends SessionTopicKind = SessionTopicKind> = `session:${string}:${K}`;

/** The topic of every session's changes, or of the transcript index's news. */
export function topicName(kind: 'sessions' | 'library' | 'notifications'): string;
/** One session's topic: its output, that its output changed, or its event log. */
export function topicName<K extends SessionTopicKind>(kind: K, session: string): SessionTopic<K>;
export function topicName(kind: TopicKind, session?: string): string {
  return TOPIC_KINDS[kind].pattern.replace('<id>', session ?? '');
}

/** What a topic name asks for; undefined for a name that is none of the topics. */
export function parseTopic(name: string): { kind: TopicKind; session?: string } | undefined {
  if (name === TOPIC_KINDS.sessions.pattern) return { kind: 'sessions' };
  if (name === TOPIC_KINDS.library.pattern) return { kind: 'library' };
  if (name === TOPIC_KINDS.notifications.pattern) return { kind: 'notifications' };
  const match = /^session:(.+):(output|changed|events)$/.exec(name);
  return match ? { kind: match[2] as SessionTopicKind, session: match[1]! } : undefined;
}

/** The request path that follows `topics`, replaying held output from `since` where a topic has it. */
export function streamPath(topics: readonly string[], options: { since?: number } = {}): string {
  const query = new URLSearchParams();
  for (const topic of topics) query.append('topic', topic);
  if (options.since !== undefined) query.set('since', String(options.since));
  return `${STREAM_PATH}?${query}`;
}

/** The topics, as a list for error messages: "sessions, library, … and session:<id>:events". */
export function describeTopics(conjunction: 'and' | 'or' = 'and'): string {
  const patterns = Object.values(TOPIC_KINDS).map((kind) => kind.pattern);
  return `${patterns.slice(0, -1).join(', ')} ${conjunction} ${patterns.at(-1)}`;
}
