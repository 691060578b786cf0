/**
 * Shared set-up for end-to-end tests: real broker, real server, real sockets on 127.0.0.1,
 * every port chosen by the OS, every database in a fresh temp dir.
 */
import {
  CredentialReplica,
  hashPassword,
  startBroker,
  type RunningBroker,
  type UserEntry,
} from '@wardline/broker';
import {
  startServer,
  type RunningServer,
  type SeedWard,
  type ServerConfig,
  type StartOptions,
} from '@wardline/server';
import { testDatabaseUrlFor } from '@wardline/server/testing-database';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, Observation, ServerToClientEvents } from '@wardline/protocol';

/** Cheap scrypt cost for tests only; verification reads the cost from the hash itself. */
const TEST_COST = { N: 2 ** 10, r: 8, p: 1 };

export const DEMO_PASSWORD = 'e2e-demo-password';
export const SERVER_MQTT_PASSWORD = 'e2e-server-secret';
export const gatewayPassword = (site: string, gateway: string) => `secret-${site}-${gateway}`;

export const fleet: SeedWard[] = [
  {
    id: 'ward-e2e',
    name: 'E2E Care Home',
    kind: 'care_home',
    site: 'site-e2e',
    gateways: [
      {
        site: 'site-e2e',
        gateway: 'gw-1',
        residents: [
          {
            number: 1,
            devices: [
              { id: 'e2:00:00:00:00:01', model: 'bp-cuff' },
              { id: 'e2:00:00:00:01:01', model: 'falls-sensor' },
            ],
          },
          { number: 2, devices: [{ id: 'e2:00:00:00:00:02', model: 'bp-cuff' }] },
        ],
      },
      { site: 'site-e2e', gateway: 'gw-2', residents: [] },
      // Gateway tests (noble path, kill -9): appended, used by gateway-*.e2e.test.ts.
      {
        site: 'site-e2e',
        gateway: 'gw-3',
        residents: [
          {
            number: 11,
            devices: [
              { id: 'e2:00:00:00:00:11', model: 'bp-cuff' },
              { id: 'e2:00:00:00:01:11', model: 'falls-sensor' },
              { id: 'e2:00:00:00:02:11', model: 'pulse-oximeter' },
              { id: 'e2:00:00:00:03:11', model: 'thermometer' },
            ],
          },
        ],
      },
      {
        site: 'site-e2e',
        gateway: 'gw-4',
        residents: [{ number: 21, devices: [{ id: 'e2:00:00:00:00:21', model: 'bp-cuff' }] }],
      },
    ],
  },
];

/** A port that was free a moment ago, for processes that cannot be told to use port 0. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A BLE-style id for the n-th (1-based) cuff of a large ward. */
export const largeWardDeviceId = (n: number) =>
  `bb:00:00:00:${String(Math.floor(n / 100)).padStart(2, '0')}:${String(n % 100).padStart(2, '0')}`;

/** One virtual ward of `beds` residents on one gateway, each with a cuff: for scale tests and benches. */
export function largeWard(beds: number): SeedWard[] {
  return [
    {
      id: 'ward-big',
      name: 'Big Virtual Ward',
      kind: 'virtual_ward',
      site: 'site-big',
      gateways: [
        {
          site: 'site-big',
          gateway: 'gw-1',
          residents: Array.from({ length: beds }, (_, i) => ({
            number: i + 1,
            devices: [{ id: largeWardDeviceId(i + 1), model: 'bp-cuff' }],
          })),
        },
      ],
    },
  ];
}

export const tempDir = (prefix: string) => mkdtempSync(join(tmpdir(), `wardline-${prefix}-`));

export async function brokerUsers(wards: SeedWard[] = fleet): Promise<UserEntry[]> {
  const users: UserEntry[] = [
    {
      username: 'wardline-server',
      role: 'server',
      passwordHash: await hashPassword(SERVER_MQTT_PASSWORD, TEST_COST),
    },
  ];
  for (const g of wards.flatMap((w) => w.gateways)) {
    users.push({
      username: `${g.site}.${g.gateway}`,
      role: 'gateway',
      site: g.site,
      gateway: g.gateway,
      passwordHash: await hashPassword(gatewayPassword(g.site, g.gateway), TEST_COST),
    });
  }
  return users;
}

export async function startTestBroker(
  users?: UserEntry[],
  { dataDir, port = 0 }: { dataDir?: string; port?: number } = {},
): Promise<RunningBroker> {
  return startBroker({
    users: users ?? (await brokerUsers()),
    host: '127.0.0.1',
    port,
    ...(dataDir ? { dataDir } : {}),
    healthPort: 0,
    logger: pino({ level: 'silent' }),
  });
}

/**
 * A broker that admits the users file's gateways and the kits whose credentials it replicates from
 * the server at `serverUrl` (with `syncToken`). The server need not be up yet: the first sync
 * fails, and the broker starts anyway.
 */
export async function startReplicatingBroker(
  serverUrl: string,
  syncToken: string,
): Promise<{ broker: RunningBroker; replica: CredentialReplica }> {
  const logger = pino({ level: 'silent' });
  const replica = new CredentialReplica({
    url: `${serverUrl}/api/internal/broker/credentials`,
    token: syncToken,
    file: join(tempDir('broker-replica'), 'broker-credentials.replica.json'),
    intervalMs: 250,
    logger,
  });
  await replica.start();
  const broker = await startBroker({
    users: await brokerUsers(),
    credentials: replica,
    host: '127.0.0.1',
    port: 0,
    healthPort: 0,
    logger,
  });
  return { broker, replica };
}

export const builtDashboard = resolve(import.meta.dirname, '../../dashboard/dist');

export async function startTestServer(
  brokerPort: number,
  databasePath = join(tempDir('server'), 'wardline.db'),
  {
    wards = fleet,
    dashboardDir = join(tempDir('no-dashboard'), 'dist'),
    port = 0,
    logger = false,
    config = {},
  }: {
    wards?: SeedWard[];
    dashboardDir?: string;
    /** Silent unless a test reads the server's log lines. */
    logger?: StartOptions['logger'];
    /** 0 (the default) lets the OS choose; a restart test passes the previous port. */
    port?: number;
    /** Further settings (alerting, kits, ...) over these defaults. */
    config?: Partial<ServerConfig>;
  } = {},
): Promise<RunningServer> {
  return startServer({
    config: {
      host: '127.0.0.1',
      port,
      databasePath,
      databaseUrl: await testDatabaseUrlFor(databasePath),
      dashboardDir,
      mqtt: {
        url: `mqtt://127.0.0.1:${brokerPort}`,
        clientId: 'wardline-server',
        username: 'wardline-server',
        password: SERVER_MQTT_PASSWORD,
      },
      demo: true,
      secureCookies: false,
      logLevel: 'silent',
      ...config,
    },
    logger,
    demo: { fleet: wards, password: DEMO_PASSWORD, scryptCost: TEST_COST },
  });
}

/** Polls until the probe returns something truthy, and returns it. */
export async function waitUntil<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export async function connectGatewayClient(
  brokerPort: number,
  site = 'site-e2e',
  gateway = 'gw-1',
  password = gatewayPassword(site, gateway),
): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${brokerPort}`, {
    username: `${site}.${gateway}`,
    password,
    clientId: `${site}.${gateway}:${randomUUID().slice(0, 8)}`,
    reconnectPeriod: 0,
  });
}

let seq = 0;
export function bpReading(deviceId = 'e2:00:00:00:00:01', systolic = 131): Observation {
  return {
    id: randomUUID(),
    deviceId,
    kind: 'blood_pressure',
    measuredAt: new Date(Date.now() - 30_000).toISOString(),
    seq: seq++,
    values: {
      systolic: { value: systolic, unit: 'mmHg' },
      diastolic: { value: 84, unit: 'mmHg' },
      pulseRate: { value: 68, unit: 'bpm' },
    },
  };
}

export function batchPayload(...observations: unknown[]): string {
  return JSON.stringify({ v: 1, sentAt: new Date().toISOString(), observations });
}

export async function signIn(baseUrl: string, username: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  if (!res.ok) throw new Error(`sign-in as ${username} failed: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

export async function apiGet<T>(baseUrl: string, path: string, token: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export type WardSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export async function joinWardSocket(baseUrl: string, token: string, wardId: string): Promise<WardSocket> {
  const socket: WardSocket = io(baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ack = await socket.emitWithAck('joinWard', wardId);
  if (!ack.ok) throw new Error(`joinWard refused: ${ack.code}`);
  return socket;
}

/** A gateway's outbox file, read from outside the gateway: readings not yet acknowledged, and the next sequence number. */
export function readOutbox(path: string): { pending: number; next: number } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const pending = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    const next = (db.prepare("SELECT value FROM meta WHERE key = 'next_seq'").get() as { value: number })
      .value;
    return { pending, next };
  } finally {
    db.close();
  }
}
