/**
 * Online snapshots of the broker's LevelDB data: one point in time while writes go on, refused
 * when cut short or altered, served only with the admin token, and a broker started on the copy
 * has the server's persistent session and the readings queued for it.
 */
import { ClassicLevel } from 'classic-level';
import { createServer, request, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminHandler, fetchBrokerSnapshot, SNAPSHOT_PATH } from './admin.js';
import { startBroker, type RunningBroker } from './broker.js';
import { loadConfig } from './config.js';
import { hashPassword } from './password.js';
import {
  assertBrokerDataNotInUse,
  BrokerDataInUseError,
  inspectBrokerData,
  readSnapshot,
  writeSnapshot,
} from './snapshot.js';
import type { UserEntry } from './users.js';

const TOKEN = 'test-admin-token-0123456789';
const silent = pino({ level: 'silent' });
let parent: string;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'wardline-snapshot-'));
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

const listen = async (server: Server): Promise<number> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
};

describe('snapshot stream', () => {
  it('is the data at one instant while the broker keeps writing', async () => {
    const db = new ClassicLevel(join(parent, 'live'));
    const KEYS = 4000;
    const generation = (g: number) =>
      Array.from({ length: KEYS }, (_, i) => ({
        type: 'put' as const,
        key: `outgoing:k${String(i).padStart(5, '0')}`,
        value: `${g}:${'x'.repeat(200)}`,
      }));
    await db.batch(generation(0));
    const http = createServer((req, res) => {
      createAdminHandler({ token: TOKEN, level: db, closing: () => false, logger: silent })(req, res);
    });
    const port = await listen(http);

    // A slow reader, so that the writer below rewrites every key several times mid-stream.
    const response = await new Promise<Readable>((resolve, reject) =>
      request(
        {
          port,
          host: '127.0.0.1',
          path: SNAPSHOT_PATH,
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}` },
        },
        resolve,
      )
        .on('error', reject)
        .end(),
    );
    const slow = new PassThrough({ highWaterMark: 1024 });
    response.pipe(slow);
    const reading = readSnapshot(
      (async function* () {
        for await (const chunk of slow) {
          await sleep(2);
          yield chunk as Buffer;
        }
      })(),
      join(parent, 'live-copy'),
    );
    let written = 0;
    let done = false;
    void reading.finally(() => (done = true));
    while (!done) {
      await db.batch(generation(++written));
      await sleep(5);
    }
    const summary = await reading;
    http.close();
    await db.close();

    expect(written, 'generations written while the snapshot streamed').toBeGreaterThanOrEqual(3);
    expect(summary.entries).toBe(KEYS);
    expect(summary.counts.queuedMessages).toBe(KEYS);
    const copy = new ClassicLevel(join(parent, 'live-copy'));
    const generations = new Set<string>();
    for await (const value of copy.values()) generations.add(value.split(':')[0]!);
    await copy.close();
    // Every key from the same instant: one generation, not a mix of old and new.
    expect([...generations]).toHaveLength(1);
  });

  it('refuses a stream cut short or altered', async () => {
    const db = new ClassicLevel(join(parent, 'small'));
    await db.batch(
      Array.from({ length: 50 }, (_, i) => ({ type: 'put' as const, key: `k${i}`, value: `v${i}` })),
    );
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on('data', (c: Buffer) => chunks.push(c));
    await writeSnapshot(db, sink);
    await db.close();
    const whole = Buffer.concat(chunks);

    const truncated = whole.subarray(0, whole.length - 20);
    await expect(readSnapshot(Readable.from([truncated]), join(parent, 'cut'))).rejects.toThrow(
      /ended early/,
    );
    const altered = Buffer.from(whole);
    altered[40] = altered[40]! ^ 0xff;
    await expect(readSnapshot(Readable.from([altered]), join(parent, 'altered'))).rejects.toThrow(
      /digest|entries|snapshot/,
    );
    const ok = await readSnapshot(Readable.from([whole]), join(parent, 'whole'));
    expect(ok.entries).toBe(50);
  });
});

describe('admin endpoint on a running broker', () => {
  let users: UserEntry[];
  let broker: RunningBroker | undefined;
  const dataDir = () => join(parent, 'broker-data');
  const start = (options: { dataDir?: string; adminToken?: string; port?: number }) =>
    startBroker({
      users,
      host: '127.0.0.1',
      port: options.port ?? 0,
      healthPort: 0,
      logger: silent,
      ...options,
    });
  const post = (path: string, token?: string, method = 'POST') =>
    fetch(`http://127.0.0.1:${broker!.healthPort}${path}`, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  beforeAll(async () => {
    const cheap = { N: 1024, r: 8, p: 1 };
    users = [
      {
        username: 'wardline-server',
        passwordHash: await hashPassword('server-secret', cheap),
        role: 'server',
      },
      {
        username: 'a.g1',
        passwordHash: await hashPassword('g1-secret', cheap),
        role: 'gateway',
        site: 'site-a',
        gateway: 'gw-1',
      },
    ];
  });
  afterAll(async () => {
    await broker?.close();
  });

  it('is off without a token, and refuses a missing or wrong one', async () => {
    broker = await start({ dataDir: dataDir() });
    const off = await post(SNAPSHOT_PATH, TOKEN);
    expect(off.status).toBe(403);
    expect(((await off.json()) as { error: string }).error).toMatch(/WARDLINE_BROKER_ADMIN_TOKEN/);
    await broker.close();

    broker = await start({ dataDir: dataDir(), adminToken: TOKEN });
    expect((await post(SNAPSHOT_PATH)).status).toBe(401);
    expect((await post(SNAPSHOT_PATH, 'wrong-token-wrong-token')).status).toBe(401);
    expect((await post(SNAPSHOT_PATH, TOKEN, 'GET')).status).toBe(405);
    expect((await post('/health', undefined, 'GET')).status).toBe(200);
    // The running broker holds its directory: a restore must not write there.
    await expect(assertBrokerDataNotInUse(dataDir())).rejects.toBeInstanceOf(BrokerDataInUseError);
    await expect(inspectBrokerData(dataDir())).rejects.toBeInstanceOf(BrokerDataInUseError);
    await broker.close();
    broker = undefined;

    expect(() =>
      loadConfig({ WARDLINE_BROKER_USERS_FILE: 'u.json', WARDLINE_BROKER_ADMIN_TOKEN: 'short' }),
    ).toThrow(/at least 16 characters/);
  });

  it('answers 409 for a broker without a data directory', async () => {
    broker = await start({ adminToken: TOKEN });
    const res = await post(SNAPSHOT_PATH, TOKEN);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toMatch(/in memory/);
    await broker.close();
    broker = undefined;
  });

  it("a broker started on the copy has the server's session and the readings queued for it", async () => {
    broker = await start({ dataDir: dataDir(), adminToken: TOKEN });
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const server = await mqtt.connectAsync(url, {
      username: 'wardline-server',
      password: 'server-secret',
      clientId: 'wardline-server',
      clean: false,
      reconnectPeriod: 0,
    });
    await server.subscribeAsync('wardline/v1/+/+/obs', { qos: 1 });
    await server.endAsync();
    const gateway = await mqtt.connectAsync(url, {
      username: 'a.g1',
      password: 'g1-secret',
      clientId: 'a.g1',
      reconnectPeriod: 0,
    });
    for (let i = 0; i < 5; i++)
      await gateway.publishAsync('wardline/v1/site-a/gw-1/obs', `reading-${i}`, { qos: 1 });
    await gateway.endAsync();

    const copyDir = join(parent, 'restored-broker');
    const snapshot = await fetchBrokerSnapshot({
      url: `http://127.0.0.1:${broker.healthPort}`,
      token: TOKEN,
      directory: copyDir,
    });
    expect(snapshot.counts.serverSessions).toEqual(['wardline-server']);
    expect(snapshot.counts.queuedMessages).toBe(5);
    await broker.close();

    broker = await start({ dataDir: copyDir });
    const received: string[] = [];
    const resumed = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, {
      username: 'wardline-server',
      password: 'server-secret',
      clientId: 'wardline-server',
      clean: false,
      reconnectPeriod: 0,
    });
    resumed.on('message', (_topic, payload) => received.push(payload.toString()));
    const connack = await new Promise<{ sessionPresent: boolean }>((resolve) =>
      resumed.once('connect', resolve),
    );
    expect(connack.sessionPresent).toBe(true);
    const deadline = Date.now() + 5000;
    while (received.length < 5 && Date.now() < deadline) await sleep(20);
    await resumed.endAsync();
    expect(received.sort()).toEqual(['reading-0', 'reading-1', 'reading-2', 'reading-3', 'reading-4']);
  });
});
