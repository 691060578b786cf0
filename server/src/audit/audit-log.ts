import type { AuditEvent, AuditQuery } from '@wardline/protocol';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.js';

/** One thing someone did or saw: `{thing}.{verb}` (patient.view, patient.admit, kit.revoke, ...). */
export interface AuditEntry {
  action: string;
  patientId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  /** Never personal data beyond what the target already names: ids, codes, counts, changed field names. */
  detail?: Record<string, unknown> | null;
  /** The organisation the action concerns; the actor's own when left out. */
  organisationId?: string | null;
}

/**
 * The append-only audit trail: who (user and role), what, which patient, when, from where. The
 * table refuses updates, and deletes of anything younger than 30 days, in the database itself.
 */
export function createAuditLog(db: Db) {
  const insert = db.prepare(
    `INSERT INTO audit_events (at, organisation_id, actor, actor_role, action, patient_id, target_type, target_id,
                               address, detail_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return {
    /** Records an action by the signed-in user of the request (or `system` when there is none). */
    record(request: FastifyRequest | null, entry: AuditEntry, at = new Date()): void {
      const user = request?.user ?? null;
      insert.run(
        at.toISOString(),
        entry.organisationId !== undefined ? entry.organisationId : (user?.organisationId ?? null),
        user?.username ?? 'system',
        user?.role ?? null,
        entry.action,
        entry.patientId ?? null,
        entry.targetType ?? null,
        entry.targetId ?? null,
        request?.ip ?? null,
        entry.detail ? JSON.stringify(entry.detail) : null,
      );
    },

    /** Events of one organisation, newest first. */
    search(organisationId: string | null, query: AuditQuery): AuditEvent[] {
      const where = ['organisation_id IS ?'];
      const args: unknown[] = [organisationId];
      const filter = (clause: string, value: unknown) => {
        where.push(clause);
        args.push(value);
      };
      if (query.patientId) filter('patient_id = ?', query.patientId);
      if (query.actor) filter('actor = ?', query.actor);
      if (query.action) filter('action = ?', query.action);
      if (query.from) filter('at >= ?', new Date(query.from).toISOString());
      if (query.to) filter('at < ?', new Date(query.to).toISOString());
      if (query.before) filter('id < ?', query.before);
      const rows = db
        .prepare(
          `SELECT id, at, organisation_id AS organisationId, actor, actor_role AS actorRole, action,
                  patient_id AS patientId, target_type AS targetType, target_id AS targetId, address,
                  detail_json AS detailJson
             FROM audit_events WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
        )
        .all(...args, query.limit) as (Omit<AuditEvent, 'detail'> & { detailJson: string | null })[];
      return rows.map(({ detailJson, ...row }) => ({
        ...row,
        detail: detailJson ? (JSON.parse(detailJson) as Record<string, unknown>) : null,
      }));
    },
  };
}
export type AuditLog = ReturnType<typeof createAuditLog>;
