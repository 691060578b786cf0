import type { Assignment, DeviceState, DeviceStatus, GatewayStatus } from '@wardline/protocol';
import type { SqlDatabase } from './engines/engine.js';

export function gatewayId(site: string, gateway: string): string {
  return `${site}:${gateway}`;
}

/** Where a device's readings belong right now: its patient, and that patient's bed and ward. */
export interface DeviceRoute {
  deviceId: string;
  siteCode: string;
  /** The one gateway of its site the device may be heard through; null: any gateway of the site. */
  gatewayCode: string | null;
  patientId: string | null;
  bedId: string | null;
  wardId: string | null;
  /** When the device was assigned to that patient; null when it is assigned to nobody. */
  assignedAt: string | null;
}

/** Routes kept in memory at most: every registered device of a large deployment, bounded all the same. */
const MAX_CACHED_ROUTES = 200_000;
/** Gateways remembered as stored, bounded all the same (beyond it, the memory starts again). */
const MAX_COMMITTED_GATEWAYS = 100_000;

const ROUTE = `SELECT d.id AS "deviceId", d.site_code AS "siteCode", d.gateway_code AS "gatewayCode",
            a.patient_id AS "patientId", a.assigned_at AS "assignedAt",
            p.bed_id AS "bedId", b.ward_id AS "wardId"
       FROM devices d
       LEFT JOIN assignments a ON a.device_id = d.id
       LEFT JOIN patients p ON p.id = a.patient_id
       LEFT JOIN beds b ON b.id = p.bed_id
      WHERE d.id = ?`;

interface DeviceRow {
  id: string;
  model: string;
  last_gateway_id: string | null;
  status_json: string | null;
}

function deviceState(r: DeviceRow): DeviceState {
  return {
    deviceId: r.id,
    model: r.model,
    gatewayId: r.last_gateway_id,
    status: r.status_json ? (JSON.parse(r.status_json) as DeviceStatus) : null,
  };
}

export function createDeviceRepository(sql: SqlDatabase) {
  const routes = new Map<string, DeviceRoute>();
  let routesGeneration: unknown = null;
  const committedGateways = new Set<string>();

  async function closeAssignment(deviceId: string, by: string, at: string): Promise<number> {
    await sql.run(
      `UPDATE assignment_history SET unassigned_at = ?, unassigned_by = ?
        WHERE device_id = ? AND unassigned_at IS NULL`,
      [at, by, deviceId],
    );
    return (await sql.run(`DELETE FROM assignments WHERE device_id = ?`, [deviceId])).changes;
  }

  async function router(): Promise<(deviceId: string) => Promise<DeviceRoute | undefined>> {
    const generation = (await sql.get<{ value: number }>(`SELECT value FROM route_generation WHERE id = 1`))
      ?.value;
    if (generation !== routesGeneration) {
      routes.clear();
      routesGeneration = generation;
    }
    return async (deviceId) => {
      const known = routesGeneration === generation ? routes.get(deviceId) : undefined;
      if (known) return known;
      const found = await sql.get<DeviceRoute>(ROUTE, [deviceId]);
      if (!found) return undefined;
      // Another read may have seen a newer generation meanwhile: a route read before it is not kept.
      if (routesGeneration !== generation) return found;
      if (routes.size >= MAX_CACHED_ROUTES) routes.clear();
      routes.set(deviceId, Object.freeze(found));
      return found;
    };
  }

  return {
    /**
     * The device's route, from memory while no route has changed since it was read (migration 11's
     * triggers give route_generation a new value on any write to a route, seen at once by the
     * transaction that made it and by others once it commits): one primary-key read instead of a
     * four-table join for every reading. Unknown devices are not remembered, so a sender inventing
     * ids cannot grow the cache.
     */
    async route(deviceId: string): Promise<DeviceRoute | undefined> {
      return (await router())(deviceId);
    },

    /**
     * Route lookups for one transaction: the generation is read once, so a group of readings costs
     * one read of it, not one per reading. A route changed by another replica meanwhile is seen by
     * the next transaction, as if the group had been stored a moment earlier.
     */
    router,

    /**
     * Who had a device when a reading was measured, for a reading measured before its current
     * assignment began: `earlier` an earlier patient's assignment covers that time; `handed-over` it
     * was nobody's then, and it has been someone else's (between patients, on a shelf: it cannot be
     * told whose it is); `first` it has never been anyone else's (a new device's first readings).
     */
    async assignmentAt(
      deviceId: string,
      measuredAt: string,
    ): Promise<
      | { owner: 'earlier'; route: Pick<DeviceRoute, 'patientId' | 'bedId' | 'wardId' | 'assignedAt'> }
      | { owner: 'handed-over' | 'first' }
    > {
      const row = await sql.get<Pick<DeviceRoute, 'patientId' | 'bedId' | 'wardId' | 'assignedAt'>>(
        `SELECT h.patient_id AS "patientId", h.assigned_at AS "assignedAt", p.bed_id AS "bedId",
                b.ward_id AS "wardId"
           FROM assignment_history h
           LEFT JOIN patients p ON p.id = h.patient_id
           LEFT JOIN beds b ON b.id = p.bed_id
          WHERE h.device_id = ? AND h.assigned_at <= ? AND (h.unassigned_at IS NULL OR h.unassigned_at > ?)
          ORDER BY h.assigned_at DESC LIMIT 1`,
        [deviceId, measuredAt, measuredAt],
      );
      if (row) return { owner: 'earlier', route: row };
      const earlier = await sql.get(
        `SELECT 1 AS found FROM assignment_history WHERE device_id = ? AND unassigned_at IS NOT NULL LIMIT 1`,
        [deviceId],
      );
      return earlier ? { owner: 'handed-over' } : { owner: 'first' };
    },

    async ensureGateway(site: string, gateway: string): Promise<string> {
      const id = gatewayId(site, gateway);
      if (committedGateways.has(id)) return id;
      // No conflict target: the id is made from the site and gateway codes, so a race between two
      // replicas may meet either unique index first (PostgreSQL raises on a non-arbiter index).
      await sql.run(
        `INSERT INTO gateways (id, site_code, gateway_code) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
        [id, site, gateway],
      );
      return id;
    },

    /**
     * Gateways whose row a committed transaction ensured: gateways are never deleted, so later
     * messages from them skip the insert. Told only after the commit: a row ensured by a
     * transaction that rolled back does not exist.
     */
    gatewaysCommitted(ids: Iterable<string>): void {
      for (const id of ids) {
        if (committedGateways.size >= MAX_COMMITTED_GATEWAYS) committedGateways.clear();
        committedGateways.add(id);
      }
    },

    async gatewayWard(id: string): Promise<string | null> {
      const row = await sql.get<{ ward_id: string | null }>(`SELECT ward_id FROM gateways WHERE id = ?`, [
        id,
      ]);
      return row?.ward_id ?? null;
    },

    async saveDeviceStatus(status: DeviceStatus, gateway: string, at: string): Promise<boolean> {
      const result = await sql.run(
        `UPDATE devices SET status_json = ?, status_at = ?, last_gateway_id = ? WHERE id = ?`,
        [JSON.stringify(status), at, gateway, status.deviceId],
      );
      return result.changes > 0;
    },

    async saveGatewayStatus(id: string, status: GatewayStatus, at: string): Promise<void> {
      await sql.run(`UPDATE gateways SET status_json = ?, status_at = ? WHERE id = ?`, [
        JSON.stringify(status),
        at,
        id,
      ]);
    },

    /** `gatewayCode` pins the device to one gateway of its site; null lets any of them carry it. */
    async registerDevice(
      id: string,
      model: string,
      siteCode: string,
      gatewayCode: string | null = null,
    ): Promise<void> {
      await sql.run(
        `INSERT INTO devices (id, model, site_code, gateway_code) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        [id, model, siteCode, gatewayCode],
      );
    },

    /** Pins the device to one gateway of its site, or (null) unpins it; false if it is not registered. */
    async pinToGateway(deviceId: string, gatewayCode: string | null): Promise<boolean> {
      const result = await sql.run(`UPDATE devices SET gateway_code = ? WHERE id = ?`, [
        gatewayCode,
        deviceId,
      ]);
      return result.changes > 0;
    },

    async list(): Promise<DeviceState[]> {
      const rows = await sql.all<DeviceRow & { gateway_code: string | null }>(
        `SELECT id, model, last_gateway_id, status_json, gateway_code FROM devices ORDER BY id`,
      );
      return rows.map((r) => ({ ...deviceState(r), pinnedGateway: r.gateway_code }));
    },

    async devicesOfPatients(patientIds: string[]): Promise<Map<string, DeviceState[]>> {
      const rows = await sql.all<DeviceRow & { patient_id: string }>(
        `SELECT a.patient_id, d.id, d.model, d.last_gateway_id, d.status_json
           FROM assignments a JOIN devices d ON d.id = a.device_id
          WHERE a.patient_id IN (SELECT value FROM ${sql.dialect.jsonArrayValues('?')}) ORDER BY d.id`,
        [JSON.stringify(patientIds)],
      );
      const result = new Map<string, DeviceState[]>();
      for (const r of rows) {
        const list = result.get(r.patient_id) ?? [];
        list.push(deviceState(r));
        result.set(r.patient_id, list);
      }
      return result;
    },

    async gatewaysOfWard(wardId: string): Promise<{ id: string; status: GatewayStatus | null }[]> {
      const rows = await sql.all<{ id: string; status_json: string | null }>(
        `SELECT id, status_json FROM gateways WHERE ward_id = ? ORDER BY id`,
        [wardId],
      );
      return rows.map((r) => ({
        id: r.id,
        status: r.status_json ? (JSON.parse(r.status_json) as GatewayStatus) : null,
      }));
    },

    async assignGatewayToWard(id: string, wardId: string): Promise<void> {
      await sql.run(`UPDATE gateways SET ward_id = ? WHERE id = ?`, [wardId, id]);
    },

    async listAssignments(): Promise<Assignment[]> {
      return sql.all<Assignment>(
        `SELECT device_id AS "deviceId", patient_id AS "patientId", assigned_at AS "assignedAt",
                assigned_by AS "assignedBy"
           FROM assignments ORDER BY device_id`,
      );
    },

    async assign(deviceId: string, patientId: string, by: string, at: string): Promise<void> {
      await sql.transaction(async () => {
        await closeAssignment(deviceId, by, at);
        await sql.run(
          `INSERT INTO assignments (device_id, patient_id, assigned_at, assigned_by) VALUES (?, ?, ?, ?)`,
          [deviceId, patientId, at, by],
        );
        await sql.run(
          `INSERT INTO assignment_history (device_id, patient_id, assigned_at, assigned_by) VALUES (?, ?, ?, ?)`,
          [deviceId, patientId, at, by],
        );
      });
    },

    async unassign(deviceId: string, by: string, at: string): Promise<boolean> {
      return sql.transaction(async () => (await closeAssignment(deviceId, by, at)) > 0);
    },

    async devicesAssignedTo(patientId: string): Promise<string[]> {
      const rows = await sql.all<{ device_id: string }>(
        `SELECT device_id FROM assignments WHERE patient_id = ?`,
        [patientId],
      );
      return rows.map((r) => r.device_id);
    },

    async listGateways(): Promise<
      {
        id: string;
        siteCode: string;
        wardId: string | null;
        status: GatewayStatus | null;
        statusAt: string | null;
      }[]
    > {
      const rows = await sql.all<{
        id: string;
        site_code: string;
        ward_id: string | null;
        status_json: string | null;
        status_at: string | null;
      }>(`SELECT id, site_code, ward_id, status_json, status_at FROM gateways ORDER BY id`);
      return rows.map((r) => ({
        id: r.id,
        siteCode: r.site_code,
        wardId: r.ward_id,
        status: r.status_json ? (JSON.parse(r.status_json) as GatewayStatus) : null,
        statusAt: r.status_at,
      }));
    },

    async exists(deviceId: string): Promise<boolean> {
      return (await sql.get(`SELECT 1 AS found FROM devices WHERE id = ?`, [deviceId])) !== undefined;
    },
  };
}
export type DeviceRepository = ReturnType<typeof createDeviceRepository>;
