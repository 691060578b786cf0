/**
 * Right after a broker restart (durable sessions in a data directory), a gateway's credentials
 * raced the server for its client ids and took over its stored sessions and queued readings: the
 * in-memory binding of ids to users had not survived the restart. The rule now follows from the
 * identity alone, so it holds from the first CONNECT.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from './broker.js';
import { siteUsers } from './testing/site-users.js';
import type { UserEntry } from './users.js';

const OBS = 'wardline/v1/site-a/gw-1/obs';
const URGENT = 'wardline/v1/site-a/gw-1/urgent';
let users: UserEntry[];
let parent: string;
let dataDir: string;
let broker: RunningBroker | undefined;
const clients: MqttClient[] = [];

beforeAll(async () => {
  users = await siteUsers(1);
  parent = await mkdtemp(join(tmpdir(), 'wardline-broker-restart-'));
  dataDir = join(parent, 'broker');
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.endAsync(true)));
  await broker?.close();
  await rm(parent, { recursive: true, force: true });
});

const start = (port = 0) =>
  startBroker({ users, host: '127.0.0.1', port, healthPort: 0, dataDir, logger: pino({ level: 'silent' }) });

interface Session {
  client: MqttClient;
  sessionPresent: boolean;
  received: string[];
}

function open(username: string, password: string, options: IClientOptions): Promise<Session> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker!.port}`, {
    username,
    password,
    reconnectPeriod: 0,
    ...options,
  });
  clients.push(client);
  // Listening before CONNACK: queued messages may come in the same read.
  const received: string[] = [];
  client.on('message', (_topic, payload) => received.push(payload.toString()));
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) =>
      resolve({ client, sessionPresent: connack.sessionPresent, received }),
    );
    client.once('error', reject);
  });
}

const server = (clientId: string) => open('wardline-server', 'server-secret', { clientId, clean: false });

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('client ids after a broker restart', () => {
  it("refuses the server's ids to a gateway at once, and the server gets its sessions and queued readings", async () => {
    broker = await start();
    const routine = await server('wardline-server');
    await routine.client.subscribeAsync('wardline/v1/+/+/obs', { qos: 1 });
    const urgent = await server('wardline-server-urgent');
    await urgent.client.subscribeAsync('wardline/v1/+/+/urgent', { qos: 1 });
    await Promise.all([routine.client.endAsync(), urgent.client.endAsync()]);

    const gateway = await open('a.g1', 'g1-secret', { clientId: 'a.g1', clean: false });
    const readings = ['reading-1', 'reading-2', 'reading-3'];
    for (const payload of readings) await gateway.client.publishAsync(OBS, payload, { qos: 1 });
    await gateway.client.publishAsync(URGENT, 'fall-1', { qos: 1 });
    await gateway.client.endAsync();

    const port = broker.port;
    await broker.close();
    broker = await start(port);

    // The race the attacker won before: the gateway's credentials first, with the server's ids.
    const attempts = await Promise.all(
      ['wardline-server', 'wardline-server-urgent'].map((clientId) =>
        open('a.g1', 'g1-secret', { clientId, clean: false }).then(
          (session) => ({ connected: true, received: session.received }),
          (error: { code?: number }) => ({ connected: false, code: error.code }),
        ),
      ),
    );
    expect(attempts).toEqual([
      { connected: false, code: 2 },
      { connected: false, code: 2 },
    ]);
    expect(broker.health().refusals.byCode.CLIENT_ID_RESERVED).toBe(2);

    const resumed = await server('wardline-server');
    const resumedUrgent = await server('wardline-server-urgent');
    expect([resumed.sessionPresent, resumedUrgent.sessionPresent]).toEqual([true, true]);
    await waitFor(() => resumed.received.length >= readings.length, 'the queued readings');
    await waitFor(() => resumedUrgent.received.length >= 1, 'the queued fall');
    expect(resumed.received).toEqual(readings);
    expect(resumedUrgent.received).toEqual(['fall-1']);
  });

  it('keeps its data directory owner-only', async () => {
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
  });
});
