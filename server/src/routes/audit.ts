import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AuditQuery, type AuditEvent } from '@wardline/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import Type from 'typebox';
import { AUDIT_CSV_HEADER, auditCsvRow, csvRows } from '../audit/csv.js';
import { ROLES } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';

const AuditExportQuery = Type.Omit(AuditQuery, ['limit', 'before']);

/** The filters a search used, for its own audit event: ids and dates only. */
function filtersOf(query: Partial<AuditQuery>) {
  return Object.fromEntries(
    (['patientId', 'actor', 'action', 'from', 'to'] as const)
      .filter((key) => query[key] !== undefined)
      .map((key) => [key, query[key]]),
  );
}

/**
 * The audit trail, to admins of an organisation (their organisation's events) and to operators
 * (their own: events with no organisation and no patient). Searching and exporting are themselves
 * recorded.
 */
export async function auditRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { audit } = app.wardline;
  const auditors = requireRole(...ROLES.admin, ...ROLES.operator);
  const scope = (request: FastifyRequest) => request.user!.organisationId ?? null;

  app.get(
    '/api/audit',
    { onRequest: auditors, schema: { querystring: AuditQuery } },
    async (request): Promise<AuditEvent[]> => {
      const events = await audit.search(scope(request), request.query);
      await audit.record(request, {
        action: 'audit.search',
        patientId: request.query.patientId ?? null,
        detail: { ...filtersOf(request.query), results: events.length },
      });
      return events;
    },
  );

  app.get(
    '/api/audit.csv',
    { onRequest: auditors, schema: { querystring: AuditExportQuery } },
    async (request, reply) => {
      const query = request.query;
      await audit.record(request, {
        action: 'audit.export',
        patientId: query.patientId ?? null,
        detail: filtersOf(query),
      });
      const pages = audit.pages(scope(request), query);
      // A page of rows per chunk, read only when the client takes the previous one.
      const body = Readable.from(
        (async function* () {
          yield csvRows([AUDIT_CSV_HEADER]);
          for await (const page of pages) yield csvRows(page.map(auditCsvRow));
        })(),
      );
      const day = new Date().toISOString().slice(0, 10);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="wardline-audit-${day}.csv"`)
        .header('cache-control', 'no-store')
        .send(body);
    },
  );
}
