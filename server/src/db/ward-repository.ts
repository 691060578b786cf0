import type { PatientSummary, Ward } from '@wardline/protocol';
import type { Db } from './database.js';

export interface BedRow {
  bedId: string;
  label: string;
  wardId: string;
  patientId: string | null;
  displayName: string | null;
}

export function createWardRepository(db: Db) {
  const patientById = db.prepare(
    `SELECT p.id, p.display_name AS displayName, b.ward_id AS wardId, p.bed_id AS bedId, b.label AS bedLabel
       FROM patients p LEFT JOIN beds b ON b.id = p.bed_id WHERE p.id = ?`,
  );
  return {
    /** Open wards of an organisation (of those wards only, for a ward-limited user). */
    listWards(scope: { organisationId: string; wardIds?: string[] | null }): Ward[] {
      return db
        .prepare(
          `SELECT w.id, w.name, w.kind, w.site_code AS siteCode,
                  (SELECT count(*) FROM beds b WHERE b.ward_id = w.id AND b.closed_at IS NULL) AS bedCount
             FROM wards w
            WHERE w.organisation_id = ? AND w.closed_at IS NULL
              AND (? IS NULL OR w.id IN (SELECT value FROM json_each(?)))
            ORDER BY w.name`,
        )
        .all(scope.organisationId, scope.wardIds ? 1 : null, JSON.stringify(scope.wardIds ?? [])) as Ward[];
    },

    wardExists(id: string): boolean {
      return db.prepare(`SELECT 1 FROM wards WHERE id = ?`).get(id) !== undefined;
    },

    beds(wardId: string): BedRow[] {
      return db
        .prepare(
          `SELECT b.id AS bedId, b.label, b.ward_id AS wardId, p.id AS patientId, p.display_name AS displayName
             FROM beds b LEFT JOIN patients p ON p.bed_id = b.id
            WHERE b.ward_id = ? AND b.closed_at IS NULL ORDER BY b.sort_order, b.label`,
        )
        .all(wardId) as BedRow[];
    },

    patient(id: string): PatientSummary | undefined {
      return patientById.get(id) as PatientSummary | undefined;
    },

    listPatients(): PatientSummary[] {
      return db
        .prepare(
          `SELECT p.id, p.display_name AS displayName, b.ward_id AS wardId, p.bed_id AS bedId, b.label AS bedLabel
             FROM patients p LEFT JOIN beds b ON b.id = p.bed_id ORDER BY p.display_name`,
        )
        .all() as PatientSummary[];
    },

    isEmpty(): boolean {
      return db.prepare(`SELECT 1 FROM wards LIMIT 1`).get() === undefined;
    },

    /** A ward of the site with that code; the site is created (in the organisation given) if new. */
    createWard(ward: {
      id: string;
      name: string;
      kind: Ward['kind'];
      siteCode: string;
      organisationId?: string;
    }): void {
      const organisationId = ward.organisationId ?? 'org-default';
      const at = new Date().toISOString();
      db.prepare(
        `INSERT INTO sites (id, organisation_id, code, name, kind, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (code) DO NOTHING`,
      ).run(`site-${ward.siteCode}`, organisationId, ward.siteCode, ward.name, ward.kind, at);
      const site = db
        .prepare(`SELECT id, organisation_id AS organisationId FROM sites WHERE code = ?`)
        .get(ward.siteCode) as { id: string; organisationId: string };
      db.prepare(
        `INSERT INTO wards (id, name, kind, site_code, site_id, organisation_id) VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(ward.id, ward.name, ward.kind, ward.siteCode, site.id, site.organisationId);
    },

    createBed(bed: { id: string; wardId: string; label: string; sortOrder: number }): void {
      db.prepare(`INSERT INTO beds (id, ward_id, label, sort_order) VALUES (?, ?, ?, ?)`).run(
        bed.id,
        bed.wardId,
        bed.label,
        bed.sortOrder,
      );
    },

    bed(id: string): { id: string; wardId: string; label: string } | undefined {
      return db.prepare(`SELECT id, ward_id AS wardId, label FROM beds WHERE id = ?`).get(id) as
        { id: string; wardId: string; label: string } | undefined;
    },

    bedExists(id: string): boolean {
      return db.prepare(`SELECT 1 FROM beds WHERE id = ?`).get(id) !== undefined;
    },

    bedOccupant(bedId: string): string | null {
      const row = db.prepare(`SELECT id FROM patients WHERE bed_id = ?`).get(bedId) as
        { id: string } | undefined;
      return row?.id ?? null;
    },

    /** Frees the bed and records the time; the patient's record and history stay. */
    discharge(patientId: string, at: string, by = 'system'): boolean {
      const changed =
        db
          .prepare(
            `UPDATE patients SET bed_id = NULL, discharged_at = ? WHERE id = ? AND discharged_at IS NULL`,
          )
          .run(at, patientId).changes > 0;
      if (changed)
        db.prepare(
          `UPDATE admissions SET discharged_at = ?, discharged_by = ? WHERE patient_id = ? AND discharged_at IS NULL`,
        ).run(at, by, patientId);
      return changed;
    },

    /** A new patient, in the bed's organisation, with the admission recorded. */
    admit(patient: { id: string; displayName: string; bedId: string | null; at: string; by?: string }): void {
      const ward = patient.bedId
        ? (db
            .prepare(
              `SELECT w.id AS wardId, w.organisation_id AS organisationId FROM beds b JOIN wards w ON w.id = b.ward_id
                WHERE b.id = ?`,
            )
            .get(patient.bedId) as { wardId: string; organisationId: string } | undefined)
        : undefined;
      db.prepare(
        `INSERT INTO patients (id, display_name, bed_id, admitted_at, organisation_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(
        patient.id,
        patient.displayName,
        patient.bedId,
        patient.at,
        ward?.organisationId ?? 'org-default',
        patient.at,
      );
      if (ward && patient.bedId)
        db.prepare(
          `INSERT INTO admissions (patient_id, ward_id, bed_id, admitted_at, admitted_by) VALUES (?, ?, ?, ?, ?)`,
        ).run(patient.id, ward.wardId, patient.bedId, patient.at, patient.by ?? 'system');
    },
  };
}
export type WardRepository = ReturnType<typeof createWardRepository>;
