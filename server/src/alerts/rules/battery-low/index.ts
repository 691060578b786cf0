import type { AlertRule } from '../types.js';

/** A device's battery at or below the patient's threshold; clears 10 points above it (hysteresis). */
export const batteryLowRule: AlertRule = {
  name: 'battery-low',
  conditions: ['battery_low'],
  watches: { deviceStatus: true },
  async onDeviceStatus(ctx, { status, patientId, wardId }) {
    const battery = status.battery?.value;
    if (battery === undefined || !patientId) return;
    const t = await ctx.thresholds.forPatient(patientId);
    if (battery <= t.batteryLow) {
      await ctx.raise({
        subject: `device:${status.deviceId}`,
        condition: 'battery_low',
        patientId,
        wardId,
        deviceId: status.deviceId,
        priority: 'low',
        title: 'Device battery low',
        message: `Battery ${battery} % on ${status.deviceId}`,
        detail: { battery, deviceId: status.deviceId },
      });
    } else if (battery >= t.batteryLow + 10) {
      await ctx.clear(`device:${status.deviceId}`, 'battery_low', `battery at ${battery} %`);
    }
  },
};
