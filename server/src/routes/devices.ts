import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  DEVICE_ID_PATTERN,
  DeviceGatewayPin,
  DeviceRegistration,
  type Assignment,
  type DeviceState,
} from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ROLES, deviceInScope, organisationOf, patientInScope } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';

const DeviceParams = Type.Object({ deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }) });

export async function deviceRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const { devices, wards, bedChanges, places, audit } = ctx;
  const staff = requireRole(...ROLES.staff);
  const admin = requireRole(...ROLES.admin);

  app.get('/api/devices', { onRequest: staff }, async (request): Promise<DeviceState[]> => {
    const own = await places.deviceIdsOf(organisationOf(request));
    return (await devices.list()).filter((d) => own.has(d.deviceId));
  });

  app.post(
    '/api/devices',
    {
      onRequest: admin,
      schema: { body: DeviceRegistration },
    },
    async (request, reply) => {
      const { deviceId, model, siteCode, gatewayCode } = request.body;
      const organisationId = organisationOf(request);
      // A site code is the organisation's own, or new (then it becomes one of its sites).
      const site = await places.siteByCode(siteCode);
      if (site && site.organisationId !== organisationId) throw new Errors.notFound('site');
      if (site?.closedAt) throw new Errors.conflict('the site is closed');
      // `staff:` ids mark observations entered by staff (see the alerting manual-observation route).
      if (deviceId.startsWith('staff:'))
        throw new Errors.conflict('device ids starting with "staff:" are reserved');
      if (await devices.exists(deviceId))
        throw new Errors.conflict(`device ${deviceId} is already registered`);
      await ctx.sql.transaction(async () => {
        if (!site)
          await places.createSite(organisationId, { name: siteCode, kind: 'care_home', code: siteCode });
        await devices.registerDevice(deviceId, model, siteCode, gatewayCode ?? null);
      });
      await audit.record(request, { action: 'device.register', targetType: 'device', targetId: deviceId });
      request.log.info(
        { deviceId, siteCode, gatewayCode: gatewayCode ?? null, by: request.user!.username },
        'device registered',
      );
      reply.code(201);
      return { deviceId };
    },
  );

  // Pinning: a device that lives in one home is accepted only from that home's gateway.
  app.put(
    '/api/devices/:deviceId/gateway',
    { onRequest: admin, schema: { params: DeviceParams, body: DeviceGatewayPin } },
    async (request) => {
      const { deviceId } = request.params;
      const { gatewayCode } = request.body;
      await deviceInScope(ctx, request.user!, deviceId);
      if (!(await devices.pinToGateway(deviceId, gatewayCode))) throw new Errors.notFound('device');
      await audit.record(request, { action: 'device.pin', targetType: 'device', targetId: deviceId });
      request.log.info({ deviceId, gatewayCode, by: request.user!.username }, 'device gateway pin changed');
      return { deviceId, gatewayCode };
    },
  );

  app.get('/api/gateways', { onRequest: staff }, async (request) => {
    const codes = await places.siteCodesOf(organisationOf(request));
    return (await devices.listGateways()).filter((g) => codes.has(g.siteCode));
  });

  app.get('/api/assignments', { onRequest: staff }, async (request): Promise<Assignment[]> => {
    const own = await places.deviceIdsOf(organisationOf(request));
    return (await devices.listAssignments()).filter((a) => own.has(a.deviceId));
  });

  app.put(
    '/api/devices/:deviceId/assignment',
    {
      onRequest: admin,
      schema: {
        params: DeviceParams,
        body: Type.Object({ patientId: Type.String({ maxLength: 128 }) }, { additionalProperties: false }),
      },
    },
    async (request): Promise<Assignment> => {
      const { deviceId } = request.params;
      await deviceInScope(ctx, request.user!, deviceId);
      await patientInScope(ctx, request.user!, request.body.patientId);
      const at = new Date().toISOString();
      const by = request.user!.username;
      const previousPatient = (await devices.route(deviceId))?.patientId ?? null;
      await devices.assign(deviceId, request.body.patientId, by, at);
      request.log.info({ deviceId, by }, 'device assigned');
      await audit.record(request, {
        action: 'device.assign',
        patientId: request.body.patientId,
        targetType: 'device',
        targetId: deviceId,
      });
      for (const patientId of new Set([previousPatient, request.body.patientId])) {
        if (patientId) await bedChanges.announce(wards, (await wards.patient(patientId))?.bedId ?? null);
      }
      return { deviceId, patientId: request.body.patientId, assignedAt: at, assignedBy: by };
    },
  );

  app.delete(
    '/api/devices/:deviceId/assignment',
    { onRequest: admin, schema: { params: DeviceParams } },
    async (request, reply) => {
      const patientId = (await deviceInScope(ctx, request.user!, request.params.deviceId)).patientId;
      const removed = await devices.unassign(
        request.params.deviceId,
        request.user!.username,
        new Date().toISOString(),
      );
      if (!removed) throw new Errors.notFound('assignment');
      await audit.record(request, {
        action: 'device.unassign',
        patientId,
        targetType: 'device',
        targetId: request.params.deviceId,
      });
      if (patientId) await bedChanges.announce(wards, (await wards.patient(patientId))?.bedId ?? null);
      reply.code(204);
    },
  );
}
