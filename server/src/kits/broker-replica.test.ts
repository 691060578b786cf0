/**
 * The broker's credential replica against the real Wardline app (its credentials feed over HTTP on
 * 127.0.0.1) and a real broker: kits registered, rotated and revoked through the API are admitted
 * and refused without a broker restart, and a broker restarted while the server is down still
 * admits the hubs it knew.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CredentialReplica, hashPassword, startBroker, type RunningBroker } from '@wardline/broker';
import type { KitCredentialsResponse } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { signInToken, testContext } from '../testing.js';

const SYNC_TOKEN = 'broker-sync-token-for-tests-0123456789';
const silent = pino({ level: 'silent' });

let ctx: ServerContext;
let app: FastifyInstance;
let feedUrl: string;
let admin: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  ctx = await testContext();
  app = await buildApp({ context: ctx, kits: { brokerSyncToken: SYNC_TOKEN, gatewayMqttUrl: 'mqtt://x' } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  feedUrl = `http://127.0.0.1:${port}/api/internal/broker/credentials`;
  admin = await signInToken(app, 'admin');
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await app.close();
});

const api = async (url: string, payload: unknown = {}) =>
  app.inject({
    method: 'POST',
    url,
    payload: payload as object,
    headers: { authorization: `Bearer ${admin}` },
  });

let deviceCounter = 0;
async function registerKit(): Promise<KitCredentialsResponse> {
  deviceCounter += 1;
  const res = await api('/api/kits', {
    siteId: 'site-site-a',
    label: `Kit ${deviceCounter}`,
    devices: [{ id: `c2:00:00:00:00:${String(deviceCounter).padStart(2, '0')}`, model: 'bp-cuff' }],
  });
  expect(res.statusCode).toBe(201);
  return res.json() as KitCredentialsResponse;
}

async function startReplicaAndBroker(
  options: { file?: string; now?: () => number; url?: string } = {},
): Promise<{ broker: RunningBroker; replica: CredentialReplica }> {
  const replica = new CredentialReplica({
    url: options.url ?? feedUrl,
    token: SYNC_TOKEN,
    file: options.file ?? null,
    intervalMs: 100,
    staleAfterMs: 2_000,
    logger: silent,
    ...(options.now ? { now: options.now } : {}),
  });
  await replica.start();
  const broker = await startBroker({
    users: [
      {
        username: 'wardline-server',
        role: 'server',
        passwordHash: await hashPassword('server-secret', { N: 1024, r: 8, p: 1 }),
      },
    ],
    credentials: replica,
    host: '127.0.0.1',
    port: 0,
    healthPort: 0,
    logger: silent,
  });
  cleanups.push(
    () => replica.stop(),
    () => broker.close(),
  );
  return { broker, replica };
}

/** One CONNECT: 0 when admitted (the client is kept), else the CONNACK return code. */
function connect(
  port: number,
  username: string,
  password: string,
): Promise<{ code: number; client: MqttClient }> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    username,
    password,
    clientId: `${username}:${Math.random().toString(16).slice(2, 8)}`,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
  cleanups.push(() => void client.end(true));
  return new Promise((resolve) => {
    client.once('connect', () => resolve({ code: 0, client }));
    client.once('error', (error) => resolve({ code: (error as { code?: number }).code ?? -1, client }));
  });
}

const closed = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

describe('broker credentials replicated from the server', () => {
  it('admits a kit registered after the broker started, and cuts and refuses it within 5 s of revocation', async () => {
    const { broker } = await startReplicaAndBroker();
    const other = await registerKit();
    const kit = await registerKit();
    // No restart: the next poll brings both.
    await expect
      .poll(async () => (await connect(broker.port, kit.kit.username, kit.provisioning.password)).code)
      .toBe(0);
    const { client } = await connect(broker.port, kit.kit.username, kit.provisioning.password);
    const { client: otherClient } = await connect(
      broker.port,
      other.kit.username,
      other.provisioning.password,
    );
    expect(otherClient.connected).toBe(true);
    expect((await connect(broker.port, kit.kit.username, 'not-the-secret')).code).toBe(4);

    const cut = closed(client);
    const started = performance.now();
    expect((await api(`/api/kits/${kit.kit.id}/revoke`)).statusCode).toBe(200);
    await cut;
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(5_000);
    expect((await connect(broker.port, kit.kit.username, kit.provisioning.password)).code).toBe(4);
    // Everyone else carries on.
    expect(otherClient.connected).toBe(true);
    expect(broker.health().credentials).toMatchObject({ stale: false, syncFailures: 0, users: 1 });
  });

  it('lets old and new secrets connect during a rotation overlap, and cuts the old one when it ends', async () => {
    let clock = Date.now();
    const { broker } = await startReplicaAndBroker({ now: () => clock });
    const kit = await registerKit();
    await expect
      .poll(async () => (await connect(broker.port, kit.kit.username, kit.provisioning.password)).code)
      .toBe(0);
    const { client: old } = await connect(broker.port, kit.kit.username, kit.provisioning.password);

    const rotated = (
      await api(`/api/kits/${kit.kit.id}/rotate`, { overlapMinutes: 1 })
    ).json() as KitCredentialsResponse;
    await expect
      .poll(async () => (await connect(broker.port, kit.kit.username, rotated.provisioning.password)).code)
      .toBe(0);
    // The old connection was replaced by the newer one of the same hub; connect again with the old secret.
    const { code: oldStillWorks, client: oldAgain } = await connect(
      broker.port,
      kit.kit.username,
      kit.provisioning.password,
    );
    expect(oldStillWorks).toBe(0);
    expect(old.connected).toBe(false);

    const cut = closed(oldAgain);
    clock += 61_000;
    await cut;
    expect((await connect(broker.port, kit.kit.username, kit.provisioning.password)).code).toBe(4);
    expect((await connect(broker.port, kit.kit.username, rotated.provisioning.password)).code).toBe(0);
  });

  it('keeps its last copy owner-only and admits known hubs after a restart while the server is down', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wardline-replica-')), 'broker-credentials.replica.json');
    const kit = await registerKit();
    const first = await startReplicaAndBroker({ file });
    await expect.poll(() => first.replica.status().users).toBe(1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await app.close();

    // The server is gone: the feed's address refuses connections.
    const { broker, replica } = await startReplicaAndBroker({ file });
    expect((await connect(broker.port, kit.kit.username, kit.provisioning.password)).code).toBe(0);
    expect(replica.status()).toMatchObject({ users: 1, stale: true });
    expect(replica.status().syncFailures).toBeGreaterThan(0);
    const metrics = await (await fetch(`http://127.0.0.1:${broker.healthPort}/metrics`)).text();
    expect(metrics).toMatch(/wardline_broker_credentials_stale 1/);
    expect(metrics).toMatch(/wardline_broker_credentials_version [1-9]/);
  });
});
