/**
 * The server's MQTT session against a real broker (the Wardline aedes broker, on 127.0.0.1 with a
 * port chosen by the OS) and a real SQLite file: poison messages, restarts of server and broker,
 * broker refusals and failing storage. The point throughout: one gateway's bad message never holds
 * up another home's fall, and whatever holds ingest up is visible.
 */
import { hashPassword, startBroker, type RunningBroker, type UserEntry } from '@wardline/broker';
import {
  Channel,
  MAX_PAYLOAD_BYTES,
  SERVER_URGENT_SUBSCRIPTIONS,
  gatewayTopic,
  type Observation,
} from '@wardline/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext, type ServerContext } from '../context.js';
import { openDatabase } from '../db/database.js';
import { seedDemo, type SeedWard } from '../demo/seed.js';
import { createDeadLetterRepository } from '../db/dead-letter-repository.js';
import { createDeviceRepository } from '../db/device-repository.js';
import type { SqlDatabase } from '../db/engines/engine.js';
import { sqliteDatabase, type SqliteDatabase } from '../db/engines/sqlite/index.js';
import { createObservationRepository } from '../db/observation-repository.js';
import { createIngest, type IngestOutcome } from '../ingest/ingest.js';
import { createIngestMetrics } from '../ingest/metrics.js';
import { openTestSql, testPostgres, usePostgres } from '../testing-sql.js';
import { startSubscriber, type Subscriber, type SubscriberOptions } from './subscriber.js';

const COST = { N: 2 ** 10, r: 8, p: 1 };
const SERVER_PASSWORD = 'subscriber-test-server-secret';
const SESSION = 'wardline-server-urgent';
const silent = pino({ level: 'silent' });

/** A care home whose gateway misbehaves, and a virtual-ward home whose resident falls. */
const fleet: SeedWard[] = [
  {
    id: 'ward-home-a',
    name: 'Home A',
    kind: 'care_home',
    site: 'home-a',
    gateways: [
      {
        site: 'home-a',
        gateway: 'gw-1',
        residents: [{ number: 1, devices: [{ id: 'aa:00:00:00:01:01', model: 'falls-sensor' }] }],
      },
    ],
  },
  {
    id: 'ward-vw-b',
    name: 'Virtual ward B',
    kind: 'virtual_ward',
    site: 'vw-b',
    gateways: [
      {
        site: 'vw-b',
        gateway: 'home-1',
        residents: [{ number: 1, devices: [{ id: 'bb:00:00:00:01:01', model: 'falls-sensor' }] }],
      },
    ],
  },
];
const ATTACKER = { site: 'home-a', gateway: 'gw-1', sensor: 'aa:00:00:00:01:01' };
const VICTIM = { site: 'vw-b', gateway: 'home-1', sensor: 'bb:00:00:00:01:01' };
const gatewayPassword = (site: string, gateway: string) => `pw-${site}-${gateway}`;

async function brokerUsers(): Promise<UserEntry[]> {
  const users: UserEntry[] = [
    { username: 'wardline-server', role: 'server', passwordHash: await hashPassword(SERVER_PASSWORD, COST) },
  ];
  for (const { site, gateway } of [ATTACKER, VICTIM]) {
    users.push({
      username: `${site}.${gateway}`,
      role: 'gateway',
      site,
      gateway,
      passwordHash: await hashPassword(gatewayPassword(site, gateway), COST),
    });
  }
  return users;
}

/** A poison marker: a fall reported with this confidence trips the faulty alert rule below. */
const POISON_CONFIDENCE = 13;

function fallBatch(sensor: string, confidence = 90): { payload: string; id: string } {
  const fall: Observation = {
    id: randomUUID(),
    deviceId: sensor,
    kind: 'fall',
    measuredAt: new Date(Date.now() - 1000).toISOString(),
    seq: 1,
    values: { confidence: { value: confidence, unit: '%' } },
  };
  return {
    payload: JSON.stringify({ v: 1, sentAt: new Date().toISOString(), observations: [fall] }),
    id: fall.id,
  };
}

async function waitFor<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const urgent = (who: { site: string; gateway: string }) => gatewayTopic(who, Channel.urgent);

describe('server MQTT session', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function broker(options: { port?: number; dataDir?: string } = {}): Promise<RunningBroker> {
    const running = await startBroker({
      users: await brokerUsers(),
      host: '127.0.0.1',
      port: options.port ?? 0,
      healthPort: 0,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      logger: silent,
    });
    cleanups.push(() => running.close());
    return running;
  }

  async function gateway(port: number, who: { site: string; gateway: string }): Promise<MqttClient> {
    const username = `${who.site}.${who.gateway}`;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      username,
      password: gatewayPassword(who.site, who.gateway),
      clientId: username,
      reconnectPeriod: 0,
    });
    cleanups.push(() => client.endAsync());
    return client;
  }

  const databasePath = () => join(mkdtempSync(join(tmpdir(), 'wardline-subscriber-')), 'wardline.db');

  /** A server's storage: opening it again is what a restarted server does. */
  async function storage(path: string, seed: boolean): Promise<ServerContext> {
    const sql = sqliteDatabase(openDatabase(path));
    const ctx = createContext(sql);
    if (seed) await seedDemo(ctx, fleet, 'staff-password', COST);
    cleanups.push(async () => {
      if (sql.handle.open) await sql.close();
    });
    return ctx;
  }

  interface Session {
    subscriber: Subscriber;
    /** Times the faulty rule met the poison (every attempt at the message, group attempts included). */
    poisonCalls(): number;
  }

  /** The urgent lane's session, with an alert rule that has a fault the poison reading trips. */
  function session(ctx: ServerContext, port: number, options: Partial<SubscriberOptions> = {}): Session {
    let poisonCalls = 0;
    const ingest = createIngest({
      sql: ctx.sql,
      observations: ctx.observations,
      devices: ctx.devices,
      deadLetters: ctx.deadLetters,
      metrics: ctx.metrics,
      log: silent,
      afterStore: (outcomes: readonly IngestOutcome[]) => {
        const poisoned = outcomes.some((outcome) =>
          outcome.observations.some(
            (o) =>
              (o.observation.values as { confidence?: { value: number } }).confidence?.value ===
              POISON_CONFIDENCE,
          ),
        );
        if (poisoned) {
          poisonCalls++;
          throw new TypeError('fault in an alert rule');
        }
      },
    });
    const subscriber = startSubscriber({
      url: `mqtt://127.0.0.1:${port}`,
      clientId: SESSION,
      subscriptions: SERVER_URGENT_SUBSCRIPTIONS,
      username: 'wardline-server',
      password: SERVER_PASSWORD,
      ingest,
      log: silent,
      onOutcome: () => {},
      monitor: ctx.metrics.monitor.session(SESSION),
      ...options,
    });
    cleanups.push(() => subscriber.close());
    return { subscriber, poisonCalls: () => poisonCalls };
  }

  const deadLetters = (ctx: ServerContext, code: string) => ctx.deadLetters.list({ code, limit: 100 });

  it("dead-letters 100,000-deep JSON at once and acknowledges it; another home's fall is not held up", async () => {
    const mqttBroker = await broker();
    const path = databasePath();
    let ctx = await storage(path, true);
    let lane = session(ctx, mqttBroker.port);
    await waitFor(() => lane.subscriber.connected, 'the server session');
    const attacker = await gateway(mqttBroker.port, ATTACKER);
    const victim = await gateway(mqttBroker.port, VICTIM);

    const attack = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(attack.length).toBeLessThan(MAX_PAYLOAD_BYTES);
    await attacker.publishAsync(urgent(ATTACKER), attack, { qos: 1 });
    const fall = fallBatch(VICTIM.sensor);
    const publishedAt = Date.now();
    await victim.publishAsync(urgent(VICTIM), fall.payload, { qos: 1 });
    await waitFor(() => ctx.observations.exists(fall.id), "the other home's fall");
    expect(Date.now() - publishedAt).toBeLessThan(3000);
    expect(await deadLetters(ctx, 'NESTING_TOO_DEEP')).toHaveLength(1);
    expect(ctx.metrics.monitor.reasons()).toEqual([]);

    // Acknowledged: a restarted server is not handed the attack again.
    await lane.subscriber.close();
    await ctx.sql.close();
    ctx = await storage(path, false);
    lane = session(ctx, mqttBroker.port);
    const next = fallBatch(VICTIM.sensor);
    await victim.publishAsync(urgent(VICTIM), next.payload, { qos: 1 });
    await waitFor(() => ctx.observations.exists(next.id), 'a fall after the restart');
    expect(await deadLetters(ctx, 'NESTING_TOO_DEEP')).toHaveLength(1);
  });

  it('sets a message whose handling keeps failing aside after 3 attempts, acknowledges it, and lets the next fall through', async () => {
    const mqttBroker = await broker();
    const path = databasePath();
    let ctx = await storage(path, true);
    let lane = session(ctx, mqttBroker.port);
    await waitFor(() => lane.subscriber.connected, 'the server session');
    const attacker = await gateway(mqttBroker.port, ATTACKER);
    const victim = await gateway(mqttBroker.port, VICTIM);

    const poison = fallBatch(ATTACKER.sensor, POISON_CONFIDENCE);
    await attacker.publishAsync(urgent(ATTACKER), poison.payload, { qos: 1 });
    const fall = fallBatch(VICTIM.sensor);
    const publishedAt = Date.now();
    await victim.publishAsync(urgent(VICTIM), fall.payload, { qos: 1 });
    await waitFor(() => ctx.observations.exists(fall.id), "the other home's fall");
    expect(Date.now() - publishedAt).toBeLessThan(3000);

    const [letter] = await waitFor(async () => {
      const letters = await deadLetters(ctx, 'PROCESSING_FAILED');
      return letters.length > 0 ? letters : null;
    }, 'the poison set aside');
    expect(letter).toMatchObject({ topic: urgent(ATTACKER), payload: poison.payload });
    expect(letter!.detail).toMatch(/^handling failed 3 times; last error: TypeError: fault in an alert rule/);
    expect(await ctx.observations.exists(poison.id)).toBe(false);
    expect(ctx.metrics.monitor.totals().contentFailures).toBe(3);
    expect(await ctx.sql.get('SELECT count(*) AS n FROM ingest_failures')).toEqual({ n: 0 });

    // Acknowledged: after a restart the broker does not hand it over again.
    await lane.subscriber.close();
    await ctx.sql.close();
    ctx = await storage(path, false);
    lane = session(ctx, mqttBroker.port);
    const next = fallBatch(VICTIM.sensor);
    await victim.publishAsync(urgent(VICTIM), next.payload, { qos: 1 });
    await waitFor(() => ctx.observations.exists(next.id), 'a fall after the restart');
    expect(lane.poisonCalls()).toBe(0);
    expect(await deadLetters(ctx, 'PROCESSING_FAILED')).toHaveLength(1);
  });

  it('keeps counting a poison message across a restart of server and broker while it stays queued', async () => {
    const brokerData = mkdtempSync(join(tmpdir(), 'wardline-subscriber-broker-'));
    const mqttBroker = await broker({ dataDir: brokerData });
    const port = mqttBroker.port;
    const path = databasePath();
    let ctx = await storage(path, true);
    // A long pause between attempts, so that the server can be stopped between them.
    let lane = session(ctx, port, { contentRetryDelayMs: 60_000 });
    await waitFor(() => lane.subscriber.connected, 'the server session');
    const attacker = await gateway(port, ATTACKER);
    const poison = fallBatch(ATTACKER.sensor, POISON_CONFIDENCE);
    await attacker.publishAsync(urgent(ATTACKER), poison.payload, { qos: 1 });
    const counted = async () =>
      (await ctx.sql.get<{ attempts: number }>('SELECT attempts FROM ingest_failures'))?.attempts ?? 0;
    await waitFor(async () => (await counted()) >= 1, 'the first failed attempt');

    // Stop the server mid-retry (the poison stays unacknowledged), then the broker.
    const closeStarted = Date.now();
    await lane.subscriber.close();
    expect(Date.now() - closeStarted).toBeLessThan(3000);
    const attemptsBefore = await counted();
    expect(attemptsBefore).toBeGreaterThanOrEqual(1);
    expect(attemptsBefore).toBeLessThan(3);
    await ctx.sql.close();
    await attacker.endAsync();
    await mqttBroker.close();

    await broker({ port, dataDir: brokerData }); // the same port and data: a restarted broker
    const victim = await gateway(port, VICTIM);
    const fall = fallBatch(VICTIM.sensor);
    await victim.publishAsync(urgent(VICTIM), fall.payload, { qos: 1 });
    ctx = await storage(path, false);
    lane = session(ctx, port);
    await waitFor(() => ctx.observations.exists(fall.id), "the other home's fall after the restarts");
    const [letter] = await waitFor(async () => {
      const letters = await deadLetters(ctx, 'PROCESSING_FAILED');
      return letters.length > 0 ? letters : null;
    }, 'the poison set aside after the restarts');
    expect(letter!.payload).toBe(poison.payload);
    expect(letter!.detail).toMatch(/^handling failed 3 times/);
    // The restarted server needed only the attempts that were left.
    expect(ctx.metrics.monitor.totals().contentFailures).toBe(3 - attemptsBefore);
  });

  it('keeps retrying a refused session with a growing, capped delay, loudly, until the broker accepts it', async () => {
    const { Aedes } = await import('aedes');
    const refuseFirst = 4;
    const attempts: number[] = [];
    const aedes = await Aedes.createBroker({
      authenticate: (_client, _username, _password, done) => {
        attempts.push(Date.now());
        if (attempts.length > refuseFirst) return done(null, true);
        // [MQTT-3.2.2-3] return code 2: identifier rejected (as when another client holds the id).
        done(Object.assign(new Error('identifier rejected'), { returnCode: 2 }) as never, false);
      },
    });
    const server = createServer(aedes.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          aedes.close(() => server.close(() => resolve()));
        }),
    );
    const ctx = await storage(databasePath(), true);
    const { port } = server.address() as AddressInfo;
    const lane = session(ctx, port, { reconnect: { initialMs: 300, maxMs: 1200 } });

    await waitFor(() => attempts.length >= 2, 'a second attempt');
    const [reason] = ctx.metrics.monitor.reasons();
    expect(reason).toMatch(
      /^MQTT session wardline-server-urgent refused by broker: identifier rejected \(CONNACK code 2\)/,
    );
    expect(ctx.metrics.monitor.sessions()[0]).toMatchObject({ state: 'refused', refusal: { code: 2 } });
    expect(await ctx.metrics.prometheus()).toMatch(
      /wardline_mqtt_refused\{session="wardline-server-urgent"\} 1/,
    );

    await waitFor(() => lane.subscriber.connected, 'the session accepted at last', 15_000);
    const gaps = attempts.slice(1, refuseFirst + 1).map((t, i) => t - attempts[i]!);
    // Expected 300, 600, 1200, 1200 ms: growing, then capped (margins for a loaded machine).
    expect(gaps[1]! / gaps[0]!).toBeGreaterThan(1.3);
    expect(gaps[2]! / gaps[0]!).toBeGreaterThan(2.5);
    expect(gaps[3]! / gaps[2]!).toBeLessThan(1.5);
    expect(ctx.metrics.monitor.totals().refusals).toBe(refuseFirst);
    expect(ctx.metrics.monitor.reasons()).toEqual([]);
    expect(await ctx.metrics.prometheus()).toMatch(
      /wardline_mqtt_refusals_total\{session="wardline-server-urgent"\} 4/,
    );
  });

  it('holds messages while storage fails, says so, and stores them once it works again', async () => {
    const mqttBroker = await broker();
    const ctx = await storage(databasePath(), true);
    const lane = session(ctx, mqttBroker.port);
    await waitFor(() => lane.subscriber.connected, 'the server session');
    const victim = await gateway(mqttBroker.port, VICTIM);

    // This block's storage is always a SQLite file, so the SQLite handle is there to make read-only;
    // PostgreSQL failing under ingest is the 'server MQTT session on PostgreSQL' block's test.
    const { handle } = ctx.sql as SqliteDatabase;
    handle.pragma('query_only = 1'); // every write now fails with SQLITE_READONLY
    const fall = fallBatch(VICTIM.sensor);
    await victim.publishAsync(urgent(VICTIM), fall.payload, { qos: 1 });
    const reason = await waitFor(
      () => ctx.metrics.monitor.reasons().find((r) => r.startsWith('storage failing')),
      'storage failure reported',
    );
    expect(reason).toMatch(
      /^storage failing \(SQLITE_READONLY\) for \d+ s: wardline-server-urgent holds 1 messages/,
    );
    expect(await ctx.metrics.prometheus()).toMatch(
      /wardline_ingest_storage_failing\{session="wardline-server-urgent"\} 1/,
    );
    // Storage failures are never counted against the message.
    expect(ctx.metrics.monitor.totals().contentFailures).toBe(0);
    expect(await deadLetters(ctx, 'PROCESSING_FAILED')).toHaveLength(0);

    handle.pragma('query_only = 0');
    await waitFor(() => ctx.observations.exists(fall.id), 'the held fall stored');
    expect(ctx.metrics.monitor.reasons()).toEqual([]);
    expect(ctx.metrics.monitor.totals().storageFailures).toBeGreaterThan(0);
  });
});

describe('server MQTT session on PostgreSQL', () => {
  usePostgres();
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** The victim's home on a fresh PostgreSQL database: its site, bed, resident and falls sensor. */
  async function records(): Promise<SqlDatabase> {
    const sql = await openTestSql('postgres');
    cleanups.push(() => sql.close());
    const at = new Date(Date.now() - 86_400_000).toISOString();
    await sql.run(`INSERT INTO organisations (id, name, created_at) VALUES ('org-b', 'Org B', ?)`, [at]);
    await sql.run(
      `INSERT INTO sites (id, organisation_id, code, name, kind, created_at)
       VALUES ('site-vw-b', 'org-b', ?, 'Virtual ward B', 'virtual_ward', ?)`,
      [VICTIM.site, at],
    );
    await sql.run(
      `INSERT INTO wards (id, name, kind, site_code, site_id, organisation_id)
       VALUES ('ward-vw-b', 'Virtual ward B', 'virtual_ward', ?, 'site-vw-b', 'org-b')`,
      [VICTIM.site],
    );
    await sql.run(`INSERT INTO beds (id, ward_id, label) VALUES ('bed-b', 'ward-vw-b', 'Home 1')`);
    await sql.run(
      `INSERT INTO patients (id, display_name, bed_id, admitted_at, organisation_id)
       VALUES ('p-b', 'Resident B', 'bed-b', ?, 'org-b')`,
      [at],
    );
    const devices = createDeviceRepository(sql);
    await devices.registerDevice(VICTIM.sensor, 'falls-sensor', VICTIM.site, VICTIM.gateway);
    await devices.assign(VICTIM.sensor, 'p-b', 'test', at);
    return sql;
  }

  it('holds a fall unacknowledged while PostgreSQL is down: a restarted server is handed it and stores it', async () => {
    const server = await testPostgres();
    const sql = await records();
    const observations = createObservationRepository(sql);
    const running = await startBroker({
      users: await brokerUsers(),
      host: '127.0.0.1',
      port: 0,
      healthPort: 0,
      logger: silent,
    });
    cleanups.push(() => running.close());
    /** A server's session on the shared records, as each replica or restart opens it. */
    const serverSession = () => {
      const metrics = createIngestMetrics();
      const subscriber = startSubscriber({
        url: `mqtt://127.0.0.1:${running.port}`,
        clientId: SESSION,
        subscriptions: SERVER_URGENT_SUBSCRIPTIONS,
        username: 'wardline-server',
        password: SERVER_PASSWORD,
        ingest: createIngest({
          sql,
          observations,
          devices: createDeviceRepository(sql),
          deadLetters: createDeadLetterRepository(sql),
          metrics,
          log: silent,
        }),
        log: silent,
        onOutcome: () => {},
        monitor: metrics.monitor.session(SESSION),
      });
      cleanups.push(() => subscriber.close());
      return { subscriber, metrics };
    };
    const before = serverSession();
    await waitFor(() => before.subscriber.connected, 'the server session');
    const victim = await mqtt.connectAsync(`mqtt://127.0.0.1:${running.port}`, {
      username: `${VICTIM.site}.${VICTIM.gateway}`,
      password: gatewayPassword(VICTIM.site, VICTIM.gateway),
      clientId: `${VICTIM.site}.${VICTIM.gateway}`,
      reconnectPeriod: 0,
    });
    cleanups.push(() => victim.endAsync());

    const first = fallBatch(VICTIM.sensor);
    await victim.publishAsync(urgent(VICTIM), first.payload, { qos: 1 });
    await waitFor(() => observations.exists(first.id), 'the first fall stored');

    await server.stop();
    const held = fallBatch(VICTIM.sensor);
    await victim.publishAsync(urgent(VICTIM), held.payload, { qos: 1 });
    const reason = await waitFor(
      () => before.metrics.monitor.reasons().find((r) => r.startsWith('storage failing')),
      'storage failure reported',
    );
    expect(reason).toMatch(/^storage failing \((ECONNREFUSED|POSTGRES_\w+)\)/);
    // The server stops while it holds the fall; the database comes back; so does the server.
    await before.subscriber.close();
    await server.start();
    const after = serverSession();
    // Not acknowledged before it was stored: the broker hands the fall to the restarted server.
    await waitFor(() => observations.exists(held.id), 'the held fall stored after the restart');
    expect(before.metrics.monitor.totals().contentFailures).toBe(0);
    expect(after.metrics.monitor.totals().contentFailures).toBe(0);
    expect(await createDeadLetterRepository(sql).list({ limit: 10 })).toEqual([]);
  });
});
