import type { Alert, AlertPriority, AlertState, AlertTransition } from '@wardline/protocol';
import type { Db } from '../db/database.js';

export interface AlertRow {
  id: number;
  subject: string;
  condition: string;
  patient_id: string | null;
  ward_id: string | null;
  device_id: string | null;
  gateway_id: string | null;
  priority: AlertPriority;
  state: AlertState;
  title: string;
  message: string;
  detail_json: string;
  opened_at: string;
  trigger_measured_at: string | null;
  updated_at: string;
  occurrences: number;
  level: number;
  next_escalation_at: string | null;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution_note: string | null;
}

export interface OpenSpec {
  subject: string;
  condition: string;
  patientId: string | null;
  wardId: string | null;
  deviceId?: string | null;
  gatewayId?: string | null;
  priority: AlertPriority;
  title: string;
  message: string;
  detail: Record<string, unknown>;
  triggerMeasuredAt?: string | null;
  nextEscalationAt: string | null;
}

export interface AlertFilter {
  state?: AlertState | 'unresolved';
  wardId?: string;
  patientId?: string;
  condition?: string;
  /** Alerts concerning this organisation: by patient, ward, gateway or device. */
  organisationId?: string;
  /** Alerts of these wards only (a ward-limited user). */
  wardIds?: string | null;
  limit: number;
}

export const PRIORITY_RANK: Record<AlertPriority, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export function toAlert(row: AlertRow, levelName: string): Alert {
  return {
    id: row.id,
    condition: row.condition,
    priority: row.priority,
    state: row.state,
    title: row.title,
    message: row.message,
    patientId: row.patient_id,
    wardId: row.ward_id,
    deviceId: row.device_id,
    gatewayId: row.gateway_id,
    detail: JSON.parse(row.detail_json) as Record<string, unknown>,
    openedAt: row.opened_at,
    triggerMeasuredAt: row.trigger_measured_at,
    updatedAt: row.updated_at,
    occurrences: row.occurrences,
    level: row.level,
    levelName,
    nextEscalationAt: row.next_escalation_at,
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    resolvedAt: row.resolved_at,
    resolvedBy: row.resolved_by,
    resolutionNote: row.resolution_note,
    limited: false,
  };
}

/**
 * Alerts and their audit trail. Every write is conditional on the state it expects, so a
 * transition happens once even when two paths (a tick and a nurse, two messages) race for it;
 * at most one unresolved alert per subject and condition is enforced by a partial unique index.
 */
export function createAlertStore(db: Db) {
  const byId = db.prepare(`SELECT * FROM alerts WHERE id = ?`);
  const unresolved = db.prepare(
    `SELECT * FROM alerts WHERE subject = ? AND condition = ? AND state != 'resolved'`,
  );
  const insert = db.prepare(
    `INSERT INTO alerts (subject, condition, patient_id, ward_id, device_id, gateway_id, priority, state, title,
                         message, detail_json, opened_at, trigger_measured_at, updated_at, next_escalation_at)
     VALUES (@subject, @condition, @patientId, @wardId, @deviceId, @gatewayId, @priority, 'open', @title,
             @message, @detailJson, @at, @triggerMeasuredAt, @at, @nextEscalationAt)
     ON CONFLICT (subject, condition) WHERE state != 'resolved' DO NOTHING`,
  );
  const transition = db.prepare(
    `INSERT INTO alert_transitions (alert_id, at, type, actor, from_state, to_state, level, note)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  function record(
    row: AlertRow,
    at: string,
    type: string,
    actor: string,
    from: AlertState | null,
    note: string | null = null,
  ): number {
    const fresh = byId.get(row.id) as AlertRow;
    return Number(
      transition.run(row.id, at, type, actor, from, fresh.state, fresh.level, note).lastInsertRowid,
    );
  }

  return {
    get(id: number): AlertRow | undefined {
      return byId.get(id) as AlertRow | undefined;
    },

    unresolved(subject: string, condition: string): AlertRow | undefined {
      return unresolved.get(subject, condition) as AlertRow | undefined;
    },

    /** Opens an alert unless one is already unresolved for the subject and condition. */
    open(spec: OpenSpec, at: string): { row: AlertRow; created: boolean; transitionId: number | null } {
      const result = insert.run({
        subject: spec.subject,
        condition: spec.condition,
        patientId: spec.patientId,
        wardId: spec.wardId,
        deviceId: spec.deviceId ?? null,
        gatewayId: spec.gatewayId ?? null,
        priority: spec.priority,
        title: spec.title,
        message: spec.message,
        detailJson: JSON.stringify(spec.detail),
        at,
        triggerMeasuredAt: spec.triggerMeasuredAt ?? null,
        nextEscalationAt: spec.nextEscalationAt,
      });
      if (result.changes === 0) {
        return {
          row: unresolved.get(spec.subject, spec.condition) as AlertRow,
          created: false,
          transitionId: null,
        };
      }
      const row = byId.get(Number(result.lastInsertRowid)) as AlertRow;
      return { row, created: true, transitionId: record(row, at, 'opened', 'system', null) };
    },

    recur(row: AlertRow, at: string, detail: Record<string, unknown>): number {
      db.prepare(
        `UPDATE alerts SET occurrences = occurrences + 1, updated_at = ?, detail_json = ? WHERE id = ?`,
      ).run(at, JSON.stringify(detail), row.id);
      return record(row, at, 'recurred', 'system', row.state);
    },

    /**
     * New detail (a fresher NEWS2), and a new priority if it changed; audited only when the priority
     * or the title (a NEWS2 score) changes. reopen: an acknowledged alert goes back to open (a rise
     * into a higher band is a new escalation, not something the earlier acknowledgement covered).
     */
    update(
      row: AlertRow,
      at: string,
      change: { priority: AlertPriority; title: string; message: string; detail: Record<string, unknown> },
      nextEscalationAt: string | null | undefined,
      reopen = false,
    ): number | null {
      db.prepare(
        `UPDATE alerts SET priority = ?, title = ?, message = ?, detail_json = ?, updated_at = ?,
                next_escalation_at = CASE WHEN ? THEN ? ELSE next_escalation_at END,
                state = CASE WHEN ? THEN 'open' ELSE state END
          WHERE id = ? AND state != 'resolved'`,
      ).run(
        change.priority,
        change.title,
        change.message,
        JSON.stringify(change.detail),
        at,
        nextEscalationAt === undefined ? 0 : 1,
        nextEscalationAt ?? null,
        reopen && row.state === 'acknowledged' ? 1 : 0,
        row.id,
      );
      if (change.priority === row.priority && change.title === row.title) return null;
      const notes = [
        change.priority !== row.priority ? `priority ${row.priority} -> ${change.priority}` : null,
        change.title !== row.title ? `${row.title} -> ${change.title}` : null,
      ];
      return record(row, at, 'updated', 'system', row.state, notes.filter(Boolean).join('; '));
    },

    /**
     * A falls incident taking in another event, or escalating as a long lie: new words and detail,
     * optionally counted as an occurrence, back to open, and moved to another level with its own
     * escalation timer. Always audited, with the note saying why.
     */
    amend(
      row: AlertRow,
      at: string,
      change: { title: string; message: string; detail: Record<string, unknown> },
      options: {
        type: 'recurred' | 'updated' | 'escalated';
        note: string;
        occurrence?: boolean;
        reopen?: boolean;
        level?: number;
        nextEscalationAt?: string | null;
      },
    ): number | null {
      const changed = db
        .prepare(
          `UPDATE alerts SET title = ?, message = ?, detail_json = ?, updated_at = ?,
                  occurrences = occurrences + ?,
                  state = CASE WHEN ? THEN 'open' ELSE state END,
                  level = ?,
                  next_escalation_at = CASE WHEN ? THEN ? ELSE next_escalation_at END
            WHERE id = ? AND state = ?`,
        )
        .run(
          change.title,
          change.message,
          JSON.stringify(change.detail),
          at,
          options.occurrence ? 1 : 0,
          options.reopen ? 1 : 0,
          options.level ?? row.level,
          options.nextEscalationAt === undefined ? 0 : 1,
          options.nextEscalationAt ?? null,
          row.id,
          row.state,
        ).changes;
      return changed ? record(row, at, options.type, 'system', row.state, options.note) : null;
    },

    acknowledge(id: number, by: string, at: string, note: string | null): number | null {
      const changed = db
        .prepare(
          `UPDATE alerts SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, updated_at = ?,
                  next_escalation_at = NULL WHERE id = ? AND state = 'open'`,
        )
        .run(at, by, at, id).changes;
      return changed ? record(byId.get(id) as AlertRow, at, 'acknowledged', by, 'open', note) : null;
    },

    resolve(id: number, by: string, at: string, note: string): number | null {
      const before = byId.get(id) as AlertRow | undefined;
      if (!before || before.state === 'resolved') return null;
      const changed = db
        .prepare(
          `UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolution_note = ?, updated_at = ?,
                  next_escalation_at = NULL WHERE id = ? AND state = ?`,
        )
        .run(at, by, note, at, id, before.state).changes;
      return changed ? record(before, at, 'resolved', by, before.state, note) : null;
    },

    /** Moves an unacknowledged alert on from the level it was at; false if someone got there first. */
    escalate(
      row: AlertRow,
      toLevel: number,
      nextAt: string | null,
      at: string,
      type: 'escalated' | 'renotified',
    ) {
      const changed = db
        .prepare(
          `UPDATE alerts SET level = ?, next_escalation_at = ?, updated_at = ?
            WHERE id = ? AND state = 'open' AND level = ? AND next_escalation_at = ?`,
        )
        .run(toLevel, nextAt, at, row.id, row.level, row.next_escalation_at).changes;
      return changed ? record(row, at, type, 'system', 'open', `level ${row.level} -> ${toLevel}`) : null;
    },

    dueEscalations(now: string): AlertRow[] {
      return db
        .prepare(
          `SELECT * FROM alerts WHERE next_escalation_at IS NOT NULL AND next_escalation_at <= ? AND state = 'open'
            ORDER BY next_escalation_at`,
        )
        .all(now) as AlertRow[];
    },

    nextEscalationAt(): string | null {
      const row = db
        .prepare(`SELECT min(next_escalation_at) AS at FROM alerts WHERE next_escalation_at IS NOT NULL`)
        .get() as { at: string | null };
      return row.at;
    },

    list(filter: AlertFilter): AlertRow[] {
      const clauses: string[] = [];
      if (filter.state === 'unresolved') clauses.push(`state != 'resolved'`);
      else if (filter.state) clauses.push('state = @state');
      if (filter.wardId) clauses.push('ward_id = @wardId');
      if (filter.patientId) clauses.push('patient_id = @patientId');
      if (filter.condition) clauses.push('condition = @condition');
      if (filter.organisationId)
        clauses.push(`CASE
            WHEN patient_id IS NOT NULL THEN patient_id IN (SELECT id FROM patients WHERE organisation_id = @organisationId)
            WHEN ward_id IS NOT NULL THEN ward_id IN (SELECT id FROM wards WHERE organisation_id = @organisationId)
            WHEN gateway_id IS NOT NULL THEN gateway_id IN (
              SELECT g.id FROM gateways g JOIN sites s ON s.code = g.site_code WHERE s.organisation_id = @organisationId)
            WHEN device_id IS NOT NULL THEN device_id IN (
              SELECT d.id FROM devices d JOIN sites s ON s.code = d.site_code WHERE s.organisation_id = @organisationId)
            ELSE 0 END`);
      if (filter.wardIds) clauses.push('ward_id IN (SELECT value FROM json_each(@wardIds))');
      const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
      // Only the parameters the query names, in a plain object (fastify's query objects are not).
      const params = Object.fromEntries(
        Object.entries(filter).filter(
          ([k, v]) => v !== undefined && (k === 'limit' || where.includes(`@${k}`)),
        ),
      );
      return db
        .prepare(
          // The inbox order: unresolved first; every critical above every high, acknowledged or not;
          // open before acknowledged; newest first.
          `SELECT * FROM alerts ${where}
            ORDER BY state = 'resolved',
                     CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
                     state != 'open', opened_at DESC, id DESC
            LIMIT @limit`,
        )
        .all(params) as AlertRow[];
    },

    transitions(id: number): AlertTransition[] {
      return (
        db.prepare(`SELECT * FROM alert_transitions WHERE alert_id = ? ORDER BY id`).all(id) as {
          id: number;
          at: string;
          type: string;
          actor: string;
          from_state: AlertState | null;
          to_state: AlertState;
          level: number;
          note: string | null;
        }[]
      ).map((t) => ({
        id: t.id,
        at: t.at,
        type: t.type,
        actor: t.actor,
        fromState: t.from_state,
        toState: t.to_state,
        level: t.level,
        note: t.note,
      }));
    },

    allUnresolved(): AlertRow[] {
      return db.prepare(`SELECT * FROM alerts WHERE state != 'resolved'`).all() as AlertRow[];
    },
  };
}
export type AlertStore = ReturnType<typeof createAlertStore>;
