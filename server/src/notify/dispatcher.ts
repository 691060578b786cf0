import type { FastifyBaseLogger } from 'fastify';
import type { AlertingConfig } from '../alerts/config.js';
import { createMailer, type Mailer } from './email.js';
import type { Outbox, OutboxRow } from './outbox.js';
import { postWebhook } from './webhook.js';

/** How long a notification taken for sending stays with its sender before it falls due again. */
const CLAIM_MS = 2 * 60_000;

export interface Dispatcher {
  /** Sends everything due; resolves when this round's attempts have finished. */
  run(): Promise<void>;
  /** Resolves when the round in progress, if any, has finished. */
  idle(): Promise<void>;
  close(): void;
}

/**
 * Delivers the outbox: email over SMTP, signed webhooks (pagers, the SMS gateway). Failures retry
 * with exponential backoff up to maxAttempts, then stay visible as failed. A recipient gets at
 * most one message per recipientMinGapMs (later ones wait their turn); critical alerts (falls,
 * help calls, NEWS2 >= 7) are never held back by that limit.
 */
export function createDispatcher(
  outbox: Outbox,
  config: AlertingConfig,
  now: () => Date,
  log: FastifyBaseLogger,
): Dispatcher {
  const mailer: Mailer | null = config.smtp ? createMailer(config.smtp) : null;
  let running: Promise<void> | null = null;
  let again = false;

  async function deliver(row: OutboxRow): Promise<void> {
    if (row.channel === 'email') {
      if (!mailer) throw new Error('email is not configured');
      await mailer.send(row.recipient, row.subject, row.body);
      return;
    }
    if (!config.webhookSecret) throw new Error('webhooks are not configured');
    const url = row.channel === 'sms' ? config.smsWebhookUrl : row.recipient;
    if (!url) throw new Error('the SMS gateway is not configured');
    const payload =
      row.channel === 'sms'
        ? { notificationId: row.id, to: row.recipient, text: row.body }
        : { notificationId: row.id, alertId: row.alert_id, priority: row.priority, ...JSON.parse(row.body) };
    await postWebhook(url, config.webhookSecret, row.id, payload, now());
  }

  async function round(): Promise<void> {
    const at = now();
    for (const row of await outbox.due(at.toISOString())) {
      if (row.priority !== 'critical') {
        const last = await outbox.lastSentTo(row.recipient);
        if (last && at.getTime() - Date.parse(last) < config.recipientMinGapMs) {
          await outbox.defer(
            row.id,
            new Date(Date.parse(last) + config.recipientMinGapMs).toISOString(),
            'rate limited: waiting for this recipient’s minimum gap',
          );
          continue;
        }
      }
      // Longer than a send can take (the SMTP and webhook timeouts): one replica sends it.
      if (!(await outbox.claim(row, new Date(now().getTime() + CLAIM_MS).toISOString()))) continue;
      try {
        await deliver(row);
        await outbox.markSent(row.id, now().toISOString());
        log.info({ notification: row.id, channel: row.channel, alert: row.alert_id }, 'notification sent');
      } catch (err) {
        const attempt = row.attempts + 1;
        const retryAt =
          attempt >= config.maxAttempts
            ? null
            : new Date(
                now().getTime() + Math.min(300_000, config.retryBaseMs * 2 ** (attempt - 1)),
              ).toISOString();
        await outbox.markFailedAttempt(row.id, (err as Error).message, retryAt);
        log.warn(
          { notification: row.id, channel: row.channel, attempt, err: (err as Error).message, retryAt },
          retryAt ? 'notification failed; will retry' : 'notification failed for good',
        );
      }
    }
  }

  return {
    run() {
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        do {
          again = false;
          await round();
        } while (again);
      })().finally(() => {
        running = null;
      });
      return running;
    },
    async idle() {
      await running;
    },
    close() {
      mailer?.close();
    },
  };
}
