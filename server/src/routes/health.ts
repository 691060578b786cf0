import type { Health } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';

export const SERVER_VERSION = '0.1.0';

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
    const status = databaseOk && mqttConnected ? 'ok' : 'degraded';
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
    };
  });

  app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
    reply.type('text/plain; version=0.0.4');
    return metrics.prometheus();
  });
}
