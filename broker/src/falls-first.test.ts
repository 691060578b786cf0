/**
 * A server that reads routine readings more slowly than the gateways send them must not hold back
 * the falls those gateways send next (subscriber-buffer.ts): aedes completes a PUBLISH only once
 * every online subscriber's socket has taken it, and reads a gateway's next packet only after
 * that, so a full routine socket used to delay each gateway's fall until it drained. Real aedes,
 * real LevelDB, real TCP; the routine subscriber is a raw socket the test stops reading, so the
 * kernel's buffers fill and the broker's writes to it back up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from './broker.js';
import { connectPacket } from './testing/raw-mqtt.js';
import { connectPersistent, siteUsers, UNLIMITED_PUBLISH_RATES } from './testing/site-users.js';
import type { UserEntry } from './users.js';

const GATEWAYS = 4;
/** Per routine message; the routine total is far past what the kernel buffers on loopback. */
const PAYLOAD_BYTES = 16 * 1024;
const ROUTINE_TOPICS = 'wardline/v1/+/+/obs';
const URGENT_TOPICS = 'wardline/v1/+/+/urgent';

let users: UserEntry[];
let parent: string;
let broker: RunningBroker | undefined;
const clients: MqttClient[] = [];
const sockets: Socket[] = [];

beforeAll(async () => {
  users = await siteUsers(GATEWAYS);
  parent = await mkdtemp(join(tmpdir(), 'wardline-broker-falls-'));
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(clients.splice(0).map((client) => client.endAsync(true)));
  await broker?.close();
  broker = undefined;
});

afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

const start = (name: string, subscriberBufferBytes?: number) =>
  startBroker({
    users,
    host: '127.0.0.1',
    port: 0,
    healthPort: 0,
    dataDir: join(parent, name),
    publishRates: UNLIMITED_PUBLISH_RATES,
    ...(subscriberBufferBytes === undefined ? {} : { subscriberBufferBytes }),
    logger: pino({ level: 'silent' }),
  });

async function connect(username: string, password: string, clientId: string) {
  const session = await connectPersistent(broker!.port, username, password, clientId);
  clients.push(session.client);
  return session;
}

/**
 * The server's routine session over a raw socket, so that it can stop reading for real (mqtt.js
 * pipes its socket into its parser, which resumes it). Acknowledges every QoS 1 PUBLISH and keeps
 * the id each payload starts with.
 */
async function routineSubscriber() {
  const socket = connectTcp(broker!.port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => undefined);
  const received: string[] = [];
  let connacked: () => void = () => undefined;
  let subacked: () => void = () => undefined;
  const connack = new Promise<void>((resolve) => (connacked = resolve));
  const suback = new Promise<void>((resolve) => (subacked = resolve));
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const frame = nextFrame(pending);
      if (!frame) break;
      pending = pending.subarray(frame.end);
      const type = frame.header >> 4;
      if (type === 2) connacked();
      else if (type === 9) subacked();
      else if (type === 3) {
        const body = frame.body;
        const topicLength = body.readUInt16BE(0);
        let offset = 2 + topicLength;
        if ((frame.header >> 1) & 3) {
          const packetId = body.readUInt16BE(offset);
          offset += 2;
          socket.write(Buffer.from([0x40, 2, packetId >> 8, packetId & 0xff]));
        }
        received.push(idOf(body.subarray(offset).toString()));
      }
    }
  });
  socket.write(
    connectPacket({
      clientId: 'wardline-server',
      username: 'wardline-server',
      password: 'server-secret',
      clean: false,
    }),
  );
  await connack;
  const filter = Buffer.from(ROUTINE_TOPICS);
  const subscribe = Buffer.concat([
    Buffer.from([0x82, 2 + 2 + filter.length + 1, 0, 1, filter.length >> 8, filter.length & 0xff]),
    filter,
    Buffer.from([1]),
  ]);
  socket.write(subscribe);
  await suback;
  return { socket, received };
}

/** One whole MQTT packet at the start of `bytes`, or null until it has all arrived. */
function nextFrame(bytes: Buffer): { header: number; body: Buffer; end: number } | null {
  let length = 0;
  let multiplier = 1;
  for (let index = 1; index <= 4; index++) {
    if (index >= bytes.length) return null;
    const byte = bytes[index]!;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) {
      const end = index + 1 + length;
      if (bytes.length < end) return null;
      return { header: bytes[0]!, body: bytes.subarray(index + 1, end), end };
    }
  }
  throw new Error('malformed remaining length');
}

const idOf = (payload: string) => payload.slice(0, payload.indexOf('|'));
const routinePayload = (id: string) => `${id}|`.padEnd(PAYLOAD_BYTES, '.');

/** Bytes the broker holds for the routine session that its socket has not taken yet. */
function heldForRoutineSession(): number {
  const aedes = broker!.aedes as unknown as { clients: Record<string, { conn: { writableLength: number } }> };
  return aedes.clients['wardline-server']?.conn.writableLength ?? 0;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the values read stay the same across a few polls. */
async function settled(read: () => number[]): Promise<void> {
  let last = read().join();
  let same = 0;
  await waitFor(() => {
    const now = read().join();
    same = now === last ? same + 1 : 0;
    last = now;
    return same >= 30;
  }, 'the broker to settle');
}

const missing = (expected: string[], received: string[]) => {
  const seen = new Set(received);
  return expected.filter((id) => !seen.has(id));
};

const gateway = (g: number) => connect(`a.g${g}`, `g${g}-secret`, `a.g${g}`);

/** Fires `count` routine QoS 1 publishes without waiting; counts the PUBACKs as they come. */
function publishRoutine(client: MqttClient, g: number, count: number) {
  const ids = Array.from({ length: count }, (_, n) => `g${g}-${n}`);
  const progress = { acked: 0 };
  const done = Promise.all(
    ids.map((id) =>
      client
        .publishAsync(`wardline/v1/site-a/gw-${g}/obs`, routinePayload(id), { qos: 1 })
        .then(() => void (progress.acked += 1)),
    ),
  );
  return { ids, progress, done };
}

describe('falls while the server is slow to read routine readings', () => {
  it('a fall reaches the urgent session while the routine session has stopped reading', async () => {
    const PER_GATEWAY = 256; // 4 gateways x 256 x 16 KiB = 16 MiB of routine readings
    // An allowance above that backlog: within it, falls must not wait for the routine session.
    broker = await start('falls', 32 * 1024 * 1024);
    const routine = await routineSubscriber();
    const urgent = await connect('wardline-server', 'server-secret', 'wardline-server-urgent');
    await urgent.client.subscribeAsync(URGENT_TOPICS, { qos: 1 });
    routine.socket.pause();

    const gateways = await Promise.all(Array.from({ length: GATEWAYS }, (_, i) => gateway(i + 1)));
    const batches = gateways.map(({ client }, i) => {
      const batch = publishRoutine(client, i + 1, PER_GATEWAY);
      // Behind its own gateway's routine readings on the same connection.
      void client.publishAsync(`wardline/v1/site-a/gw-${i + 1}/urgent`, `fall-g${i + 1}`, { qos: 1 });
      return batch;
    });
    const falls = gateways.map((_, i) => `fall-g${i + 1}`);

    await waitFor(() => missing(falls, urgent.received).length === 0, 'every fall at the urgent session');
    // The routine session really is backed up: the kernel's buffers are full and the broker holds
    // the rest, and its subscriber has read nothing since it paused.
    expect(routine.received).toEqual([]);
    expect(heldForRoutineSession()).toBeGreaterThan(0);

    routine.socket.resume();
    const expected = batches.flatMap((batch) => batch.ids);
    await waitFor(
      () => missing(expected, routine.received).length === 0,
      'every routine reading at the routine session',
    );
    expect(missing(expected, routine.received)).toEqual([]);
    await Promise.all(batches.map((batch) => batch.done));
  });

  it('a server that stopped reading still holds the gateways back', async () => {
    const BUFFER_BYTES = 256 * 1024;
    // 8 MiB from one gateway: on Linux loopback the kernel takes up to ~4 MiB of it (the
    // broker's send buffer grows to tcp_wmem's 4 MiB), the broker's allowance and the publishes it
    // has in flight at most ~1 MiB more.
    const COUNT = 512;
    broker = await start('held', BUFFER_BYTES);
    const routine = await routineSubscriber();
    routine.socket.pause();

    const { client } = await gateway(1);
    const batch = publishRoutine(client, 1, COUNT);

    // The broker stops taking the gateway's publishes once it holds more than its allowance for
    // the server: from then on each write waits for the socket to drain. The publishes it had
    // already read are still written (taking it somewhat past the allowance) but do not complete;
    // then nothing moves.
    await waitFor(() => heldForRoutineSession() > BUFFER_BYTES, 'the routine session buffer to fill');
    await settled(() => [batch.progress.acked, heldForRoutineSession()]);
    expect(batch.progress.acked).toBeLessThan(COUNT);
    expect(heldForRoutineSession()).toBeLessThan(BUFFER_BYTES + 2 * 1024 * 1024);
    expect(routine.received).toEqual([]);

    routine.socket.resume();
    await batch.done;
    expect(batch.progress.acked).toBe(COUNT);
    await waitFor(() => missing(batch.ids, routine.received).length === 0, 'every reading at the server');
    expect(missing(batch.ids, routine.received)).toEqual([]);
  });
});
