import type { Health, TimeSeriesHealth } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';

export const SERVER_VERSION = '0.1.0';

function timeSeriesMetrics(health: TimeSeriesHealth): string {
  const adapter = `adapter="${health.adapter}"`;
  return [
    '# HELP wardline_timeseries_spooled Readings waiting in the durable spool for InfluxDB.',
    '# TYPE wardline_timeseries_spooled gauge',
    `wardline_timeseries_spooled{${adapter}} ${health.spooled}`,
    '# HELP wardline_timeseries_spool_limit Spool size at which ingest stops acknowledging MQTT.',
    '# TYPE wardline_timeseries_spool_limit gauge',
    `wardline_timeseries_spool_limit{${adapter}} ${health.spoolLimit}`,
    '# HELP wardline_timeseries_spool_full 1 while the spool is full and ingest is held back.',
    '# TYPE wardline_timeseries_spool_full gauge',
    `wardline_timeseries_spool_full{${adapter}} ${health.state === 'full' ? 1 : 0}`,
    '# HELP wardline_timeseries_written_total Points confirmed by InfluxDB.',
    '# TYPE wardline_timeseries_written_total counter',
    `wardline_timeseries_written_total{${adapter}} ${health.written}`,
    '# HELP wardline_timeseries_write_failures_total Failed InfluxDB write attempts (retried).',
    '# TYPE wardline_timeseries_write_failures_total counter',
    `wardline_timeseries_write_failures_total{${adapter}} ${health.failures}`,
    '# HELP wardline_timeseries_rejected_total Points InfluxDB refused for their content (dead letters).',
    '# TYPE wardline_timeseries_rejected_total counter',
    `wardline_timeseries_rejected_total{${adapter}} ${health.rejected}`,
    '',
  ].join('\n');
}

/** Unauthenticated on purpose: load balancers and monitoring read it. It holds no personal data. */
export async function healthRoutes(app: FastifyInstance) {
  const { db, metrics, startedAt } = app.wardline;
  const ping = db.prepare('SELECT 1 AS ok');
  const databaseAnswers = (): boolean => {
    try {
      return (ping.get() as { ok: number }).ok === 1;
    } catch {
      return false;
    }
  };

  app.get('/api/health', { logLevel: 'warn' }, async (_request, reply): Promise<Health> => {
    const databaseOk = databaseAnswers();
    const mqttConnected = app.wardline.mqttConnected();
    const timeSeries = app.wardline.timeSeries.health();
    // A full spool means ingest is holding back acknowledgements: loud, not silent.
    const status = databaseOk && mqttConnected && timeSeries.state !== 'full' ? 'ok' : 'degraded';
    if (status !== 'ok') reply.code(503);
    return {
      status,
      version: SERVER_VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      mqtt: { connected: mqttConnected },
      database: { ok: databaseOk },
      ingest: {
        accepted: metrics.counters.accepted,
        duplicates: metrics.counters.duplicates,
        rejected: metrics.counters.rejected,
      },
      timeSeries,
    };
  });

  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.type('text/plain; version=0.0.4');
    return metrics.prometheus() + timeSeriesMetrics(app.wardline.timeSeries.health());
  });
}
