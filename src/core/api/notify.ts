import { z } from 'zod';
import { PROVIDER_IDS } from '../providers';
import { NOTIFY_KINDS } from '../notify/kinds';
import { defineRoute } from './route';

export { DEFAULT_NOTIFY_KINDS, NOTIFY_KINDS, type NotifyKind } from '../notify/kinds';

export const NOTIFY_CHANNEL_TYPES = ['desktop', 'terminal', 'command', 'webhook'] as const;

export const notificationEventSchema = z.strictObject({
  id: z.string().describe('unique per event; a resolved event names the one it follows in `resolves`'),
  kind: z.enum(NOTIFY_KINDS),
  at: z.string(),
  session: z.strictObject({ id: z.string(), name: z.string().nullable(), provider: z.enum(PROVIDER_IDS) }).nullable(),
  title: z.string().describe('one line: the session and what happened'),
  message: z.string().describe('one line: what it asks, or how it ended'),
  question: z
    .strictObject({ tool: z.string(), summary: z.string().describe('its arguments, short, secrets redacted') })
    .nullable()
    .describe('for needs_permission: the tool and its arguments'),
  lastLine: z.string().nullable().describe('for needs_input: the last non-blank line of the screen'),
  link: z.string().nullable().describe('the session in the dashboard (--web URL + /#/sessions/<id>), else null'),
  resolves: z.string().nullable().describe('for resolved: the id of the event whose question was answered'),
  workflow: z.strictObject({ id: z.string(), name: z.string(), outcome: z.string().nullable() }).nullable(),
});
export type NotificationEvent = z.output<typeof notificationEventSchema>;

export const DELIVERY_OUTCOMES = ['pending', 'delivered', 'failed', 'suppressed', 'unavailable'] as const;

export const deliverySchema = z.strictObject({
  id: z.number().int(),
  at: z.string(),
  updatedAt: z.string(),
  channel: z.string(),
  type: z.enum(NOTIFY_CHANNEL_TYPES),
  eventId: z.string(),
  kind: z.enum(NOTIFY_KINDS),
  sessionId: z.string().nullable(),
  outcome: z.enum(DELIVERY_OUTCOMES).describe('pending: retrying; suppressed: quiet hours; unavailable: the channel cannot work here (no session bus)'),
  attempts: z.number().int().nonnegative(),
  error: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).describe('per channel: exitCode and stderr of a command, status of a webhook'),
});
export type Delivery = z.output<typeof deliverySchema>;

export const notifyRoutes = [
  defineRoute({
    name: 'notify.test',
    method: 'POST',
    path: '/notify/test',
    summary: 'Sends a test notification to every configured channel (or the one named), ignoring rules and quiet hours; answers each channel\'s delivery.',
    // admin: a command channel runs a program, a webhook channel reaches out.
    access: 'admin',
    input: z.strictObject({ channel: z.string().min(1).optional().describe('a channel name from notifications.channels') }),
    output: z.strictObject({ event: notificationEventSchema, results: z.array(deliverySchema) }),
  }),
  defineRoute({
    name: 'notify.log',
    method: 'GET',
    path: '/notify/log',
    summary: 'The notification delivery log, newest first: channel, event, outcome, attempts, error.',
    access: 'read',
    input: z.strictObject({
      limit: z.coerce.number().int().min(1).max(1000).default(50),
      channel: z.string().min(1).optional(),
    }),
    output: z.strictObject({ deliveries: z.array(deliverySchema) }),
  }),
] as const;
