import { STAFF_SOURCE_PREFIX } from '../../staff-source.js';
import type { AlertRule, RuleContext } from '../types.js';

// Devices that report continuously; cuffs connect only to measure and are covered by reading_overdue.
const CONTINUOUS_MODELS = ['falls-sensor'];

const heardAgain = (ctx: RuleContext, deviceId: string) =>
  ctx.clear(`device:${deviceId}`, 'device_silent', 'the device was heard from again');

/** A continuous device (falls sensor) not heard from: falls would go undetected. */
export const deviceSilentRule: AlertRule = {
  name: 'device-silent',
  conditions: ['device_silent'],
  watches: { observations: 'all', deviceStatus: true, timer: true },
  async onObservation(ctx, accepted) {
    const deviceId = accepted.observation.deviceId;
    if (!deviceId.startsWith(STAFF_SOURCE_PREFIX)) await heardAgain(ctx, deviceId);
  },
  async onDeviceStatus(ctx, { status }) {
    await heardAgain(ctx, status.deviceId);
  },
  async onTick(ctx) {
    const rows = await ctx.sql.all<{
      deviceId: string;
      patientId: string;
      assignedAt: string;
      wardId: string | null;
      lastHeard: string | null;
      gatewayStatus: string | null;
    }>(
      `SELECT d.id AS "deviceId", a.patient_id AS "patientId", a.assigned_at AS "assignedAt", b.ward_id AS "wardId",
                da.last_heard_at AS "lastHeard", g.status_json AS "gatewayStatus"
           FROM devices d
           JOIN assignments a ON a.device_id = d.id
           JOIN patients p ON p.id = a.patient_id AND p.discharged_at IS NULL
           LEFT JOIN beds b ON b.id = p.bed_id
           LEFT JOIN device_activity da ON da.device_id = d.id
           LEFT JOIN gateways g ON g.id = d.last_gateway_id
          WHERE d.model IN (SELECT value FROM ${ctx.sql.dialect.jsonArrayValues('?')})`,
      [JSON.stringify(CONTINUOUS_MODELS)],
    );
    for (const r of rows) {
      const last = r.lastHeard && r.lastHeard > r.assignedAt ? r.lastHeard : r.assignedAt;
      if (ctx.at.getTime() - Date.parse(last) <= ctx.config.deviceSilentMs) continue;
      // One gateway alert, not one per device behind it.
      if (r.gatewayStatus && (JSON.parse(r.gatewayStatus) as { state: string }).state === 'offline') continue;
      await ctx.raise({
        subject: `device:${r.deviceId}`,
        condition: 'device_silent',
        patientId: r.patientId,
        wardId: r.wardId,
        deviceId: r.deviceId,
        priority: 'high',
        title: 'Falls sensor not heard from',
        message: `No signal from ${r.deviceId} since ${last}: falls would not be detected`,
        detail: { deviceId: r.deviceId, lastHeardAt: r.lastHeard },
      });
    }
  },
};
