/**
 * A fall must not wait behind a backlog. The server reads falls and help calls on a session of
 * their own (topic `urgent`), so when 50,000 routine readings have queued for it during an
 * outage, a fall that happened meanwhile raises its alert as soon as the server is back, long
 * before the backlog is through, and the backlog is still stored in full afterwards. (On the
 * routine topic the fall would wait behind all 50,000.)
 */
import type { RunningBroker } from '@wardline/broker';
import type { RunningServer } from '@wardline/server';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { testDatabaseEngine } from '@wardline/server/testing-database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchPayload,
  bpReading,
  connectGatewayClient,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
} from './support.js';

describe('urgent lane', () => {
  let broker: RunningBroker;
  let server: RunningServer | undefined;
  let gateway: MqttClient;
  const databasePath = join(tempDir('urgent'), 'wardline.db');

  beforeAll(async () => {
    broker = await startTestBroker();
    // A first start creates the server's two persistent sessions at the broker.
    const first = await startTestServer(broker.port, databasePath);
    await waitUntil(() => first.context.mqttConnected(), 'both MQTT sessions');
    await first.close();
    gateway = await connectGatewayClient(broker.port);
  });

  afterAll(async () => {
    await gateway?.endAsync(true);
    await server?.close();
    await broker?.close();
  });

  it('carries a fall past a backlog of routine readings, and still stores the whole backlog', async () => {
    // While the server is down, 50,000 routine readings queue for it at the broker. With the records
    // in PostgreSQL ingest stores each reading in several round trips (about 470 µs a reading before
    // alert rules against 106 µs on SQLite; batching them per group is the next step), so that run
    // queues 10,000: the fall must still overtake the backlog the same way.
    const batches = testDatabaseEngine() === 'postgres' ? 100 : 500;
    const perBatch = 100;
    const total = batches * perBatch;
    await Promise.all(
      Array.from({ length: batches }, () =>
        gateway.publishAsync(
          'wardline/v1/site-e2e/gw-1/obs',
          batchPayload(...Array.from({ length: perBatch }, () => bpReading())),
          { qos: 1 },
        ),
      ),
    );

    // Then someone falls, still while the server is down: the fall queues too, on its own lane.
    const fall = {
      id: randomUUID(),
      deviceId: 'e2:00:00:00:01:01',
      kind: 'fall',
      measuredAt: new Date().toISOString(),
      seq: 1_000_000,
      values: { confidence: { value: 93, unit: '%' } },
    };
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/urgent', batchPayload(fall), { qos: 1 });

    const startedAt = Date.now();
    server = await startTestServer(broker.port, databasePath);
    const running = server;
    const stored = async () =>
      (await running.context.sql.get<{ n: number }>(
        "SELECT count(*) AS n FROM observations WHERE kind = 'blood_pressure'",
      ))!.n;
    let storedWhenFallStored = -1;
    let fallStoredAt = 0;
    let polling = true;
    // The alert is the first thing the server does with the fall; timed at the store, not at a
    // socket that can only join once the server is up. One query, so that the count is the one
    // committed with the alert (another batch could commit between two).
    const poll = (async () => {
      while (polling && !fallStoredAt) {
        const row = (await running.context.sql.get<{ fall: number; n: number }>(
          `SELECT CASE WHEN EXISTS (SELECT 1 FROM alerts WHERE condition = 'fall' AND device_id = ?) THEN 1 ELSE 0 END AS fall,
                  (SELECT count(*) FROM observations WHERE kind = 'blood_pressure') AS n`,
          [fall.deviceId],
        ))!;
        if (row.fall === 1) {
          fallStoredAt = Date.now();
          storedWhenFallStored = row.n;
        } else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const fallSentAt = startedAt;
    const fallArrivedAt = () => fallStoredAt;
    const storedWhenFallArrived = () => storedWhenFallStored;
    try {
      await waitUntil(() => fallArrivedAt() > 0, 'the fall alert', 20_000);
    } finally {
      polling = false;
      await poll;
    }
    console.log(
      `fall queued behind ${total} readings during a server outage: alert ${fallArrivedAt() - fallSentAt} ms ` +
        `after the server started, ${total - storedWhenFallArrived()} readings still to store`,
    );
    expect(storedWhenFallArrived()).toBeLessThan(total / 2);
    expect(fallArrivedAt() - fallSentAt).toBeLessThan(3000);
    await waitUntil(async () => (await stored()) === total, 'the whole backlog stored', 60_000);
  }, 90_000);
});
