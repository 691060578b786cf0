/**
 * The home's connection drops for a long time: 10,000 readings are taken while the broker cannot
 * be reached, kept in the gateway's durable outbox, and replayed when it returns. Every one
 * reaches the server once, in the order taken, with its own measurement time; a fall raised
 * during the replay overtakes the backlog.
 *
 * The broker is "down" for the gateway by closing the TCP listener it connects to (a relay in
 * front of our broker: connections are refused, exactly as with a stopped broker). The broker
 * itself keeps running so that the server's session survives: our broker keeps sessions in
 * memory, so a real broker restart loses what the gateway publishes before the server has
 * resubscribed; that is the broker's persistence to solve, not the gateway's.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '@wardline/broker';
import { SimulatedHome } from '@wardline/firmware-sim';
import { SqliteOutbox, startGateway, type RunningGateway } from '@wardline/gateway';
import type { ObservationEvent } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import { pino } from 'pino';
import {
  gatewayPassword,
  joinWardSocket,
  signIn,
  startTestBroker,
  startTestServer,
  tempDir,
  waitUntil,
  type WardSocket,
} from './support.js';

const READINGS = 10_000;

/**
 * The outbox goes on tmpfs when there is one: this test is about order, completeness and priority
 * across an outage, and 10,000 fsyncs on a CI disk shared with other test workers would make it
 * slow for nothing. Durability on a real disk is the kill -9 test's and durable-outbox.test.ts's.
 */
const outboxDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/wardline-outage-') : tempDir('outage');

/** A TCP relay to the broker that can refuse connections (down) and accept them again (up). */
class Uplink {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly brokerPort: number) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.brokerPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}
const CUFF = 'e2:00:00:00:00:01';
const FALLS = 'e2:00:00:00:01:01';

describe('broker outage with the durable outbox', () => {
  let broker: RunningBroker;
  let uplink: Uplink;
  let server: RunningServer;
  let gateway: RunningGateway;
  let socket: WardSocket;
  const home = new SimulatedHome({
    residents: [{ scenario: 'normal', cuffId: CUFF, fallsSensorId: FALLS, cuff: { memory: 10 } }],
    seed: 3,
    urgentRepeatCount: 1,
  });
  afterAll(async () => {
    socket?.disconnect();
    home.stop();
    await gateway?.stop(500);
    await uplink?.down();
    await server?.close();
    await broker?.close();
    rmSync(outboxDir, { recursive: true, force: true });
  });

  it('delivers all 10,000 readings in order, once, with their times; a fall overtakes the backlog', async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port);
    uplink = new Uplink(broker.port);
    await uplink.up();
    const baseUrl = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    socket = await joinWardSocket(baseUrl, await signIn(baseUrl, 'nurse'), 'ward-e2e');
    const events: ObservationEvent[] = [];
    socket.on('observations', (batch) => events.push(...batch.observations));

    const outbox = new SqliteOutbox({ path: join(outboxDir, 'outbox.db'), capacity: 20_000 });
    gateway = await startGateway({
      site: 'site-e2e',
      gateway: 'gw-1',
      broker: {
        url: `mqtt://127.0.0.1:${uplink.port}`,
        username: 'site-e2e.gw-1',
        password: gatewayPassword('site-e2e', 'gw-1'),
        reconnectPeriodMs: 200,
      },
      source: home,
      outbox,
      logger: pino({ level: 'silent' }),
    });
    await waitUntil(() => gateway.stats().mqtt.connected, 'gateway connected');
    home.connectAll();

    await uplink.down();
    await waitUntil(() => !gateway.stats().mqtt.connected, 'gateway noticing the outage');

    const start = Date.now() - READINGS * 1000 - 60_000;
    const takenAt: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < READINGS; i++) {
      takenAt.push(home.takeReading(0, new Date(start + i * 1000)).at.toISOString());
    }
    const storeMs = performance.now() - t0;
    expect(outbox.size()).toBe(READINGS);

    const t1 = performance.now();
    await uplink.up();
    const backlog = () => events.filter((e) => e.observation.deviceId === CUFF);
    await waitUntil(() => backlog().length >= 200, 'the replay to start', 20_000);
    home.residents[0]!.fallsSensor.fall(91);
    await waitUntil(() => backlog().length >= READINGS, 'the whole backlog', 30_000);
    const replayMs = performance.now() - t1;
    await waitUntil(() => gateway.stats().outbox.pending === 0, 'the outbox to empty');

    const arrived = backlog().map((e) => e.observation);
    expect(arrived.map((o) => o.measuredAt)).toEqual(takenAt); // in order, none missing, none twice
    expect(new Set(arrived.map((o) => o.id)).size).toBe(READINGS);
    const fallAt = events.findIndex((e) => e.observation.kind === 'fall');
    const lastBacklog = events.findLastIndex((e) => e.observation.deviceId === CUFF);
    expect(fallAt).toBeGreaterThan(-1);
    expect(fallAt).toBeLessThan(lastBacklog);
    const stored = await server.context.sql.get(
      'SELECT count(*) AS n, count(DISTINCT seq) AS seqs FROM observations WHERE device_id = ?',
      [CUFF],
    );
    expect(stored).toEqual({ n: READINGS, seqs: READINGS });
    console.log(
      `outage: ${READINGS} readings taken and stored in ${Math.round(storeMs)} ms ` +
        `(${Math.round(READINGS / (storeMs / 1000))}/s); uplink back to all at the server in ` +
        `${Math.round(replayMs)} ms (${Math.round(READINGS / (replayMs / 1000))}/s); ` +
        `fall arrived as event ${fallAt + 1} of ${events.length}`,
    );
  }, 60_000);
});
