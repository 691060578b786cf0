import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { News2HistoryQuery, type News2History } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ROLES, patientInScope } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';

const DEFAULT_DAYS = 7;

/** A patient's NEWS2 changes over time, for the chart on the patient screen (staff only). */
export async function news2HistoryRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const staff = requireRole(...ROLES.staff);

  app.get(
    '/api/patients/:patientId/news2/history',
    {
      onRequest: staff,
      schema: {
        params: Type.Object({ patientId: Type.String({ maxLength: 128 }) }),
        querystring: News2HistoryQuery,
      },
    },
    async (request): Promise<News2History> => {
      const { patientId } = request.params;
      await patientInScope(ctx, request.user!, patientId);
      const from =
        request.query.from !== undefined
          ? new Date(request.query.from).toISOString()
          : new Date(Date.now() - DEFAULT_DAYS * 86_400_000).toISOString();
      await ctx.audit.recordForPatient(request, 'patient.news2.history.view', patientId);
      return { patientId, from, entries: await ctx.news2History.list(patientId, from) };
    },
  );
}
