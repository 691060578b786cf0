import type {
  Admission,
  NextOfKin,
  PatientDetails,
  PatientListItem,
  PatientRecord,
} from '@wardline/protocol';
import type { Db } from './database.js';

/** Whose a patient is and where they are (or last were): enough to decide who may see them. */
export interface PatientScope {
  id: string;
  organisationId: string | null;
  /** The ward of their bed now, or of their last admission once discharged. */
  wardId: string | null;
  dischargedAt: string | null;
}

const DETAIL_COLUMNS: Record<Exclude<keyof PatientDetails, 'nextOfKin'>, string> = {
  displayName: 'display_name',
  preferredName: 'preferred_name',
  nhsNumber: 'nhs_number',
  dateOfBirth: 'date_of_birth',
  gpPracticeOds: 'gp_ods_code',
};

const LIST_COLUMNS = `p.id, p.display_name AS displayName, b.ward_id AS wardId, p.bed_id AS bedId,
  b.label AS bedLabel, p.preferred_name AS preferredName, p.nhs_number AS nhsNumber,
  p.date_of_birth AS dateOfBirth, p.admitted_at AS admittedAt, p.discharged_at AS dischargedAt`;

/** Patients' identifying details, admissions and search (admit and discharge: ward-repository). */
export function createPatientRepository(db: Db) {
  const scope = db.prepare(
    `SELECT p.id, p.organisation_id AS organisationId, p.discharged_at AS dischargedAt,
            coalesce(b.ward_id, (SELECT a.ward_id FROM admissions a WHERE a.patient_id = p.id
                                  ORDER BY a.id DESC LIMIT 1)) AS wardId
       FROM patients p LEFT JOIN beds b ON b.id = p.bed_id WHERE p.id = ?`,
  );
  const record = db.prepare(
    `SELECT p.id, p.organisation_id AS organisationId, p.display_name AS displayName,
            p.preferred_name AS preferredName, p.nhs_number AS nhsNumber, p.date_of_birth AS dateOfBirth,
            p.gp_ods_code AS gpPracticeOds, p.next_of_kin_json AS nextOfKinJson, b.ward_id AS wardId,
            p.bed_id AS bedId, b.label AS bedLabel, p.admitted_at AS admittedAt, p.discharged_at AS dischargedAt
       FROM patients p LEFT JOIN beds b ON b.id = p.bed_id WHERE p.id = ?`,
  );
  const admissions = db.prepare(
    `SELECT a.id, a.ward_id AS wardId, w.name AS wardName, a.bed_id AS bedId, b.label AS bedLabel,
            a.admitted_at AS admittedAt, a.admitted_by AS admittedBy, a.discharged_at AS dischargedAt,
            a.discharged_by AS dischargedBy
       FROM admissions a JOIN wards w ON w.id = a.ward_id JOIN beds b ON b.id = a.bed_id
      WHERE a.patient_id = ? ORDER BY a.id DESC`,
  );
  const byNhsNumber = db.prepare(
    `SELECT id FROM patients WHERE organisation_id = ? AND nhs_number = ? AND id != ?`,
  );

  return {
    scope(id: string): PatientScope | undefined {
      return scope.get(id) as PatientScope | undefined;
    },

    record(
      id: string,
    ): (PatientRecord & { admittedAt: string | null; dischargedAt: string | null }) | undefined {
      const row = record.get(id) as
        | (Omit<PatientRecord, 'nextOfKin' | 'admissions'> & {
            nextOfKinJson: string | null;
            admittedAt: string | null;
            dischargedAt: string | null;
          })
        | undefined;
      if (!row) return undefined;
      const { nextOfKinJson, ...rest } = row;
      return {
        ...rest,
        organisationId: rest.organisationId,
        nextOfKin: nextOfKinJson ? (JSON.parse(nextOfKinJson) as NextOfKin) : null,
        admissions: admissions.all(id) as Admission[],
      };
    },

    /** Whether another patient of the organisation has this NHS number (which one is not said). */
    nhsNumberTaken(organisationId: string, nhsNumber: string, exceptId = ''): boolean {
      return byNhsNumber.get(organisationId, nhsNumber, exceptId) !== undefined;
    },

    /** Sets the details given (undefined: unchanged; null: cleared). Returns the fields changed. */
    updateDetails(id: string, details: Partial<PatientDetails>): string[] {
      const sets: string[] = [];
      const args: unknown[] = [];
      for (const [key, column] of Object.entries(DETAIL_COLUMNS)) {
        const value = details[key as keyof typeof DETAIL_COLUMNS];
        if (value === undefined) continue;
        sets.push(`${column} = ?`);
        args.push(value);
      }
      if (details.nextOfKin !== undefined) {
        sets.push('next_of_kin_json = ?');
        args.push(details.nextOfKin ? JSON.stringify(details.nextOfKin) : null);
      }
      if (sets.length > 0) db.prepare(`UPDATE patients SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
      return [
        ...Object.keys(DETAIL_COLUMNS).filter((k) => details[k as keyof PatientDetails] !== undefined),
        ...(details.nextOfKin !== undefined ? ['nextOfKin'] : []),
      ];
    },

    /** A discharged patient back into a (free) bed, with a new admission. */
    readmit(id: string, bed: { id: string; wardId: string }, by: string, at: string): void {
      db.prepare(`UPDATE patients SET bed_id = ?, admitted_at = ?, discharged_at = NULL WHERE id = ?`).run(
        bed.id,
        at,
        id,
      );
      db.prepare(
        `INSERT INTO admissions (patient_id, ward_id, bed_id, admitted_at, admitted_by) VALUES (?, ?, ?, ?, ?)`,
      ).run(id, bed.wardId, bed.id, at, by);
    },

    /**
     * An organisation's patients by name part or NHS number, in bed first; `wardIds` limits to
     * patients whose current (or last) ward is one of those.
     */
    search(
      organisationId: string,
      query: { q?: string; nhsNumber?: string | null; includeDischarged?: boolean; limit: number },
      wardIds: string[] | null = null,
    ): PatientListItem[] {
      const where = ['p.organisation_id = @organisationId'];
      const params: Record<string, unknown> = { organisationId, limit: query.limit };
      if (!query.includeDischarged) where.push('p.bed_id IS NOT NULL');
      if (query.nhsNumber) {
        where.push('p.nhs_number = @nhsNumber');
        params.nhsNumber = query.nhsNumber;
      } else if (query.q) {
        where.push(
          `(p.display_name LIKE @like ESCAPE '\\' OR p.preferred_name LIKE @like ESCAPE '\\' OR p.id = @q)`,
        );
        params.like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        params.q = query.q;
      }
      if (wardIds) {
        where.push(`coalesce(b.ward_id, (SELECT a.ward_id FROM admissions a WHERE a.patient_id = p.id
                      ORDER BY a.id DESC LIMIT 1)) IN (SELECT value FROM json_each(@wardIds))`);
        params.wardIds = JSON.stringify(wardIds);
      }
      return db
        .prepare(
          `SELECT ${LIST_COLUMNS} FROM patients p LEFT JOIN beds b ON b.id = p.bed_id
            WHERE ${where.join(' AND ')}
            ORDER BY p.bed_id IS NULL, p.display_name, p.id LIMIT @limit`,
        )
        .all(params) as PatientListItem[];
    },
  };
}
export type PatientRepository = ReturnType<typeof createPatientRepository>;
