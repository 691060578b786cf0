import type { AlertPriority, NotificationRecord } from '@wardline/protocol';
import type { SqlDatabase } from '../db/engines/engine.js';

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
export function createOutbox(sql: SqlDatabase) {
  return {
    /** Once per transition, channel and recipient: the unique key decides, not a read first. */
    async enqueue(n: Enqueue, createdAt: string): Promise<void> {
      await sql.run(
        `INSERT INTO notifications (alert_id, transition_id, audience, channel, recipient, contact_id, priority,
                                    subject, body, state, next_attempt_at, last_error, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (transition_id, channel, recipient) DO NOTHING`,
        [
          n.alertId,
          n.transitionId,
          n.audience,
          n.channel,
          n.recipient,
          n.contactId ?? null,
          n.priority,
          n.subject,
          n.body,
          n.state,
          n.nextAttemptAt,
          n.note ?? null,
          createdAt,
        ],
      );
    },

    due(now: string, limit = 50): Promise<OutboxRow[]> {
      return sql.all<OutboxRow>(
        `SELECT * FROM notifications WHERE state = 'pending' AND next_attempt_at <= ?
          ORDER BY next_attempt_at, id LIMIT ?`,
        [now, limit],
      );
    },

    async nextDueAt(): Promise<string | null> {
      const row = await sql.get<{ at: string | null }>(
        `SELECT min(next_attempt_at) AS at FROM notifications WHERE state = 'pending'`,
      );
      return row?.at ?? null;
    },

    async lastSentTo(recipient: string): Promise<string | null> {
      const row = await sql.get<{ at: string | null }>(
        `SELECT max(sent_at) AS at FROM notifications WHERE recipient = ? AND state = 'sent'`,
        [recipient],
      );
      return row?.at ?? null;
    },

    /**
     * Takes a due notification to send it, until `until`: false when another replica (or an
     * earlier round) took it first, decided by a conditional UPDATE rather than the read. Should
     * the sender die mid-send, the notification falls due again at `until`.
     */
    async claim(row: OutboxRow, until: string): Promise<boolean> {
      const { changes } = await sql.run(
        `UPDATE notifications SET next_attempt_at = ?
          WHERE id = ? AND state = 'pending' AND next_attempt_at = ? AND attempts = ?`,
        [until, row.id, row.next_attempt_at, row.attempts],
      );
      return changes === 1;
    },

    async markSent(id: number, at: string): Promise<void> {
      await sql.run(
        `UPDATE notifications SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL
          WHERE id = ?`,
        [at, id],
      );
    },

    async markFailedAttempt(id: number, error: string, nextAttemptAt: string | null): Promise<void> {
      await sql.run(
        `UPDATE notifications SET attempts = attempts + 1, last_error = ?,
                state = CASE WHEN ? = 1 THEN 'failed' ELSE state END,
                next_attempt_at = coalesce(?, next_attempt_at) WHERE id = ?`,
        [error.slice(0, 500), nextAttemptAt === null ? 1 : 0, nextAttemptAt, id],
      );
    },

    async defer(id: number, until: string, reason: string): Promise<void> {
      await sql.run(`UPDATE notifications SET next_attempt_at = ?, last_error = ? WHERE id = ?`, [
        until,
        reason,
        id,
      ]);
    },

    async cancelStaffPending(alertId: number, reason: string): Promise<void> {
      await sql.run(
        `UPDATE notifications SET state = 'cancelled', last_error = ?
          WHERE alert_id = ? AND audience = 'staff' AND state = 'pending'`,
        [reason, alertId],
      );
    },

    async forAlert(alertId: number): Promise<NotificationRecord[]> {
      const rows = await sql.all<OutboxRow>(`SELECT * FROM notifications WHERE alert_id = ? ORDER BY id`, [
        alertId,
      ]);
      return rows.map((r) => ({
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
