import type { Alert, AlertPriority, AlertState, AlertTransition } from '@wardline/protocol';
import type { SqlDatabase, SqlValue } from '../db/engines/engine.js';

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
export function createAlertStore(sql: SqlDatabase) {
  const byId = (id: number) => sql.get<AlertRow>(`SELECT * FROM alerts WHERE id = ?`, [id]);
  const unresolved = (subject: string, condition: string) =>
    sql.get<AlertRow>(`SELECT * FROM alerts WHERE subject = ? AND condition = ? AND state != 'resolved'`, [
      subject,
      condition,
    ]);

  async function record(
    row: AlertRow,
    at: string,
    type: string,
    actor: string,
    from: AlertState | null,
    note: string | null = null,
  ): Promise<number> {
    const fresh = (await byId(row.id))!;
    const inserted = await sql.get<{ id: number }>(
      `INSERT INTO alert_transitions (alert_id, at, type, actor, from_state, to_state, level, note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [row.id, at, type, actor, from, fresh.state, fresh.level, note],
    );
    return inserted!.id;
  }

  return {
    get(id: number): Promise<AlertRow | undefined> {
      return byId(id);
    },

    unresolved(subject: string, condition: string): Promise<AlertRow | undefined> {
      return unresolved(subject, condition);
    },

    /**
     * Opens an alert unless one is already unresolved for the subject and condition: the partial
     * unique index decides, so two replicas raising at once open one alert.
     */
    async open(
      spec: OpenSpec,
      at: string,
    ): Promise<{ row: AlertRow; created: boolean; transitionId: number | null }> {
      const inserted = await sql.get<AlertRow>(
        `INSERT INTO alerts (subject, condition, patient_id, ward_id, device_id, gateway_id, priority, state, title,
                             message, detail_json, opened_at, trigger_measured_at, updated_at, next_escalation_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (subject, condition) WHERE state != 'resolved' DO NOTHING
         RETURNING *`,
        [
          spec.subject,
          spec.condition,
          spec.patientId,
          spec.wardId,
          spec.deviceId ?? null,
          spec.gatewayId ?? null,
          spec.priority,
          spec.title,
          spec.message,
          JSON.stringify(spec.detail),
          at,
          spec.triggerMeasuredAt ?? null,
          at,
          spec.nextEscalationAt,
        ],
      );
      if (!inserted) {
        return {
          row: (await unresolved(spec.subject, spec.condition))!,
          created: false,
          transitionId: null,
        };
      }
      return {
        row: inserted,
        created: true,
        transitionId: await record(inserted, at, 'opened', 'system', null),
      };
    },

    async recur(row: AlertRow, at: string, detail: Record<string, unknown>): Promise<number> {
      await sql.run(
        `UPDATE alerts SET occurrences = occurrences + 1, updated_at = ?, detail_json = ? WHERE id = ?`,
        [at, JSON.stringify(detail), row.id],
      );
      return record(row, at, 'recurred', 'system', row.state);
    },

    /**
     * New detail (a fresher NEWS2), and a new priority if it changed; audited only when the priority
     * or the title (a NEWS2 score) changes. reopen: an acknowledged alert goes back to open (a rise
     * into a higher band is a new escalation, not something the earlier acknowledgement covered).
     */
    async update(
      row: AlertRow,
      at: string,
      change: { priority: AlertPriority; title: string; message: string; detail: Record<string, unknown> },
      nextEscalationAt: string | null | undefined,
      reopen = false,
    ): Promise<number | null> {
      await sql.run(
        `UPDATE alerts SET priority = ?, title = ?, message = ?, detail_json = ?, updated_at = ?,
                next_escalation_at = CASE WHEN ? = 1 THEN ? ELSE next_escalation_at END,
                state = CASE WHEN ? = 1 THEN 'open' ELSE state END
          WHERE id = ? AND state != 'resolved'`,
        [
          change.priority,
          change.title,
          change.message,
          JSON.stringify(change.detail),
          at,
          nextEscalationAt === undefined ? 0 : 1,
          nextEscalationAt ?? null,
          reopen && row.state === 'acknowledged' ? 1 : 0,
          row.id,
        ],
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
    async amend(
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
    ): Promise<number | null> {
      const { changes } = await sql.run(
        `UPDATE alerts SET title = ?, message = ?, detail_json = ?, updated_at = ?,
                occurrences = occurrences + ?,
                state = CASE WHEN ? = 1 THEN 'open' ELSE state END,
                level = ?,
                next_escalation_at = CASE WHEN ? = 1 THEN ? ELSE next_escalation_at END
          WHERE id = ? AND state = ?`,
        [
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
        ],
      );
      return changes ? record(row, at, options.type, 'system', row.state, options.note) : null;
    },

    async acknowledge(id: number, by: string, at: string, note: string | null): Promise<number | null> {
      const { changes } = await sql.run(
        `UPDATE alerts SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, updated_at = ?,
                next_escalation_at = NULL WHERE id = ? AND state = 'open'`,
        [at, by, at, id],
      );
      return changes ? record((await byId(id))!, at, 'acknowledged', by, 'open', note) : null;
    },

    async resolve(id: number, by: string, at: string, note: string): Promise<number | null> {
      const before = await byId(id);
      if (!before || before.state === 'resolved') return null;
      const { changes } = await sql.run(
        `UPDATE alerts SET state = 'resolved', resolved_at = ?, resolved_by = ?, resolution_note = ?, updated_at = ?,
                next_escalation_at = NULL WHERE id = ? AND state = ?`,
        [at, by, note, at, id, before.state],
      );
      return changes ? record(before, at, 'resolved', by, before.state, note) : null;
    },

    /** Moves an unacknowledged alert on from the level it was at; null if someone got there first. */
    async escalate(
      row: AlertRow,
      toLevel: number,
      nextAt: string | null,
      at: string,
      type: 'escalated' | 'renotified',
    ): Promise<number | null> {
      const { changes } = await sql.run(
        `UPDATE alerts SET level = ?, next_escalation_at = ?, updated_at = ?
          WHERE id = ? AND state = 'open' AND level = ? AND next_escalation_at = ?`,
        [toLevel, nextAt, at, row.id, row.level, row.next_escalation_at],
      );
      return changes ? record(row, at, type, 'system', 'open', `level ${row.level} -> ${toLevel}`) : null;
    },

    dueEscalations(now: string): Promise<AlertRow[]> {
      return sql.all<AlertRow>(
        `SELECT * FROM alerts WHERE next_escalation_at IS NOT NULL AND next_escalation_at <= ? AND state = 'open'
          ORDER BY next_escalation_at`,
        [now],
      );
    },

    async nextEscalationAt(): Promise<string | null> {
      const row = await sql.get<{ at: string | null }>(
        `SELECT min(next_escalation_at) AS at FROM alerts WHERE next_escalation_at IS NOT NULL`,
      );
      return row?.at ?? null;
    },

    list(filter: AlertFilter): Promise<AlertRow[]> {
      const clauses: string[] = [];
      const params: SqlValue[] = [];
      if (filter.state === 'unresolved') clauses.push(`state != 'resolved'`);
      else if (filter.state) {
        clauses.push('state = ?');
        params.push(filter.state);
      }
      if (filter.wardId) {
        clauses.push('ward_id = ?');
        params.push(filter.wardId);
      }
      if (filter.patientId) {
        clauses.push('patient_id = ?');
        params.push(filter.patientId);
      }
      if (filter.condition) {
        clauses.push('condition = ?');
        params.push(filter.condition);
      }
      if (filter.organisationId) {
        clauses.push(`CASE
            WHEN patient_id IS NOT NULL THEN patient_id IN (SELECT id FROM patients WHERE organisation_id = ?)
            WHEN ward_id IS NOT NULL THEN ward_id IN (SELECT id FROM wards WHERE organisation_id = ?)
            WHEN gateway_id IS NOT NULL THEN gateway_id IN (
              SELECT g.id FROM gateways g JOIN sites s ON s.code = g.site_code WHERE s.organisation_id = ?)
            WHEN device_id IS NOT NULL THEN device_id IN (
              SELECT d.id FROM devices d JOIN sites s ON s.code = d.site_code WHERE s.organisation_id = ?)
            ELSE 1 = 0 END`);
        params.push(
          filter.organisationId,
          filter.organisationId,
          filter.organisationId,
          filter.organisationId,
        );
      }
      if (filter.wardIds) {
        clauses.push(`ward_id IN (SELECT value FROM ${sql.dialect.jsonArrayValues('?')})`);
        params.push(filter.wardIds);
      }
      const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
      return sql.all<AlertRow>(
        // The inbox order: unresolved first; every critical above every high, acknowledged or not;
        // open before acknowledged; newest first.
        `SELECT * FROM alerts ${where}
          ORDER BY CASE WHEN state = 'resolved' THEN 1 ELSE 0 END,
                   CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
                   CASE WHEN state != 'open' THEN 1 ELSE 0 END, opened_at DESC, id DESC
          LIMIT ?`,
        [...params, filter.limit],
      );
    },

    async transitions(id: number): Promise<AlertTransition[]> {
      const rows = await sql.all<{
        id: number;
        at: string;
        type: string;
        actor: string;
        from_state: AlertState | null;
        to_state: AlertState;
        level: number;
        note: string | null;
      }>(`SELECT * FROM alert_transitions WHERE alert_id = ? ORDER BY id`, [id]);
      return rows.map((t) => ({
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

    allUnresolved(): Promise<AlertRow[]> {
      return sql.all<AlertRow>(`SELECT * FROM alerts WHERE state != 'resolved'`);
    },
  };
}
export type AlertStore = ReturnType<typeof createAlertStore>;
