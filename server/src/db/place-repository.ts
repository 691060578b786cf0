import type { Bed, Site, Ward } from '@wardline/protocol';
import { randomUUID } from 'node:crypto';
import type { Db } from './database.js';

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

const SITE_COLUMNS = `id, organisation_id AS organisationId, code, name, kind, created_at AS createdAt,
  closed_at AS closedAt`;

/**
 * Sites, wards and beds of organisations. Nothing is ever deleted: closing hides a place from the
 * lists and from admissions while its history stays. New ids are random (`site-{uuid}`, ...), never
 * names: ids travel to time-series stores and exports.
 */
export function createPlaceRepository(db: Db) {
  const siteById = db.prepare(`SELECT ${SITE_COLUMNS} FROM sites WHERE id = ?`);
  const siteByCode = db.prepare(`SELECT ${SITE_COLUMNS} FROM sites WHERE code = ?`);
  const wardScope = db.prepare(
    `SELECT id, organisation_id AS organisationId, site_id AS siteId, site_code AS siteCode, kind,
            closed_at AS closedAt
       FROM wards WHERE id = ?`,
  );
  const bedScope = db.prepare(
    `SELECT b.id, b.ward_id AS wardId, w.organisation_id AS organisationId, b.closed_at AS closedAt,
            w.closed_at AS wardClosedAt
       FROM beds b JOIN wards w ON w.id = b.ward_id WHERE b.id = ?`,
  );
  const bedsOfWard = db.prepare(
    `SELECT b.id, b.ward_id AS wardId, b.label, b.sort_order AS sortOrder, b.closed_at AS closedAt,
            (SELECT p.id FROM patients p WHERE p.bed_id = b.id) AS patientId
       FROM beds b WHERE b.ward_id = ? ORDER BY b.sort_order, b.label`,
  );
  const wardRow = db.prepare(
    `SELECT w.id, w.name, w.kind, w.site_code AS siteCode,
            (SELECT count(*) FROM beds b WHERE b.ward_id = w.id AND b.closed_at IS NULL) AS bedCount
       FROM wards w WHERE w.id = ?`,
  );
  const insertBed = db.prepare(`INSERT INTO beds (id, ward_id, label, sort_order) VALUES (?, ?, ?, ?)`);
  const occupiedBedsOfWard = db.prepare(
    `SELECT count(*) AS n FROM patients p JOIN beds b ON b.id = p.bed_id WHERE b.ward_id = ?`,
  );

  function createBeds(wardId: string, labels: string[]): Bed[] {
    const { next } = db
      .prepare(`SELECT coalesce(max(sort_order), 0) + 1 AS next FROM beds WHERE ward_id = ?`)
      .get(wardId) as { next: number };
    return labels.map((label, i) => {
      const id = `bed-${randomUUID()}`;
      insertBed.run(id, wardId, label, next + i);
      return { id, wardId, label, sortOrder: next + i, closedAt: null, patientId: null };
    });
  }

  return {
    listSites(organisationId: string, includeClosed = false): Site[] {
      return db
        .prepare(
          `SELECT ${SITE_COLUMNS} FROM sites WHERE organisation_id = ?
             ${includeClosed ? '' : 'AND closed_at IS NULL'} ORDER BY name, code`,
        )
        .all(organisationId) as Site[];
    },

    site(id: string): Site | undefined {
      return siteById.get(id) as Site | undefined;
    },

    siteByCode(code: string): Site | undefined {
      return siteByCode.get(code) as Site | undefined;
    },

    /** Null when the code is taken (by any organisation: codes are MQTT topic segments). */
    createSite(
      organisationId: string,
      site: { name: string; kind: Site['kind']; code: string },
    ): Site | null {
      const id = `site-${randomUUID()}`;
      const changes = db
        .prepare(
          `INSERT INTO sites (id, organisation_id, code, name, kind, created_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (code) DO NOTHING`,
        )
        .run(id, organisationId, site.code, site.name, site.kind, new Date().toISOString()).changes;
      return changes > 0 ? (siteById.get(id) as Site) : null;
    },

    renameSite(id: string, name: string): void {
      db.prepare(`UPDATE sites SET name = ? WHERE id = ?`).run(name, id);
    },

    /** Patients in any bed of the site's wards (a site with residents cannot close). */
    siteOccupancy(id: string): number {
      return (
        db
          .prepare(
            `SELECT count(*) AS n FROM patients p JOIN beds b ON b.id = p.bed_id JOIN wards w ON w.id = b.ward_id
              WHERE w.site_id = ?`,
          )
          .get(id) as { n: number }
      ).n;
    },

    /** Closes the site with its wards and beds. */
    closeSite(id: string, at: string): void {
      db.transaction(() => {
        db.prepare(`UPDATE sites SET closed_at = ? WHERE id = ? AND closed_at IS NULL`).run(at, id);
        db.prepare(
          `UPDATE beds SET closed_at = ? WHERE closed_at IS NULL
             AND ward_id IN (SELECT id FROM wards WHERE site_id = ?)`,
        ).run(at, id);
        db.prepare(`UPDATE wards SET closed_at = ? WHERE site_id = ? AND closed_at IS NULL`).run(at, id);
      })();
    },

    wardScope(id: string): WardScope | undefined {
      return wardScope.get(id) as WardScope | undefined;
    },

    ward(id: string): Ward | undefined {
      return wardRow.get(id) as Ward | undefined;
    },

    createWard(site: Site, ward: { name: string; beds?: number; bedLabelPrefix?: string }): Ward {
      const id = `ward-${randomUUID()}`;
      db.transaction(() => {
        db.prepare(
          `INSERT INTO wards (id, name, kind, site_code, site_id, organisation_id) VALUES (?, ?, ?, ?, ?, ?)`,
        ).run(id, ward.name, site.kind, site.code, site.id, site.organisationId);
        const prefix = ward.bedLabelPrefix ?? (site.kind === 'care_home' ? 'Room' : 'Home');
        const n = ward.beds ?? 0;
        if (n > 0)
          createBeds(
            id,
            Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`),
          );
      })();
      return wardRow.get(id) as Ward;
    },

    renameWard(id: string, name: string): void {
      db.prepare(`UPDATE wards SET name = ? WHERE id = ?`).run(name, id);
    },

    wardOccupancy(id: string): number {
      return (occupiedBedsOfWard.get(id) as { n: number }).n;
    },

    closeWard(id: string, at: string): void {
      db.transaction(() => {
        db.prepare(`UPDATE beds SET closed_at = ? WHERE ward_id = ? AND closed_at IS NULL`).run(at, id);
        db.prepare(`UPDATE wards SET closed_at = ? WHERE id = ? AND closed_at IS NULL`).run(at, id);
      })();
    },

    createBeds,

    /** Every bed of the ward, closed ones included, with its occupant. */
    bedList(wardId: string): Bed[] {
      return bedsOfWard.all(wardId) as Bed[];
    },

    bedScope(id: string): BedScope | undefined {
      return bedScope.get(id) as BedScope | undefined;
    },

    bed(id: string): Bed | undefined {
      const scope = bedScope.get(id) as BedScope | undefined;
      return scope ? (bedsOfWard.all(scope.wardId) as Bed[]).find((b) => b.id === id) : undefined;
    },

    renameBed(id: string, label: string): void {
      db.prepare(`UPDATE beds SET label = ? WHERE id = ?`).run(label, id);
    },

    closeBed(id: string, at: string): void {
      db.prepare(`UPDATE beds SET closed_at = ? WHERE id = ? AND closed_at IS NULL`).run(at, id);
    },

    /** The organisation a site code (an MQTT site segment) belongs to, if any. */
    organisationOfSiteCode(code: string): string | null {
      return (siteByCode.get(code) as Site | undefined)?.organisationId ?? null;
    },

    /** Devices registered at an organisation's sites. */
    deviceIdsOf(organisationId: string): Set<string> {
      return new Set(
        (
          db
            .prepare(
              `SELECT d.id FROM devices d JOIN sites s ON s.code = d.site_code WHERE s.organisation_id = ?`,
            )
            .all(organisationId) as { id: string }[]
        ).map((r) => r.id),
      );
    },

    /** Site codes of an organisation: its gateways' and devices' topic segments. */
    siteCodesOf(organisationId: string): Set<string> {
      return new Set(
        (
          db.prepare(`SELECT code FROM sites WHERE organisation_id = ?`).all(organisationId) as {
            code: string;
          }[]
        ).map((r) => r.code),
      );
    },
  };
}
export type PlaceRepository = ReturnType<typeof createPlaceRepository>;
