import { DEFAULT_NOTIFY_KINDS, type NotificationEvent } from '../api/notify';
import type { CodepiperConfig, NotifyChannelConfig } from '../config';

export type QuietHours = NonNullable<NonNullable<CodepiperConfig['notifications']>['quietHours']>;

/** Whether a channel's rule lets the event through: enabled, one of its kinds, one of its sessions. */
export function channelWants(channel: NotifyChannelConfig, event: NotificationEvent): boolean {
  if (channel.enabled === false) return false;
  if (!(channel.events ?? DEFAULT_NOTIFY_KINDS).includes(event.kind)) return false;
  if (!channel.sessions) return true;
  const session = event.session;
  // A rule that names sessions is about sessions: events of none (a workflow's) pass only with "*".
  if (!session) return channel.sessions.includes('*');
  return channel.sessions.some((pattern) => {
    const matches = globMatcher(pattern);
    return matches(session.id) || (session.name !== null && matches(session.name));
  });
}

/** `*` any run of characters, `?` one; everything else literal; the whole text must match. */
export function globMatcher(pattern: string): (text: string) => boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const regex = new RegExp(`^${source}$`, 's');
  return (text) => regex.test(text);
}

/**
 * Whether `now` falls in the quiet hours, read on the wall clock of their time zone (the daemon's when none is
 * given). start > end spans midnight (22:00-07:00); start = end is never quiet.
 */
export function inQuietHours(quiet: Partial<QuietHours> | undefined, now: Date): boolean {
  // A setting removed while the daemon runs can leave an emptied object behind in the live configuration.
  if (!quiet?.start || !quiet.end) return false;
  const minutes = minutesOfDay(now, quiet.timezone);
  const start = parseClock(quiet.start);
  const end = parseClock(quiet.end);
  if (start === end) return false;
  return start < end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

function parseClock(text: string): number {
  const [hours, minutes] = text.split(':').map(Number);
  return hours! * 60 + minutes!;
}

function minutesOfDay(now: Date, timeZone: string | undefined): number {
  const parts = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', ...(timeZone ? { timeZone } : {}) }).formatToParts(now);
  const hour = Number(parts.find((part) => part.type === 'hour')?.value);
  const minute = Number(parts.find((part) => part.type === 'minute')?.value);
  return hour * 60 + minute;
}
