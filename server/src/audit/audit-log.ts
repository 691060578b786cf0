import type { AuditEvent, AuditQuery } from '@wardline/protocol';
import type { FastifyRequest } from 'fastify';
import type { SqlDatabase, SqlValue } from '../db/engines/engine.js';

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
export function createAuditLog(sql: SqlDatabase) {
  /** Records an action by the signed-in user of the request (or `system` when there is none). */
  async function record(request: FastifyRequest | null, entry: AuditEntry, at = new Date()): Promise<void> {
    const user = request?.user ?? null;
    await sql.run(
      `INSERT INTO audit_events (at, organisation_id, actor, actor_role, action, patient_id, target_type, target_id,
                                 address, detail_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
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
      ],
    );
  }

  return {
    record,

    /** Records an action on one patient's record (or, with null, on patients in general: a search). */
    recordForPatient(
      request: FastifyRequest | null,
      action: string,
      patientId: string | null,
      detail?: Record<string, unknown> | null,
    ): Promise<void> {
      return record(request, { action, patientId, targetType: 'patient', targetId: patientId, detail });
    },

    /** Events of one organisation (null: the operators' own), newest first. */
    async search(organisationId: string | null, query: AuditQuery): Promise<AuditEvent[]> {
      const { where, args } = filters(organisationId, query);
      if (query.before) {
        where.push('id < ?');
        args.push(query.before);
      }
      const rows = await sql.all<AuditRow>(
        `${SELECT} WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
        [...args, query.limit],
      );
      return rows.map(toEvent);
    },

    /**
     * Every event matching the filters, newest first, a page at a time: each page is one query, so
     * that no statement stays open on the shared connection between pages.
     */
    async *pages(
      organisationId: string | null,
      query: Omit<AuditQuery, 'limit' | 'before'>,
      pageSize = 1000,
    ): AsyncGenerator<AuditEvent[]> {
      const { where, args } = filters(organisationId, query);
      const text = `${SELECT} WHERE ${[...where, 'id < ?'].join(' AND ')} ORDER BY id DESC LIMIT ?`;
      let before = Number.MAX_SAFE_INTEGER;
      for (;;) {
        const rows = await sql.all<AuditRow>(text, [...args, before, pageSize]);
        if (rows.length === 0) return;
        yield rows.map(toEvent);
        if (rows.length < pageSize) return;
        before = rows[rows.length - 1]!.id;
      }
    },

    /**
     * Deletes up to `batchSize` events recorded before `cutoff`, oldest first; returns how many. Only
     * the run of events before the first one still kept is considered: ids follow the recording
     * clock, and bounding the scan so keeps a day with nothing to delete from reading the table.
     */
    async deleteBatchBefore(cutoff: Date, batchSize: number): Promise<number> {
      const iso = cutoff.toISOString();
      const firstKept = await sql.get<{ id: number }>(
        `SELECT id FROM audit_events WHERE at >= ? ORDER BY id LIMIT 1`,
        [iso],
      );
      const { changes } = await sql.run(
        `DELETE FROM audit_events WHERE id IN (
           SELECT id FROM audit_events WHERE id < ? AND at < ? ORDER BY id LIMIT ?)`,
        [firstKept?.id ?? Number.MAX_SAFE_INTEGER, iso, batchSize],
      );
      return changes;
    },
  };
}
export type AuditLog = ReturnType<typeof createAuditLog>;

const SELECT = `SELECT id, at, organisation_id AS "organisationId", actor, actor_role AS "actorRole", action,
                       patient_id AS "patientId", target_type AS "targetType", target_id AS "targetId", address,
                       detail_json AS "detailJson"
                  FROM audit_events`;

type AuditRow = Omit<AuditEvent, 'detail'> & { detailJson: string | null };

function toEvent({ detailJson, ...row }: AuditRow): AuditEvent {
  return { ...row, detail: detailJson ? (JSON.parse(detailJson) as Record<string, unknown>) : null };
}

/**
 * The WHERE clause of a search. An organisation's admins see everything done in or to it,
 * operators' actions on it included. Operators (no organisation) see what operators did, wherever,
 * and the server's events that concern no organisation; never an event about a patient.
 */
function filters(organisationId: string | null, query: Omit<AuditQuery, 'limit' | 'before'>) {
  const where =
    organisationId === null
      ? [`(organisation_id IS NULL OR actor_role = 'operator')`, 'patient_id IS NULL']
      : ['organisation_id = ?'];
  const args: SqlValue[] = organisationId === null ? [] : [organisationId];
  const filter = (clause: string, value: SqlValue) => {
    where.push(clause);
    args.push(value);
  };
  if (query.patientId) filter('patient_id = ?', query.patientId);
  if (query.actor) filter('actor = ?', query.actor);
  if (query.action) filter('action = ?', query.action);
  if (query.from) filter('at >= ?', new Date(query.from).toISOString());
  if (query.to) filter('at < ?', new Date(query.to).toISOString());
  return { where, args };
}
