/**
 * A gateway given two brokers fails over when the one it is on dies. Two of our broker processes
 * (each with its own data directory), one gateway process told both URLs, taking readings from
 * simulated devices; a subscriber on each broker counts readings by id. kill -9 of the broker
 * the gateway is on, while it publishes: the gateway moves to the other broker, re-sends there
 * whatever the dead one had not acknowledged (the new broker has no session for it), sends a fall
 * raised during the outage ahead of the backlog, and stays on the new broker once the old one
 * is back. Every reading the gateway took arrives, counted across both brokers.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import type { Observation, ObservationBatch } from '@wardline/protocol';
import {
  brokerUsers,
  freePort,
  gatewayPassword,
  SERVER_MQTT_PASSWORD,
  tempDir,
  waitUntil,
  readOutbox,
} from './support.js';
import { ManagedProcess, waitForHttp } from './system/processes.js';

const SITE = 'site-e2e';
const GATEWAY = 'gw-2';
/**
 * Broker A takes in at most 2 PUBLISHes a second from the gateway (its per-connection rate, which
 * holds the PUBACK back), so about 200 readings a second in batches of 100, fewer than the gateway
 * takes: at the kill a batch is awaiting A's PUBACK and a backlog is queued behind it.
 */
const READINGS_PER_SECOND = 300;
/** The gateway's default pause before each connection attempt, the floor of a failover. */
const RECONNECT_PERIOD_MS = 2000;
const BROKER_A_PUBLISH_RATE = { WARDLINE_BROKER_PUBLISH_RATE: '2', WARDLINE_BROKER_PUBLISH_BURST: '1' };

interface Arrival {
  observation: Observation;
  urgent: boolean;
  at: number;
}

/** A subscriber with a persistent session on one broker: it gets what the broker stored for it, even across a restart. */
class Counter {
  readonly arrivals: Arrival[] = [];
  readonly client: MqttClient;
  constructor(port: number, name: string) {
    this.client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
      username: 'wardline-server',
      password: SERVER_MQTT_PASSWORD,
      clientId: `wardline-server-failover-${name}`,
      clean: false,
      reconnectPeriod: 100,
    });
    this.client.on('error', () => {});
    this.client.on('connect', () => {
      this.client.subscribe([`wardline/v1/${SITE}/${GATEWAY}/obs`, `wardline/v1/${SITE}/${GATEWAY}/urgent`], {
        qos: 1,
      });
    });
    this.client.on('message', (topic, payload) => {
      const batch = JSON.parse(payload.toString()) as ObservationBatch;
      const at = Date.now();
      for (const observation of batch.observations) {
        this.arrivals.push({ observation, urgent: topic.endsWith('/urgent'), at });
      }
    });
  }
  get connected(): boolean {
    return this.client.connected;
  }
}

describe('gateway with two brokers', () => {
  const dir = tempDir('failover');
  const processes: ManagedProcess[] = [];
  const counters: Counter[] = [];
  afterAll(async () => {
    for (const c of counters) await c.client.endAsync(true);
    for (const p of processes.reverse()) await p.stop('SIGKILL');
  });

  function broker(
    name: string,
    mqttPort: number,
    healthPort: number,
    env: Record<string, string> = {},
  ): ManagedProcess {
    mkdirSync(join(dir, name), { recursive: true });
    const p = new ManagedProcess(
      `broker ${name}`,
      'broker/src/main.ts',
      () => ({
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(mqttPort),
        BROKER_HEALTH_HOST: '127.0.0.1',
        BROKER_HEALTH_PORT: String(healthPort),
        WARDLINE_BROKER_USERS_FILE: join(dir, 'broker-users.json'),
        WARDLINE_BROKER_DATA_DIR: join(dir, name, 'data'),
        LOG_LEVEL: 'warn',
        ...env,
      }),
      join(dir, `broker-${name}.log`),
    );
    processes.push(p);
    return p;
  }

  it('moves to the other broker when the one it is on is killed, and loses nothing', async () => {
    writeFileSync(join(dir, 'broker-users.json'), JSON.stringify({ users: await brokerUsers() }), {
      mode: 0o600,
    });
    const [portA, portB, healthA, healthB, gatewayHealth] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const brokerA = broker('a', portA, healthA, BROKER_A_PUBLISH_RATE);
    const brokerB = broker('b', portB, healthB);
    brokerA.start();
    brokerB.start();
    await waitForHttp(`http://127.0.0.1:${healthA}/health`, 60_000, brokerA);
    await waitForHttp(`http://127.0.0.1:${healthB}/health`, 60_000, brokerB);
    const atA = new Counter(portA, 'a');
    const atB = new Counter(portB, 'b');
    counters.push(atA, atB);
    await waitUntil(() => atA.connected && atB.connected, 'both subscribers');

    const outboxPath = join(dir, 'outbox.db');
    const gateway = new ManagedProcess(
      'gateway',
      'test/src/fixtures/failover-gateway.ts',
      () => ({
        WARDLINE_SITE: SITE,
        WARDLINE_GATEWAY: GATEWAY,
        WARDLINE_GATEWAY_PASSWORD: gatewayPassword(SITE, GATEWAY),
        WARDLINE_BROKER_URLS: `mqtt://127.0.0.1:${portA},mqtt://127.0.0.1:${portB}`,
        WARDLINE_BROKER_URL: '',
        WARDLINE_PROVISIONING_FILE: '',
        WARDLINE_OUTBOX_PATH: outboxPath,
        WARDLINE_HEALTH_PORT: String(gatewayHealth),
        FAILOVER_READINGS_PER_SECOND: String(READINGS_PER_SECOND),
        LOG_LEVEL: 'info',
      }),
      join(dir, 'gateway.log'),
    );
    processes.push(gateway);
    const health = async () =>
      (await (await fetch(`http://127.0.0.1:${gatewayHealth}/health`)).json()) as {
        broker: { connected: boolean; url: string; connects: number; failovers: number };
      };
    const outbox = () => readOutbox(outboxPath);
    const failure = () => `\n--- gateway log ---\n${gateway.tail(40)}`;

    gateway.start();
    await waitForHttp(`http://127.0.0.1:${gatewayHealth}/health`, 60_000, gateway);
    expect((await health()).broker).toMatchObject({ connected: true, url: `mqtt://127.0.0.1:${portA}` });

    // Publishing to A with a backlog (a batch awaiting A's PUBACK, more queued): kill A.
    await waitUntil(
      () => atA.arrivals.length >= 300 && outbox().pending >= 250,
      'readings at broker A and a backlog',
      30_000,
    );
    const killedAt = Date.now();
    await brokerA.stop('SIGKILL');
    const atKill = outbox();
    expect(atKill.pending).toBeGreaterThanOrEqual(150); // a PUBACK may have taken one batch of 100 since
    expect(atB.arrivals).toEqual([]); // one broker at a time: nothing went to B so far

    // A fall while the gateway has no broker (its next attempt is a reconnect period away).
    // It notices the lost connection on its own time (a busy machine may take a moment); its next
    // attempt is a reconnect period (2 s) later.
    await waitUntil(
      async () => !(await health()).broker.connected,
      'the gateway to notice A is gone',
      10_000,
    );
    process.kill(gateway.pid!, 'SIGUSR2');
    const fallOnB = await waitUntil(
      () => atB.arrivals.find((a) => a.observation.kind === 'fall'),
      `the fall at broker B${failure()}`,
      30_000,
    );
    const firstOnB = atB.arrivals[0]!;
    expect((await health()).broker).toMatchObject({
      connected: true,
      url: `mqtt://127.0.0.1:${portB}`,
      failovers: 1,
    });

    expect(fallOnB.urgent).toBe(true);

    // A comes back (its subscriber collects what A stored and had not delivered); the gateway
    // stays on B while it takes another 200 readings.
    brokerA.start();
    await waitForHttp(`http://127.0.0.1:${healthA}/health`, 60_000, brokerA);
    await waitUntil(() => atA.connected, 'subscriber A back');
    const onBBefore = atB.arrivals.length;
    await waitUntil(() => atB.arrivals.length >= onBBefore + 200, 'more readings at B', 30_000);
    process.kill(gateway.pid!, 'SIGUSR1'); // no more readings
    // The signal is handled on the gateway's own time: the outbox may empty before the last readings
    // are taken. Done when it is empty and has taken nothing new for half a second.
    let lastNext = -1;
    await waitUntil(
      async () => {
        const now = outbox();
        const settled = now.pending === 0 && now.next === lastNext;
        lastNext = now.next;
        if (!settled) await new Promise((resolve) => setTimeout(resolve, 500));
        return settled;
      },
      'the outbox to empty and the readings to stop',
      30_000,
    );
    const taken = outbox().next;

    const seqs = () => new Set([...atA.arrivals, ...atB.arrivals].map((a) => a.observation.seq));
    await waitUntil(() => seqs().size >= taken, `every reading at a broker${failure()}`, 30_000);
    const all = [...atA.arrivals, ...atB.arrivals].map((a) => a.observation);
    expect(seqs().size).toBe(taken);
    expect(Math.min(...seqs())).toBe(0);
    expect(Math.max(...seqs())).toBe(taken - 1);
    // One id per reading: a re-send carries the id it had, whichever broker takes it.
    const idsBySeq = new Map<number, Set<string>>();
    for (const o of all) idsBySeq.set(o.seq, (idsBySeq.get(o.seq) ?? new Set()).add(o.id));
    expect([...idsBySeq.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(all.filter((o) => o.kind === 'fall').map((o) => o.id)).toEqual(
      expect.arrayContaining([fallOnB.observation.id]),
    );
    // The fall went ahead of the routine readings taken before it and still waiting (all but the
    // batch that was in flight at the kill, which the gateway re-sends first).
    const fallIndex = atB.arrivals.indexOf(fallOnB);
    const overtaken = atB.arrivals
      .slice(fallIndex + 1)
      .filter((a) => !a.urgent && a.observation.seq < fallOnB.observation.seq).length;
    expect(overtaken).toBeGreaterThan(0);
    // Before the fall, at most that one batch (the gateway's batches are 100 at most).
    expect(atB.arrivals.slice(0, fallIndex).length).toBeLessThanOrEqual(100);
    // No flapping back: nothing taken after the kill went to A, and B is still the broker.
    expect(atA.arrivals.filter((a) => a.observation.seq >= fallOnB.observation.seq)).toEqual([]);
    expect((await health()).broker).toMatchObject({
      connected: true,
      url: `mqtt://127.0.0.1:${portB}`,
      connects: 2,
      failovers: 1,
    });

    const lost = gateway
      .tail(400)
      .split('\n')
      .find((line) => line.includes('broker connection lost'));
    const inFlightAtKill = lost ? (JSON.parse(lost) as { inFlightBatches: number }).inFlightBatches : '?';
    const onlyOnA = new Set(atA.arrivals.map((a) => a.observation.seq));
    for (const a of atB.arrivals) onlyOnA.delete(a.observation.seq);
    console.log(
      `failover: ${taken} readings taken, ${atKill.pending} in the outbox just after the kill ` +
        `(${inFlightAtKill} batch(es) sent to A and awaiting its PUBACK); ` +
        `${onlyOnA.size} delivered by A, ${taken - onlyOnA.size} by B, 0 lost; ` +
        `kill -9 of A to the first reading at B ${firstOnB.at - killedAt} ms ` +
        `(${((firstOnB.at - killedAt) / RECONNECT_PERIOD_MS).toFixed(2)} × the reconnect period), to the fall at B ` +
        `${fallOnB.at - killedAt} ms; the fall overtook ${overtaken} queued routine readings`,
    );
    await gateway.stop('SIGTERM');
  }, 120_000);
});
