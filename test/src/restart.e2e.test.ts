/** QoS 1 readings published while the server is down are stored exactly once when it returns. */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '@wardline/broker';
import type { StoredObservation } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import {
  apiGet,
  batchPayload,
  bpReading,
  connectGatewayClient,
  signIn,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
} from './support.js';

describe('server restart', () => {
  let broker: RunningBroker;
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.close();
    await broker?.close();
  });

  it('stores every reading published during the outage exactly once', async () => {
    broker = await startTestBroker();
    const databasePath = join(tempDir('restart'), 'wardline.db');
    server = await startTestServer(broker.port, databasePath);
    await waitUntil(() => server!.context.mqttConnected(), 'first MQTT session');
    await server.close();
    server = undefined;

    const gateway = await connectGatewayClient(broker.port);
    const readings = Array.from({ length: 60 }, (_, i) => bpReading('e2:00:00:00:00:02', 100 + i));
    for (let i = 0; i < readings.length; i += 6) {
      await gateway.publishAsync('wardline/v1/site-e2e/gw-1/obs', batchPayload(...readings.slice(i, i + 6)), {
        qos: 1,
      });
    }
    // A gateway that never saw some PUBACKs sends them again: the server must not double them.
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/obs', batchPayload(...readings.slice(0, 6)), {
      qos: 1,
    });
    await gateway.endAsync();

    server = await startTestServer(broker.port, databasePath);
    const baseUrl = `http://127.0.0.1:${server.port}`;
    const nurse = await signIn(baseUrl, 'nurse');
    const history = () =>
      apiGet<StoredObservation[]>(baseUrl, '/api/patients/ward-e2e-p002/observations?limit=1000', nurse);
    await waitUntil(async () => {
      const list = await history();
      return list.length >= readings.length ? list : null;
    }, 'all readings after restart');
    await waitUntil(() => server!.context.metrics.counters.duplicates >= 6, 'the resent batch');
    const ids = (await history()).map((s) => s.observation.id);
    expect(ids).toHaveLength(readings.length);
    expect(new Set(ids)).toEqual(new Set(readings.map((r) => r.id)));
  });
});
