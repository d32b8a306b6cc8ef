import type { NotificationEvent } from '../../api/notify';
import type { NotifyChannelConfig } from '../../config';
import type { Logger } from '../../log';

/** How one delivery went, as far as it has gone: the delivery log row is updated with each. */
export interface DeliveryReport {
  outcome: 'pending' | 'delivered' | 'failed' | 'unavailable';
  attempts: number;
  error: string | null;
  /** Per channel: a command's exit code and stderr, a webhook's HTTP status. */
  detail: Record<string, unknown>;
}

/**
 * One way of reaching the person. A channel delivers one event at a time and never throws: what went wrong is in its
 * report. It may retry inside deliver() (reporting each attempt through `progress`), but must end in bounded time.
 * A new channel type (Web Push) adds its config to notifyChannelSchema (config/index.ts), its type to
 * NOTIFY_CHANNEL_TYPES (api/notify.ts) and a factory to CHANNEL_FACTORIES (channels/index.ts); a channel that wants
 * to withdraw a notification lists `resolved` in its events and acts on event.resolves.
 */
export interface NotifyChannel {
  deliver(event: NotificationEvent, progress: (report: DeliveryReport) => void): Promise<DeliveryReport>;
}

/** What the channels may use from the daemon. */
export interface ChannelDeps {
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** The webhook key when a channel names none (generated once, kept 0600). */
  defaultWebhookSecret: () => string;
  /** The terminal channel: hands the event to the TUIs following the notifications topic; how many follow. */
  publishToTerminals: (event: NotificationEvent) => number;
  /** Waits between webhook attempts (the tests shorten nothing: the default backoff is already short). */
  sleep: (ms: number) => Promise<void>;
}

export type ChannelFactory<C extends NotifyChannelConfig = NotifyChannelConfig> = (config: C, deps: ChannelDeps) => NotifyChannel;

export const report = (outcome: DeliveryReport['outcome'], attempts: number, error: string | null = null, detail: Record<string, unknown> = {}): DeliveryReport => ({ outcome, attempts, error, detail });
