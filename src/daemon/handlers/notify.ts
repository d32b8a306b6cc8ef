import type { Handlers } from '../router';

/** Notifications: a test to the channels, and the delivery log. */
export const notifyHandlers = {
  'notify.test': ({ channel }, ctx) => ctx.daemon.core.notify.engine.test(channel),
  'notify.log': ({ limit, channel }, ctx) => ({ deliveries: ctx.daemon.core.notify.deliveries.list({ limit, channel }) }),
} satisfies Pick<Handlers, 'notify.test' | 'notify.log'>;
