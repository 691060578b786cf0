import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  BpTreatmentRequest,
  PosturalTestRequest,
  type BpReport,
  type PosturalStatus,
  type PosturalTest,
} from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ROLES, patientInScope } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';
import { posturalProblems } from '../clinical/bp/postural.js';
import { bpReport, bpReportCsv } from '../clinical/bp/report.js';
import { fallsRiskOf } from '../clinical/bp/repository.js';
import { Errors } from '../errors.js';

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 14;
const MAX_DAYS = 92;
const MAX_READINGS = 20_000;

const PatientParams = Type.Object({ patientId: Type.String({ maxLength: 128 }) });
const ReportQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
});

/** NICE NG136 blood-pressure management: the home-monitoring report, treatment, postural tests. */
export async function bpRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const repo = ctx.bp;
  const staff = requireRole(...ROLES.staff);
  const clinicalLead = requireRole(...ROLES.clinicalLead);

  app.get(
    '/api/patients/:patientId/bp-report',
    { onRequest: staff, schema: { params: PatientParams, querystring: ReportQuery } },
    async (request, reply) => {
      const { patientId } = request.params;
      await patientInScope(ctx, request.user!, patientId);
      const q = request.query;
      const to = q.to ? new Date(q.to) : new Date();
      const from = q.from ? new Date(q.from) : new Date(to.getTime() - DEFAULT_DAYS * DAY_MS);
      if (!(from < to)) throw new Errors.badRange('from must be before to');
      if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS)
        throw new Errors.badRange(`at most ${MAX_DAYS} days in one report`);
      const history = await ctx.observations.history({
        patientId,
        kind: 'blood_pressure',
        from: from.toISOString(),
        to: to.toISOString(),
        limit: MAX_READINGS,
      });
      const observations = history.map((s) => s.observation);
      const report: BpReport = bpReport({
        patientId,
        from,
        to,
        dateOfBirth: (await ctx.patients.record(patientId))?.dateOfBirth ?? null,
        treated: await repo.treated(patientId),
        observations,
      });
      const csv = q.format === 'csv';
      await ctx.audit.recordForPatient(
        request,
        csv ? 'patient.bp_report.export' : 'patient.bp_report.view',
        patientId,
        {
          from: report.from,
          to: report.to,
        },
      );
      if (!csv) return report;
      reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="${patientId.replace(/[^\w-]/g, '_')}-bp-report.csv"`,
        );
      return bpReportCsv(report);
    },
  );

  app.put(
    '/api/patients/:patientId/bp-treatment',
    { onRequest: clinicalLead, schema: { params: PatientParams, body: BpTreatmentRequest } },
    async (request) => {
      const { patientId } = request.params;
      await patientInScope(ctx, request.user!, patientId);
      await repo.setTreated(
        patientId,
        request.body.treated,
        request.user!.username,
        new Date().toISOString(),
      );
      await ctx.audit.recordForPatient(request, 'patient.bp_treatment.update', patientId, {
        treated: request.body.treated,
      });
      return { treated: await repo.treated(patientId) };
    },
  );

  app.get(
    '/api/patients/:patientId/postural-tests',
    { onRequest: staff, schema: { params: PatientParams } },
    async (request): Promise<PosturalStatus> => {
      const { patientId } = request.params;
      await patientInScope(ctx, request.user!, patientId);
      const tests = await repo.posturalTests(patientId);
      await ctx.audit.recordForPatient(request, 'patient.postural_tests.view', patientId);
      const latest = tests[0] ?? null;
      return { patientId, latest, atRiskOfFalls: latest?.positive ?? false, tests };
    },
  );

  app.post(
    '/api/patients/:patientId/postural-tests',
    { onRequest: staff, schema: { params: PatientParams, body: PosturalTestRequest } },
    async (request, reply): Promise<PosturalTest> => {
      const { patientId } = request.params;
      await patientInScope(ctx, request.user!, patientId);
      const problems = posturalProblems(request.body);
      if (problems.length > 0) throw new Errors.badRequest(problems.join('; '));
      const test = await repo.addPosturalTest(
        patientId,
        request.body,
        request.user!.username,
        new Date().toISOString(),
      );
      await ctx.audit.recordForPatient(request, 'patient.postural_test.record', patientId, {
        testId: test.id,
        positive: test.positive,
      });
      // The bed's falls-risk flag follows the latest test: pushed to the ward at once.
      await ctx.bedChanges.announceFallsRisk(ctx.wards, patientId, fallsRiskOf(test));
      reply.code(201);
      return test;
    },
  );
}
