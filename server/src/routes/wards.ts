import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { BedState, Ward, WardNews2 } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ROLES, organisationOf, wardInScope } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';
import type { ServerContext } from '../context.js';

/** Assembles every bed of a ward with its resident, latest readings, devices and gateway. */
export async function bedStates(ctx: ServerContext, wardId: string): Promise<BedState[]> {
  const beds = await ctx.wards.beds(wardId);
  const patientIds = beds.flatMap((b) => (b.patientId ? [b.patientId] : []));
  const latest = await ctx.observations.latestByPatient(patientIds);
  const devices = await ctx.devices.devicesOfPatients(patientIds);
  const fallsRisk = await ctx.bp.fallsRisk(patientIds);
  const gateways = new Map((await ctx.devices.gatewaysOfWard(wardId)).map((g) => [g.id, g]));
  return Promise.all(
    beds.map(async (bed) => {
      const bedDevices = bed.patientId ? (devices.get(bed.patientId) ?? []) : [];
      const gatewayId = bedDevices.find((d) => d.gatewayId)?.gatewayId ?? null;
      return {
        bedId: bed.bedId,
        label: bed.label,
        wardId: bed.wardId,
        patient: bed.patientId
          ? {
              id: bed.patientId,
              displayName: bed.displayName ?? '',
              wardId: bed.wardId,
              bedId: bed.bedId,
              bedLabel: bed.label,
            }
          : null,
        latest: bed.patientId ? (latest.get(bed.patientId) ?? {}) : {},
        devices: bedDevices,
        gateway: gatewayId ? { id: gatewayId, status: gateways.get(gatewayId)?.status ?? null } : null,
        news2: bed.patientId ? await ctx.alerting.news2(bed.patientId) : null,
        fallsRisk: bed.patientId ? (fallsRisk.get(bed.patientId) ?? null) : null,
      };
    }),
  );
}

export async function wardRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const staff = requireRole(...ROLES.staff);

  app.get(
    '/api/wards',
    { onRequest: staff },
    async (request): Promise<Ward[]> =>
      await ctx.wards.listWards({ organisationId: organisationOf(request), wardIds: request.user!.wardIds }),
  );

  app.get(
    '/api/wards/:wardId/beds',
    { onRequest: staff, schema: { params: Type.Object({ wardId: Type.String({ maxLength: 128 }) }) } },
    async (request): Promise<BedState[]> => {
      await wardInScope(ctx, request.user!, request.params.wardId);
      return await bedStates(ctx, request.params.wardId);
    },
  );

  app.get(
    '/api/wards/:wardId/news2',
    { onRequest: staff, schema: { params: Type.Object({ wardId: Type.String({ maxLength: 128 }) }) } },
    async (request): Promise<WardNews2> => {
      const { wardId } = request.params;
      await wardInScope(ctx, request.user!, wardId);
      const scores: WardNews2['scores'] = {};
      for (const bed of await ctx.wards.beds(wardId))
        if (bed.patientId) scores[bed.patientId] = await ctx.alerting.news2(bed.patientId);
      return { wardId, scores };
    },
  );
}
