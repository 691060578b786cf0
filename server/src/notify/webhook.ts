import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-wardline-signature';
export const NOTIFICATION_ID_HEADER = 'x-wardline-notification-id';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The time stamp is signed with the
 * body, so a receiver that rejects old time stamps cannot be fed a replay.
 */
export function signWebhook(secret: string, body: string, atSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${atSeconds}.${body}`).digest('hex');
  return `t=${atSeconds},v1=${mac}`;
}

/** What a receiver does; exported for integrators and tests. */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1]!, 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}

export async function postWebhook(
  url: string,
  secret: string,
  notificationId: number,
  payload: unknown,
  now: Date,
): Promise<void> {
  const body = JSON.stringify(payload);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signWebhook(secret, body, Math.floor(now.getTime() / 1000)),
      // Deliveries are at least once: receivers de-duplicate on this id.
      [NOTIFICATION_ID_HEADER]: String(notificationId),
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
}
