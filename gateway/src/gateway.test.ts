/**
 * The gateway end to end against a plain aedes broker over TCP on 127.0.0.1: simulated devices ->
 * gateway -> MQTT -> a subscriber, checked against the contract.
 */
import { once } from 'node:events';
import net from 'node:net';
import {
  Channel,
  gatewayTopic,
  kpaToMmHg,
  parseDeviceStatusBatch,
  parseGatewayStatus,
  parseObservationBatch,
  type Observation,
} from '@wardline/protocol';
import { SimulatedHome } from '@wardline/firmware-sim';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from './gateway.js';

const address = { site: 'test-site', gateway: 'gw-1' };
const OBS = gatewayTopic(address, Channel.observations);
const URGENT = gatewayTopic(address, Channel.urgent);
const STATUS = gatewayTopic(address, Channel.status);
const DEVICES = gatewayTopic(address, Channel.devices);

interface TestBroker {
  port: number;
  /** While true, observation batches are taken but never acknowledged (no PUBACK). */
  stall: boolean;
  /** Every PUBLISH the broker accepted from a client, in order. */
  published: { topic: string; payload: Buffer; retain: boolean }[];
  destroyClient(id: string): boolean;
  close(): Promise<void>;
}

async function startBroker(port = 0, options: { stall?: boolean } = {}): Promise<TestBroker> {
  const { Aedes } = await import('aedes');
  const control = { stall: options.stall ?? false };
  const broker = await Aedes.createBroker({
    authorizePublish: (_client, packet, callback) => {
      if (control.stall && packet.topic.endsWith('/obs')) return; // held: no PUBACK, ever
      callback(null);
    },
  });
  const published: TestBroker['published'] = [];
  broker.on('publish', (packet, client) => {
    if (client)
      published.push({ topic: packet.topic, payload: Buffer.from(packet.payload), retain: packet.retain });
  });
  const clients = new Map<string, { conn: { destroy(): void } }>();
  broker.on('client', (client) => clients.set(client.id, client));
  const server = net.createServer(broker.handle);
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    get stall() {
      return control.stall;
    },
    set stall(value: boolean) {
      control.stall = value;
    },
    published,
    destroyClient(id) {
      const client = clients.get(id);
      client?.conn.destroy();
      return client !== undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}

async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function subscriber(port: number, filter: string) {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: `test-${Math.random()}` });
  const messages: { topic: string; payload: Buffer; retain: boolean }[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, messages };
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gatewayFor(
  port: number,
  home: SimulatedHome,
  reconnectPeriodMs = 100,
  ackTimeoutMs?: number,
): Promise<RunningGateway> {
  const gateway = await startGateway({
    ...address,
    broker: { url: `mqtt://127.0.0.1:${port}`, reconnectPeriodMs, connectTimeoutMs: 2000 },
    source: home,
    statusIntervalMs: 60_000,
    ...(ackTimeoutMs !== undefined ? { ackTimeoutMs } : {}),
  });
  cleanups.push(() => gateway.stop(500));
  return gateway;
}

function observationsIn(messages: { topic: string; payload: Buffer }[]): Observation[] {
  return messages
    .filter((m) => m.topic === OBS || m.topic === URGENT)
    .flatMap((m) => {
      const parsed = parseObservationBatch(JSON.parse(m.payload.toString('utf8')), { now: Date.now() });
      if (!parsed.ok) throw new Error(`invalid batch: ${parsed.rejection.code}`);
      return parsed.value.results.map((r) => {
        if (!r.result.ok) throw new Error(`invalid observation: ${r.result.rejection.code}`);
        return r.result.value;
      });
    });
}

describe('gateway end to end', () => {
  it('publishes a simulated cuff reading as a contract-valid batch: exact mmHg, device time', async () => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const sub = await subscriber(broker.port, 'wardline/v1/test-site/gw-1/#');
    cleanups.push(() => sub.client.endAsync());
    const home = new SimulatedHome({
      residents: [{ scenario: 'hypertensive' }, { scenario: 'normal', cuff: { units: 'kPa' } }],
      seed: 7,
    });
    const gateway = await gatewayFor(broker.port, home);
    await waitFor(() => gateway.stats().mqtt.connected, 'gateway connection');
    home.connectAll();

    const mmHg = home.takeReading(0);
    const kPa = home.takeReading(1);
    const observations = await waitFor(() => {
      const list = observationsIn(sub.messages);
      return list.length >= 2 && list;
    }, 'observations');

    const bp = observations.find((o) => o.deviceId === 'c0:ff:ee:01:00:01');
    expect(bp?.kind).toBe('blood_pressure');
    expect(bp?.measuredAt).toBe(mmHg.at.toISOString().replace('.000Z', 'Z'));
    expect(bp?.values).toEqual({
      systolic: { value: mmHg.vitals.systolic, unit: 'mmHg' },
      diastolic: { value: mmHg.vitals.diastolic, unit: 'mmHg' },
      meanArterial: { value: mmHg.vitals.meanArterial, unit: 'mmHg' },
      pulseRate: { value: mmHg.vitals.pulseRate, unit: 'bpm' },
    });
    const fromKpa = observations.find((o) => o.deviceId === 'c0:ff:ee:01:00:02');
    expect(fromKpa?.values).toMatchObject({
      systolic: { value: kpaToMmHg(kPa.measurement.systolic ?? NaN), unit: 'mmHg' },
      diastolic: { value: kpaToMmHg(kPa.measurement.diastolic ?? NaN), unit: 'mmHg' },
    });
    expect(observations.map((o) => o.seq).sort()).toEqual([0, 1]);

    // Device status: every device connected, with its battery.
    const status = await waitFor(() => {
      const batches = sub.messages
        .filter((m) => m.topic === DEVICES)
        .map((m) => JSON.parse(m.payload.toString()));
      const devices = batches.flatMap((b) => {
        const parsed = parseDeviceStatusBatch(b);
        if (!parsed.ok) throw new Error(parsed.rejection.detail);
        return parsed.value.devices;
      });
      const latest = new Map(devices.map((d) => [d.deviceId, d]));
      return latest.size === 4 && [...latest.values()].every((d) => d.connected && d.battery) && latest;
    }, 'device status');
    expect(status.get('c0:ff:ee:02:00:01')?.battery?.unit).toBe('%');
    await expect(gateway.flush(2000)).resolves.toBe(true);
  });

  it('publishes a retained online status; its last will marks it offline when its socket dies', async () => {
    const broker = await startBroker();
    cleanups.push(() => broker.close());
    const home = new SimulatedHome({ residents: 1 });
    const gateway = await gatewayFor(broker.port, home, 60_000);
    await waitFor(() => gateway.stats().mqtt.connected, 'gateway connection');

    // A subscriber arriving later still learns the state: it is retained.
    const late = await subscriber(broker.port, STATUS);
    cleanups.push(() => late.client.endAsync());
    const online = await waitFor(() => late.messages[0], 'retained online status');
    expect(online.retain).toBe(true);
    const parsedOnline = parseGatewayStatus(JSON.parse(online.payload.toString()));
    expect(parsedOnline.ok && parsedOnline.value.state).toBe('online');

    expect(broker.destroyClient('test-site.gw-1')).toBe(true);
    const offline = await waitFor(() => late.messages[1], 'last will');
    const parsedOffline = parseGatewayStatus(JSON.parse(offline.payload.toString()));
    expect(parsedOffline.ok && parsedOffline.value.state).toBe('offline');

    const after = await subscriber(broker.port, STATUS);
    cleanups.push(() => after.client.endAsync());
    const retained = await waitFor(() => after.messages[0], 'retained offline status');
    expect(retained.retain).toBe(true);
    expect(JSON.parse(retained.payload.toString()).state).toBe('offline');
  });

  it('loses nothing when the broker stops and restarts while readings are taken', async () => {
    let broker = await startBroker();
    const port = broker.port;
    const seen: TestBroker['published'][] = [broker.published];
    const home = new SimulatedHome({
      residents: [{ scenario: 'deteriorating' }, { scenario: 'fall' }],
      seed: 3,
    });
    const gateway = await gatewayFor(port, home);
    await waitFor(() => gateway.stats().mqtt.connected, 'gateway connection');
    home.connectAll();
    const received = () => new Set(seen.flatMap((p) => observationsIn(p)).map((o) => o.seq));

    for (let i = 0; i < 3; i++) home.takeReading(i % 2);
    await waitFor(() => received().size === 3, 'readings before the outage');
    await broker.close();
    await waitFor(() => !gateway.stats().mqtt.connected, 'gateway to notice the first outage');

    // A broker that takes batches but never acknowledges them, then goes away too.
    broker = await startBroker(port, { stall: true });
    seen.push(broker.published);
    await waitFor(() => gateway.stats().mqtt.connected, 'reconnection to the stalling broker');
    home.takeReading(0); // seq 3: sent, never acknowledged
    await waitFor(() => gateway.stats().mqtt.inFlightBatches === 1, 'a batch in flight');
    expect(gateway.stats().outbox.pending).toBe(1);
    await broker.close();
    await waitFor(() => !gateway.stats().mqtt.connected, 'gateway to notice the outage');
    for (let i = 0; i < 6; i++) home.takeReading(i % 2);
    home.residents[1]?.fallsSensor.fall(95);
    expect(gateway.stats().outbox.pending).toBeGreaterThanOrEqual(7);

    broker = await startBroker(port);
    seen.push(broker.published);
    cleanups.push(() => broker.close());
    await waitFor(
      () => gateway.stats().outbox.pending === 0,
      'the outbox to drain after reconnection',
      15_000,
    );

    const all = seen.flatMap((p) => observationsIn(p));
    const seqs = [...new Set(all.map((o) => o.seq))].sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(all.filter((o) => o.kind === 'fall')).not.toHaveLength(0);
    // Falls travel on the urgent topic, which carries nothing else.
    const urgent = seen.flatMap((p) => observationsIn(p.filter((m) => m.topic === URGENT)));
    expect(urgent.map((o) => o.kind)).toContain('fall');
    expect(urgent.every((o) => o.kind === 'fall' || o.kind === 'help_request')).toBe(true);
    // The batch in flight when the broker died was re-sent to the new broker.
    expect(observationsIn(broker.published).map((o) => o.seq)).toContain(3);
    expect(gateway.stats().mqtt.connects).toBeGreaterThanOrEqual(3);
    expect(gateway.stats().outbox).toMatchObject({ pending: 0, evicted: 0 });
  });

  it('re-sends a batch whose PUBACK never comes on a live connection', async () => {
    const broker = await startBroker(0, { stall: true });
    cleanups.push(() => broker.close());
    const home = new SimulatedHome({ residents: 1 });
    const gateway = await gatewayFor(broker.port, home, 100, 300);
    await waitFor(() => gateway.stats().mqtt.connected, 'gateway connection');
    home.connectAll();
    home.takeReading(0);
    await waitFor(() => gateway.stats().mqtt.inFlightBatches === 1, 'a batch in flight');
    broker.stall = false;
    await waitFor(() => gateway.stats().outbox.pending === 0, 'the re-sent batch to be acknowledged');
    expect(gateway.stats().mqtt.ackTimeouts).toBeGreaterThanOrEqual(1);
    expect(observationsIn(broker.published).map((o) => o.seq)).toContain(0);
  });
});
