import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../errors/index.js';

/**
 * Webhook alerts: `POST <url>` with a JSON body and these headers —
 *   x-syncwarden-event:     the event, e.g. incident.opened
 *   x-syncwarden-delivery:  the alert id (the same on a retry: deduplicate on it)
 *   x-syncwarden-timestamp: Unix seconds when signed
 *   x-syncwarden-signature: v1=<hex HMAC-SHA256(secret, `${timestamp}.${body}`)>
 * A receiver recomputes the HMAC over the raw body bytes, compares in constant time, and
 * rejects timestamps more than 5 minutes from its clock (replay). docs/api.md shows how.
 */
export const SIGNATURE_HEADER = 'x-syncwarden-signature';
export const TIMESTAMP_HEADER = 'x-syncwarden-timestamp';
export const REPLAY_WINDOW_S = 300;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** What a receiver does (exported for tests and as the reference implementation). */
export function verifyWebhook(secret: string, headers: { signature: string | undefined; timestamp: string | undefined }, rawBody: string, nowS: number): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts) || Math.abs(nowS - ts) > REPLAY_WINDOW_S) return false;
  const expected = Buffer.from(signWebhook(secret, ts, rawBody));
  const got = Buffer.from(headers.signature);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export async function postWebhook(name: string, url: string, secret: string, event: string, deliveryId: string, body: string, nowMs: number): Promise<void> {
  const timestamp = Math.floor(nowMs / 1000);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Syncwarden-Alerts/1',
        'x-syncwarden-event': event,
        'x-syncwarden-delivery': deliveryId,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer().catch(() => undefined);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    throw new AppError('alert.delivery_failed', { channel: 'webhook', name, detail: cause ? `network error ${cause}` : `no answer (${(e as Error).name})` }, { cause: e });
  }
  if (res.status < 200 || res.status >= 300) {
    throw new AppError('alert.delivery_failed', { channel: 'webhook', name, detail: `the receiver answered HTTP ${res.status}` });
  }
}
