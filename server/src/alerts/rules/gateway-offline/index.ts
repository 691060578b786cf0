import type { AlertRule } from '../types.js';

/** A home gateway's last will standing past the grace period: nothing from its devices arrives. */
export const gatewayOfflineRule: AlertRule = {
  name: 'gateway-offline',
  conditions: ['gateway_offline'],
  watches: { gatewayStatus: true, timer: true },
  async onGatewayStatus(ctx, gateway) {
    if (gateway.status.state === 'online')
      await ctx.clear(`gateway:${gateway.gatewayId}`, 'gateway_offline', 'the gateway is back online');
  },
  async onTick(ctx) {
    const rows = await ctx.sql.all<{
      id: string;
      wardId: string | null;
      status: string | null;
      statusAt: string | null;
    }>(`SELECT id, ward_id AS "wardId", status_json AS status, status_at AS "statusAt" FROM gateways`);
    for (const r of rows) {
      if (!r.status || !r.statusAt) continue;
      if ((JSON.parse(r.status) as { state: string }).state !== 'offline') continue;
      if (ctx.at.getTime() - Date.parse(r.statusAt) < ctx.config.gatewayOfflineGraceMs) continue;
      await ctx.raise({
        subject: `gateway:${r.id}`,
        condition: 'gateway_offline',
        patientId: null,
        wardId: r.wardId,
        gatewayId: r.id,
        priority: 'high',
        title: 'Home gateway offline',
        message: `Gateway ${r.id} went offline at ${r.statusAt}: no readings or falls from its devices`,
        detail: { gatewayId: r.id, offlineSince: r.statusAt },
      });
    }
  },
};
