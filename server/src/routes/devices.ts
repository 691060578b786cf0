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
import { requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';

const DeviceParams = Type.Object({ deviceId: Type.String({ pattern: DEVICE_ID_PATTERN }) });

export async function deviceRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { devices, wards, bedChanges } = app.wardline;
  const staff = requireRole('nurse', 'admin');
  const admin = requireRole('admin');

  app.get('/api/devices', { onRequest: staff }, async (): Promise<DeviceState[]> => devices.list());

  app.post(
    '/api/devices',
    {
      onRequest: admin,
      schema: { body: DeviceRegistration },
    },
    async (request, reply) => {
      const { deviceId, model, siteCode, gatewayCode } = request.body;
      // `staff:` ids mark observations entered by staff (see the alerting manual-observation route).
      if (deviceId.startsWith('staff:'))
        throw new Errors.conflict('device ids starting with "staff:" are reserved');
      if (devices.exists(deviceId)) throw new Errors.conflict(`device ${deviceId} is already registered`);
      devices.registerDevice(deviceId, model, siteCode, gatewayCode ?? null);
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
      if (!devices.pinToGateway(deviceId, gatewayCode)) throw new Errors.notFound('device');
      request.log.info({ deviceId, gatewayCode, by: request.user!.username }, 'device gateway pin changed');
      return { deviceId, gatewayCode };
    },
  );

  app.get('/api/gateways', { onRequest: staff }, async () => devices.listGateways());

  app.get('/api/assignments', { onRequest: staff }, async (): Promise<Assignment[]> =>
    devices.listAssignments(),
  );

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
      if (!devices.exists(deviceId)) throw new Errors.notFound('device');
      if (!wards.patient(request.body.patientId)) throw new Errors.notFound('patient');
      const at = new Date().toISOString();
      const by = request.user!.username;
      const previousPatient = devices.route(deviceId)?.patientId ?? null;
      devices.assign(deviceId, request.body.patientId, by, at);
      request.log.info({ deviceId, by }, 'device assigned');
      for (const patientId of new Set([previousPatient, request.body.patientId])) {
        if (patientId) bedChanges.announce(wards, wards.patient(patientId)?.bedId ?? null);
      }
      return { deviceId, patientId: request.body.patientId, assignedAt: at, assignedBy: by };
    },
  );

  app.delete(
    '/api/devices/:deviceId/assignment',
    { onRequest: admin, schema: { params: DeviceParams } },
    async (request, reply) => {
      const patientId = devices.route(request.params.deviceId)?.patientId ?? null;
      const removed = devices.unassign(
        request.params.deviceId,
        request.user!.username,
        new Date().toISOString(),
      );
      if (!removed) throw new Errors.notFound('assignment');
      if (patientId) bedChanges.announce(wards, wards.patient(patientId)?.bedId ?? null);
      reply.code(204);
    },
  );
}
