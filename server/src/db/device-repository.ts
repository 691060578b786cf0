import type { Assignment, DeviceState, DeviceStatus, GatewayStatus } from '@wardline/protocol';
import type { Db } from './database.js';

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

export function createDeviceRepository(db: Db) {
  const route = db.prepare(
    `SELECT d.id AS deviceId, d.site_code AS siteCode, d.gateway_code AS gatewayCode,
            a.patient_id AS patientId, a.assigned_at AS assignedAt,
            p.bed_id AS bedId, b.ward_id AS wardId
       FROM devices d
       LEFT JOIN assignments a ON a.device_id = d.id
       LEFT JOIN patients p ON p.id = a.patient_id
       LEFT JOIN beds b ON b.id = p.bed_id
      WHERE d.id = ?`,
  );
  const routeGeneration = db.prepare(`SELECT value FROM route_generation WHERE id = 1`).pluck();
  const routes = new Map<string, DeviceRoute>();
  let routesGeneration: unknown = null;
  const assignedWhen = db.prepare(
    `SELECT h.patient_id AS patientId, h.assigned_at AS assignedAt, p.bed_id AS bedId, b.ward_id AS wardId
       FROM assignment_history h
       LEFT JOIN patients p ON p.id = h.patient_id
       LEFT JOIN beds b ON b.id = p.bed_id
      WHERE h.device_id = ? AND h.assigned_at <= ? AND (h.unassigned_at IS NULL OR h.unassigned_at > ?)
      ORDER BY h.assigned_at DESC LIMIT 1`,
  );
  const hadEarlierPatient = db.prepare(
    `SELECT 1 FROM assignment_history WHERE device_id = ? AND unassigned_at IS NOT NULL LIMIT 1`,
  );
  const saveDeviceStatus = db.prepare(
    `UPDATE devices SET status_json = ?, status_at = ?, last_gateway_id = ? WHERE id = ?`,
  );
  const upsertGateway = db.prepare(
    `INSERT INTO gateways (id, site_code, gateway_code) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  const saveGatewayStatus = db.prepare(`UPDATE gateways SET status_json = ?, status_at = ? WHERE id = ?`);
  const gatewayWard = db.prepare(`SELECT ward_id AS wardId FROM gateways WHERE id = ?`);
  const insertDevice = db.prepare(
    `INSERT INTO devices (id, model, site_code, gateway_code) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  const pinDevice = db.prepare(`UPDATE devices SET gateway_code = ? WHERE id = ?`);
  const insertAssignment = db.prepare(
    `INSERT INTO assignments (device_id, patient_id, assigned_at, assigned_by) VALUES (?, ?, ?, ?)`,
  );
  const insertAssignmentHistory = db.prepare(
    `INSERT INTO assignment_history (device_id, patient_id, assigned_at, assigned_by) VALUES (?, ?, ?, ?)`,
  );
  const deleteAssignment = db.prepare(`DELETE FROM assignments WHERE device_id = ?`);
  const closeAssignmentHistory = db.prepare(
    `UPDATE assignment_history SET unassigned_at = ?, unassigned_by = ?
      WHERE device_id = ? AND unassigned_at IS NULL`,
  );

  return {
    /**
     * The device's route, from memory while no route has changed since it was read (migration 11's
     * triggers give route_generation a new value on any such write, committed or not, from any
     * connection): one primary-key read instead of a four-table join for every reading. Unknown
     * devices are not remembered, so a sender inventing ids cannot grow the cache.
     */
    route(deviceId: string): DeviceRoute | undefined {
      const generation = routeGeneration.get();
      if (generation !== routesGeneration) {
        routes.clear();
        routesGeneration = generation;
      }
      const known = routes.get(deviceId);
      if (known) return known;
      const found = route.get(deviceId) as DeviceRoute | undefined;
      if (!found) return undefined;
      if (routes.size >= MAX_CACHED_ROUTES) routes.clear();
      routes.set(deviceId, Object.freeze(found));
      return found;
    },

    /**
     * Who had a device when a reading was measured, for a reading measured before its current
     * assignment began: `earlier` an earlier patient's assignment covers that time; `handed-over` it
     * was nobody's then, and it has been someone else's (between patients, on a shelf: it cannot be
     * told whose it is); `first` it has never been anyone else's (a new device's first readings).
     */
    assignmentAt(
      deviceId: string,
      measuredAt: string,
    ):
      | { owner: 'earlier'; route: Pick<DeviceRoute, 'patientId' | 'bedId' | 'wardId' | 'assignedAt'> }
      | { owner: 'handed-over' | 'first' } {
      const row = assignedWhen.get(deviceId, measuredAt, measuredAt) as
        Pick<DeviceRoute, 'patientId' | 'bedId' | 'wardId' | 'assignedAt'> | undefined;
      if (row) return { owner: 'earlier', route: row };
      return hadEarlierPatient.get(deviceId) ? { owner: 'handed-over' } : { owner: 'first' };
    },

    ensureGateway(site: string, gateway: string): string {
      const id = gatewayId(site, gateway);
      upsertGateway.run(id, site, gateway);
      return id;
    },

    gatewayWard(id: string): string | null {
      return (gatewayWard.get(id) as { wardId: string | null } | undefined)?.wardId ?? null;
    },

    saveDeviceStatus(status: DeviceStatus, gateway: string, at: string): boolean {
      return saveDeviceStatus.run(JSON.stringify(status), at, gateway, status.deviceId).changes > 0;
    },

    saveGatewayStatus(id: string, status: GatewayStatus, at: string): void {
      saveGatewayStatus.run(JSON.stringify(status), at, id);
    },

    /** `gatewayCode` pins the device to one gateway of its site; null lets any of them carry it. */
    registerDevice(id: string, model: string, siteCode: string, gatewayCode: string | null = null): void {
      insertDevice.run(id, model, siteCode, gatewayCode);
    },

    /** Pins the device to one gateway of its site, or (null) unpins it; false if it is not registered. */
    pinToGateway(deviceId: string, gatewayCode: string | null): boolean {
      return pinDevice.run(gatewayCode, deviceId).changes > 0;
    },

    list(): DeviceState[] {
      const rows = db
        .prepare(`SELECT id, model, last_gateway_id, status_json, gateway_code FROM devices ORDER BY id`)
        .all() as {
        id: string;
        model: string;
        last_gateway_id: string | null;
        status_json: string | null;
        gateway_code: string | null;
      }[];
      return rows.map((r) => ({
        deviceId: r.id,
        model: r.model,
        gatewayId: r.last_gateway_id,
        status: r.status_json ? (JSON.parse(r.status_json) as DeviceStatus) : null,
        pinnedGateway: r.gateway_code,
      }));
    },

    devicesOfPatients(patientIds: string[]): Map<string, DeviceState[]> {
      const rows = db
        .prepare(
          `SELECT a.patient_id, d.id, d.model, d.last_gateway_id, d.status_json
             FROM assignments a JOIN devices d ON d.id = a.device_id
            WHERE a.patient_id IN (SELECT value FROM json_each(?)) ORDER BY d.id`,
        )
        .all(JSON.stringify(patientIds)) as {
        patient_id: string;
        id: string;
        model: string;
        last_gateway_id: string | null;
        status_json: string | null;
      }[];
      const result = new Map<string, DeviceState[]>();
      for (const r of rows) {
        const list = result.get(r.patient_id) ?? [];
        list.push({
          deviceId: r.id,
          model: r.model,
          gatewayId: r.last_gateway_id,
          status: r.status_json ? (JSON.parse(r.status_json) as DeviceStatus) : null,
        });
        result.set(r.patient_id, list);
      }
      return result;
    },

    gatewaysOfWard(wardId: string): { id: string; status: GatewayStatus | null }[] {
      const rows = db
        .prepare(`SELECT id, status_json FROM gateways WHERE ward_id = ? ORDER BY id`)
        .all(wardId) as {
        id: string;
        status_json: string | null;
      }[];
      return rows.map((r) => ({
        id: r.id,
        status: r.status_json ? (JSON.parse(r.status_json) as GatewayStatus) : null,
      }));
    },

    assignGatewayToWard(id: string, wardId: string): void {
      db.prepare(`UPDATE gateways SET ward_id = ? WHERE id = ?`).run(wardId, id);
    },

    listAssignments(): Assignment[] {
      return db
        .prepare(
          `SELECT device_id AS deviceId, patient_id AS patientId, assigned_at AS assignedAt, assigned_by AS assignedBy
             FROM assignments ORDER BY device_id`,
        )
        .all() as Assignment[];
    },

    assign(deviceId: string, patientId: string, by: string, at: string): void {
      db.transaction(() => {
        closeAssignmentHistory.run(at, by, deviceId);
        deleteAssignment.run(deviceId);
        insertAssignment.run(deviceId, patientId, at, by);
        insertAssignmentHistory.run(deviceId, patientId, at, by);
      })();
    },

    unassign(deviceId: string, by: string, at: string): boolean {
      return db.transaction(() => {
        closeAssignmentHistory.run(at, by, deviceId);
        return deleteAssignment.run(deviceId).changes > 0;
      })();
    },

    devicesAssignedTo(patientId: string): string[] {
      return (
        db.prepare(`SELECT device_id FROM assignments WHERE patient_id = ?`).all(patientId) as {
          device_id: string;
        }[]
      ).map((r) => r.device_id);
    },

    listGateways(): {
      id: string;
      siteCode: string;
      wardId: string | null;
      status: GatewayStatus | null;
      statusAt: string | null;
    }[] {
      const rows = db
        .prepare(`SELECT id, site_code, ward_id, status_json, status_at FROM gateways ORDER BY id`)
        .all() as {
        id: string;
        site_code: string;
        ward_id: string | null;
        status_json: string | null;
        status_at: string | null;
      }[];
      return rows.map((r) => ({
        id: r.id,
        siteCode: r.site_code,
        wardId: r.ward_id,
        status: r.status_json ? (JSON.parse(r.status_json) as GatewayStatus) : null,
        statusAt: r.status_at,
      }));
    },

    exists(deviceId: string): boolean {
      return route.get(deviceId) !== undefined;
    },
  };
}
export type DeviceRepository = ReturnType<typeof createDeviceRepository>;
