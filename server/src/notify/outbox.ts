import type { AlertPriority, NotificationRecord } from '@wardline/protocol';
import type { Db } from '../db/database.js';

export type Channel = 'email' | 'webhook' | 'sms';
export type NotificationState = 'pending' | 'sent' | 'failed' | 'not_configured' | 'cancelled';

export interface OutboxRow {
  id: number;
  alert_id: number;
  transition_id: number;
  audience: 'staff' | 'family';
  channel: Channel;
  recipient: string;
  contact_id: number | null;
  priority: AlertPriority;
  subject: string;
  body: string;
  state: NotificationState;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface Enqueue {
  alertId: number;
  transitionId: number;
  audience: 'staff' | 'family';
  channel: Channel;
  recipient: string;
  contactId?: number | null;
  priority: AlertPriority;
  subject: string;
  body: string;
  state: 'pending' | 'not_configured';
  nextAttemptAt: string;
  note?: string | null;
}

/**
 * The durable notification outbox: a message is written in the same transaction as the alert
 * transition that caused it, and leaves only as sent, failed (after every retry) or cancelled,
 * so a restart resumes anything pending. One transition reaches a recipient on a channel once.
 */
export function createOutbox(db: Db) {
  const insert = db.prepare(
    `INSERT INTO notifications (alert_id, transition_id, audience, channel, recipient, contact_id, priority, subject,
                                body, state, next_attempt_at, last_error, created_at)
     VALUES (@alertId, @transitionId, @audience, @channel, @recipient, @contactId, @priority, @subject, @body,
             @state, @nextAttemptAt, @note, @createdAt)
     ON CONFLICT (transition_id, channel, recipient) DO NOTHING`,
  );
  return {
    enqueue(n: Enqueue, createdAt: string): void {
      insert.run({ contactId: null, note: null, ...n, createdAt });
    },

    due(now: string, limit = 50): OutboxRow[] {
      return db
        .prepare(
          `SELECT * FROM notifications WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
        )
        .all(now, limit) as OutboxRow[];
    },

    nextDueAt(): string | null {
      return (
        db.prepare(`SELECT min(next_attempt_at) AS at FROM notifications WHERE state = 'pending'`).get() as {
          at: string | null;
        }
      ).at;
    },

    lastSentTo(recipient: string): string | null {
      return (
        db
          .prepare(`SELECT max(sent_at) AS at FROM notifications WHERE recipient = ? AND state = 'sent'`)
          .get(recipient) as { at: string | null }
      ).at;
    },

    markSent(id: number, at: string): void {
      db.prepare(
        `UPDATE notifications SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?`,
      ).run(at, id);
    },

    markFailedAttempt(id: number, error: string, nextAttemptAt: string | null): void {
      db.prepare(
        `UPDATE notifications SET attempts = attempts + 1, last_error = ?,
                state = CASE WHEN ? IS NULL THEN 'failed' ELSE state END,
                next_attempt_at = coalesce(?, next_attempt_at) WHERE id = ?`,
      ).run(error.slice(0, 500), nextAttemptAt, nextAttemptAt, id);
    },

    defer(id: number, until: string, reason: string): void {
      db.prepare(`UPDATE notifications SET next_attempt_at = ?, last_error = ? WHERE id = ?`).run(
        until,
        reason,
        id,
      );
    },

    cancelStaffPending(alertId: number, reason: string): void {
      db.prepare(
        `UPDATE notifications SET state = 'cancelled', last_error = ?
          WHERE alert_id = ? AND audience = 'staff' AND state = 'pending'`,
      ).run(reason, alertId);
    },

    forAlert(alertId: number): NotificationRecord[] {
      return (
        db.prepare(`SELECT * FROM notifications WHERE alert_id = ? ORDER BY id`).all(alertId) as OutboxRow[]
      ).map((r) => ({
        id: r.id,
        audience: r.audience,
        channel: r.channel,
        recipient: r.recipient,
        state: r.state,
        attempts: r.attempts,
        nextAttemptAt: r.next_attempt_at,
        lastError: r.last_error,
        createdAt: r.created_at,
        sentAt: r.sent_at,
      }));
    },
  };
}
export type Outbox = ReturnType<typeof createOutbox>;
