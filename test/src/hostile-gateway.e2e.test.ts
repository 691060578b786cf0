/**
 * One home cannot harm the others: a gateway with valid credentials for its own site (a
 * compromised home hub) attacks the system over MQTT, on the broker and the server running as
 * real processes. Each attack is refused or contained with its stable code, read back the way an
 * operator would (dead letters from GET /api/dead-letters as an admin, CONNACK return codes and the
 * broker's refusal counts from its health endpoint), and after each one the victim site is still
 * served: a reading and a fall from the victim's gateway are stored and reach a nurse's ward
 * socket promptly.
 *
 * Three sites, one gateway each: the victim, the hostile gateway, and a bystander that only
 * connects (first contact) in the connection-flood test. The hostile gateway's traffic leaves
 * from 127.0.0.2, the fleet's from 127.0.0.1: per-address defences may throttle the attacker,
 * never the homes it shares nothing with.
 */
import { planFleet, type FleetGateway } from '@wardline/firmware-sim';
import { Channel, RejectionCode, type Health } from '@wardline/protocol';
import type { MqttClient } from 'mqtt';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HOSTILE_ADDRESS,
  batch,
  bloodPressure,
  brokerHealth,
  countByCode,
  deadLettersSince,
  deepValues,
  deviceOf,
  duplicateDeviceKey,
  fall,
  lastDeadLetterId,
  mqttClient,
  poisonBatch,
  pollUntil,
  prototypeKeys,
  statusBatch,
  topicOf,
  tinyItems,
  tryConnect,
  unicodeTricks,
  type ConnectOutcome,
} from './hostile/attacks.js';
import { startConnectFlood } from './hostile/connect-flood.js';
import { tempDir } from './support.js';
import { waitForHttp } from './system/processes.js';
import { WardlineSystem } from './system/system.js';
import type { WardWatcher } from './system/ward-watcher.js';

/** A victim's reading or fall on the nurse's socket within this long counts as "promptly". */
/** How long a real gateway may take to connect during a wrong-password flood (see its test). */
const FLOOD_CONNECT_BOUND_MS = 3000;
const PROMPT_MS = 2000;
/** CONNACK 2: identifier rejected [MQTT-3.2.2.3, Table 3.1]. */
const IDENTIFIER_REJECTED = 2;
const FLOOD_SESSIONS = 2000;
const FLOOD_BAD_PASSWORDS = 2000;

const plan = planFleet({ gateways: 3, residentsPerGateway: 24, bedsPerWard: 24, seed: 1111 });
const [victimGateway, hostileGateway, bystanderGateway] = plan.gateways as [
  FleetGateway,
  FleetGateway,
  FleetGateway,
];
const victimCuff = deviceOf(victimGateway.residents[0]!, 'bp-cuff');
const hostileCuff = deviceOf(hostileGateway.residents[0]!, 'bp-cuff');

async function startSystem(): Promise<WardlineSystem> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await WardlineSystem.start({
        plan,
        dir: tempDir('hostile-gateway'),
        ...(process.env.WARDLINE_FAULT_LOG_LEVEL ? { logLevel: process.env.WARDLINE_FAULT_LOG_LEVEL } : {}),
      });
    } catch (err) {
      // Ports are picked before the processes bind them; another test may take one meanwhile.
      if (attempt >= 3 || !String((err as Error).message).includes('EADDRINUSE')) throw err;
    }
  }
}

describe('hostile gateway', () => {
  let system: WardlineSystem;
  let watcher: WardWatcher;
  let admin: string;
  let victim: MqttClient;
  let hostile: MqttClient | null = null;
  let nextFallResident = 0;
  const served: string[] = [];

  const victimOptions = () => ({
    username: victimGateway.username,
    password: system.gatewayPassword(victimGateway),
    clientId: victimGateway.username,
    clean: false,
  });
  const hostileOptions = (clientId = hostileGateway.username) => ({
    username: hostileGateway.username,
    password: system.gatewayPassword(hostileGateway),
    clientId,
    localAddress: HOSTILE_ADDRESS,
  });

  /** The hostile gateway's own connection, opened again when a later connect replaced it. */
  async function hostileClient(): Promise<MqttClient> {
    if (hostile?.connected) return hostile;
    hostile?.end(true);
    const outcome = await tryConnect(system.brokerUrl, hostileOptions());
    if (!outcome.client) throw new Error(`the hostile gateway could not connect: ${outcome.code}`);
    hostile = outcome.client;
    return hostile;
  }

  async function hostilePublishes(...messages: [Channel, string][]): Promise<void> {
    const client = await hostileClient();
    for (const [channel, payload] of messages) {
      await client.publishAsync(topicOf(hostileGateway, channel), payload, { qos: 1 });
    }
  }

  const stored = (id: string) =>
    system.query<{ device_id: string }>('SELECT device_id FROM observations WHERE id = ?', id)[0];

  /**
   * The victim's gateway sends a reading and a fall (a resident who has not fallen yet): both
   * are stored and reach the nurse's socket within PROMPT_MS.
   */
  async function victimStillServed(after: string): Promise<void> {
    const resident = victimGateway.residents[nextFallResident++]!;
    const reading = bloodPressure(victimCuff, 135);
    const fallen = fall(deviceOf(resident, 'falls-sensor'));
    const sentAt = Date.now();
    await Promise.all([
      victim.publishAsync(topicOf(victimGateway, Channel.observations), batch(reading), { qos: 1 }),
      victim.publishAsync(topicOf(victimGateway, Channel.urgent), batch(fallen), { qos: 1 }),
    ]);
    const arrived = (has: () => boolean) =>
      pollUntil(() => (has() ? Math.max(1, Date.now() - sentAt) : null), PROMPT_MS * 5, 10);
    const [readingMs, fallMs] = await Promise.all([
      arrived(() => watcher.seen.has(reading.id)),
      arrived(() => watcher.fallAlerts.has(fallen.deviceId)),
    ]);
    served.push(`${after}: reading ${readingMs ?? 'never'} ms, fall ${fallMs ?? 'never'} ms`);
    expect(readingMs, `after ${after}: the victim's reading on the nurse's socket (ms)`).not.toBeNull();
    expect(readingMs!, `after ${after}: the victim's reading on the nurse's socket (ms)`).toBeLessThan(
      PROMPT_MS,
    );
    expect(fallMs, `after ${after}: the victim's fall alert on the nurse's socket (ms)`).not.toBeNull();
    expect(fallMs!, `after ${after}: the victim's fall alert on the nurse's socket (ms)`).toBeLessThan(
      PROMPT_MS,
    );
    expect(stored(reading.id)?.device_id, `after ${after}: the victim's reading stored`).toBe(victimCuff);
    expect(stored(fallen.id)?.device_id, `after ${after}: the victim's fall stored`).toBe(fallen.deviceId);
  }

  /**
   * Runs an attack, then the victim's check (which follows the attack on both server lanes),
   * then reads back the dead letters the attack left: exactly `expected`, by code.
   */
  async function refusedWith(
    what: string,
    attack: () => Promise<void>,
    expected: Record<string, number>,
  ): Promise<Awaited<ReturnType<typeof deadLettersSince>>> {
    const since = await lastDeadLetterId(system.httpUrl, admin);
    await attack();
    await victimStillServed(what);
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    // A message that fails repeatedly is dead-lettered after its bounded retries, maybe after the
    // victim's check went through: wait for as many letters as expected, then a moment for extras.
    await pollUntil(
      async () => (await deadLettersSince(system.httpUrl, admin, since)).length >= total,
      10_000,
      100,
    );
    await sleep(300);
    const letters = await deadLettersSince(system.httpUrl, admin, since);
    expect(countByCode(letters), `${what}: dead letters by code`).toEqual(expected);
    return letters;
  }

  beforeAll(async () => {
    system = await startSystem();
    admin = await system.signIn('admin');
    watcher = await system.watchWards();
    const connected = await tryConnect(system.brokerUrl, victimOptions());
    if (!connected.client) throw new Error(`the victim gateway could not connect: ${connected.code}`);
    victim = connected.client;
    // The real gateway reconnects by itself (after the broker restart below).
    victim.options.reconnectPeriod = 500;
    await hostileClient();
  }, 120_000);

  afterAll(async () => {
    if (served.length > 0) console.log(`victim served after each attack:\n  ${served.join('\n  ')}`);
    watcher?.close();
    hostile?.end(true);
    victim?.end(true);
    await system?.stop();
  });

  it('dead-letters a 100,000-deep JSON batch (200 KB) once on each lane, and keeps ingesting', async () => {
    const obs = poisonBatch();
    const urgent = poisonBatch();
    expect(obs.payload.length).toBeGreaterThan(190_000);
    const letters = await refusedWith(
      '100,000-deep JSON on obs and urgent',
      () =>
        hostilePublishes([Channel.observations, obs.payload], [Channel.urgent, urgent.payload]).then(
          () => {},
        ),
      { [RejectionCode.nestingTooDeep]: 2 },
    );
    expect(letters.map((l) => l.topic).sort()).toEqual(
      [topicOf(hostileGateway, Channel.observations), topicOf(hostileGateway, Channel.urgent)].sort(),
    );
    expect(letters.map((l) => l.payloadBytes)).toEqual([obs.payload.length, urgent.payload.length]);
  });

  it('refuses other pathological JSON: deep values, 50,000 items, huge strings, duplicate and __proto__ keys', async () => {
    await refusedWith(
      'arrays 1,000 deep in a value',
      () => hostilePublishes([Channel.observations, deepValues(hostileCuff)]),
      { [RejectionCode.nestingTooDeep]: 1 },
    );
    // One message, one dead letter: not 50,000 of them.
    await refusedWith(
      '50,000-element observations array',
      () => hostilePublishes([Channel.observations, tinyItems(50_000)]),
      { [RejectionCode.schemaViolation]: 1 },
    );

    const hugeDevice = bloodPressure('d'.repeat(200_000));
    const hugeKind = { ...bloodPressure(hostileCuff), kind: 'k'.repeat(200_000) };
    const oversize = { ...bloodPressure(hostileCuff), note: 'x'.repeat(300_000) };
    await refusedWith(
      'huge strings',
      () =>
        hostilePublishes(
          [Channel.observations, batch(hugeDevice)],
          [Channel.observations, batch(hugeKind)],
          [Channel.observations, batch(oversize)],
        ),
      {
        [RejectionCode.schemaViolation]: 1,
        [RejectionCode.unknownKind]: 1,
        [RejectionCode.payloadTooLarge]: 1,
      },
    );
    for (const o of [hugeDevice, hugeKind, oversize])
      expect(stored(o.id), 'huge-string reading stored').toBeUndefined();

    // JSON.parse keeps the last of two equal keys: the victim's device here, refused as out of scope.
    const lastIsVictim = duplicateDeviceKey(hostileCuff, victimCuff);
    await refusedWith(
      'duplicate deviceId keys, the last one the victim device',
      () => hostilePublishes([Channel.observations, lastIsVictim.payload]),
      { [RejectionCode.deviceOutOfScope]: 1 },
    );
    expect(stored(lastIsVictim.id), 'a duplicate-key reading stored').toBeUndefined();
    // The other order: whatever is made of it, never a reading of the victim's device.
    const firstIsVictim = duplicateDeviceKey(victimCuff, hostileCuff);
    const since = await lastDeadLetterId(system.httpUrl, admin);
    await hostilePublishes([Channel.observations, firstIsVictim.payload]);
    await victimStillServed('duplicate deviceId keys, the first one the victim device');
    const outcome = stored(firstIsVictim.id);
    const letters = await deadLettersSince(system.httpUrl, admin, since);
    if (outcome) expect(outcome.device_id, 'a duplicate-key reading stored against').toBe(hostileCuff);
    else expect(letters.length, 'a refused duplicate-key reading leaves a dead letter').toBe(1);

    const proto = prototypeKeys(hostileCuff, victimCuff);
    await refusedWith(
      '__proto__ and constructor keys',
      () => hostilePublishes(...proto.payloads.map((p): [Channel, string] => [Channel.observations, p])),
      { [RejectionCode.schemaViolation]: proto.payloads.length },
    );
    for (const id of proto.ids) expect(stored(id), '__proto__ reading stored').toBeUndefined();
  });

  it('refuses unicode tricks in ids (homoglyphs, fullwidth digits, zero-width joiners, RTL override, NUL)', async () => {
    const tricks = unicodeTricks(hostileCuff, victimCuff);
    const statusTrick = statusBatch({
      deviceId: `${victimCuff.slice(0, 2)}\u200d${victimCuff.slice(2)}`,
      connected: false,
      battery: 1,
    });
    await refusedWith(
      'unicode ids',
      () =>
        hostilePublishes(
          [Channel.observations, batch(...tricks.map((t) => t.observation))],
          [Channel.devices, statusTrick],
        ),
      { [RejectionCode.schemaViolation]: tricks.length + 1 },
    );
    for (const t of tricks) expect(stored(t.observation.id), t.name).toBeUndefined();
    // Upper case is plain ASCII and well-formed: it names no device at all (ids are case-sensitive).
    const shouted = bloodPressure(victimCuff.toUpperCase());
    const since = await lastDeadLetterId(system.httpUrl, admin);
    await hostilePublishes([Channel.observations, batch(shouted)]);
    await victimStillServed('upper-cased victim device id');
    expect(stored(shouted.id), 'upper-cased victim device id stored').toBeUndefined();
    const codes = (await deadLettersSince(system.httpUrl, admin, since)).map((l) => l.code);
    expect(codes).toHaveLength(1);
    expect([RejectionCode.unknownDevice, RejectionCode.deviceOutOfScope]).toContain(codes[0]);
  });

  it("refuses another site's devices: readings, falls and device statuses, with no effect on the victim", async () => {
    // The victim's own status for its cuff, which the spoof must not overwrite.
    await victim.publishAsync(
      topicOf(victimGateway, Channel.devices),
      statusBatch({ deviceId: victimCuff, connected: true, battery: 77 }),
      { qos: 1 },
    );
    const statusOf = () =>
      system.query<{ status_json: string | null }>(
        'SELECT status_json FROM devices WHERE id = ?',
        victimCuff,
      )[0]?.status_json;
    await pollUntil(() => statusOf()?.includes('"value":77'), 5000);
    const before = statusOf();
    expect(before, "the victim's own device status").toContain('"value":77');

    const spoofed = bloodPressure(victimCuff, 210);
    const own = bloodPressure(hostileCuff, 118);
    // A resident the victim checks never use: an alert on them can only come from the spoof.
    const target = victimGateway.residents.at(-1)!;
    const sensor = deviceOf(target, 'falls-sensor');
    const spoofedFall = fall(sensor);
    await refusedWith(
      "another site's devices",
      () =>
        hostilePublishes(
          [Channel.observations, batch(spoofed, own)],
          [Channel.urgent, batch(spoofedFall)],
          [
            Channel.devices,
            statusBatch({ deviceId: victimCuff, connected: false, battery: 2, lastError: 'SPOOFED' }),
          ],
        ),
      { [RejectionCode.deviceOutOfScope]: 3 },
    );
    expect(stored(spoofed.id), 'spoofed reading stored').toBeUndefined();
    expect(stored(spoofedFall.id), 'spoofed fall stored').toBeUndefined();
    expect(stored(own.id)?.device_id, "the hostile gateway's own reading in the same batch").toBe(
      hostileCuff,
    );
    const alerts = system.query<{ n: number }>(
      'SELECT count(*) AS n FROM alerts WHERE device_id = ? OR patient_id IN (SELECT patient_id FROM assignments WHERE device_id = ?)',
      sensor,
      sensor,
    )[0]!.n;
    expect(alerts, 'alerts raised for the victim by a spoofed fall').toBe(0);
    expect(watcher.fallAlerts.has(sensor), 'a spoofed fall alert on the nurse socket').toBe(false);
    expect(statusOf(), "the victim's device status").toBe(before);
  });

  it('refuses a replayed observation id with other values, and keeps the stored row', async () => {
    const original = bloodPressure(victimCuff, 124);
    await victim.publishAsync(topicOf(victimGateway, Channel.observations), batch(original), { qos: 1 });
    await pollUntil(() => stored(original.id), 5000);
    const row = () =>
      system.query('SELECT * FROM observations WHERE id = ?', original.id)[0] as
        Record<string, unknown> | undefined;
    const before = row();
    expect(before, "the victim's reading stored").toBeDefined();

    const altered = { ...original, values: { ...original.values, systolic: { value: 88, unit: 'mmHg' } } };
    await refusedWith(
      'replayed observation id',
      async () => {
        // The hostile gateway reuses the id for its own device; the victim's gateway re-sends it altered.
        await hostilePublishes([Channel.observations, batch({ ...altered, deviceId: hostileCuff })]);
        await victim.publishAsync(topicOf(victimGateway, Channel.observations), batch(altered), { qos: 1 });
        // A faithful replay (an outbox re-sending after a lost PUBACK) is a duplicate, not a conflict.
        await victim.publishAsync(topicOf(victimGateway, Channel.observations), batch(original), { qos: 1 });
      },
      { [RejectionCode.idConflict]: 2 },
    );
    expect(row(), 'the stored row').toEqual(before);
  });

  it('refuses measurement times of 1970 and year 1, and a sequence number of 1e20', async () => {
    const epoch = bloodPressure(hostileCuff, 120, { measuredAt: '1970-01-01T00:00:00Z' });
    const yearOne = bloodPressure(hostileCuff, 120, { measuredAt: '0001-01-01T00:00:00.000Z' });
    const hugeSeq = bloodPressure(hostileCuff, 120, { seq: 1e20 });
    // Within an outbox's reach: a late reading, accepted.
    const lateButFine = bloodPressure(hostileCuff, 120, {
      measuredAt: new Date(Date.now() - 29 * 24 * 3600 * 1000).toISOString(),
    });
    await refusedWith(
      'implausible time and sequence',
      () => hostilePublishes([Channel.observations, batch(epoch, yearOne, hugeSeq, lateButFine)]),
      { [RejectionCode.timestampTooOld]: 2, [RejectionCode.seqImplausible]: 1 },
    );
    for (const o of [epoch, yearOne, hugeSeq])
      expect(stored(o.id), `${o.measuredAt} seq ${o.seq}`).toBeUndefined();
    expect(stored(lateButFine.id)?.device_id, 'a 29-day-old reading').toBe(hostileCuff);
  });

  it('refuses a routine reading on the urgent lane', async () => {
    const routine = bloodPressure(hostileCuff, 150);
    await refusedWith(
      'blood pressure on the urgent topic',
      () => hostilePublishes([Channel.urgent, batch(routine)]),
      { [RejectionCode.notUrgentKind]: 1 },
    );
    expect(stored(routine.id)).toBeUndefined();
  });

  const reservedIds = () => [
    'wardline-server',
    'wardline-server-urgent',
    'wardline-server-probe',
    victimGateway.username,
    `${victimGateway.username}:probe`,
    bystanderGateway.username,
  ];

  async function expectIdsRejected(when: string): Promise<void> {
    const before = (await brokerHealth(system.brokerHealthPort)).refusals.total;
    for (const clientId of reservedIds()) {
      // clean: false asks to resume the session: the server's holds its queued messages.
      const outcome = await tryConnect(system.brokerUrl, { ...hostileOptions(clientId), clean: false });
      outcome.client?.end(true);
      expect(outcome.code, `${when}: hostile credentials with client id ${clientId}`).toBe(
        IDENTIFIER_REJECTED,
      );
    }
    const after = await brokerHealth(system.brokerHealthPort);
    expect(after.refusals.total - before, `${when}: broker refusals counted`).toBe(reservedIds().length);
  }

  it('rejects reserved and foreign client ids with CONNACK 2', async () => {
    await expectIdsRejected('broker running');
    // Its own ids are fine: the rule is about whose id it is.
    const own = await tryConnect(system.brokerUrl, hostileOptions(`${hostileGateway.username}:probe`));
    own.client?.end(true);
    expect(own.code, 'hostile gateway with its own {username}:{suffix}').toBe(0);
    const health = (await (await fetch(`${system.httpUrl}/api/health`)).json()) as Health;
    expect(health.mqtt.connected, "the server's MQTT sessions").toBe(true);
    await victimStillServed('reserved client ids');
  });

  it('rejects them right after a broker restart, before the server is back', async () => {
    await system.broker.stop('SIGTERM');
    hostile?.end(true);
    hostile = null;
    system.broker.start();
    // Knock from the moment the broker starts: the first CONNECT it answers is the hostile one.
    const first: Record<string, ConnectOutcome> = {};
    for (const clientId of ['wardline-server', 'wardline-server-urgent']) {
      for (;;) {
        const outcome = await tryConnect(
          system.brokerUrl,
          { ...hostileOptions(clientId), clean: false },
          5000,
        );
        outcome.client?.end(true);
        if (outcome.code !== 'closed') {
          first[clientId] = outcome;
          break;
        }
        await sleep(20);
      }
    }
    await waitForHttp(`http://127.0.0.1:${system.brokerHealthPort}/health`, 60_000, system.broker);
    for (const [clientId, outcome] of Object.entries(first)) {
      expect(outcome.code, `first CONNECT after the restart with client id ${clientId}`).toBe(
        IDENTIFIER_REJECTED,
      );
    }
    await expectIdsRejected('after a broker restart');
    const reconnected = await pollUntil(
      async () => {
        const res = await fetch(`${system.httpUrl}/api/health`);
        return ((await res.json()) as Health).mqtt.connected;
      },
      15_000,
      100,
    );
    expect(reconnected, "the server's sessions back after the restart").toBe(true);
    await pollUntil(() => victim.connected, 10_000);
    await victimStillServed('reserved client ids after a broker restart');
  });

  it(`leaves exactly one live connection of ${FLOOD_SESSIONS} concurrent sessions on one gateway's credentials`, async () => {
    hostile?.end(true);
    hostile = null;
    await sleep(200);
    const baseline = (await brokerHealth(system.brokerHealthPort)).clients;
    const started = Date.now();
    const acceptedAt = new Map<MqttClient, number>();
    const refused: Record<string, number> = {};
    let settled = 0;
    const clients = Array.from({ length: FLOOD_SESSIONS }, (_, i) => {
      const client = mqttClient(system.brokerUrl, {
        ...hostileOptions(`${hostileGateway.username}:${i}`),
        connectTimeout: 30_000,
      });
      let done = false;
      const settle = () => {
        if (!done) settled++;
        done = true;
      };
      client.once('connect', () => {
        acceptedAt.set(client, performance.now());
        settle();
      });
      client.on('error', (err: Error & { code?: unknown }) => {
        const code = String(err.code ?? err.message);
        refused[code] = (refused[code] ?? 0) + 1;
        settle();
      });
      client.once('close', settle);
      return client;
    });
    try {
      await pollUntil(() => settled === FLOOD_SESSIONS, 60_000, 50);
      // Replaced connections are closed by the broker; give the last closes a moment to land.
      await pollUntil(() => clients.filter((c) => c.connected).length <= 1, 10_000, 50);
      await sleep(500);
      const live = clients.filter((c) => c.connected);
      const brokerClients = (await brokerHealth(system.brokerHealthPort)).clients;
      console.log(
        `connection flood: ${FLOOD_SESSIONS} sessions in ${Date.now() - started} ms, ${acceptedAt.size} accepted, ` +
          `refused ${JSON.stringify(refused)}, ${live.length} live at the end, broker clients ${baseline} -> ${brokerClients}`,
      );
      expect(settled, 'every CONNECT answered').toBe(FLOOD_SESSIONS);
      expect(live.length, 'hostile connections live at the end').toBe(1);
      expect(brokerClients - baseline, 'connections the broker holds for the hostile gateway').toBe(1);
      // A new connection replaces the old: the one left is the last one the broker accepted.
      const latest = [...acceptedAt].sort((a, b) => b[1] - a[1])[0]![0];
      expect(live[0] === latest, 'the surviving connection is the newest').toBe(true);
    } finally {
      for (const c of clients) c.end(true);
    }
    await victimStillServed('connection flood');
  }, 120_000);

  it(`connects real gateways in under 1 s while ${FLOOD_BAD_PASSWORDS} wrong-password CONNECTs are in flight`, async () => {
    // Half with the hostile gateway's name, the rest with names nobody has (the costliest check).
    const flood = startConnectFlood({
      url: system.brokerUrl,
      count: FLOOD_BAD_PASSWORDS,
      localAddress: HOSTILE_ADDRESS,
      usernames: [hostileGateway.username, ...Array.from({ length: 99 }, (_, i) => `intruder-${i}`)],
    });
    let floodDone = false;
    const result = flood.done.finally(() => (floodDone = true));
    await flood.first;
    // The victim's gateway reconnects again and again until the flood is over...
    const reconnects: ConnectOutcome[] = [];
    const reconnecting = (async () => {
      do {
        victim.end(true);
        const again = await tryConnect(system.brokerUrl, victimOptions(), 30_000);
        reconnects.push(again);
        if (!again.client) break;
        victim = again.client;
        await sleep(50);
      } while (!floodDone);
    })();
    // ...and, at the height of it, the bystander's gateway connects for the first time (its
    // password not checked before).
    await flood.half;
    // For the report: how long the broker's own event loop takes to answer meanwhile.
    const healthStarted = performance.now();
    const healthAnswered = brokerHealth(system.brokerHealthPort).then(
      () => performance.now() - healthStarted,
    );
    const first = await tryConnect(
      system.brokerUrl,
      {
        username: bystanderGateway.username,
        password: system.gatewayPassword(bystanderGateway),
        clientId: bystanderGateway.username,
      },
      30_000,
    );
    first.client?.end(true);
    const healthMs = await healthAnswered;
    await reconnecting;
    const { codes, slowestMs } = await result;
    const slowest = Math.max(...reconnects.map((r) => r.ms));
    console.log(
      `${FLOOD_BAD_PASSWORDS} wrong-password CONNECTs in flight: bystander gateway's first connect ${first.ms.toFixed(0)} ms ` +
        `(CONNACK ${first.code}), victim gateway reconnected ${reconnects.length} times, slowest ${slowest.toFixed(0)} ms ` +
        `(CONNACK ${[...new Set(reconnects.map((r) => r.code))].join(', ')}); ` +
        `hostile outcomes ${JSON.stringify(codes)}, slowest answered in ${slowestMs.toFixed(0)} ms; ` +
        `broker health endpoint answered in ${healthMs.toFixed(0)} ms`,
    );
    expect(first.code, 'the bystander gateway connects').toBe(0);
    expect(
      reconnects.map((r) => r.code),
      'the victim gateway reconnects',
    ).toEqual(reconnects.map(() => 0));
    expect(codes['0'] ?? 0, 'wrong passwords accepted').toBe(0);
    // Queued behind the flood's 2,000 password checks (~25 ms each, two at a time) a connect takes
    // tens of seconds (47.6 s before the bound); alone it takes under 0.5 s here, up to 1.6 s when the
    // rest of the suite shares the two cores. The bound tells the two apart.
    expect(first.ms, "bystander gateway's first connect (ms)").toBeLessThan(FLOOD_CONNECT_BOUND_MS);
    expect(slowest, 'slowest victim gateway reconnect (ms)').toBeLessThan(FLOOD_CONNECT_BOUND_MS);
    await victimStillServed('wrong-password flood');
  }, 120_000);
});
