import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ImportResult } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ROLES, organisationOf } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';
import { Errors } from '../errors.js';
import { importCsv } from '../onboarding/import.js';
import { importTemplate } from '../onboarding/template.js';

/** A care home of a few hundred residents is well under this; the app's limit elsewhere is 64 KiB. */
export const IMPORT_BODY_LIMIT = 1024 * 1024;

/** Bulk onboarding: the CSV template, and the import of beds, residents and devices (admins only). */
export async function importRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const ctx = app.wardline;
  const admin = requireRole(...ROLES.admin);

  // In this plugin only: the file arrives as it is saved, text/csv.
  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT },
    (_request, body, done) => done(null, body),
  );

  app.get('/api/import/template.csv', { onRequest: admin }, async (request, reply) => {
    organisationOf(request);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="wardline-import-template.csv"')
      .send(importTemplate());
  });

  app.post(
    '/api/import',
    {
      onRequest: admin,
      bodyLimit: IMPORT_BODY_LIMIT,
      schema: { querystring: Type.Object({ dryRun: Type.Boolean({ default: false }) }) },
    },
    async (request): Promise<ImportResult> => {
      const organisationId = organisationOf(request);
      if (typeof request.body !== 'string')
        throw new Errors.badRequest('send the CSV file as the body, with Content-Type text/csv');
      const { result, admittedBeds } = await importCsv(ctx, request.body, {
        organisationId,
        request,
        dryRun: request.query.dryRun,
      });
      // Stored imports are recorded with what they stored; a check or a refusal with its counts.
      if (!result.imported)
        await ctx.audit.record(request, {
          action: 'import.check',
          targetType: 'organisation',
          targetId: organisationId,
          detail: { rows: result.rows, errors: result.errors.length, dryRun: request.query.dryRun },
        });
      for (const bedId of admittedBeds) await ctx.bedChanges.announce(ctx.wards, bedId);
      return result;
    },
  );
}
