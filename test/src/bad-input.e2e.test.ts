/** Bad input over the real broker: every kind is rejected with a reason, and the server carries on. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { RunningBroker } from '@wardline/broker';
import type { DeadLetter, Health, StoredObservation } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import {
  apiGet,
  batchPayload,
  bpReading,
  connectGatewayClient,
  signIn,
  startTestBroker,
  startTestServer,
  waitUntil,
} from './support.js';

describe('bad input end to end', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let gateway: MqttClient;
  let baseUrl: string;
  let admin: string;
  const topic = 'wardline/v1/site-e2e/gw-1/obs';

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port);
    baseUrl = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    gateway = await connectGatewayClient(broker.port);
    admin = await signIn(baseUrl, 'admin');
  });
  afterAll(async () => {
    await gateway?.endAsync();
    await server?.close();
    await broker?.close();
  });

  it('dead-letters each malformed message with its code, counts it, stays up, and stores the next good one', async () => {
    const kpa = bpReading();
    const cases: [string, string | Buffer][] = [
      ['MALFORMED_JSON', '{"v":1,"observations":[{"id":'],
      [
        'SCHEMA_VIOLATION',
        JSON.stringify({
          v: 1,
          sentAt: new Date().toISOString(),
          observations: [{ kind: 'blood_pressure' }],
        }),
      ],
      ['UNKNOWN_DEVICE', batchPayload(bpReading('ee:ee:ee:ee:ee:ee'))],
      ['PAYLOAD_TOO_LARGE', Buffer.alloc(300 * 1024, 0x7b)],
      [
        'WRONG_UNIT',
        batchPayload({
          ...kpa,
          values: { systolic: { value: 17.5, unit: 'kPa' }, diastolic: { value: 11.2, unit: 'kPa' } },
        }),
      ],
    ];
    for (const [, payload] of cases) await gateway.publishAsync(topic, payload, { qos: 1 });

    const letters = await waitUntil(async () => {
      const list = await apiGet<DeadLetter[]>(baseUrl, '/api/dead-letters', admin);
      return list.length >= cases.length ? list : null;
    }, 'dead letters');
    expect(letters.map((d) => d.code).reverse()).toEqual(cases.map(([code]) => code));
    expect(letters.every((d) => d.topic === topic && d.detail.length > 0)).toBe(true);
    expect(letters.find((d) => d.code === 'PAYLOAD_TOO_LARGE')!.payloadBytes).toBe(300 * 1024);

    const metrics = await (await fetch(`${baseUrl}/metrics`)).text();
    for (const [code] of cases) expect(metrics).toContain(`wardline_rejections_total{code="${code}"} 1`);

    const good = bpReading();
    await gateway.publishAsync(topic, batchPayload(good), { qos: 1 });
    const nurse = await signIn(baseUrl, 'nurse');
    await waitUntil(
      async () =>
        (await apiGet<StoredObservation[]>(baseUrl, '/api/patients/ward-e2e-p001/observations', nurse)).some(
          (s) => s.observation.id === good.id,
        ),
      'the good reading after the bad ones',
    );
    const health = (await (await fetch(`${baseUrl}/api/health`)).json()) as Health;
    expect(health).toMatchObject({ status: 'ok', ingest: { rejected: cases.length } });
  });
});
