import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'x-codepiper-signature';
export const TIMESTAMP_HEADER = 'x-codepiper-timestamp';
export const EVENT_HEADER = 'x-codepiper-event';

/**
 * The webhook signature: HMAC-SHA256 over `<timestamp>.<raw body>` (the timestamp in seconds is signed with the body,
 * so a receiver that refuses old timestamps refuses replays), as `sha256=<hex>`.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does: recompute and compare in constant time, and refuse a timestamp older than `toleranceSeconds`. */
export function verifyWebhook(secret: string, headers: { signature: string | undefined; timestamp: string | undefined }, body: string, now = Date.now(), toleranceSeconds = 300): boolean {
  if (!headers.signature || !headers.timestamp || !/^\d+$/.test(headers.timestamp)) return false;
  const timestamp = Number(headers.timestamp);
  if (Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}
