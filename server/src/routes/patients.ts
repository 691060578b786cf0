import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  OBSERVATION_KINDS,
  type DeviceState,
  type PatientSummary,
  type StoredObservation,
} from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import Type from 'typebox';
import { canSeePatient, requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';

const HistoryQuery = Type.Object({
  kind: Type.Optional(Type.Union(OBSERVATION_KINDS.map((k) => Type.Literal(k)))),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
  order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' }),
});
const PatientParams = Type.Object({ patientId: Type.String({ maxLength: 128 }) });

const AdmitRequest = Type.Object(
  {
    displayName: Type.String({ minLength: 1, maxLength: 120 }),
    bedId: Type.String({ minLength: 1, maxLength: 128 }),
  },
  { additionalProperties: false },
);

export async function patientRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { db, wards, observations, devices, bedChanges } = app.wardline;
  const anyone = requireRole('nurse', 'admin', 'family');
  const admin = requireRole('admin');

  app.post(
    '/api/patients',
    { onRequest: admin, schema: { body: AdmitRequest } },
    async (request, reply): Promise<PatientSummary> => {
      const { displayName, bedId } = request.body;
      if (!wards.bedExists(bedId)) throw new Errors.notFound('bed');
      // A pseudonymous id: it travels to time-series stores and exports, so it must not identify anyone.
      const id = `p-${randomUUID()}`;
      db.transaction(() => {
        if (wards.bedOccupant(bedId)) throw new Errors.conflict(`bed ${bedId} is occupied`);
        wards.admit({ id, displayName, bedId, at: new Date().toISOString() });
      })();
      request.log.info({ patientId: id, bedId, by: request.user!.username }, 'patient admitted');
      bedChanges.announce(wards, bedId);
      reply.code(201);
      return wards.patient(id)!;
    },
  );

  app.post(
    '/api/patients/:patientId/discharge',
    { onRequest: admin, schema: { params: PatientParams } },
    async (request): Promise<PatientSummary> => {
      const { patientId } = request.params;
      if (!wards.patient(patientId)) throw new Errors.notFound('patient');
      const at = new Date().toISOString();
      const by = request.user!.username;
      const bedId = wards.patient(patientId)?.bedId ?? null;
      db.transaction(() => {
        if (!wards.discharge(patientId, at)) throw new Errors.conflict('patient is already discharged');
        // A discharged person's devices must not keep attributing readings to them.
        for (const deviceId of devices.devicesAssignedTo(patientId)) devices.unassign(deviceId, by, at);
      })();
      request.log.info({ patientId, by }, 'patient discharged');
      bedChanges.announce(wards, bedId);
      return wards.patient(patientId)!;
    },
  );

  app.get('/api/patients', { onRequest: anyone }, async (request): Promise<PatientSummary[]> => {
    const all = wards.listPatients();
    const user = request.user!;
    return all.filter((p) => canSeePatient(user, p.id));
  });

  app.get(
    '/api/patients/:patientId',
    { onRequest: anyone, schema: { params: PatientParams } },
    async (request): Promise<PatientSummary> => {
      if (!canSeePatient(request.user!, request.params.patientId)) throw new Errors.forbidden();
      const patient = wards.patient(request.params.patientId);
      if (!patient) throw new Errors.notFound('patient');
      return patient;
    },
  );

  app.get(
    '/api/patients/:patientId/devices',
    { onRequest: anyone, schema: { params: PatientParams } },
    async (request): Promise<DeviceState[]> => {
      const { patientId } = request.params;
      if (!canSeePatient(request.user!, patientId)) throw new Errors.forbidden();
      if (!wards.patient(patientId)) throw new Errors.notFound('patient');
      return devices.devicesOfPatients([patientId]).get(patientId) ?? [];
    },
  );

  app.get(
    '/api/patients/:patientId/observations',
    { onRequest: anyone, schema: { params: PatientParams, querystring: HistoryQuery } },
    async (request): Promise<StoredObservation[]> => {
      const { patientId } = request.params;
      if (!canSeePatient(request.user!, patientId)) throw new Errors.forbidden();
      if (!wards.patient(patientId)) throw new Errors.notFound('patient');
      const { kind, from, to, limit, order } = request.query;
      // Stored times are ISO strings in UTC; normalise the bounds so string order is time order.
      return observations.history({
        patientId,
        limit,
        newestFirst: order === 'desc',
        ...(kind ? { kind } : {}),
        ...(from ? { from: new Date(from).toISOString() } : {}),
        ...(to ? { to: new Date(to).toISOString() } : {}),
      });
    },
  );
}
