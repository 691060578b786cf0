import type { Health, TimeSeriesHealth } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { exposition, PROMETHEUS_CONTENT_TYPE } from '../metrics/registry.js';

export const SERVER_VERSION = '0.1.0';

/** Unauthenticated on purpose: load balancers and monitoring read it. It holds no personal data. */
export async function healthRoutes(app: FastifyInstance) {
  const { sql, metrics, startedAt } = app.wardline;
  const databaseAnswers = async (): Promise<boolean> => {
    try {
      return (await sql.get<{ ok: number }>('SELECT 1 AS ok'))?.ok === 1;
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
    const databaseOk = await databaseAnswers();
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
    reply.type(PROMETHEUS_CONTENT_TYPE);
    // Read at each scrape: a test may swap the ingest metrics after the app is built.
    const { metrics: ingest, webMetrics, serverMetrics } = app.wardline;
    return exposition([ingest.registry, webMetrics.registry, serverMetrics.registry]);
  });
}
