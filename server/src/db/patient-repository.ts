import type {
  Admission,
  NextOfKin,
  PatientDetails,
  PatientListItem,
  PatientRecord,
} from '@wardline/protocol';
import type { SqlDatabase, SqlValue } from './engines/engine.js';

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

const LIST_COLUMNS = `p.id, p.display_name AS "displayName", b.ward_id AS "wardId", p.bed_id AS "bedId",
  b.label AS "bedLabel", p.preferred_name AS "preferredName", p.nhs_number AS "nhsNumber",
  p.date_of_birth AS "dateOfBirth", p.admitted_at AS "admittedAt", p.discharged_at AS "dischargedAt"`;

/** The ward of a patient's bed now, or of their last admission once discharged. */
const CURRENT_OR_LAST_WARD = `coalesce(b.ward_id, (SELECT a.ward_id FROM admissions a WHERE a.patient_id = p.id
                                  ORDER BY a.id DESC LIMIT 1))`;

type RecordRow = Omit<PatientRecord, 'nextOfKin' | 'admissions'> & {
  nextOfKinJson: string | null;
  admittedAt: string | null;
  dischargedAt: string | null;
};

/** Patients' identifying details, admissions and search (admit and discharge: ward-repository). */
export function createPatientRepository(sql: SqlDatabase) {
  return {
    async scope(id: string): Promise<PatientScope | undefined> {
      return sql.get<PatientScope>(
        `SELECT p.id, p.organisation_id AS "organisationId", p.discharged_at AS "dischargedAt",
                ${CURRENT_OR_LAST_WARD} AS "wardId"
           FROM patients p LEFT JOIN beds b ON b.id = p.bed_id WHERE p.id = ?`,
        [id],
      );
    },

    async record(
      id: string,
    ): Promise<(PatientRecord & { admittedAt: string | null; dischargedAt: string | null }) | undefined> {
      const row = await sql.get<RecordRow>(
        `SELECT p.id, p.organisation_id AS "organisationId", p.display_name AS "displayName",
                p.preferred_name AS "preferredName", p.nhs_number AS "nhsNumber",
                p.date_of_birth AS "dateOfBirth", p.gp_ods_code AS "gpPracticeOds",
                p.next_of_kin_json AS "nextOfKinJson", b.ward_id AS "wardId", p.bed_id AS "bedId",
                b.label AS "bedLabel", p.admitted_at AS "admittedAt", p.discharged_at AS "dischargedAt"
           FROM patients p LEFT JOIN beds b ON b.id = p.bed_id WHERE p.id = ?`,
        [id],
      );
      if (!row) return undefined;
      const admissions = await sql.all<Admission>(
        `SELECT a.id, a.ward_id AS "wardId", w.name AS "wardName", a.bed_id AS "bedId", b.label AS "bedLabel",
                a.admitted_at AS "admittedAt", a.admitted_by AS "admittedBy",
                a.discharged_at AS "dischargedAt", a.discharged_by AS "dischargedBy"
           FROM admissions a JOIN wards w ON w.id = a.ward_id JOIN beds b ON b.id = a.bed_id
          WHERE a.patient_id = ? ORDER BY a.id DESC`,
        [id],
      );
      const { nextOfKinJson, ...rest } = row;
      return {
        ...rest,
        organisationId: rest.organisationId,
        nextOfKin: nextOfKinJson ? (JSON.parse(nextOfKinJson) as NextOfKin) : null,
        admissions,
      };
    },

    /** Whether another patient of the organisation has this NHS number (which one is not said). */
    async nhsNumberTaken(organisationId: string, nhsNumber: string, exceptId = ''): Promise<boolean> {
      const row = await sql.get(
        `SELECT id FROM patients WHERE organisation_id = ? AND nhs_number = ? AND id != ?`,
        [organisationId, nhsNumber, exceptId],
      );
      return row !== undefined;
    },

    /** Sets the details given (undefined: unchanged; null: cleared). Returns the fields changed. */
    async updateDetails(id: string, details: Partial<PatientDetails>): Promise<string[]> {
      const sets: string[] = [];
      const args: SqlValue[] = [];
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
      if (sets.length > 0)
        await sql.run(`UPDATE patients SET ${sets.join(', ')} WHERE id = ?`, [...args, id]);
      return [
        ...Object.keys(DETAIL_COLUMNS).filter((k) => details[k as keyof PatientDetails] !== undefined),
        ...(details.nextOfKin !== undefined ? ['nextOfKin'] : []),
      ];
    },

    /**
     * A discharged patient back into a (free) bed, with a new admission; false when they are in a
     * bed already (the conditional UPDATE decides between two re-admissions at once).
     */
    async readmit(id: string, bed: { id: string; wardId: string }, by: string, at: string): Promise<boolean> {
      const { changes } = await sql.run(
        `UPDATE patients SET bed_id = ?, admitted_at = ?, discharged_at = NULL WHERE id = ? AND bed_id IS NULL`,
        [bed.id, at, id],
      );
      if (changes === 0) return false;
      await sql.run(
        `INSERT INTO admissions (patient_id, ward_id, bed_id, admitted_at, admitted_by) VALUES (?, ?, ?, ?, ?)`,
        [id, bed.wardId, bed.id, at, by],
      );
      return true;
    },

    /**
     * An organisation's patients by name part or NHS number, in bed first; `wardIds` limits to
     * patients whose current (or last) ward is one of those.
     */
    async search(
      organisationId: string,
      query: { q?: string; nhsNumber?: string | null; includeDischarged?: boolean; limit: number },
      wardIds: string[] | null = null,
    ): Promise<PatientListItem[]> {
      const where = ['p.organisation_id = ?'];
      const params: SqlValue[] = [organisationId];
      if (!query.includeDischarged) where.push('p.bed_id IS NOT NULL');
      if (query.nhsNumber) {
        where.push('p.nhs_number = ?');
        params.push(query.nhsNumber);
      } else if (query.q) {
        // lower() on both sides: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
        where.push(
          `(lower(p.display_name) LIKE lower(?) ESCAPE '\\' OR lower(p.preferred_name) LIKE lower(?) ESCAPE '\\'
            OR p.id = ?)`,
        );
        const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        params.push(like, like, query.q);
      }
      if (wardIds) {
        where.push(`${CURRENT_OR_LAST_WARD} IN (SELECT value FROM ${sql.dialect.jsonArrayValues('?')})`);
        params.push(JSON.stringify(wardIds));
      }
      params.push(query.limit);
      return sql.all<PatientListItem>(
        `SELECT ${LIST_COLUMNS} FROM patients p LEFT JOIN beds b ON b.id = p.bed_id
          WHERE ${where.join(' AND ')}
          ORDER BY CASE WHEN p.bed_id IS NULL THEN 1 ELSE 0 END, p.display_name, p.id LIMIT ?`,
        params,
      );
    },
  };
}
export type PatientRepository = ReturnType<typeof createPatientRepository>;
