import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  HISTORY_RANGES,
  HISTORY_WINDOWS,
  OBSERVATION_KINDS,
  type History,
  type HistoryRange,
} from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { ROLES, patientInScope } from '../auth/access.js';
import { requireRole } from '../auth/plugin.js';
import { requireClinicalDetail } from '../auth/family-consent.js';
import { Errors } from '../errors.js';
import { queryHistory, WINDOW_MS, type HistoryRequest } from '../timeseries/store.js';

const RANGE_MS: Record<HistoryRange, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};
const MAX_WINDOWS = 10_000;

const literals = (values: readonly string[]) => Type.Union(values.map((v) => Type.Literal(v)));

const HistoryQuerystring = Type.Object({
  kind: literals(OBSERVATION_KINDS),
  /** A chart range ending at `to` (default now); picks a window unless one is given. */
  range: Type.Optional(literals(Object.keys(HISTORY_RANGES))),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  window: Type.Optional(literals(['raw', ...HISTORY_WINDOWS])),
  format: Type.Optional(literals(['json', 'csv'])),
  limit: Type.Integer({ minimum: 1, maximum: 100_000, default: 10_000 }),
});
const PatientParams = Type.Object({ patientId: Type.String({ maxLength: 128 }) });

function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a header row; each value column names its component and UCUM unit. */
export function historyCsv(history: History): string {
  const rows: (string | number | null | undefined)[][] = [];
  if (history.points) {
    rows.push(['time', 'device_id', 'seq', ...history.fields.map((f) => `${f.name} [${f.ucum}]`)]);
    for (const p of history.points)
      rows.push([p.time, p.deviceId, p.seq, ...history.fields.map((f) => p.values[f.name])]);
  } else {
    rows.push([
      'window_start',
      'readings',
      ...history.fields.flatMap((f) => [
        `${f.name}_mean [${f.ucum}]`,
        `${f.name}_min [${f.ucum}]`,
        `${f.name}_max [${f.ucum}]`,
        `${f.name}_count`,
      ]),
    ]);
    for (const w of history.windows ?? []) {
      rows.push([
        w.start,
        w.readings,
        ...history.fields.flatMap((f) => {
          const s = w.values[f.name];
          return [s?.mean, s?.min, s?.max, s?.count ?? 0];
        }),
      ]);
    }
  }
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** History for charts: raw points or downsampled windows, as JSON or CSV. */
export async function historyRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const anyone = requireRole(...ROLES.patientViewers);

  app.get(
    '/api/patients/:patientId/history',
    { onRequest: anyone, schema: { params: PatientParams, querystring: HistoryQuerystring } },
    async (request, reply) => {
      const { patientId } = request.params;
      await patientInScope(app.wardline, request.user!, patientId);
      await requireClinicalDetail(app.wardline.alerting.contacts, request.user!, patientId);
      const q = request.query;
      const range = q.range as HistoryRange | undefined;
      const to = q.to ? Date.parse(q.to) : Date.now();
      const from = q.from ? Date.parse(q.from) : to - RANGE_MS[range ?? '24h'];
      const window = (q.window ?? (range ? HISTORY_RANGES[range] : 'raw')) as HistoryRequest['window'];
      if (!(from < to)) throw new Errors.badRange('from must be before to');
      if (window !== 'raw' && (to - from) / WINDOW_MS[window] > MAX_WINDOWS)
        throw new Errors.badRange(`more than ${MAX_WINDOWS} windows of ${window}: pick a larger window`);

      let history: History;
      try {
        history = await queryHistory(app.wardline.timeSeries, {
          patientId,
          kind: q.kind,
          from,
          to,
          window,
          limit: q.limit,
        });
      } catch (err) {
        request.log.error({ err: (err as Error).message }, 'history query failed');
        throw new Errors.timeSeriesUnavailable((err as Error).message);
      }
      const wantsCsv = q.format === 'csv' || (!q.format && request.headers.accept?.includes('text/csv'));
      await app.wardline.audit.recordForPatient(
        request,
        wantsCsv ? 'patient.history.export' : 'patient.history.view',
        patientId,
        { kind: q.kind, window },
      );
      if (!wantsCsv) return history;
      reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="${patientId.replace(/[^\w-]/g, '_')}-${q.kind}-${window}.csv"`,
        );
      return historyCsv(history);
    },
  );
}
