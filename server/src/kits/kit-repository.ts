/**
 * Gateway kits: a hub (one MQTT identity) and its devices, registered to a site, issued to a
 * patient's home and returned, their credentials rotated and revoked. Every credential change adds a
 * row to credential_changes, the version feed the broker replicates (broker-feed.ts).
 *
 * Issuing a kit assigns its devices to the patient through the device repository, which keeps the
 * assignment history: a reading is stored under whoever the device was assigned to when it arrived,
 * so a kit returned from one patient and issued to the next keeps each one's readings apart.
 */
import { randomUUID } from 'node:crypto';
import { hashKitSecret, verifyKitSecret } from '@wardline/broker';
import type { DeviceStatus, GatewayStatus, Kit, KitPage, RegisterKitRequest } from '@wardline/protocol';
import type { Db } from '../db/database.js';
import { gatewayId, type DeviceRepository } from '../db/device-repository.js';
import { Errors } from '../errors.js';
import { kitUsername, newKitSecret, randomGatewayCode } from './kit-secrets.js';

interface KitRow {
  id: string;
  organisationId: string;
  siteId: string;
  siteCode: string;
  gatewayCode: string;
  label: string;
  patientId: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface IssuedSecret {
  kit: Kit;
  /** The new secret, in the clear: returned to the admin once, never stored. */
  secret: string;
}

const KIT_COLUMNS = `k.id, k.organisation_id AS organisationId, k.site_id AS siteId, s.code AS siteCode,
  k.gateway_code AS gatewayCode, k.label, k.patient_id AS patientId, k.created_at AS createdAt,
  k.revoked_at AS revokedAt`;

export function createKitRepository(db: Db, devices: DeviceRepository, now = () => new Date()) {
  const kitById = db.prepare(
    `SELECT ${KIT_COLUMNS} FROM kits k JOIN sites s ON s.id = k.site_id WHERE k.id = ? AND k.organisation_id = ?`,
  );
  const kitDevices = db.prepare(
    `SELECT d.id, d.model, d.status_json AS statusJson, a.patient_id AS patientId
       FROM kit_devices kd JOIN devices d ON d.id = kd.device_id
       LEFT JOIN assignments a ON a.device_id = d.id
      WHERE kd.kit_id = ? ORDER BY d.id`,
  );
  const liveCredentials = db.prepare(
    `SELECT id, created_at AS createdAt, not_after AS notAfter FROM gateway_credentials
      WHERE kit_id = ? AND revoked_at IS NULL AND (not_after IS NULL OR not_after > ?) ORDER BY id DESC`,
  );
  const insertCredential = db.prepare(
    `INSERT INTO gateway_credentials (kit_id, username, secret_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
  );
  const insertChange = db.prepare(`INSERT INTO credential_changes (username, at) VALUES (?, ?)`);
  const openIssue = db.prepare(
    `SELECT id, patient_id AS patientId FROM kit_issues WHERE kit_id = ? AND returned_at IS NULL`,
  );
  const patientOrganisation = db.prepare(
    `SELECT organisation_id AS organisationId FROM patients WHERE id = ?`,
  );

  const toKit = (row: KitRow): Kit => {
    const at = now().toISOString();
    return {
      ...row,
      username: kitUsername(row.siteCode, row.gatewayCode),
      devices: (kitDevices.all(row.id) as { id: string; model: string }[]).map(({ id, model }) => ({
        id,
        model,
      })),
      credentials: liveCredentials.all(row.id, at) as Kit['credentials'],
    };
  };

  const find = (organisationId: string, kitId: string): KitRow => {
    const row = kitById.get(kitId, organisationId) as KitRow | undefined;
    if (row === undefined) throw new Errors.notFound('kit');
    return row;
  };

  const requirePatient = (organisationId: string, patientId: string): void => {
    const patient = patientOrganisation.get(patientId) as { organisationId: string | null } | undefined;
    if (patient?.organisationId !== organisationId) throw new Errors.notFound('patient');
  };

  const addSecret = (row: KitRow, by: string, at: string): string => {
    const { secret, hash } = newKitSecret();
    const username = kitUsername(row.siteCode, row.gatewayCode);
    insertCredential.run(row.id, username, hash, at, by);
    insertChange.run(username, at);
    return secret;
  };

  const endIssue = (row: KitRow, by: string, at: string): string | null => {
    const issue = openIssue.get(row.id) as { id: number; patientId: string } | undefined;
    if (issue === undefined) return null;
    for (const { id } of kitDevices.all(row.id) as { id: string }[]) devices.unassign(id, by, at);
    db.prepare(`UPDATE kit_issues SET returned_at = ?, returned_by = ? WHERE id = ?`).run(at, by, issue.id);
    db.prepare(`UPDATE kits SET patient_id = NULL WHERE id = ?`).run(row.id);
    return issue.patientId;
  };

  const startIssue = (row: KitRow, patientId: string, by: string, at: string): void => {
    for (const { id } of kitDevices.all(row.id) as { id: string }[]) devices.assign(id, patientId, by, at);
    db.prepare(`INSERT INTO kit_issues (kit_id, patient_id, issued_at, issued_by) VALUES (?, ?, ?, ?)`).run(
      row.id,
      patientId,
      at,
      by,
    );
    db.prepare(`UPDATE kits SET patient_id = ? WHERE id = ?`).run(patientId, row.id);
  };

  return {
    register(organisationId: string, request: RegisterKitRequest, by: string): IssuedSecret {
      return db.transaction((): IssuedSecret => {
        const site = db
          .prepare(`SELECT id, code FROM sites WHERE id = ? AND organisation_id = ? AND closed_at IS NULL`)
          .get(request.siteId, organisationId) as { id: string; code: string } | undefined;
        if (site === undefined) throw new Errors.notFound('site');
        if (request.patientId) requirePatient(organisationId, request.patientId);
        const gatewayCode = request.gatewayCode ?? randomGatewayCode();
        const taken = db
          .prepare(`SELECT 1 FROM kits WHERE site_id = ? AND gateway_code = ?`)
          .get(site.id, gatewayCode);
        if (taken) throw new Errors.conflict(`site ${site.code} already has a gateway ${gatewayCode}`);
        const ids = request.devices.map((device) => device.id);
        if (new Set(ids).size !== ids.length) throw new Errors.conflict('a device appears twice in the kit');
        for (const id of ids)
          if (devices.exists(id)) throw new Errors.conflict(`device ${id} is already registered`);

        const at = now().toISOString();
        const id = `kit-${randomUUID()}`;
        db.prepare(
          `INSERT INTO kits (id, organisation_id, site_id, gateway_code, label, created_at, created_by)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, organisationId, site.id, gatewayCode, request.label, at, by);
        devices.ensureGateway(site.code, gatewayCode);
        const addDevice = db.prepare(`INSERT INTO kit_devices (device_id, kit_id) VALUES (?, ?)`);
        for (const device of request.devices) {
          // Pinned: the kit's devices are accepted only through the kit's own hub.
          devices.registerDevice(device.id, device.model, site.code, gatewayCode);
          addDevice.run(device.id, id);
        }
        const row = find(organisationId, id);
        const secret = addSecret(row, by, at);
        if (request.patientId) startIssue(row, request.patientId, by, at);
        return { kit: toKit(find(organisationId, id)), secret };
      })();
    },

    list(organisationId: string): Kit[] {
      const rows = db
        .prepare(
          `SELECT ${KIT_COLUMNS} FROM kits k JOIN sites s ON s.id = k.site_id
            WHERE k.organisation_id = ? ORDER BY k.label, k.id`,
        )
        .all(organisationId) as KitRow[];
      return rows.map(toKit);
    },

    get(organisationId: string, kitId: string): Kit {
      return toKit(find(organisationId, kitId));
    },

    page(organisationId: string, kitId: string): KitPage {
      const row = find(organisationId, kitId);
      const hub = db
        .prepare(`SELECT status_json AS statusJson, status_at AS statusAt FROM gateways WHERE id = ?`)
        .get(gatewayId(row.siteCode, row.gatewayCode)) as
        { statusJson: string | null; statusAt: string | null } | undefined;
      const status = hub?.statusJson ? (JSON.parse(hub.statusJson) as GatewayStatus) : null;
      const deviceRows = kitDevices.all(row.id) as {
        id: string;
        model: string;
        statusJson: string | null;
        patientId: string | null;
      }[];
      return {
        kit: toKit(row),
        hub: {
          state: status?.state ?? null,
          statusAt: hub?.statusAt ?? null,
          software: status?.software ?? null,
          outboxPending: status?.outbox?.pending ?? null,
          outboxCapacity: status?.outbox?.capacity ?? null,
        },
        devices: deviceRows.map((device) => {
          const live = device.statusJson ? (JSON.parse(device.statusJson) as DeviceStatus) : null;
          return {
            id: device.id,
            model: device.model,
            connected: live?.connected ?? null,
            batteryPercent: live?.battery?.value ?? null,
            lastSeen: live?.lastSeen ?? null,
            patientId: device.patientId,
          };
        }),
        issues: db
          .prepare(
            `SELECT patient_id AS patientId, issued_at AS issuedAt, issued_by AS issuedBy,
                    returned_at AS returnedAt, returned_by AS returnedBy
               FROM kit_issues WHERE kit_id = ? ORDER BY id DESC`,
          )
          .all(row.id) as KitPage['issues'],
      };
    },

    /** A new secret; the ones in use stay valid for `overlapMinutes` more (none: cut at once). */
    rotate(organisationId: string, kitId: string, overlapMinutes: number, by: string): IssuedSecret {
      return db.transaction((): IssuedSecret => {
        const row = find(organisationId, kitId);
        if (row.revokedAt !== null) throw new Errors.conflict('this kit is revoked: register a new one');
        const at = now();
        const notAfter = new Date(at.getTime() + overlapMinutes * 60_000).toISOString();
        db.prepare(
          `UPDATE gateway_credentials SET not_after = ?
            WHERE kit_id = ? AND revoked_at IS NULL AND (not_after IS NULL OR not_after > ?)`,
        ).run(notAfter, row.id, notAfter);
        const secret = addSecret(row, by, at.toISOString());
        return { kit: toKit(row), secret };
      })();
    },

    /** Every secret invalid at once; the hub is disconnected and refused from then on. */
    revoke(organisationId: string, kitId: string, by: string): Kit {
      return db.transaction((): Kit => {
        const row = find(organisationId, kitId);
        if (row.revokedAt !== null) return toKit(row);
        const at = now().toISOString();
        db.prepare(`UPDATE kits SET revoked_at = ?, revoked_by = ? WHERE id = ?`).run(at, by, row.id);
        db.prepare(
          `UPDATE gateway_credentials SET revoked_at = ? WHERE kit_id = ? AND revoked_at IS NULL`,
        ).run(at, row.id);
        insertChange.run(kitUsername(row.siteCode, row.gatewayCode), at);
        return toKit(find(organisationId, kitId));
      })();
    },

    /** Issues the kit to a patient, ending its issue to anyone before. Returns the previous patient. */
    issue(
      organisationId: string,
      kitId: string,
      patientId: string,
      by: string,
    ): { kit: Kit; previousPatientId: string | null } {
      return db.transaction(() => {
        const row = find(organisationId, kitId);
        if (row.revokedAt !== null) throw new Errors.conflict('this kit is revoked: register a new one');
        requirePatient(organisationId, patientId);
        const at = now().toISOString();
        const previousPatientId = endIssue(row, by, at);
        startIssue(row, patientId, by, at);
        return { kit: toKit(find(organisationId, kitId)), previousPatientId };
      })();
    },

    /**
     * A demo gateway (server/src/demo/seed.ts) as a kit of the site's organisation, with devices the
     * seed registered. Registered once; on later starts it is left as an admin left it (issued,
     * returned or revoked). A patient is issued the kit only while admitted.
     */
    ensureDemoKit(
      demo: {
        siteCode: string;
        gatewayCode: string;
        label: string;
        deviceIds: string[];
        patientId: string | null;
      },
      by: string,
    ): { kit: Kit; created: boolean } {
      return db.transaction(() => {
        const site = db
          .prepare(`SELECT id, organisation_id AS organisationId FROM sites WHERE code = ?`)
          .get(demo.siteCode) as { id: string; organisationId: string } | undefined;
        if (site === undefined) throw new Errors.notFound('site');
        const existing = db
          .prepare(`SELECT id FROM kits WHERE site_id = ? AND gateway_code = ?`)
          .get(site.id, demo.gatewayCode) as { id: string } | undefined;
        if (existing) return { kit: toKit(find(site.organisationId, existing.id)), created: false };

        const at = now().toISOString();
        const id = `kit-${randomUUID()}`;
        db.prepare(
          `INSERT INTO kits (id, organisation_id, site_id, gateway_code, label, created_at, created_by)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        ).run(id, site.organisationId, site.id, demo.gatewayCode, demo.label, at, by);
        devices.ensureGateway(demo.siteCode, demo.gatewayCode);
        // A device an admin already put in another kit stays there.
        const addDevice = db.prepare(`INSERT OR IGNORE INTO kit_devices (device_id, kit_id) VALUES (?, ?)`);
        for (const deviceId of demo.deviceIds) if (devices.exists(deviceId)) addDevice.run(deviceId, id);
        const admitted =
          demo.patientId !== null &&
          db
            .prepare(`SELECT 1 FROM patients WHERE id = ? AND organisation_id = ? AND bed_id IS NOT NULL`)
            .get(demo.patientId, site.organisationId) !== undefined;
        if (admitted) {
          const patientId = demo.patientId!;
          // The seed assigned them already: assigning again would only add a row to their history.
          const held = new Set(devices.devicesAssignedTo(patientId));
          for (const { id: deviceId } of kitDevices.all(id) as { id: string }[])
            if (!held.has(deviceId)) devices.assign(deviceId, patientId, by, at);
          db.prepare(
            `INSERT INTO kit_issues (kit_id, patient_id, issued_at, issued_by) VALUES (?, ?, ?, ?)`,
          ).run(id, patientId, at, by);
          db.prepare(`UPDATE kits SET patient_id = ? WHERE id = ?`).run(patientId, id);
        }
        return { kit: toKit(find(site.organisationId, id)), created: true };
      })();
    },

    /**
     * Makes `secret` (a demo gateway's password from the demo's secrets file) the kit's credential.
     * Nothing changes when a lasting credential of the kit already verifies it, so that the broker's
     * feed moves only when the file did; otherwise the kit's other credentials end at once. A revoked
     * kit stays revoked. True when the credential changed.
     */
    setCredentialSecret(organisationId: string, kitId: string, secret: string, by: string): boolean {
      return db.transaction((): boolean => {
        const row = find(organisationId, kitId);
        if (row.revokedAt !== null) return false;
        const lasting = db
          .prepare(
            `SELECT secret_hash AS hash FROM gateway_credentials
              WHERE kit_id = ? AND revoked_at IS NULL AND not_after IS NULL`,
          )
          .all(row.id) as { hash: string }[];
        if (lasting.some(({ hash }) => verifyKitSecret(secret, hash))) return false;
        const at = now().toISOString();
        db.prepare(
          `UPDATE gateway_credentials SET revoked_at = ? WHERE kit_id = ? AND revoked_at IS NULL`,
        ).run(at, row.id);
        const username = kitUsername(row.siteCode, row.gatewayCode);
        insertCredential.run(row.id, username, hashKitSecret(secret), at, by);
        insertChange.run(username, at);
        return true;
      })();
    },

    /** Ends the kit's issue: its devices' readings go to nobody until it is issued again. */
    returnKit(organisationId: string, kitId: string, by: string): { kit: Kit; patientId: string } {
      return db.transaction(() => {
        const row = find(organisationId, kitId);
        const patientId = endIssue(row, by, now().toISOString());
        if (patientId === null) throw new Errors.conflict('this kit is not issued to anyone');
        return { kit: toKit(find(organisationId, kitId)), patientId };
      })();
    },
  };
}
export type KitRepository = ReturnType<typeof createKitRepository>;
