import type { Bed, Site, Ward } from '@wardline/protocol';
import { randomUUID } from 'node:crypto';
import type { SqlDatabase } from './engines/engine.js';

/** Where a ward or bed sits: enough to decide who may see it. */
export interface WardScope {
  id: string;
  organisationId: string | null;
  siteId: string | null;
  siteCode: string;
  kind: Ward['kind'];
  closedAt: string | null;
}
export interface BedScope {
  id: string;
  wardId: string;
  organisationId: string | null;
  closedAt: string | null;
  wardClosedAt: string | null;
}

const SITE_COLUMNS = `id, organisation_id AS "organisationId", code, name, kind, created_at AS "createdAt",
  closed_at AS "closedAt"`;
const BED_SCOPE = `SELECT b.id, b.ward_id AS "wardId", w.organisation_id AS "organisationId",
       b.closed_at AS "closedAt", w.closed_at AS "wardClosedAt"
  FROM beds b JOIN wards w ON w.id = b.ward_id WHERE b.id = ?`;
const BEDS_OF_WARD = `SELECT b.id, b.ward_id AS "wardId", b.label, b.sort_order AS "sortOrder",
       b.closed_at AS "closedAt", (SELECT p.id FROM patients p WHERE p.bed_id = b.id) AS "patientId"
  FROM beds b WHERE b.ward_id = ? ORDER BY b.sort_order, b.label`;
const WARD_ROW = `SELECT w.id, w.name, w.kind, w.site_code AS "siteCode",
       (SELECT count(*) FROM beds b WHERE b.ward_id = w.id AND b.closed_at IS NULL) AS "bedCount"
  FROM wards w WHERE w.id = ?`;

/**
 * Sites, wards and beds of organisations. Nothing is ever deleted: closing hides a place from the
 * lists and from admissions while its history stays. New ids are random (`site-{uuid}`, ...), never
 * names: ids travel to time-series stores and exports.
 */
export function createPlaceRepository(sql: SqlDatabase) {
  const siteById = (id: string) => sql.get<Site>(`SELECT ${SITE_COLUMNS} FROM sites WHERE id = ?`, [id]);
  const siteByCode = (code: string) =>
    sql.get<Site>(`SELECT ${SITE_COLUMNS} FROM sites WHERE code = ?`, [code]);
  const bedScope = (id: string) => sql.get<BedScope>(BED_SCOPE, [id]);
  const bedsOfWard = (wardId: string) => sql.all<Bed>(BEDS_OF_WARD, [wardId]);
  const wardRow = (id: string) => sql.get<Ward>(WARD_ROW, [id]);

  /** New beds after the ward's last; call inside a transaction so the order numbers hold. */
  async function createBeds(wardId: string, labels: string[]): Promise<Bed[]> {
    const { next } = (await sql.get<{ next: number }>(
      `SELECT coalesce(max(sort_order), 0) + 1 AS next FROM beds WHERE ward_id = ?`,
      [wardId],
    ))!;
    const beds: Bed[] = [];
    for (const [i, label] of labels.entries()) {
      const id = `bed-${randomUUID()}`;
      await sql.run(`INSERT INTO beds (id, ward_id, label, sort_order) VALUES (?, ?, ?, ?)`, [
        id,
        wardId,
        label,
        next + i,
      ]);
      beds.push({ id, wardId, label, sortOrder: next + i, closedAt: null, patientId: null });
    }
    return beds;
  }

  return {
    async listSites(organisationId: string, includeClosed = false): Promise<Site[]> {
      return sql.all<Site>(
        `SELECT ${SITE_COLUMNS} FROM sites WHERE organisation_id = ?
           ${includeClosed ? '' : 'AND closed_at IS NULL'} ORDER BY name, code`,
        [organisationId],
      );
    },

    site: siteById,

    siteByCode,

    /** Null when the code is taken (by any organisation: codes are MQTT topic segments). */
    async createSite(
      organisationId: string,
      site: { name: string; kind: Site['kind']; code: string },
    ): Promise<Site | null> {
      const id = `site-${randomUUID()}`;
      // The unique code decides between two replicas creating the same site at once.
      const { changes } = await sql.run(
        `INSERT INTO sites (id, organisation_id, code, name, kind, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (code) DO NOTHING`,
        [id, organisationId, site.code, site.name, site.kind, new Date().toISOString()],
      );
      return changes > 0 ? ((await siteById(id)) ?? null) : null;
    },

    async renameSite(id: string, name: string): Promise<void> {
      await sql.run(`UPDATE sites SET name = ? WHERE id = ?`, [name, id]);
    },

    /** Patients in any bed of the site's wards (a site with residents cannot close). */
    async siteOccupancy(id: string): Promise<number> {
      const row = await sql.get<{ n: number }>(
        `SELECT count(*) AS n FROM patients p JOIN beds b ON b.id = p.bed_id JOIN wards w ON w.id = b.ward_id
          WHERE w.site_id = ?`,
        [id],
      );
      return row!.n;
    },

    /** Closes the site with its wards and beds. */
    async closeSite(id: string, at: string): Promise<void> {
      await sql.transaction(async () => {
        await sql.run(`UPDATE sites SET closed_at = ? WHERE id = ? AND closed_at IS NULL`, [at, id]);
        await sql.run(
          `UPDATE beds SET closed_at = ? WHERE closed_at IS NULL
             AND ward_id IN (SELECT id FROM wards WHERE site_id = ?)`,
          [at, id],
        );
        await sql.run(`UPDATE wards SET closed_at = ? WHERE site_id = ? AND closed_at IS NULL`, [at, id]);
      });
    },

    async wardScope(id: string): Promise<WardScope | undefined> {
      return sql.get<WardScope>(
        `SELECT id, organisation_id AS "organisationId", site_id AS "siteId", site_code AS "siteCode", kind,
                closed_at AS "closedAt"
           FROM wards WHERE id = ?`,
        [id],
      );
    },

    ward: wardRow,

    async createWard(
      site: Site,
      ward: { name: string; beds?: number; bedLabelPrefix?: string },
    ): Promise<Ward> {
      const id = `ward-${randomUUID()}`;
      await sql.transaction(async () => {
        await sql.run(
          `INSERT INTO wards (id, name, kind, site_code, site_id, organisation_id) VALUES (?, ?, ?, ?, ?, ?)`,
          [id, ward.name, site.kind, site.code, site.id, site.organisationId],
        );
        const prefix = ward.bedLabelPrefix ?? (site.kind === 'care_home' ? 'Room' : 'Home');
        const n = ward.beds ?? 0;
        if (n > 0)
          await createBeds(
            id,
            Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`),
          );
      });
      return (await wardRow(id))!;
    },

    async renameWard(id: string, name: string): Promise<void> {
      await sql.run(`UPDATE wards SET name = ? WHERE id = ?`, [name, id]);
    },

    async wardOccupancy(id: string): Promise<number> {
      const row = await sql.get<{ n: number }>(
        `SELECT count(*) AS n FROM patients p JOIN beds b ON b.id = p.bed_id WHERE b.ward_id = ?`,
        [id],
      );
      return row!.n;
    },

    async closeWard(id: string, at: string): Promise<void> {
      await sql.transaction(async () => {
        await sql.run(`UPDATE beds SET closed_at = ? WHERE ward_id = ? AND closed_at IS NULL`, [at, id]);
        await sql.run(`UPDATE wards SET closed_at = ? WHERE id = ? AND closed_at IS NULL`, [at, id]);
      });
    },

    createBeds,

    /** Every bed of the ward, closed ones included, with its occupant. */
    bedList: bedsOfWard,

    bedScope,

    async bed(id: string): Promise<Bed | undefined> {
      const scope = await bedScope(id);
      return scope ? (await bedsOfWard(scope.wardId)).find((b) => b.id === id) : undefined;
    },

    async renameBed(id: string, label: string): Promise<void> {
      await sql.run(`UPDATE beds SET label = ? WHERE id = ?`, [label, id]);
    },

    /**
     * Inside a transaction: whether the bed is open, and if so it stays open until the transaction
     * ends. The no-op UPDATE locks the bed's row on PostgreSQL, so an admission and a closing of the
     * bed (or of its ward or site) on two replicas take turns instead of both going through.
     */
    async holdOpenBed(id: string): Promise<boolean> {
      const { changes } = await sql.run(
        `UPDATE beds SET closed_at = NULL WHERE id = ? AND closed_at IS NULL`,
        [id],
      );
      return changes > 0;
    },

    async closeBed(id: string, at: string): Promise<void> {
      await sql.run(`UPDATE beds SET closed_at = ? WHERE id = ? AND closed_at IS NULL`, [at, id]);
    },

    /** The organisation a site code (an MQTT site segment) belongs to, if any. */
    async organisationOfSiteCode(code: string): Promise<string | null> {
      return (await siteByCode(code))?.organisationId ?? null;
    },

    /** Devices registered at an organisation's sites. */
    async deviceIdsOf(organisationId: string): Promise<Set<string>> {
      const rows = await sql.all<{ id: string }>(
        `SELECT d.id FROM devices d JOIN sites s ON s.code = d.site_code WHERE s.organisation_id = ?`,
        [organisationId],
      );
      return new Set(rows.map((r) => r.id));
    },

    /** Site codes of an organisation: its gateways' and devices' topic segments. */
    async siteCodesOf(organisationId: string): Promise<Set<string>> {
      const rows = await sql.all<{ code: string }>(`SELECT code FROM sites WHERE organisation_id = ?`, [
        organisationId,
      ]);
      return new Set(rows.map((r) => r.code));
    },
  };
}
export type PlaceRepository = ReturnType<typeof createPlaceRepository>;
