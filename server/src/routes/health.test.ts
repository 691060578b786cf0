import type { Health } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { testContext } from '../testing.js';

describe('health and metrics tell the truth about ingest', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  let clock = Date.parse('2026-11-29T12:00:00Z');

  beforeEach(async () => {
    ctx = await testContext();
    ctx.metrics = createIngestMetrics({ now: () => clock, stallAfterMs: 10_000 });
    ctx.mqttConnected = () => true;
    app = await buildApp({ context: ctx });
  });
  afterEach(async () => {
    await app.close();
  });

  const health = async () => {
    const res = await app.inject({ method: 'GET', url: '/api/health' });
    return { code: res.statusCode, body: res.json() as Health };
  };
  const metrics = async () => (await app.inject({ method: 'GET', url: '/metrics' })).body;

  it('is ok while sessions are connected and keep up, also with nothing to do', async () => {
    const main = ctx.metrics.monitor.session('wardline-server');
    main.connected();
    main.received();
    clock += 60_000; // idle time after the last message is not lag
    main.completed(1);
    clock += 60_000;
    expect(await health()).toMatchObject({ code: 200, body: { status: 'ok', reasons: [] } });
    expect(await metrics()).toContain('wardline_ingest_stalled{session="wardline-server"} 0');
  });

  it('is degraded, in words, when ingest stalls while messages wait', async () => {
    const main = ctx.metrics.monitor.session('wardline-server');
    main.connected();
    for (let i = 0; i < 340; i++) main.received();
    main.completed(1);
    clock += 9_000;
    expect((await health()).code).toBe(200);
    clock += 3_000;
    const { code, body } = await health();
    expect(code).toBe(503);
    expect(body.status).toBe('degraded');
    expect(body.reasons).toEqual([
      'ingest on wardline-server has not progressed for 12 s while 339 messages wait',
    ]);
    expect(body.mqtt.sessions).toEqual([
      expect.objectContaining({ session: 'wardline-server', waiting: 339, lagSeconds: 12, stalled: true }),
    ]);
    const text = await metrics();
    expect(text).toContain('wardline_ingest_stalled{session="wardline-server"} 1');
    expect(text).toContain('wardline_ingest_waiting{session="wardline-server"} 339');
    expect(text).toContain('wardline_ingest_lag_seconds{session="wardline-server"} 12');
    // Progress clears it.
    main.completed(339);
    expect(await health()).toMatchObject({ code: 200, body: { status: 'ok' } });
  });

  it('is degraded while the broker refuses a session, and while storage fails', async () => {
    const urgent = ctx.metrics.monitor.session('wardline-server-urgent');
    urgent.refused(2, 'Identifier rejected', 4000);
    clock += 5_000;
    urgent.refused(2, 'Identifier rejected', 8000);
    const main = ctx.metrics.monitor.session('wardline-server');
    main.connected();
    main.received();
    main.storageFailed('SQLITE_FULL');
    main.contentFailed();
    clock += 3_000;
    const { code, body } = await health();
    expect(code).toBe(503);
    expect(body.reasons).toEqual([
      'MQTT session wardline-server-urgent refused by broker: identifier rejected (CONNACK code 2), 2 times in 8 s; retrying every 8 s',
      'storage failing (SQLITE_FULL) for 3 s: wardline-server holds 1 messages unacknowledged',
    ]);
    expect(body.ingest).toMatchObject({ contentFailures: 1, storageFailures: 1 });
    const text = await metrics();
    expect(text).toContain('wardline_mqtt_refused{session="wardline-server-urgent"} 1');
    expect(text).toContain('wardline_mqtt_refusals_total{session="wardline-server-urgent"} 2');
    expect(text).toContain('wardline_ingest_storage_failing{session="wardline-server"} 1');
    expect(text).toContain('wardline_ingest_content_failures_total{session="wardline-server"} 1');
    urgent.connected();
    main.completed(1);
    expect(await health()).toMatchObject({ code: 200, body: { status: 'ok', reasons: [] } });
  });

  it('is degraded while a session is disconnected or not connected yet', async () => {
    ctx.mqttConnected = () => false;
    const main = ctx.metrics.monitor.session('wardline-server');
    expect((await health()).body.reasons).toEqual(['MQTT session wardline-server not connected yet (0 s)']);
    main.connected();
    main.disconnected();
    clock += 7_000;
    const { code, body } = await health();
    expect(code).toBe(503);
    expect(body.reasons).toEqual(['MQTT session wardline-server disconnected from the broker for 7 s']);
  });
});
