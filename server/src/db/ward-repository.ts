import type { PatientSummary, Ward } from '@wardline/protocol';
import type { SqlDatabase } from './engines/engine.js';

export interface BedRow {
  bedId: string;
  label: string;
  wardId: string;
  patientId: string | null;
  displayName: string | null;
}

const PATIENT_SUMMARY = `SELECT p.id, p.display_name AS "displayName", b.ward_id AS "wardId", p.bed_id AS "bedId",
       b.label AS "bedLabel"
  FROM patients p LEFT JOIN beds b ON b.id = p.bed_id`;

export function createWardRepository(sql: SqlDatabase) {
  return {
    /** Open wards of an organisation (of those wards only, for a ward-limited user). */
    async listWards(scope: { organisationId: string; wardIds?: string[] | null }): Promise<Ward[]> {
      const limited = scope.wardIds
        ? `AND w.id IN (SELECT value FROM ${sql.dialect.jsonArrayValues('?')})`
        : '';
      return sql.all<Ward>(
        `SELECT w.id, w.name, w.kind, w.site_code AS "siteCode",
                (SELECT count(*) FROM beds b WHERE b.ward_id = w.id AND b.closed_at IS NULL) AS "bedCount"
           FROM wards w
          WHERE w.organisation_id = ? AND w.closed_at IS NULL ${limited}
          ORDER BY w.name`,
        scope.wardIds ? [scope.organisationId, JSON.stringify(scope.wardIds)] : [scope.organisationId],
      );
    },

    async wardExists(id: string): Promise<boolean> {
      return (await sql.get(`SELECT 1 AS found FROM wards WHERE id = ?`, [id])) !== undefined;
    },

    async beds(wardId: string): Promise<BedRow[]> {
      return sql.all<BedRow>(
        `SELECT b.id AS "bedId", b.label, b.ward_id AS "wardId", p.id AS "patientId",
                p.display_name AS "displayName"
           FROM beds b LEFT JOIN patients p ON p.bed_id = b.id
          WHERE b.ward_id = ? AND b.closed_at IS NULL ORDER BY b.sort_order, b.label`,
        [wardId],
      );
    },

    async patient(id: string): Promise<PatientSummary | undefined> {
      return sql.get<PatientSummary>(`${PATIENT_SUMMARY} WHERE p.id = ?`, [id]);
    },

    async listPatients(): Promise<PatientSummary[]> {
      return sql.all<PatientSummary>(`${PATIENT_SUMMARY} ORDER BY p.display_name`);
    },

    async isEmpty(): Promise<boolean> {
      return (await sql.get(`SELECT 1 AS found FROM wards LIMIT 1`)) === undefined;
    },

    /** A ward of the site with that code; the site is created (in the organisation given) if new. */
    async createWard(ward: {
      id: string;
      name: string;
      kind: Ward['kind'];
      siteCode: string;
      organisationId?: string;
    }): Promise<void> {
      const organisationId = ward.organisationId ?? 'org-default';
      const at = new Date().toISOString();
      // No conflict target: the id is made from the code, so a race may meet either unique index first.
      await sql.run(
        `INSERT INTO sites (id, organisation_id, code, name, kind, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
        [`site-${ward.siteCode}`, organisationId, ward.siteCode, ward.name, ward.kind, at],
      );
      const site = (await sql.get<{ id: string; organisationId: string }>(
        `SELECT id, organisation_id AS "organisationId" FROM sites WHERE code = ?`,
        [ward.siteCode],
      ))!;
      await sql.run(
        `INSERT INTO wards (id, name, kind, site_code, site_id, organisation_id) VALUES (?, ?, ?, ?, ?, ?)`,
        [ward.id, ward.name, ward.kind, ward.siteCode, site.id, site.organisationId],
      );
    },

    async createBed(bed: { id: string; wardId: string; label: string; sortOrder: number }): Promise<void> {
      await sql.run(`INSERT INTO beds (id, ward_id, label, sort_order) VALUES (?, ?, ?, ?)`, [
        bed.id,
        bed.wardId,
        bed.label,
        bed.sortOrder,
      ]);
    },

    async bed(id: string): Promise<{ id: string; wardId: string; label: string } | undefined> {
      return sql.get<{ id: string; wardId: string; label: string }>(
        `SELECT id, ward_id AS "wardId", label FROM beds WHERE id = ?`,
        [id],
      );
    },

    async bedExists(id: string): Promise<boolean> {
      return (await sql.get(`SELECT 1 AS found FROM beds WHERE id = ?`, [id])) !== undefined;
    },

    async bedOccupant(bedId: string): Promise<string | null> {
      const row = await sql.get<{ id: string }>(`SELECT id FROM patients WHERE bed_id = ?`, [bedId]);
      return row?.id ?? null;
    },

    /**
     * Frees the bed and records the time; the patient's record and history stay. The conditional
     * UPDATE decides which of two concurrent discharges closes the admission.
     */
    async discharge(patientId: string, at: string, by = 'system'): Promise<boolean> {
      const { changes } = await sql.run(
        `UPDATE patients SET bed_id = NULL, discharged_at = ? WHERE id = ? AND discharged_at IS NULL`,
        [at, patientId],
      );
      if (changes > 0)
        await sql.run(
          `UPDATE admissions SET discharged_at = ?, discharged_by = ? WHERE patient_id = ? AND discharged_at IS NULL`,
          [at, by, patientId],
        );
      return changes > 0;
    },

    /** A new patient, in the bed's organisation, with the admission recorded. */
    async admit(patient: {
      id: string;
      displayName: string;
      bedId: string | null;
      at: string;
      by?: string;
    }): Promise<void> {
      const ward = patient.bedId
        ? await sql.get<{ wardId: string; organisationId: string }>(
            `SELECT w.id AS "wardId", w.organisation_id AS "organisationId"
               FROM beds b JOIN wards w ON w.id = b.ward_id WHERE b.id = ?`,
            [patient.bedId],
          )
        : undefined;
      await sql.run(
        `INSERT INTO patients (id, display_name, bed_id, admitted_at, organisation_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [
          patient.id,
          patient.displayName,
          patient.bedId,
          patient.at,
          ward?.organisationId ?? 'org-default',
          patient.at,
        ],
      );
      if (ward && patient.bedId)
        await sql.run(
          `INSERT INTO admissions (patient_id, ward_id, bed_id, admitted_at, admitted_by) VALUES (?, ?, ?, ?, ?)`,
          [patient.id, ward.wardId, patient.bedId, patient.at, patient.by ?? 'system'],
        );
    },
  };
}
export type WardRepository = ReturnType<typeof createWardRepository>;
