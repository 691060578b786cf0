/**
 * A broker restart while the server is away: readings the broker acknowledged before the
 * restart, and readings published after it but before the server is back, all reach the server
 * exactly once. This needs the broker's durable data directory; in memory they would be lost.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '@wardline/broker';
import type { RunningServer } from '@wardline/server';
import {
  batchPayload,
  bpReading,
  brokerUsers,
  connectGatewayClient,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
} from './support.js';

const OBS = 'wardline/v1/site-e2e/gw-1/obs';

describe('broker restart', () => {
  let broker: RunningBroker | undefined;
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.close();
    await broker?.close();
  });

  async function publish(port: number, count: number) {
    const gateway = await connectGatewayClient(port);
    const readings = Array.from({ length: count }, () => bpReading('e2:00:00:00:00:02'));
    for (let i = 0; i < readings.length; i += 10) {
      await gateway.publishAsync(OBS, batchPayload(...readings.slice(i, i + 10)), { qos: 1 });
    }
    await gateway.endAsync();
    return readings;
  }

  it('delivers everything acknowledged before and after the restart, once each', async () => {
    const users = await brokerUsers();
    const dataDir = join(tempDir('broker-data'), 'broker');
    const databasePath = join(tempDir('broker-restart'), 'wardline.db');
    broker = await startTestBroker(users, { dataDir });
    server = await startTestServer(broker.port, databasePath);
    await waitUntil(() => server!.context.mqttConnected(), 'first server session');
    await server.close();
    server = undefined;

    const beforeRestart = await publish(broker.port, 100);
    const port = broker.port;
    await broker.close();
    broker = await startTestBroker(users, { dataDir, port });
    const afterRestart = await publish(broker.port, 100);

    server = await startTestServer(broker.port, databasePath);
    const expected = [...beforeRestart, ...afterRestart].map((r) => r.id);
    const { sql } = server.context;
    const count = async () =>
      (await sql.get<{ n: number }>(
        `SELECT count(*) AS n FROM observations WHERE id IN (SELECT value FROM ${sql.dialect.jsonArrayValues('?')})`,
        [JSON.stringify(expected)],
      ))!.n;
    await waitUntil(
      async () => (await count()) === expected.length,
      'all 200 readings at the server',
      15_000,
    );
    const total = await sql.get<{ n: number }>('SELECT count(*) AS n FROM observations');
    expect(total?.n).toBe(expected.length);
  });
});
