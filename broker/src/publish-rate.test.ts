/**
 * One gateway floods PUBLISHes over a real socket: the broker takes them in at its rate limit
 * (pausing reading, dropping nothing), while another gateway's readings still arrive promptly.
 * Measured rates and latencies are printed.
 */
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from './broker.js';
import { hashPassword } from './password.js';
import type { UserEntry } from './users.js';

const ROUTINE = { perSecond: 50, burst: 50 };
const URGENT = { perSecond: 10, burst: 5 };
const cheap = { N: 1024, r: 8, p: 1 };

let broker: RunningBroker;
const clients: MqttClient[] = [];

beforeAll(async () => {
  const users: UserEntry[] = [
    { username: 'server', passwordHash: await hashPassword('server-secret', cheap), role: 'server' },
    ...(await Promise.all(
      ['a.g1', 'a.g2'].map(async (username, index) => ({
        username,
        passwordHash: await hashPassword(`${username}-secret`, cheap),
        role: 'gateway' as const,
        site: 'site-a',
        gateway: `gw-${index + 1}`,
      })),
    )),
  ];
  broker = await startBroker({
    users,
    host: '127.0.0.1',
    port: 0,
    healthPort: 0,
    publishRates: { routine: ROUTINE, urgent: URGENT },
    logger: pino({ level: 'silent' }),
  });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true)));
  await broker?.close();
});

async function connect(username: string, clientId = username): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
    username,
    password: `${username}-secret`,
    clientId,
    reconnectPeriod: 0,
  });
  clients.push(client);
  return client;
}

/** The server side: when each payload arrived, in order of arrival. */
async function listen(): Promise<Map<string, number>> {
  const server = await connect('server', 'wardline-server-rate-test');
  const arrivals = new Map<string, number>();
  server.on('message', (_topic, payload) => arrivals.set(payload.toString(), performance.now()));
  await server.subscribeAsync(['wardline/v1/+/+/obs', 'wardline/v1/+/+/urgent'], { qos: 1 });
  return arrivals;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('publish rate limit per gateway connection', () => {
  it("caps a flooding gateway's rate, loses none of its messages, and lets another gateway through promptly", async () => {
    const arrivals = await listen();
    const flooder = await connect('a.g1');
    const neighbour = await connect('a.g2');

    const FLOOD = 300;
    const flood = Array.from({ length: FLOOD }, (_, n) => `flood-${n}`);
    const started = performance.now();
    // All at once: mqtt.js writes them without waiting for acknowledgements.
    const acknowledged = Promise.all(
      flood.map((payload) => flooder.publishAsync('wardline/v1/site-a/gw-1/obs', payload, { qos: 1 })),
    );

    const latencies: number[] = [];
    let throttledSeen = 0;
    for (let n = 0; n < 20; n++) {
      const payload = `neighbour-${n}`;
      const sent = performance.now();
      await neighbour.publishAsync('wardline/v1/site-a/gw-2/obs', payload, { qos: 1 });
      await waitFor(() => arrivals.has(payload), payload, 5000);
      latencies.push(arrivals.get(payload)! - sent);
      throttledSeen = Math.max(throttledSeen, broker.health().throttledClients);
      await sleep(50);
    }
    const windowMs = 2000;
    await sleep(Math.max(0, started + windowMs - performance.now()));
    const inWindow = flood.filter(
      (payload) => (arrivals.get(payload) ?? Infinity) <= started + windowMs,
    ).length;

    await acknowledged;
    await waitFor(() => flood.every((payload) => arrivals.has(payload)), 'every flood message', 15_000);
    const floodMs = Math.max(...flood.map((payload) => arrivals.get(payload)!)) - started;
    const order = [...arrivals.keys()].filter((payload) => payload.startsWith('flood-'));
    const health = broker.health();

    console.log(
      `[publish-rate] ${FLOOD} publishes flooded at once with a limit of ${ROUTINE.perSecond}/s, burst ` +
        `${ROUTINE.burst}: ${inWindow} delivered in the first ${windowMs} ms, all ${FLOOD} after ` +
        `${Math.round(floodMs)} ms (${Math.round((FLOOD * 1000) / floodMs)}/s); the other gateway's ` +
        `readings meanwhile: median ${Math.round(median(latencies))} ms, max ${Math.round(Math.max(...latencies))} ms`,
    );
    // At most the burst plus the rate over the window (with a quarter for timer slack).
    expect(inWindow).toBeLessThanOrEqual(ROUTINE.burst + (ROUTINE.perSecond * windowMs * 1.25) / 1000);
    expect(floodMs).toBeGreaterThanOrEqual((((FLOOD - ROUTINE.burst) / ROUTINE.perSecond) * 1000) / 1.25);
    expect(Math.max(...latencies)).toBeLessThan(500);
    expect(throttledSeen).toBe(1);
    // Held back, not dropped: every one acknowledged and delivered, in the order sent.
    expect(order).toEqual(flood);
    expect(flooder.connected).toBe(true);
    expect(health.refusals.total).toBe(0);
    expect(health.throttledClients).toBe(0);
  }, 30_000);

  it('gives falls and help calls their own, smaller bucket', async () => {
    const arrivals = await listen();
    const flooder = await connect('a.g1');
    const urgent = Array.from({ length: 25 }, (_, n) => `urgent-${n}`);
    const started = performance.now();
    await Promise.all(
      urgent.map((payload) => flooder.publishAsync('wardline/v1/site-a/gw-1/urgent', payload, { qos: 1 })),
    );
    const urgentMs = performance.now() - started;
    await waitFor(() => urgent.every((payload) => arrivals.has(payload)), 'every urgent message', 10_000);
    console.log(
      `[publish-rate] 25 urgent publishes at once with a limit of ${URGENT.perSecond}/s, burst ${URGENT.burst}: ` +
        `all acknowledged after ${Math.round(urgentMs)} ms`,
    );
    expect(urgentMs).toBeGreaterThanOrEqual((((25 - URGENT.burst) / URGENT.perSecond) * 1000) / 1.25);
  }, 30_000);
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
