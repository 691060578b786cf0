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

  /** Why the server is not fully working, in words; empty when it is. */
  function degradedReasons(databaseOk: boolean, mqttConnected: boolean, timeSeries: TimeSeriesHealth) {
    const reasons: string[] = [];
    if (!databaseOk) reasons.push('database does not answer');
    const ingestReasons = metrics.monitor.reasons();
    reasons.push(...ingestReasons);
    if (!mqttConnected && ingestReasons.length === 0) reasons.push('not connected to the MQTT broker');
    // A full spool means ingest is holding back acknowledgements: loud, not silent.
    if (timeSeries.state === 'full') {
      reasons.push(
        `time-series spool full (${timeSeries.spooled} readings wait for InfluxDB): ingest holds acknowledgements`,
      );
    }
    return reasons;
  }

  app.get('/api/health', { logLevel: 'warn' }, async (_request, reply): Promise<Health> => {
    const databaseOk = databaseAnswers();
    const mqttConnected = app.wardline.mqttConnected();
    const timeSeries = app.wardline.timeSeries.health();
    const reasons = degradedReasons(databaseOk, mqttConnected, timeSeries);
    const status = reasons.length === 0 ? 'ok' : 'degraded';
    if (status !== 'ok') reply.code(503);
    const failures = metrics.monitor.totals();
    return {
      status,
      reasons,
      version: SERVER_VERSION,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      mqtt: { connected: mqttConnected, sessions: metrics.monitor.sessions() },
      database: { ok: databaseOk },
      ingest: {
        accepted: metrics.counters.accepted,
        duplicates: metrics.counters.duplicates,
        rejected: metrics.counters.rejected,
        contentFailures: failures.contentFailures,
        storageFailures: failures.storageFailures,
      },
      timeSeries,
    };
  });

  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.type('text/plain; version=0.0.4');
    return (
      metrics.prometheus() +
      timeSeriesMetrics(app.wardline.timeSeries.health()) +
      app.wardline.webMetrics.prometheus()
    );
  });
}
