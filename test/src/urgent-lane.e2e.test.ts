/**
 * A fall must not wait behind a backlog. The server reads falls and help calls on a session of
 * their own (topic `urgent`), so when thousands of routine readings are queued for it (a
 * reconnect storm, a restart) a fall still reaches the nurse's screen at once, and the backlog
 * is still stored in full afterwards.
 */
import type { RunningBroker } from '@wardline/broker';
import type { RunningServer } from '@wardline/server';
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchPayload,
  bpReading,
  connectGatewayClient,
  joinWardSocket,
  signIn,
  startTestBroker,
  startTestServer,
  waitUntil,
  type WardSocket,
} from './support.js';

describe('urgent lane', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let gateway: MqttClient;
  let socket: WardSocket;
  let baseUrl: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port);
    baseUrl = `http://127.0.0.1:${server.port}`;
    socket = await joinWardSocket(baseUrl, await signIn(baseUrl, 'nurse'), 'ward-e2e');
    gateway = await connectGatewayClient(broker.port);
  });

  afterAll(async () => {
    socket?.close();
    await gateway?.endAsync(true);
    await server?.close();
    await broker?.close();
  });

  it('carries a fall past a backlog of routine readings, and still stores the whole backlog', async () => {
    let routinePushed = 0;
    let pushedWhenFallArrived = -1;
    let fallArrivedAt = 0;
    socket.on('observation', (e) => {
      if (e.observation.kind === 'blood_pressure') routinePushed++;
    });
    socket.on('alert', (e) => {
      if (e.type === 'opened' && e.alert.condition === 'fall') {
        fallArrivedAt = Date.now();
        pushedWhenFallArrived = routinePushed;
      }
    });

    const batches = 500;
    const perBatch = 100;
    const acked = Array.from({ length: batches }, () =>
      gateway.publishAsync(
        'wardline/v1/site-e2e/gw-1/obs',
        batchPayload(...Array.from({ length: perBatch }, () => bpReading())),
        { qos: 1 },
      ),
    );
    const fall = {
      id: randomUUID(),
      deviceId: 'e2:00:00:00:01:01',
      kind: 'fall',
      measuredAt: new Date().toISOString(),
      seq: 1_000_000,
      values: { confidence: { value: 93, unit: '%' } },
    };
    // The broker has the whole backlog (and queued it for the server) before the fall happens.
    await Promise.all(acked);
    const fallSentAt = Date.now();
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/urgent', batchPayload(fall), { qos: 1 });

    await waitUntil(() => fallArrivedAt > 0, 'the fall alert', 20_000);
    const total = batches * perBatch;
    console.log(
      `fall through a backlog of ${total} readings: ${fallArrivedAt - fallSentAt} ms, ` +
        `${pushedWhenFallArrived} routine readings ahead of it`,
    );
    expect(pushedWhenFallArrived).toBeLessThan(total);
    expect(fallArrivedAt - fallSentAt).toBeLessThan(1000);
    await waitUntil(() => routinePushed === total, 'the whole backlog on the socket', 60_000);
  }, 90_000);
});
