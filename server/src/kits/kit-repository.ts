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
import type { SqlDatabase } from '../db/engines/engine.js';
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

const KIT_COLUMNS = `k.id, k.organisation_id AS "organisationId", k.site_id AS "siteId", s.code AS "siteCode",
  k.gateway_code AS "gatewayCode", k.label, k.patient_id AS "patientId", k.created_at AS "createdAt",
  k.revoked_at AS "revokedAt"`;

export function createKitRepository(sql: SqlDatabase, devices: DeviceRepository, now = () => new Date()) {
  const kitById = `SELECT ${KIT_COLUMNS} FROM kits k JOIN sites s ON s.id = k.site_id WHERE k.id = ? AND k.organisation_id = ?`;
  const kitDevicesQuery = `SELECT d.id, d.model, d.status_json AS "statusJson", a.patient_id AS "patientId"
       FROM kit_devices kd JOIN devices d ON d.id = kd.device_id
       LEFT JOIN assignments a ON a.device_id = d.id
      WHERE kd.kit_id = ? ORDER BY d.id`;
  const kitDevices = (kitId: string) =>
    sql.all<{ id: string; model: string; statusJson: string | null; patientId: string | null }>(
      kitDevicesQuery,
      [kitId],
    );
  const insertCredential = `INSERT INTO gateway_credentials (kit_id, username, secret_hash, created_at, created_by)
    VALUES (?, ?, ?, ?, ?)`;
  /**
   * One more version of the credential feed. Replicas take versions one at a time and commit before
   * the next is taken, so a broker that has read version n never finds an n-1 committed later.
   */
  const recordChange = async (username: string, at: string) => {
    await sql.lock('credential_changes');
    await sql.run(`INSERT INTO credential_changes (username, at) VALUES (?, ?)`, [username, at]);
  };
  const insertKit = `INSERT INTO kits (id, organisation_id, site_id, gateway_code, label, created_at, created_by)
    VALUES (?, ?, ?, ?, ?, ?, ?)`;
  const insertIssue = `INSERT INTO kit_issues (kit_id, patient_id, issued_at, issued_by) VALUES (?, ?, ?, ?)`;

  const toKit = async (row: KitRow): Promise<Kit> => {
    const at = now().toISOString();
    return {
      ...row,
      username: kitUsername(row.siteCode, row.gatewayCode),
      devices: (await kitDevices(row.id)).map(({ id, model }) => ({ id, model })),
      credentials: await sql.all<Kit['credentials'][number]>(
        `SELECT id, created_at AS "createdAt", not_after AS "notAfter" FROM gateway_credentials
          WHERE kit_id = ? AND revoked_at IS NULL AND (not_after IS NULL OR not_after > ?) ORDER BY id DESC`,
        [row.id, at],
      ),
    };
  };

  const find = async (organisationId: string, kitId: string): Promise<KitRow> => {
    const row = await sql.get<KitRow>(kitById, [kitId, organisationId]);
    if (row === undefined) throw new Errors.notFound('kit');
    return row;
  };

  const requirePatient = async (organisationId: string, patientId: string): Promise<void> => {
    const patient = await sql.get<{ organisationId: string | null }>(
      `SELECT organisation_id AS "organisationId" FROM patients WHERE id = ?`,
      [patientId],
    );
    if (patient?.organisationId !== organisationId) throw new Errors.notFound('patient');
  };

  const addSecret = async (row: KitRow, by: string, at: string): Promise<string> => {
    const { secret, hash } = newKitSecret();
    const username = kitUsername(row.siteCode, row.gatewayCode);
    await sql.run(insertCredential, [row.id, username, hash, at, by]);
    await recordChange(username, at);
    return secret;
  };

  /** Ends the open issue, if any; the conditional UPDATE decides which of two returns at once wins. */
  const endIssue = async (row: KitRow, by: string, at: string): Promise<string | null> => {
    const issue = await sql.get<{ id: number; patientId: string }>(
      `SELECT id, patient_id AS "patientId" FROM kit_issues WHERE kit_id = ? AND returned_at IS NULL`,
      [row.id],
    );
    if (issue === undefined) return null;
    const ended = await sql.run(
      `UPDATE kit_issues SET returned_at = ?, returned_by = ? WHERE id = ? AND returned_at IS NULL`,
      [at, by, issue.id],
    );
    if (ended.changes === 0) return null;
    for (const { id } of await kitDevices(row.id)) await devices.unassign(id, by, at);
    await sql.run(`UPDATE kits SET patient_id = NULL WHERE id = ?`, [row.id]);
    return issue.patientId;
  };

  const startIssue = async (row: KitRow, patientId: string, by: string, at: string): Promise<void> => {
    for (const { id } of await kitDevices(row.id)) await devices.assign(id, patientId, by, at);
    await sql.run(insertIssue, [row.id, patientId, at, by]);
    await sql.run(`UPDATE kits SET patient_id = ? WHERE id = ?`, [patientId, row.id]);
  };

  return {
    async register(organisationId: string, request: RegisterKitRequest, by: string): Promise<IssuedSecret> {
      try {
        return await sql.transaction(async (): Promise<IssuedSecret> => {
          const site = await sql.get<{ id: string; code: string }>(
            `SELECT id, code FROM sites WHERE id = ? AND organisation_id = ? AND closed_at IS NULL`,
            [request.siteId, organisationId],
          );
          if (site === undefined) throw new Errors.notFound('site');
          if (request.patientId) await requirePatient(organisationId, request.patientId);
          const gatewayCode = request.gatewayCode ?? randomGatewayCode();
          const taken = await sql.get(`SELECT 1 AS taken FROM kits WHERE site_id = ? AND gateway_code = ?`, [
            site.id,
            gatewayCode,
          ]);
          if (taken) throw new Errors.conflict(`site ${site.code} already has a gateway ${gatewayCode}`);
          const ids = request.devices.map((device) => device.id);
          if (new Set(ids).size !== ids.length)
            throw new Errors.conflict('a device appears twice in the kit');
          for (const id of ids)
            if (await devices.exists(id)) throw new Errors.conflict(`device ${id} is already registered`);

          const at = now().toISOString();
          const id = `kit-${randomUUID()}`;
          await sql.run(insertKit, [id, organisationId, site.id, gatewayCode, request.label, at, by]);
          await devices.ensureGateway(site.code, gatewayCode);
          for (const device of request.devices) {
            // Pinned: the kit's devices are accepted only through the kit's own hub.
            await devices.registerDevice(device.id, device.model, site.code, gatewayCode);
            await sql.run(`INSERT INTO kit_devices (device_id, kit_id) VALUES (?, ?)`, [device.id, id]);
          }
          const row = await find(organisationId, id);
          const secret = await addSecret(row, by, at);
          if (request.patientId) await startIssue(row, request.patientId, by, at);
          return { kit: await toKit(await find(organisationId, id)), secret };
        });
      } catch (error) {
        // Another replica registered the same gateway or device between our checks and our insert.
        if (sql.constraintViolated(error) === 'unique')
          throw new Errors.conflict('the gateway or one of its devices was registered at the same time');
        throw error;
      }
    },

    async list(organisationId: string): Promise<Kit[]> {
      const rows = await sql.all<KitRow>(
        `SELECT ${KIT_COLUMNS} FROM kits k JOIN sites s ON s.id = k.site_id
          WHERE k.organisation_id = ? ORDER BY k.label, k.id`,
        [organisationId],
      );
      const kits: Kit[] = [];
      for (const row of rows) kits.push(await toKit(row));
      return kits;
    },

    async get(organisationId: string, kitId: string): Promise<Kit> {
      return toKit(await find(organisationId, kitId));
    },

    async page(organisationId: string, kitId: string): Promise<KitPage> {
      const row = await find(organisationId, kitId);
      const hub = await sql.get<{ statusJson: string | null; statusAt: string | null }>(
        `SELECT status_json AS "statusJson", status_at AS "statusAt" FROM gateways WHERE id = ?`,
        [gatewayId(row.siteCode, row.gatewayCode)],
      );
      const status = hub?.statusJson ? (JSON.parse(hub.statusJson) as GatewayStatus) : null;
      const deviceRows = await kitDevices(row.id);
      return {
        kit: await toKit(row),
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
        issues: await sql.all<KitPage['issues'][number]>(
          `SELECT patient_id AS "patientId", issued_at AS "issuedAt", issued_by AS "issuedBy",
                  returned_at AS "returnedAt", returned_by AS "returnedBy"
             FROM kit_issues WHERE kit_id = ? ORDER BY id DESC`,
          [row.id],
        ),
      };
    },

    /** A new secret; the ones in use stay valid for `overlapMinutes` more (none: cut at once). */
    async rotate(
      organisationId: string,
      kitId: string,
      overlapMinutes: number,
      by: string,
    ): Promise<IssuedSecret> {
      return sql.transaction(async (): Promise<IssuedSecret> => {
        const row = await find(organisationId, kitId);
        if (row.revokedAt !== null) throw new Errors.conflict('this kit is revoked: register a new one');
        const at = now();
        const notAfter = new Date(at.getTime() + overlapMinutes * 60_000).toISOString();
        await sql.run(
          `UPDATE gateway_credentials SET not_after = ?
            WHERE kit_id = ? AND revoked_at IS NULL AND (not_after IS NULL OR not_after > ?)`,
          [notAfter, row.id, notAfter],
        );
        const secret = await addSecret(row, by, at.toISOString());
        return { kit: await toKit(row), secret };
      });
    },

    /** Every secret invalid at once; the hub is disconnected and refused from then on. */
    async revoke(organisationId: string, kitId: string, by: string): Promise<Kit> {
      return sql.transaction(async (): Promise<Kit> => {
        const row = await find(organisationId, kitId);
        if (row.revokedAt !== null) return toKit(row);
        const at = now().toISOString();
        await sql.run(`UPDATE kits SET revoked_at = ?, revoked_by = ? WHERE id = ?`, [at, by, row.id]);
        await sql.run(
          `UPDATE gateway_credentials SET revoked_at = ? WHERE kit_id = ? AND revoked_at IS NULL`,
          [at, row.id],
        );
        await recordChange(kitUsername(row.siteCode, row.gatewayCode), at);
        return toKit(await find(organisationId, kitId));
      });
    },

    /** Issues the kit to a patient, ending its issue to anyone before. Returns the previous patient. */
    async issue(
      organisationId: string,
      kitId: string,
      patientId: string,
      by: string,
    ): Promise<{ kit: Kit; previousPatientId: string | null }> {
      return sql.transaction(async () => {
        const row = await find(organisationId, kitId);
        if (row.revokedAt !== null) throw new Errors.conflict('this kit is revoked: register a new one');
        await requirePatient(organisationId, patientId);
        const at = now().toISOString();
        const previousPatientId = await endIssue(row, by, at);
        await startIssue(row, patientId, by, at);
        return { kit: await toKit(await find(organisationId, kitId)), previousPatientId };
      });
    },

    /**
     * A demo gateway (server/src/demo/seed.ts) as a kit of the site's organisation, with devices the
     * seed registered. Registered once; on later starts it is left as an admin left it (issued,
     * returned or revoked). A patient is issued the kit only while admitted.
     */
    async ensureDemoKit(
      demo: {
        siteCode: string;
        gatewayCode: string;
        label: string;
        deviceIds: string[];
        patientId: string | null;
      },
      by: string,
    ): Promise<{ kit: Kit; created: boolean }> {
      return sql.transaction(async () => {
        const site = await sql.get<{ id: string; organisationId: string }>(
          `SELECT id, organisation_id AS "organisationId" FROM sites WHERE code = ?`,
          [demo.siteCode],
        );
        if (site === undefined) throw new Errors.notFound('site');
        const existing = await sql.get<{ id: string }>(
          `SELECT id FROM kits WHERE site_id = ? AND gateway_code = ?`,
          [site.id, demo.gatewayCode],
        );
        if (existing)
          return { kit: await toKit(await find(site.organisationId, existing.id)), created: false };

        const at = now().toISOString();
        const id = `kit-${randomUUID()}`;
        await sql.run(insertKit, [id, site.organisationId, site.id, demo.gatewayCode, demo.label, at, by]);
        await devices.ensureGateway(demo.siteCode, demo.gatewayCode);
        // A device an admin already put in another kit stays there.
        for (const deviceId of demo.deviceIds)
          if (await devices.exists(deviceId))
            await sql.run(
              `INSERT INTO kit_devices (device_id, kit_id) VALUES (?, ?) ON CONFLICT (device_id) DO NOTHING`,
              [deviceId, id],
            );
        const admitted =
          demo.patientId !== null &&
          (await sql.get(
            `SELECT 1 AS admitted FROM patients WHERE id = ? AND organisation_id = ? AND bed_id IS NOT NULL`,
            [demo.patientId, site.organisationId],
          )) !== undefined;
        if (admitted) {
          const patientId = demo.patientId!;
          // The seed assigned them already: assigning again would only add a row to their history.
          const held = new Set(await devices.devicesAssignedTo(patientId));
          for (const { id: deviceId } of await kitDevices(id))
            if (!held.has(deviceId)) await devices.assign(deviceId, patientId, by, at);
          await sql.run(insertIssue, [id, patientId, at, by]);
          await sql.run(`UPDATE kits SET patient_id = ? WHERE id = ?`, [patientId, id]);
        }
        return { kit: await toKit(await find(site.organisationId, id)), created: true };
      });
    },

    /**
     * Makes `secret` (a demo gateway's password from the demo's secrets file) the kit's credential.
     * Nothing changes when a lasting credential of the kit already verifies it, so that the broker's
     * feed moves only when the file did; otherwise the kit's other credentials end at once. A revoked
     * kit stays revoked. True when the credential changed.
     */
    async setCredentialSecret(
      organisationId: string,
      kitId: string,
      secret: string,
      by: string,
    ): Promise<boolean> {
      return sql.transaction(async (): Promise<boolean> => {
        const row = await find(organisationId, kitId);
        if (row.revokedAt !== null) return false;
        const lasting = await sql.all<{ hash: string }>(
          `SELECT secret_hash AS hash FROM gateway_credentials
            WHERE kit_id = ? AND revoked_at IS NULL AND not_after IS NULL`,
          [row.id],
        );
        if (lasting.some(({ hash }) => verifyKitSecret(secret, hash))) return false;
        const at = now().toISOString();
        await sql.run(
          `UPDATE gateway_credentials SET revoked_at = ? WHERE kit_id = ? AND revoked_at IS NULL`,
          [at, row.id],
        );
        const username = kitUsername(row.siteCode, row.gatewayCode);
        await sql.run(insertCredential, [row.id, username, hashKitSecret(secret), at, by]);
        await recordChange(username, at);
        return true;
      });
    },

    /** Ends the kit's issue: its devices' readings go to nobody until it is issued again. */
    async returnKit(
      organisationId: string,
      kitId: string,
      by: string,
    ): Promise<{ kit: Kit; patientId: string }> {
      return sql.transaction(async () => {
        const row = await find(organisationId, kitId);
        const patientId = await endIssue(row, by, now().toISOString());
        if (patientId === null) throw new Errors.conflict('this kit is not issued to anyone');
        return { kit: await toKit(await find(organisationId, kitId)), patientId };
      });
    },
  };
}
export type KitRepository = ReturnType<typeof createKitRepository>;
