import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { OBSERVATION_KINDS, type PatientSummary, type StoredObservation } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { canSeePatient, requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';

const HistoryQuery = Type.Object({
  kind: Type.Optional(Type.Union(OBSERVATION_KINDS.map((k) => Type.Literal(k)))),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
});
const PatientParams = Type.Object({ patientId: Type.String({ maxLength: 128 }) });

export async function patientRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { wards, observations } = app.wardline;
  const anyone = requireRole('nurse', 'admin', 'family');

  app.get('/api/patients', { preHandler: anyone }, async (request): Promise<PatientSummary[]> => {
    const all = wards.listPatients();
    const user = request.user!;
    return all.filter((p) => canSeePatient(user, p.id));
  });

  app.get(
    '/api/patients/:patientId',
    { preHandler: anyone, schema: { params: PatientParams } },
    async (request): Promise<PatientSummary> => {
      if (!canSeePatient(request.user!, request.params.patientId)) throw new Errors.forbidden();
      const patient = wards.patient(request.params.patientId);
      if (!patient) throw new Errors.notFound('patient');
      return patient;
    },
  );

  app.get(
    '/api/patients/:patientId/observations',
    { preHandler: anyone, schema: { params: PatientParams, querystring: HistoryQuery } },
    async (request): Promise<StoredObservation[]> => {
      const { patientId } = request.params;
      if (!canSeePatient(request.user!, patientId)) throw new Errors.forbidden();
      if (!wards.patient(patientId)) throw new Errors.notFound('patient');
      const { kind, from, to, limit } = request.query;
      // Stored times are ISO strings in UTC; normalise the bounds so string order is time order.
      return observations.history({
        patientId,
        limit,
        ...(kind ? { kind } : {}),
        ...(from ? { from: new Date(from).toISOString() } : {}),
        ...(to ? { to: new Date(to).toISOString() } : {}),
      });
    },
  );
}
