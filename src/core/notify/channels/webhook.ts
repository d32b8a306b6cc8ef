import type { NotifyChannelConfig } from '../../config';
import { EVENT_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../signing';
import { report, type ChannelFactory, type DeliveryReport } from './channel';

const DEFAULT_ATTEMPTS = 5;
const DEFAULT_TIMEOUT_MS = 10_000;
/** The wait before the second attempt; it doubles each time, up to MAX_BACKOFF_MS. */
export const BASE_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

/**
 * POST of the event JSON, signed (signing.ts). Network errors, timeouts, 429 and 5xx are retried with exponential
 * backoff, a bounded number of times; any other answer is final. It runs beside the daemon's work, never in its way.
 */
export const webhookChannel: ChannelFactory<Extract<NotifyChannelConfig, { type: 'webhook' }>> = (config, deps) => ({
  async deliver(event, progress) {
    const maxAttempts = config.maxAttempts ?? DEFAULT_ATTEMPTS;
    const secret = config.secret ?? deps.defaultWebhookSecret();
    const body = JSON.stringify(event);
    let last: DeliveryReport = report('failed', 0, 'not attempted');
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) await deps.sleep(Math.min(BASE_BACKOFF_MS * 2 ** (attempt - 2), MAX_BACKOFF_MS));
      // Signed per attempt: a retry carries a fresh timestamp, so a receiver's replay window holds for it too.
      const timestamp = Math.floor(Date.now() / 1000);
      let retry: boolean;
      try {
        const response = await fetch(config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'codepiper-notify',
            [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
            [TIMESTAMP_HEADER]: String(timestamp),
            [EVENT_HEADER]: event.kind,
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(config.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        });
        await response.body?.cancel().catch(() => {});
        if (response.ok) return report('delivered', attempt, null, { status: response.status });
        retry = response.status >= 500 || response.status === 429;
        last = report(retry && attempt < maxAttempts ? 'pending' : 'failed', attempt, `HTTP ${response.status}`, { status: response.status });
      } catch (error) {
        retry = true;
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const what = (error as Error).name === 'TimeoutError' ? 'timed out' : (cause?.code ?? cause?.message ?? (error as Error).message);
        last = report(attempt < maxAttempts ? 'pending' : 'failed', attempt, `network error: ${what}`, {});
      }
      if (!retry) return last;
      if (attempt < maxAttempts) progress(last);
    }
    return { ...last, outcome: 'failed' };
  },
});
