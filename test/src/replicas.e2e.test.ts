/**
 * Two server replicas on one PostgreSQL, both subscribed to one broker (each with its own MQTT
 * sessions, so each receives every reading): every reading is stored once, a fall raises one
 * alert, and a nurse connected to either replica sees each reading and the alert exactly once,
 * whichever replica stored it (socket.io's PostgreSQL adapter carries it across); so does a family
 * member, within their consent.
 */
import type { RunningBroker } from '@wardline/broker';
import type { AlertEvent } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import { testPostgres } from '@wardline/server/testing-postgres';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  batchPayload,
  bpReading,
  connectGatewayClient,
  joinWardSocket,
  SERVER_MQTT_PASSWORD,
  signIn,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
  type WardSocket,
} from './support.js';

describe('two server replicas on one PostgreSQL', () => {
  let broker: RunningBroker;
  const servers: RunningServer[] = [];
  const sockets: WardSocket[] = [];
  const families: WardSocket[] = [];
  let gateway: MqttClient;

  beforeAll(async () => {
    const databaseUrl = await (await testPostgres()).createDatabase();
    broker = await startTestBroker();
    // One after the other: the first seeds the demo ward, the second finds it there.
    for (const name of ['a', 'b']) {
      const server = await startTestServer(broker.port, join(tempDir(`replica-${name}`), 'unused.db'), {
        config: {
          databaseUrl,
          mqtt: {
            url: `mqtt://127.0.0.1:${broker.port}`,
            clientId: `wardline-server-${name}`,
            username: 'wardline-server',
            password: SERVER_MQTT_PASSWORD,
          },
        },
      });
      servers.push(server);
      await waitUntil(() => server.context.mqttConnected(), `replica ${name}'s MQTT sessions`);
    }
    for (const server of servers) {
      const base = `http://127.0.0.1:${server.port}`;
      sockets.push(await joinWardSocket(base, await signIn(base, 'nurse'), 'ward-e2e'));
      // The demo family member: the first resident's, consenting to arrivals without clinical detail.
      const family: WardSocket = io(base, {
        auth: { token: await signIn(base, 'family') },
        transports: ['websocket'],
        reconnection: false,
      });
      await new Promise<void>((resolve, reject) => {
        family.once('connect', () => resolve());
        family.once('connect_error', reject);
      });
      families.push(family);
    }
    gateway = await connectGatewayClient(broker.port);
  }, 120_000);

  afterAll(async () => {
    for (const socket of [...sockets, ...families]) socket.disconnect();
    await gateway?.endAsync(true);
    for (const server of servers) await server.close();
    await broker?.close();
  });

  it('stores each reading once and shows it, and one fall alert, once on each replica’s sockets', async () => {
    const seen = sockets.map(() => new Map<string, number>());
    const alerts = sockets.map(() => [] as AlertEvent[]);
    const arrivals = families.map(() => [] as string[]);
    families.forEach((family, i) =>
      family.on('readingArrived', (event) => arrivals[i]!.push(event.measuredAt)),
    );
    sockets.forEach((socket, i) => {
      socket.on('observations', ({ observations }) => {
        for (const { observation } of observations)
          seen[i]!.set(observation.id, (seen[i]!.get(observation.id) ?? 0) + 1);
      });
      socket.on('alert', (event) => alerts[i]!.push(event));
    });

    const readings = Array.from({ length: 40 }, (_, i) => bpReading('e2:00:00:00:00:01', 120 + (i % 10)));
    for (let i = 0; i < readings.length; i += 4)
      await gateway.publishAsync('wardline/v1/site-e2e/gw-1/obs', batchPayload(...readings.slice(i, i + 4)), {
        qos: 1,
      });
    const fall = {
      id: randomUUID(),
      deviceId: 'e2:00:00:00:01:01',
      kind: 'fall',
      measuredAt: new Date().toISOString(),
      seq: 1_000_000,
      values: { confidence: { value: 93, unit: '%' } },
    };
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/urgent', batchPayload(fall), { qos: 1 });

    const records = servers[0]!.context.sql;
    await waitUntil(
      () =>
        seen.every((ids) => readings.every((r) => ids.has(r.id))) &&
        alerts.every((a) => a.length > 0) &&
        arrivals.every((a) => a.length >= readings.length),
      'every reading and the fall alert on both replicas’ sockets, and each arrival on both family sockets',
      30_000,
    );
    // Both replicas handled every message; give a late duplicate push the time to show.
    await waitUntil(
      async () =>
        servers.every(
          (server) =>
            server.context.metrics.counters.duplicates + server.context.metrics.counters.accepted >= 40,
        ),
      'both replicas to have handled every reading',
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    const ids = readings.map((r) => r.id);
    const stored = await records.get<{ n: number; distinct: number }>(
      `SELECT count(*) AS n, count(DISTINCT id) AS "distinct" FROM observations WHERE id IN (SELECT value FROM ${records.dialect.jsonArrayValues('?')})`,
      [JSON.stringify(ids)],
    );
    expect(stored).toEqual({ n: 40, distinct: 40 });
    const fallAlerts = await records.all<{ id: number }>(
      "SELECT id FROM alerts WHERE condition = 'fall' AND device_id = ?",
      [fall.deviceId],
    );
    expect(fallAlerts).toHaveLength(1);
    // Between them the replicas stored each reading and the fall once; the other copy was a duplicate.
    const accepted = servers.map((server) => server.context.metrics.counters.accepted);
    console.log(
      `two replicas: stored ${accepted.join(' + ')} of the 41 readings (40 and the fall), each shown once on both`,
    );
    expect(accepted.reduce((a, b) => a + b, 0)).toBe(41);
    for (const [i, ids] of seen.entries()) {
      expect(
        [...ids.values()].every((count) => count === 1),
        `replica ${i}: each reading once`,
      ).toBe(true);
      expect(alerts[i]!.filter((event) => event.alert.id === fallAlerts[0]!.id)).toHaveLength(1);
      // The family member hears of each reading once, wherever it was stored (the fall reaches them
      // as an alert, not as a reading).
      expect(arrivals[i], `family on replica ${i}`).toHaveLength(readings.length);
    }
  }, 60_000);

  it('after PostgreSQL restarts, each replica tells its screens to reload what they may have missed', async () => {
    // While PostgreSQL is down, what one replica broadcasts never reaches the others' sockets.
    const resyncs = sockets.map(() => 0);
    sockets.forEach((socket, i) => socket.on('resync', () => resyncs[i]!++));
    const postgres = await testPostgres();
    await postgres.stop();
    await postgres.start();
    await waitUntil(
      () => resyncs.every((n) => n > 0),
      'a resync on both replicas’ sockets once their link to each other is back',
      30_000,
    );
    expect(resyncs).toEqual([1, 1]);
    // The link carries live updates again: a reading stored by one replica reaches both screens.
    const seen = sockets.map(() => new Set<string>());
    sockets.forEach((socket, i) =>
      socket.on('observations', ({ observations }) => {
        for (const { observation } of observations) seen[i]!.add(observation.id);
      }),
    );
    const reading = bpReading('e2:00:00:00:00:01', 124);
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/obs', batchPayload(reading), { qos: 1 });
    await waitUntil(
      () => seen.every((ids) => ids.has(reading.id)),
      'the next reading on both screens',
      30_000,
    );
  }, 90_000);
});
