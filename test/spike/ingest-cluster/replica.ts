/**
 * A stand-in server replica, run as its own process so that it can be killed with -9: it takes
 * readings and falls from the broker cluster on two lanes (falls never wait behind a batch of
 * readings), stores each group in one PostgreSQL transaction with an insert-once key, and
 * acknowledges only after that commit.
 *
 *   MODE=rabbit: competing AMQP consumer on the quorum queues `wl.readings` and `wl.falls`.
 *   MODE=aedes:  persistent MQTT 3.1.1 sessions on the aedes cluster, subscribed to everything,
 *                PUBACKs held until commit (the server's own group commit).
 *
 * Env: MODE, URLS (comma-separated, tried in turn), DB_URL, TABLE, REPLICA. Sends its counters
 * to the parent over IPC every 250 ms; the message 'stop' ends it cleanly.
 */
import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import mqtt from 'mqtt';
import pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupCommit } from '../../../server/src/mqtt/group-commit.js';
import { insertOnce, parse, type Reading } from './store.js';

const mode = process.env.MODE;
const urls = (process.env.URLS ?? '').split(',');
const table = process.env.TABLE ?? 'readings';
const replica = Number(process.env.REPLICA);
const dbUrl = process.env.DB_URL ?? '';

export interface ReplicaCounters {
  received: number;
  inserted: number;
  duplicates: number;
  reconnects: number;
  storeErrors: number;
}

const counters: ReplicaCounters = { received: 0, inserted: 0, duplicates: 0, reconnects: 0, storeErrors: 0 };
const report = setInterval(() => process.send?.(counters), 250);

/** One database connection per lane: a fall's commit never queues behind readings. */
async function store(db: pg.Client, rows: readonly Reading[]): Promise<void> {
  const inserted = await insertOnce(db, table, replica, rows).catch((error: unknown) => {
    counters.storeErrors++;
    console.error(`store failed for ${rows.length} readings: ${String(error)}`);
    throw error;
  });
  counters.inserted += inserted;
  counters.duplicates += rows.length - inserted;
}

async function connectDb(): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  return db;
}

/** `stop` ends cleanly (aedes: unsubscribes first); `detach` leaves as a crash would not: sessions kept. */
type Stop = (how: 'stop' | 'detach') => Promise<void>;

async function runRabbit(): Promise<Stop> {
  const lanes = [
    { queue: 'wl.readings', prefetch: 1000, db: await connectDb() },
    { queue: 'wl.falls', prefetch: 50, db: await connectDb() },
  ];
  let stopping = false;
  let connection: Awaited<ReturnType<typeof amqp.connect>> | null = null;
  /** Per lane of the current connection: stop taking messages, finish and acknowledge what is held. */
  let drains: (() => Promise<void>)[] = [];
  let consuming: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (consuming = resolve));

  const consumeLane = async (
    channel: Channel,
    lane: (typeof lanes)[number],
  ): Promise<() => Promise<void>> => {
    let group: ConsumeMessage[] = [];
    let flushing = false;
    const flush = async () => {
      if (flushing || group.length === 0) return;
      flushing = true;
      const messages = group;
      group = [];
      try {
        await store(
          lane.db,
          messages.map((m) => parse(m.fields.routingKey, m.content)),
        );
        // After the commit: a channel that closed meanwhile gets them re-delivered (a duplicate).
        for (const m of messages) channel.ack(m);
      } catch {
        // channel gone or database error: not acknowledged, so the queue delivers them again
      }
      flushing = false;
      if (group.length > 0) setImmediate(() => void flush());
    };
    await channel.prefetch(lane.prefetch);
    const { consumerTag } = await channel.consume(lane.queue, (message) => {
      if (!message) return;
      counters.received++;
      group.push(message);
      setImmediate(() => void flush());
    });
    return async () => {
      await channel.cancel(consumerTag).catch(() => undefined);
      while (flushing || group.length > 0) {
        await flush();
        await sleep(10);
      }
    };
  };

  void (async () => {
    for (let attempt = 0; !stopping; attempt++) {
      const url = urls[attempt % urls.length] ?? '';
      try {
        const conn = await amqp.connect(url);
        connection = conn;
        const closed = new Promise((resolve) => conn.once('close', resolve));
        conn.on('error', () => undefined);
        const laneDrains = [];
        for (const lane of lanes) {
          const channel = await conn.createChannel();
          channel.on('error', () => undefined);
          laneDrains.push(await consumeLane(channel, lane));
        }
        drains = laneDrains;
        consuming();
        await closed;
      } catch {
        await sleep(100);
      }
      if (!stopping) counters.reconnects++;
    }
  })();

  await started;
  return async () => {
    stopping = true;
    await Promise.all(drains.map((drain) => drain()));
    await connection?.close().catch(() => undefined);
    await Promise.all(lanes.map((l) => l.db.end()));
  };
}

async function runAedes(): Promise<Stop> {
  const servers = urls.map((u) => {
    const { hostname, port } = new URL(u);
    return { host: hostname, port: Number(port) };
  });
  const sessions = await Promise.all(
    (['obs', 'fall'] as const).map(async (kind) => {
      const db = await connectDb();
      const topic = `wl/+/+/${kind}`;
      const client = mqtt.connect({
        servers,
        clientId: `replica-${table}-${replica}-${kind}`,
        clean: false,
        protocolVersion: 4,
        reconnectPeriod: 100,
        connectTimeout: 5_000,
      });
      groupCommit(client, {
        maxGroup: 1000,
        maxGroupBytes: 1 << 20,
        onReceived: () => counters.received++,
        store: (messages) =>
          store(
            db,
            messages.map((m) => parse(m.topic, m.payload)),
          ),
      });
      let first = true;
      // Ready only once the session holds its subscription: from then on the broker keeps
      // every reading for it, connected or not.
      const subscribed = new Promise<void>((resolve) =>
        client.on('connect', (connack) => {
          if (!first) counters.reconnects++;
          first = false;
          if (connack.sessionPresent) resolve();
          else client.subscribe(topic, { qos: 1 }, () => resolve());
        }),
      );
      client.on('error', () => undefined);
      await subscribed;
      return { client, db, topic };
    }),
  );
  return async (how) => {
    for (const s of sessions) {
      // No subscription left: the broker stops queueing for this session once it is gone.
      if (how === 'stop') await s.client.unsubscribeAsync(s.topic).catch(() => undefined);
      await s.client.endAsync();
      await s.db.end();
    }
  };
}

const stop = mode === 'rabbit' ? await runRabbit() : mode === 'aedes' ? await runAedes() : null;
if (!stop) throw new Error(`unknown MODE ${mode}`);
process.send?.({ ...counters, ready: true });
process.on('message', (message) => {
  if (message !== 'stop' && message !== 'detach') return;
  void stop(message).finally(() => {
    clearInterval(report);
    process.send?.(counters, () => process.exit(0));
  });
});
