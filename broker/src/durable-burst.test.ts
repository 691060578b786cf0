/**
 * Group commit (coalescing-level.ts) under a burst: many gateways each fire hundreds of QoS 1
 * publishes at once, without waiting for one PUBACK before the next. Every publish is
 * acknowledged, the online server gets every one, and what was queued for it while it was away
 * is still there after the broker restarts on the same data directory (real aedes, real LevelDB).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from './broker.js';
import { connectPersistent, siteUsers, UNLIMITED_PUBLISH_RATES } from './testing/site-users.js';
import type { UserEntry } from './users.js';

const GATEWAYS = 5;
const PER_GATEWAY = 200;

let users: UserEntry[];
let parent: string;
let dataDir: string;
let broker: RunningBroker | undefined;
const clients: MqttClient[] = [];

beforeAll(async () => {
  users = await siteUsers(GATEWAYS);
  parent = await mkdtemp(join(tmpdir(), 'wardline-broker-burst-'));
  dataDir = join(parent, 'broker');
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true)));
  await broker?.close();
  await rm(parent, { recursive: true, force: true });
});

const start = (port = 0) =>
  startBroker({
    users,
    host: '127.0.0.1',
    port,
    healthPort: 0,
    dataDir,
    publishRates: UNLIMITED_PUBLISH_RATES,
    logger: pino({ level: 'silent' }),
  });

async function connect(username: string, password: string, clientId: string) {
  const session = await connectPersistent(broker!.port, username, password, clientId);
  clients.push(session.client);
  return session;
}

/** Every gateway publishes its share at once; resolves with the payloads acknowledged. */
async function burst(tag: string): Promise<string[]> {
  const gateways = await Promise.all(
    Array.from({ length: GATEWAYS }, (_, i) => connect(`a.g${i + 1}`, `g${i + 1}-secret`, `a.g${i + 1}`)),
  );
  const acked = await Promise.all(
    gateways.flatMap(({ client }, i) =>
      Array.from({ length: PER_GATEWAY }, (_, n) => {
        const payload = `${tag}-g${i + 1}-${n}`;
        return client
          .publishAsync(`wardline/v1/site-a/gw-${i + 1}/obs`, payload, { qos: 1 })
          .then(() => payload);
      }),
    ),
  );
  await Promise.all(gateways.map(({ client }) => client.endAsync()));
  return acked;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const missing = (expected: string[], received: string[]) => {
  const seen = new Set(received);
  return expected.filter((payload) => !seen.has(payload));
};

describe('a burst of concurrent QoS 1 publishes on the durable broker', () => {
  it('acknowledges every one, delivers every one, and keeps what is queued across a restart', async () => {
    broker = await start();
    const online = await connect('wardline-server', 'server-secret', 'wardline-server');
    await online.client.subscribeAsync('wardline/v1/+/+/obs', { qos: 1 });

    const live = await burst('live');
    expect(live).toHaveLength(GATEWAYS * PER_GATEWAY);
    await waitFor(() => missing(live, online.received).length === 0, 'every live reading at the server');
    await online.client.endAsync();

    const queued = await burst('queued');
    expect(queued).toHaveLength(GATEWAYS * PER_GATEWAY);

    const port = broker.port;
    await broker.close();
    broker = await start(port);

    const resumed = await connect('wardline-server', 'server-secret', 'wardline-server');
    expect(resumed.sessionPresent).toBe(true);
    await waitFor(
      () => missing(queued, resumed.received).length === 0,
      'every reading queued before the restart at the server',
    );
    expect(missing(queued, resumed.received)).toEqual([]);
  });
});
