import type { AuditEvent } from '@wardline/protocol';
import { stringify } from 'csv-stringify/sync';

/**
 * CSV as RFC 4180 has it (CRLF, fields with quotes, commas or line breaks quoted, quotes doubled)
 * with spreadsheet formulas neutralised: a cell starting with = + - @ tab or CR gets a leading
 * apostrophe, so that opening an export never runs what someone typed (OWASP "CSV injection").
 */
export function csvRows(rows: unknown[][]): string {
  return stringify(rows, { record_delimiter: 'windows', escape_formulas: true });
}

export const AUDIT_CSV_HEADER = [
  'id',
  'at',
  'actor',
  'actor_role',
  'action',
  'patient_id',
  'target_type',
  'target_id',
  'address',
  'detail',
];

export function auditCsvRow(event: AuditEvent): unknown[] {
  return [
    event.id,
    event.at,
    event.actor,
    event.actorRole,
    event.action,
    event.patientId,
    event.targetType,
    event.targetId,
    event.address,
    event.detail ? JSON.stringify(event.detail) : null,
  ];
}
