/**
 * Ingest through RabbitMQ (the highly available shape): a gateway publishes over MQTT to a real
 * RabbitMQ node from Debian's package, its MQTT plugin puts each message on a quorum queue, and two
 * server replicas on one PostgreSQL consume the queues as competing consumers, acknowledging each
 * group after its commit. Each reading reaches one replica and is stored once; a fall is alerted
 * once; a nurse on either replica sees it all. A message no replica ever manages to store (each
 * consumer that took it stopped) leaves the queue after the delivery limit and is kept as a dead
 * letter, not handed round for ever.
 */
import type { AlertEvent } from '@wardline/protocol';
import { assertTopology, DELIVERY_LIMIT, READINGS_QUEUE, type RunningServer } from '@wardline/server';
import { testPostgres } from '@wardline/server/testing-postgres';
import amqp from 'amqplib';
import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRabbitCluster, type RabbitCluster } from './cluster/rabbitmq.js';
import {
  batchPayload,
  bpReading,
  joinWardSocket,
  signIn,
  startTestServer,
  tempDir,
  waitUntil,
  type WardSocket,
} from './support.js';

const OBS_ROUTING_KEY = 'wardline.v1.site-e2e.gw-1.obs';

describe('ingest through RabbitMQ, two replicas consuming its quorum queues', () => {
  let rabbit: RabbitCluster;
  const servers: RunningServer[] = [];
  const sockets: WardSocket[] = [];
  let gateway: MqttClient;
  let poison: ReturnType<typeof bpReading>;
  let poisonDeliveries = 0;

  beforeAll(async () => {
    rabbit = await startRabbitCluster({ nodes: 1 });
    const node = rabbit.nodes[0]!;

    // Before any replica runs: a reading that every consumer taking it drops unacknowledged, as a
    // replica killed by it would.
    const connection = await amqp.connect(node.amqpUrl);
    const channel = await connection.createChannel();
    await assertTopology(channel);
    poison = bpReading('e2:00:00:00:00:01', 150);
    channel.publish('amq.topic', OBS_ROUTING_KEY, Buffer.from(batchPayload(poison)), { persistent: true });
    for (let attempt = 0; attempt < DELIVERY_LIMIT * 2; attempt++) {
      const message = await channel.get(READINGS_QUEUE, { noAck: false });
      if (!message) break;
      poisonDeliveries++;
      channel.nack(message, false, true);
    }
    await connection.close();

    const databaseUrl = await (await testPostgres()).createDatabase();
    const amqpUrl = `amqp://127.0.0.1:${node.amqpPort}`;
    for (const name of ['a', 'b']) {
      const server = await startTestServer(0, join(tempDir(`rabbit-replica-${name}`), 'unused.db'), {
        config: {
          databaseUrl,
          mqtt: {
            url: node.mqttUrl,
            clientId: `wardline-server-${name}`,
            // The test cluster's built-in user; production answers through Wardline's HTTP auth backend.
            username: 'guest',
            password: 'guest',
            amqpUrls: [amqpUrl],
          },
        },
      });
      servers.push(server);
      await waitUntil(() => server.context.mqttConnected(), `replica ${name} consuming`);
    }
    for (const server of servers) {
      const base = `http://127.0.0.1:${server.port}`;
      sockets.push(await joinWardSocket(base, await signIn(base, 'nurse'), 'ward-e2e'));
    }
    gateway = await mqtt.connectAsync(node.mqttUrl, {
      clientId: `site-e2e.gw-1:${randomUUID().slice(0, 8)}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
  }, 180_000);

  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await gateway?.endAsync(true);
    for (const server of servers) await server.close();
    await rabbit?.stop();
  });

  it('keeps a message no replica could store as a dead letter once the delivery limit is reached', async () => {
    // The queue stopped handing it out at the limit (a quorum queue counts returned deliveries).
    expect(poisonDeliveries).toBeGreaterThanOrEqual(DELIVERY_LIMIT);
    expect(poisonDeliveries).toBeLessThanOrEqual(DELIVERY_LIMIT + 1);
    const records = servers[0]!.context.sql;
    const letter = await waitUntil(
      () =>
        records.get<{ code: string; detail: string; topic: string }>(
          `SELECT code, detail, topic FROM dead_letters WHERE payload LIKE ?`,
          [`%${poison.id}%`],
        ),
      'the dead-lettered message among the dead letters',
      30_000,
    );
    expect(letter).toEqual({
      code: 'PROCESSING_FAILED',
      detail: expect.stringContaining(`delivered ${DELIVERY_LIMIT} times`),
      topic: 'wardline/v1/site-e2e/gw-1/obs',
    });
    // Set aside, not handled: what stopped every replica that took it is not tried again.
    const stored = await records.get<{ n: number }>(`SELECT count(*) AS n FROM observations WHERE id = ?`, [
      poison.id,
    ]);
    expect(stored?.n).toBe(0);
  });

  it('spreads readings over the replicas, stores each once, alerts a fall once, shows all on both', async () => {
    const seen = sockets.map(() => new Map<string, number>());
    const alerts = sockets.map(() => [] as AlertEvent[]);
    sockets.forEach((socket, i) => {
      socket.on('observations', ({ observations }) => {
        for (const { observation } of observations)
          seen[i]!.set(observation.id, (seen[i]!.get(observation.id) ?? 0) + 1);
      });
      socket.on('alert', (event) => alerts[i]!.push(event));
    });
    const before = servers.map((s) => s.context.metrics.counters.accepted);

    const readings = Array.from({ length: 200 }, (_, i) => bpReading('e2:00:00:00:00:01', 120 + (i % 10)));
    await Promise.all(
      Array.from({ length: readings.length / 2 }, (_, i) =>
        gateway.publishAsync(
          'wardline/v1/site-e2e/gw-1/obs',
          batchPayload(...readings.slice(i * 2, i * 2 + 2)),
          {
            qos: 1,
          },
        ),
      ),
    );
    const fall = {
      id: randomUUID(),
      deviceId: 'e2:00:00:00:01:01',
      kind: 'fall',
      measuredAt: new Date().toISOString(),
      seq: 2_000_000,
      values: { confidence: { value: 91, unit: '%' } },
    };
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/urgent', batchPayload(fall), { qos: 1 });

    await waitUntil(
      () => seen.every((ids) => readings.every((r) => ids.has(r.id))) && alerts.every((a) => a.length > 0),
      'every reading and the fall alert on both replicas’ sockets',
      60_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // a late duplicate push would show by now

    const records = servers[0]!.context.sql;
    const stored = await records.get<{ n: number; distinct: number }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS "distinct" FROM observations WHERE id IN (SELECT value FROM ${records.dialect.jsonArrayValues('?')})`,
      [JSON.stringify(readings.map((r) => r.id))],
    );
    expect(stored).toEqual({ n: 200, distinct: 200 });
    const fallAlerts = await records.all<{ id: number }>(
      "SELECT id FROM alerts WHERE condition = 'fall' AND device_id = ?",
      [fall.deviceId],
    );
    expect(fallAlerts).toHaveLength(1);

    // Competing consumers: each message went to one replica, so no replica saw a duplicate and
    // both did part of the work.
    const accepted = servers.map((s, i) => s.context.metrics.counters.accepted - before[i]!);
    const duplicates = servers.map((s) => s.context.metrics.counters.duplicates);
    console.log(`RabbitMQ ingest: replicas stored ${accepted.join(' + ')} of 201 (200 readings and a fall)`);
    expect(accepted.reduce((a, b) => a + b, 0)).toBe(201);
    expect(accepted.every((n) => n > 0)).toBe(true);
    expect(duplicates).toEqual([0, 0]);
    for (const [i, ids] of seen.entries()) {
      expect(
        [...ids.values()].every((count) => count === 1),
        `replica ${i}: each reading once`,
      ).toBe(true);
      expect(alerts[i]!.filter((event) => event.alert.id === fallAlerts[0]!.id)).toHaveLength(1);
    }
  }, 90_000);
});
