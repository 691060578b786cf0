/**
 * The broker over real sockets on 127.0.0.1: mqtt.js clients, Debian's mosquitto_pub, TLS with a
 * throw-away certificate, and the health endpoint.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from './broker.js';
import type { HealthReport } from './health.js';
import { hashPassword } from './password.js';
import type { UserEntry } from './users.js';

const passwords: Record<string, string> = {
  server: 'server-secret',
  'a.g1': 'g1-secret',
  'a.g2': 'g2-secret',
};
const MAX_PAYLOAD_BYTES = 2048;
const OBS = 'wardline/v1/+/+/obs';
const G1 = 'wardline/v1/site-a/gw-1';
const G2 = 'wardline/v1/site-a/gw-2';

let broker: RunningBroker;
let tlsDir: string;
let certificate: Buffer;
const logLines: string[] = [];
const openClients: MqttClient[] = [];

beforeAll(async () => {
  tlsDir = await mkdtemp(join(tmpdir(), 'wardline-broker-tls-'));
  const keyPath = join(tlsDir, 'key.pem');
  const certPath = join(tlsDir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1'],
      ...['-addext', 'subjectAltName=DNS:localhost', '-keyout', keyPath, '-out', certPath],
    ],
    { stdio: 'ignore' },
  );
  certificate = await readFile(certPath);

  const cheap = { N: 1024, r: 8, p: 1 };
  const users: UserEntry[] = [
    { username: 'server', passwordHash: await hashPassword(passwords.server!, cheap), role: 'server' },
    {
      username: 'a.g1',
      passwordHash: await hashPassword(passwords['a.g1']!, cheap),
      role: 'gateway',
      site: 'site-a',
      gateway: 'gw-1',
    },
    {
      username: 'a.g2',
      passwordHash: await hashPassword(passwords['a.g2']!, cheap),
      role: 'gateway',
      site: 'site-a',
      gateway: 'gw-2',
    },
  ];
  broker = await startBroker({
    users,
    host: '127.0.0.1',
    port: 0,
    healthPort: 0,
    tls: { port: 0, keyPath, certPath },
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
    logger: pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) }),
  });
});

afterEach(async () => {
  await Promise.all(openClients.splice(0).map((client) => client.endAsync(true)));
  // A gateway's next connection would otherwise wait for, and replace, one from the test before.
  await waitFor(() => {
    const { gateways, waiting, servers } = broker.health().connections;
    return gateways + waiting + servers === 0;
  }, 'the test clients to be gone');
});

afterAll(async () => {
  await broker?.close();
  if (tlsDir) await rm(tlsDir, { recursive: true, force: true });
});

interface Received {
  topic: string;
  payload: string;
}

interface TestClient {
  client: MqttClient;
  received: Received[];
  connack: IConnackPacket;
  closed: Promise<void>;
}

let connections = 0;
/** A client id the broker lets this user have: its user name (gateways), or wardline-server-… */
function ownClientId(username: string | undefined): string {
  connections += 1;
  return username === 'server'
    ? `wardline-server-test-${connections}`
    : (username ?? `anonymous-${connections}`);
}

function open(username: string | undefined, options: IClientOptions = {}, url?: string): Promise<TestClient> {
  const client = mqtt.connect(url ?? `mqtt://127.0.0.1:${broker.port}`, {
    username,
    password: username === undefined ? undefined : passwords[username],
    clientId: ownClientId(username),
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...options,
  });
  openClients.push(client);
  // Listen before CONNACK: a resumed session's queued messages may arrive in the same read.
  const received: Received[] = [];
  client.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
  const closed = new Promise<void>((resolve, reject) => {
    client.once('close', () => resolve());
    // A refusal closes the connection at once; a test should fail, not hang, when it does not.
    setTimeout(
      () => reject(new Error(`${username ?? 'anonymous'}: connection still open after 3 s`)),
      3000,
    ).unref();
  });
  closed.catch(() => undefined);
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) => resolve({ client, received, connack, closed }));
    client.once('error', reject);
  });
}

async function refusalCode(username: string | undefined, options: IClientOptions = {}): Promise<number> {
  const error: unknown = await open(username, options).then(
    () => new Error('connected, but a refusal was expected'),
    (refused: unknown) => refused,
  );
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'number') throw error;
  return code;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The QoS granted per filter; 128 is a refusal (mqtt.js reports it as an error carrying the SUBACK). */
async function grantedQos(client: MqttClient, filters: string[]): Promise<number[]> {
  const suback = await client.subscribeAsync(filters, { qos: 1 }).then(
    (grants) => ({ granted: grants.map(({ qos }) => qos) }),
    (error: unknown) => (error as { packet?: { granted?: number[] } }).packet,
  );
  if (!suback?.granted) throw new Error('no SUBACK');
  return suback.granted;
}

const payloads = (received: Received[]): string[] => received.map(({ payload }) => payload);

/**
 * Proves a message did not arrive: a later message from another client is awaited first, so
 * anything the broker had accepted earlier would already be there.
 */
async function afterMarker(from: TestClient, topic: string, to: TestClient): Promise<void> {
  const marker = `marker-${Math.random()}`;
  await from.client.publishAsync(topic, marker, { qos: 1 });
  await waitFor(() => payloads(to.received).includes(marker), 'the marker message');
}

async function health(path = '/health'): Promise<{ status: number; body: HealthReport }> {
  const response = await fetch(`http://127.0.0.1:${broker.healthPort}${path}`);
  return { status: response.status, body: (await response.json()) as HealthReport };
}

function runMosquittoPub(
  username: string,
  password: string,
  topic: string,
  message: string,
): Promise<number> {
  const args = ['-h', '127.0.0.1', '-p', String(broker.port), '-u', username, '-P', password, '-i', username];
  return new Promise((resolve) => {
    execFile('mosquitto_pub', [...args, '-t', topic, '-m', message, '-q', '1'], { timeout: 5000 }, (error) =>
      resolve(error ? Number(error.code ?? 1) || 1 : 0),
    );
  });
}

describe('connecting', () => {
  it('accepts a gateway and the server with their passwords', async () => {
    const gateway = await open('a.g1');
    const server = await open('server');
    expect(gateway.connack.returnCode).toBe(0);
    expect(server.connack.returnCode).toBe(0);
  });

  it('refuses a wrong password with return code 4 (bad user name or password)', async () => {
    expect(await refusalCode('a.g1', { password: 'g2-secret' })).toBe(4);
  });

  it('refuses an unknown user with return code 4', async () => {
    expect(await refusalCode('mallory', { password: 'g1-secret' })).toBe(4);
  });

  it('refuses a client without credentials with return code 5 (not authorized)', async () => {
    expect(await refusalCode(undefined)).toBe(5);
  });

  it("refuses the server's client id to a gateway with return code 2 and leaves the server connected", async () => {
    const server = await open('server', { clientId: 'wardline-server-owner', clean: false });
    await server.client.subscribeAsync(OBS, { qos: 1 });
    expect(await refusalCode('a.g1', { clientId: 'wardline-server-owner', clean: false })).toBe(2);

    const gateway = await open('a.g2');
    await afterMarker(gateway, `${G2}/obs`, server);
    expect(server.client.connected).toBe(true);
    await server.client.endAsync();
    // Leave no session behind for the other tests.
    await (await open('server', { clientId: 'wardline-server-owner', clean: true })).client.endAsync();
    expect((await health()).body.refusals.byCode.CLIENT_ID_RESERVED).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ["another gateway's user name", 'a.g2'],
    ["another gateway's suffixed id", 'a.g2:spare'],
    ['the old-style id', 'wardline-gw-site-a-gw-1'],
    ['an id the broker would make up (empty)', ''],
  ])('refuses a gateway using %s with return code 2', async (_case, clientId) => {
    expect(await refusalCode('a.g1', { clientId, clean: true })).toBe(2);
  });

  it('accepts a gateway under {username}:{suffix}', async () => {
    expect((await open('a.g1', { clientId: 'a.g1:bench' })).connack.returnCode).toBe(0);
  });

  it('refuses the server a client id that is not wardline-server…, with return code 2', async () => {
    expect(await refusalCode('server', { clientId: 'a.g1' })).toBe(2);
  });

  it("replaces a gateway's connection with its newer one, whatever id each uses", async () => {
    const server = await open('server');
    await server.client.subscribeAsync(OBS, { qos: 1 });
    const older = await open('a.g1', { clientId: 'a.g1' });
    const newer = await open('a.g1', { clientId: 'a.g1:second' });
    await older.closed;
    expect(newer.client.connected).toBe(true);
    await newer.client.publishAsync(`${G1}/obs`, 'from the newer connection', { qos: 1 });
    await waitFor(() => payloads(server.received).includes('from the newer connection'), 'the newer reading');
    expect(broker.health().connections.gateways).toBe(1);
  });

  it('refuses the server identity a client id beyond its limit with return code 3', async () => {
    const held = await Promise.all(
      [1, 2, 3, 4].map((n) => open('server', { clientId: `wardline-server-${n}` })),
    );
    expect(held.every(({ connack }) => connack.returnCode === 0)).toBe(true);
    expect(await refusalCode('server', { clientId: 'wardline-server-5' })).toBe(3);
    // An id it holds may connect again: MQTT hands the session over [MQTT-3.1.4-2].
    expect((await open('server', { clientId: 'wardline-server-1' })).connack.returnCode).toBe(0);
    expect((await health()).body.refusals.byCode.TOO_MANY_CONNECTIONS).toBeGreaterThanOrEqual(1);
  });
});

describe('publishing', () => {
  it("delivers a gateway's readings under its own prefix, never ones forged for another gateway", async () => {
    const server = await open('server');
    await server.client.subscribeAsync(OBS, { qos: 1 });
    const forger = await open('a.g1');

    await forger.client.publishAsync(`${G1}/obs`, 'own reading', { qos: 1 });
    await waitFor(() => payloads(server.received).includes('own reading'), 'the own reading');
    expect(server.received).toContainEqual({ topic: `${G1}/obs`, payload: 'own reading' });

    forger.client.publish(`${G2}/obs`, 'forged reading', { qos: 1 });
    await forger.closed;
    await afterMarker(await open('a.g2'), `${G2}/obs`, server);
    expect(payloads(server.received)).not.toContain('forged reading');
  });

  it('does not let the server publish readings', async () => {
    const listener = await open('server');
    await listener.client.subscribeAsync(OBS, { qos: 1 });
    const server = await open('server');
    server.client.publish(`${G1}/obs`, 'server-made reading', { qos: 0 });
    await server.closed;
    await afterMarker(await open('a.g1'), `${G1}/obs`, listener);
    expect(payloads(listener.received)).not.toContain('server-made reading');
  });

  it('refuses a payload over the cap, accepts one at the cap, and keeps serving', async () => {
    const server = await open('server');
    await server.client.subscribeAsync(OBS, { qos: 1 });
    const gateway = await open('a.g1');
    const atCap = 'a'.repeat(MAX_PAYLOAD_BYTES);
    await gateway.client.publishAsync(`${G1}/obs`, atCap, { qos: 1 });
    await waitFor(() => payloads(server.received).includes(atCap), 'the payload at the cap');

    gateway.client.publish(`${G1}/obs`, 'b'.repeat(MAX_PAYLOAD_BYTES + 1), { qos: 1 });
    await gateway.closed;
    await afterMarker(await open('a.g2'), `${G2}/obs`, server);
    expect(server.received.some(({ payload }) => payload.startsWith('b'))).toBe(false);

    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.refusals.byCode.PAYLOAD_TOO_LARGE).toBeGreaterThanOrEqual(1);
  });

  it('drops a connection announcing a huge packet before reading it, and keeps serving', async () => {
    const socket = connectTcp(broker.port, '127.0.0.1');
    const closed = new Promise<void>((resolve, reject) => {
      socket.once('close', () => resolve());
      setTimeout(() => reject(new Error('the broker kept the connection open')), 2000).unref();
    });
    socket.on('error', () => undefined);
    // A CONNECT announcing 268,435,455 bytes, the most MQTT allows [MQTT-2.2.3].
    socket.write(Buffer.of(0x10, 0xff, 0xff, 0xff, 0x7f));
    await closed;

    expect((await health()).body.refusals.byCode.FRAME_TOO_LARGE).toBeGreaterThanOrEqual(1);
    expect((await open('a.g1')).connack.returnCode).toBe(0);
  });
});

describe('subscribing', () => {
  it('lets a gateway subscribe to its own commands only, and it receives only those', async () => {
    const gateway = await open('a.g1');
    const granted = await grantedQos(gateway.client, [`${G1}/cmd/#`, `${G2}/cmd/#`, 'wardline/v1/#', OBS]);
    expect(granted).toEqual([1, 128, 128, 128]);

    const server = await open('server');
    await server.client.publishAsync(`${G2}/cmd/reboot`, 'for gw-2', { qos: 1 });
    await server.client.publishAsync(`${G1}/cmd/reboot`, 'for gw-1', { qos: 1 });
    await waitFor(() => gateway.received.length > 0, 'the command for gw-1');
    expect(gateway.received).toEqual([{ topic: `${G1}/cmd/reboot`, payload: 'for gw-1' }]);
  });

  it('lets the server subscribe to anything under wardline/v1/ and nothing else', async () => {
    const server = await open('server');
    const granted = await grantedQos(server.client, [
      'wardline/v1/#',
      OBS,
      'wardline/v1/+/+/status',
      '#',
      '$SYS/#',
    ]);
    expect(granted).toEqual([1, 1, 1, 128, 128]);
  });
});

describe('last will', () => {
  it("publishes a gateway's will on its own status topic when its connection drops", async () => {
    const server = await open('server');
    await server.client.subscribeAsync('wardline/v1/+/+/status', { qos: 1 });
    const gateway = await open('a.g1', {
      will: { topic: `${G1}/status`, payload: Buffer.from('gw-1 offline'), qos: 1, retain: false },
    });
    gateway.client.stream.destroy();
    await waitFor(() => payloads(server.received).includes('gw-1 offline'), 'the will');
    expect(server.received).toContainEqual({ topic: `${G1}/status`, payload: 'gw-1 offline' });
  });

  it("refuses at CONNECT a will on another gateway's topic (return code 5), so it can never fire", async () => {
    const server = await open('server');
    await server.client.subscribeAsync('wardline/v1/+/+/status', { qos: 1 });
    const forgedWill = {
      topic: `${G2}/status`,
      payload: Buffer.from('gw-2 forged offline'),
      qos: 1 as const,
    };
    expect(await refusalCode('a.g1', { will: { ...forgedWill, retain: false } })).toBe(5);
    await afterMarker(await open('a.g2'), `${G2}/status`, server);
    expect(payloads(server.received)).not.toContain('gw-2 forged offline');
  });
});

describe('persistent session', () => {
  it('keeps QoS 1 messages for a disconnected clean=false subscriber and delivers all of them', async () => {
    const options = { clientId: 'wardline-server-persistent', clean: false };
    const first = await open('server', options);
    await first.client.subscribeAsync(OBS, { qos: 1 });
    await first.client.endAsync();

    const gateway = await open('a.g2');
    const sent = [1, 2, 3, 4, 5].map((n) => `queued reading ${n}`);
    for (const payload of sent) await gateway.client.publishAsync(`${G2}/obs`, payload, { qos: 1 });

    const resumed = await open('server', options);
    expect(resumed.connack.sessionPresent).toBe(true);
    await waitFor(() => resumed.received.length >= sent.length, 'the queued readings');
    expect(payloads(resumed.received)).toEqual(sent);
    await resumed.client.endAsync();
    await (await open('server', { ...options, clean: true })).client.endAsync();
  });
});

describe('interoperability with mosquitto_pub', () => {
  it('delivers a message published with good credentials', async () => {
    const server = await open('server');
    await server.client.subscribeAsync(OBS, { qos: 1 });
    expect(await runMosquittoPub('a.g1', 'g1-secret', `${G1}/obs`, 'from mosquitto_pub')).toBe(0);
    await waitFor(
      () => payloads(server.received).includes('from mosquitto_pub'),
      'the mosquitto_pub message',
    );
  });

  it('fails with a wrong password and delivers nothing', async () => {
    const server = await open('server');
    await server.client.subscribeAsync(OBS, { qos: 1 });
    expect(await runMosquittoPub('a.g1', 'wrong', `${G1}/obs`, 'mosquitto wrong password')).not.toBe(0);
    await afterMarker(await open('a.g2'), `${G2}/obs`, server);
    expect(payloads(server.received)).not.toContain('mosquitto wrong password');
  });
});

describe('TLS', () => {
  it('accepts a client that trusts the certificate and carries its messages', async () => {
    const server = await open('server');
    await server.client.subscribeAsync(OBS, { qos: 1 });
    const gateway = await open('a.g1', { ca: certificate }, `mqtts://localhost:${broker.tlsPort}`);
    await gateway.client.publishAsync(`${G1}/obs`, 'over tls', { qos: 1 });
    await waitFor(() => payloads(server.received).includes('over tls'), 'the TLS message');
  });

  it('is really TLS: a client that does not trust the certificate cannot connect', async () => {
    await expect(open('a.g1', {}, `mqtts://localhost:${broker.tlsPort}`)).rejects.toThrow(/self[- ]signed/i);
  });
});

describe('health endpoint', () => {
  it('reports status, connected clients, connections, password checks and uptime', async () => {
    await waitFor(() => broker.health().clients === 0, 'earlier clients to be gone');
    await open('a.g1');
    await open('server');
    const { status, body } = await health();
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.clients).toBe(2);
    expect(body.connections).toMatchObject({ gateways: 1, waiting: 0, servers: 1 });
    expect(body.auth).toMatchObject({ hashing: 0, queued: 0 });
    expect(body.auth.verifiedCredentials).toBeGreaterThanOrEqual(2);
    expect(body.throttledClients).toBe(0);
    expect(Number.isInteger(body.uptimeSeconds) && body.uptimeSeconds >= 0).toBe(true);
    expect(body.refusals.total).toBeGreaterThan(0);
  });

  it('answers 404 elsewhere', async () => {
    expect((await health('/')).status).toBe(404);
  });
});

describe('logging', () => {
  it('logs a refusal with the identity and reason code, and never a payload', async () => {
    const gateway = await open('a.g1');
    await gateway.client.publishAsync(`${G1}/obs`, 'PATIENT-SECRET-allowed', { qos: 1 });
    gateway.client.publish(`${G2}/obs`, 'PATIENT-SECRET-refused', { qos: 1 });
    await gateway.closed;

    const refusal = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find(
        (entry) =>
          entry.event === 'refused' && entry.code === 'PUBLISH_NOT_ALLOWED' && entry.topic === `${G2}/obs`,
      );
    expect(refusal).toMatchObject({ action: 'publish', username: 'a.g1', role: 'gateway' });
    expect(refusal?.msg).toContain('gateway site-a/gw-1 (user a.g1)');
    expect(logLines.filter((line) => line.includes('PATIENT-SECRET'))).toEqual([]);
    // The allowed message was logged (at debug), just not its content.
    expect(logLines.some((line) => line.includes('"event":"published"'))).toBe(true);
  });
});

describe('closing', () => {
  it('disconnects clients, stops listening and does not wait for half-open connections', async () => {
    const own = await startBroker({
      users: [
        {
          username: 'server',
          passwordHash: await hashPassword('pw', { N: 1024, r: 8, p: 1 }),
          role: 'server',
        },
      ],
      host: '127.0.0.1',
      port: 0,
      healthPort: 0,
      logger: pino({ level: 'silent' }),
    });
    const client = await open('server', { password: 'pw' }, `mqtt://127.0.0.1:${own.port}`);
    const silent = connectTcp(own.port, '127.0.0.1');
    silent.on('error', () => undefined);
    await new Promise((resolve) => silent.once('connect', resolve));

    const started = Date.now();
    await own.close();
    await own.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await client.closed;
    await expect(fetch(`http://127.0.0.1:${own.healthPort}/health`)).rejects.toThrow();
    await expect(refusalOrConnect(own.port)).resolves.toBe('refused');
  });
});

function refusalOrConnect(port: number): Promise<'refused' | 'connected'> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', () => resolve('refused'));
  });
}
