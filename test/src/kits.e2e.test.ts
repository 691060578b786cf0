/**
 * Gateway kits managed live, on real parts: the server (its kit API and credentials feed on a real
 * HTTP port), a broker replicating those credentials, a gateway provisioned from the file the API
 * returns and another home's gateway from the users file. A kit registered after the broker started
 * connects without a restart and its readings reach the server; revoking it disconnects and refuses
 * it within 5 s while the other home carries on; a rotation overlaps old and new secrets.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CredentialReplica, RunningBroker } from '@wardline/broker';
import { SimulatedHome } from '@wardline/firmware-sim';
import { parseConfig, startGateway, type RunningGateway } from '@wardline/gateway';
import type { Kit, KitCredentialsResponse, KitPage } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  gatewayPassword,
  signIn,
  startReplicatingBroker,
  startTestServer,
  tempDir,
  waitUntil,
} from './support.js';

const SYNC_TOKEN = 'e2e-broker-sync-token-0123456789abcdef';
const KIT_CUFF = 'e3:00:00:00:00:01';
const OTHER_CUFF = 'e2:00:00:00:00:01';
const silent = pino({ level: 'silent' });

let broker: RunningBroker;
let replica: CredentialReplica;
let server: RunningServer;
let baseUrl: string;
let admin: string;
const homes: SimulatedHome[] = [];
const gateways: RunningGateway[] = [];

beforeAll(async () => {
  const serverPort = await freePort();
  baseUrl = `http://127.0.0.1:${serverPort}`;
  ({ broker, replica } = await startReplicatingBroker(baseUrl, SYNC_TOKEN));
  server = await startTestServer(broker.port, undefined, {
    port: serverPort,
    config: { kits: { gatewayMqttUrl: `mqtt://127.0.0.1:${broker.port}`, brokerSyncToken: SYNC_TOKEN } },
  });
  admin = await signIn(baseUrl, 'admin');
}, 60_000);

afterAll(async () => {
  for (const home of homes) home.stop();
  await Promise.all(gateways.map((gateway) => gateway.stop(500)));
  replica?.stop();
  await server?.close();
  await broker?.close();
});

async function post<T>(path: string, body: unknown = {}): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** 0 when admitted, else the CONNACK return code. */
async function connackOf(username: string, password: string): Promise<number> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, {
    username,
    password,
    clientId: `${username}:probe`,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
  const code = await new Promise<number>((resolve) => {
    client.once('connect', () => resolve(0));
    client.once('error', (error) => resolve((error as { code?: number }).code ?? -1));
  });
  await client.endAsync(true);
  return code;
}

const storedFor = (deviceId: string) =>
  server.context.sql.all<{ patientId: string | null }>(
    `SELECT patient_id AS "patientId" FROM observations WHERE device_id = ? ORDER BY received_at`,
    [deviceId],
  );

async function startHome(
  options: { site: string; gateway: string; username: string; password: string; url: string },
  cuffId: string,
): Promise<{ home: SimulatedHome; gateway: RunningGateway }> {
  const home = new SimulatedHome({ residents: [{ scenario: 'normal', cuffId }], seed: 3 });
  homes.push(home);
  const gateway = await startGateway({
    site: options.site,
    gateway: options.gateway,
    broker: { url: options.url, username: options.username, password: options.password },
    source: home,
    logger: silent,
  });
  gateways.push(gateway);
  home.connectAll();
  return { home, gateway };
}

describe('gateway kits, live', () => {
  let kit: Kit;
  let kitHome: { home: SimulatedHome; gateway: RunningGateway };
  let otherHome: { home: SimulatedHome; gateway: RunningGateway };

  it("provisions a gateway from the file the API returns; its first readings reach the patient's record", async () => {
    const registered = await post<KitCredentialsResponse>('/api/kits', {
      siteId: 'site-site-e2e',
      label: 'Home kit',
      devices: [{ id: KIT_CUFF, model: 'bp-cuff' }],
      patientId: 'ward-e2e-p002',
    });
    kit = registered.kit;
    const file = join(tempDir('kits-provisioning'), 'kit.json');
    writeFileSync(file, JSON.stringify(registered.provisioning));
    chmodSync(file, 0o600);
    const parsed = parseConfig(['--provisioning', file], { WARDLINE_OUTBOX_DIR: tempDir('kits-outbox') });
    if (parsed.kind !== 'config') throw new Error('expected a configuration');
    expect(parsed.warnings).toEqual([]);
    const { config } = parsed;
    expect(config.allow.addresses).toEqual([KIT_CUFF]);

    otherHome = await startHome(
      {
        site: 'site-e2e',
        gateway: 'gw-1',
        username: 'site-e2e.gw-1',
        password: gatewayPassword('site-e2e', 'gw-1'),
        url: `mqtt://127.0.0.1:${broker.port}`,
      },
      OTHER_CUFF,
    );
    // Registered after the broker started: admitted at its next poll, no restart.
    kitHome = await startHome(
      {
        site: config.site,
        gateway: config.gateway,
        username: config.broker.username,
        password: config.broker.password!,
        url: config.broker.url,
      },
      KIT_CUFF,
    );
    await waitUntil(() => kitHome.gateway.stats().mqtt.connected, 'the kit gateway to connect');
    kitHome.home.takeReading(0);
    await waitUntil(async () => (await storedFor(KIT_CUFF)).length > 0, "the kit's first reading");
    expect(await storedFor(KIT_CUFF)).toEqual([{ patientId: 'ward-e2e-p002' }]);

    const page = (await (
      await fetch(`${baseUrl}/api/kits/${kit.id}`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as KitPage;
    expect(page.devices).toEqual([expect.objectContaining({ id: KIT_CUFF, patientId: 'ward-e2e-p002' })]);
  });

  it('revoking disconnects the kit and refuses it within 5 s, while the other home carries on', async () => {
    const started = performance.now();
    await post(`/api/kits/${kit.id}/revoke`);
    await waitUntil(() => !kitHome.gateway.stats().mqtt.connected, 'the kit gateway to be cut off', 5_000);
    const cutAfterMs = performance.now() - started;
    expect(cutAfterMs).toBeLessThan(5_000);
    console.log(`kit revoked: gateway disconnected after ${Math.round(cutAfterMs)} ms`);
    // 4: bad user name or password, the same answer as for a user that never existed.
    expect(await connackOf(kit.username, 'any')).toBe(4);

    const before = (await storedFor(OTHER_CUFF)).length;
    otherHome.home.takeReading(0);
    await waitUntil(async () => (await storedFor(OTHER_CUFF)).length > before, "the other home's reading");
    expect(otherHome.gateway.stats().mqtt.connected).toBe(true);
    // The revoked hub keeps trying and keeps being refused.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(kitHome.gateway.stats().mqtt.connected).toBe(false);
  });

  it('rotation lets old and new secrets connect during the overlap; the old one is refused once cut', async () => {
    const first = await post<KitCredentialsResponse>('/api/kits', {
      siteId: 'site-site-e2e',
      label: 'Rotating kit',
      devices: [{ id: 'e3:00:00:00:00:02', model: 'bp-cuff' }],
    });
    const { username } = first.kit;
    await waitUntil(
      async () => (await connackOf(username, first.provisioning.password)) === 0,
      'the new kit to be admitted',
    );
    const second = await post<KitCredentialsResponse>(`/api/kits/${first.kit.id}/rotate`, {
      overlapMinutes: 10,
    });
    await waitUntil(
      async () => (await connackOf(username, second.provisioning.password)) === 0,
      'the rotated secret to be admitted',
    );
    expect(await connackOf(username, first.provisioning.password)).toBe(0);

    // A rotation without overlap ends every earlier secret at once.
    const third = await post<KitCredentialsResponse>(`/api/kits/${first.kit.id}/rotate`, {
      overlapMinutes: 0,
    });
    await waitUntil(
      async () => (await connackOf(username, third.provisioning.password)) === 0,
      'the third secret to be admitted',
    );
    expect(await connackOf(username, first.provisioning.password)).toBe(4);
    expect(await connackOf(username, second.provisioning.password)).toBe(4);
    expect(broker.health().credentials).toMatchObject({ stale: false });
  });
});
