/**
 * A hostile gateway: one that holds valid credentials for its own site and uses them against the
 * rest of the system. Payload builders for its attacks, MQTT connections from another loopback
 * address (so that per-address defences can tell it from the fleet on 127.0.0.1, as they would
 * tell a compromised home's router from a care home's), and readers for what the system says it
 * refused: dead letters (server) and refusal counts (broker).
 */
import type { FleetGateway, FleetResident } from '@wardline/firmware-sim';
import {
  OBSERVATION_BATCH_VERSION,
  type Channel,
  STATUS_VERSION,
  gatewayTopic,
  type DeadLetter,
  type Observation,
} from '@wardline/protocol';
import { MqttClient, type IClientOptions } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Where hostile traffic comes from: another loopback address (Linux routes all of 127/8 to lo). */
export const HOSTILE_ADDRESS = '127.0.0.2';
/** Nesting of the poison batch: about 200 KB, under every size limit. */
export const POISON_DEPTH = 100_000;

// ---------------------------------------------------------------------------------------------
// Payloads

export const topicOf = (gateway: FleetGateway, channel: Channel): string => gatewayTopic(gateway, channel);

export function deviceOf(resident: FleetResident, model: 'bp-cuff' | 'falls-sensor'): string {
  const device = resident.devices.find((d) => d.model === model);
  if (!device) throw new Error(`resident ${resident.index} has no ${model}`);
  return device.id;
}

let seqCounter = 0;
/** Distinct measurement times in the past (ms apart), so each payload is told apart by its time. */
let instantCounter = 0;
export const uniqueInstant = (agoMs = 1000): string =>
  new Date(Date.now() - agoMs - (instantCounter++ % 500)).toISOString();

export function bloodPressure(
  deviceId: string,
  systolic = 128,
  overrides: Partial<Observation> = {},
): Observation {
  return {
    id: randomUUID(),
    deviceId,
    kind: 'blood_pressure',
    measuredAt: new Date(Date.now() - 2000).toISOString(),
    seq: seqCounter++,
    values: {
      systolic: { value: systolic, unit: 'mmHg' },
      diastolic: { value: 82, unit: 'mmHg' },
      pulseRate: { value: 71, unit: 'bpm' },
    },
    ...overrides,
  } as Observation;
}

export function fall(deviceId: string, measuredAt = new Date().toISOString()): Observation {
  return {
    id: randomUUID(),
    deviceId,
    kind: 'fall',
    measuredAt,
    seq: seqCounter++,
    values: { confidence: { value: 91, unit: '%' } },
  };
}

export function batch(...observations: unknown[]): string {
  return JSON.stringify({ v: OBSERVATION_BATCH_VERSION, sentAt: new Date().toISOString(), observations });
}

export function statusBatch(
  ...devices: { deviceId: string; connected: boolean; battery: number; lastError?: string }[]
): string {
  return JSON.stringify({
    v: STATUS_VERSION,
    devices: devices.map((d) => ({
      deviceId: d.deviceId,
      connected: d.connected,
      lastSeen: new Date().toISOString(),
      battery: { value: d.battery, unit: '%' },
      ...(d.lastError ? { lastError: d.lastError } : {}),
    })),
  });
}

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/**
 * A well-formed batch envelope whose one observation is `depth` arrays deep. Its `sentAt` is
 * unique, so the dead letter it leaves (which keeps the payload's head) can be told apart.
 */
export function poisonBatch(depth = POISON_DEPTH): { payload: string; sentAt: string } {
  const sentAt = uniqueInstant(0);
  // The batch object and its observations array are two of the levels.
  const payload = `{"v":1,"sentAt":"${sentAt}","observations":[${nested(depth - 2)}]}`;
  return { payload, sentAt };
}

/** A reading whose systolic value is an array `depth` deep (values nested past any contract need). */
export function deepValues(deviceId: string, depth = 1000): string {
  const reading = bloodPressure(deviceId);
  return batch(reading).replace('"value":128', `"value":${nested(depth)}`);
}

/** A batch of `count` tiny items: 100 KB for 50,000, a hundred times the contract's batch size. */
export function tinyItems(count = 50_000): string {
  return `{"v":1,"sentAt":"${new Date().toISOString()}","observations":[${Array(count).fill('0').join(',')}]}`;
}

/**
 * The same key twice in one observation. JSON.parse keeps the last, but a checker that reads the
 * first (or a streaming parser) would see the other: whichever wins, the reading must never be
 * stored against the device it was not checked for.
 */
export function duplicateDeviceKey(firstDevice: string, lastDevice: string): { payload: string; id: string } {
  const reading = bloodPressure(firstDevice);
  const text = JSON.stringify(reading).replace(
    `"deviceId":"${firstDevice}"`,
    `"deviceId":"${firstDevice}","deviceId":"${lastDevice}"`,
  );
  return {
    payload: `{"v":1,"sentAt":"${new Date().toISOString()}","observations":[${text}]}`,
    id: reading.id,
  };
}

/** `__proto__` (and `constructor.prototype`) as JSON keys at each level of a batch. */
export function prototypeKeys(
  ownDevice: string,
  victimDevice: string,
): { payloads: string[]; ids: string[] } {
  const inBatch = bloodPressure(ownDevice);
  const inItem = bloodPressure(ownDevice);
  const inValues = bloodPressure(ownDevice);
  const viaConstructor = bloodPressure(ownDevice);
  const item = (o: Observation, extra: string) => JSON.stringify(o).replace(/^\{/, `{${extra},`);
  const sentAt = new Date().toISOString();
  return {
    payloads: [
      `{"__proto__":{"observations":[${JSON.stringify(bloodPressure(victimDevice))}]},"v":1,"sentAt":"${sentAt}","observations":[${JSON.stringify(inBatch)}]}`,
      `{"v":1,"sentAt":"${sentAt}","observations":[${item(inItem, `"__proto__":{"deviceId":"${victimDevice}","isAdmin":true}`)}]}`,
      `{"v":1,"sentAt":"${sentAt}","observations":[${JSON.stringify(inValues).replace('"values":{', '"values":{"__proto__":{"polluted":true},')}]}`,
      `{"v":1,"sentAt":"${sentAt}","observations":[${item(viaConstructor, `"constructor":{"prototype":{"polluted":true}}`)}]}`,
    ],
    ids: [inBatch.id, inItem.id, inValues.id, viaConstructor.id],
  };
}

/** Ids that look like real ones to a person but are not the same characters. */
export function unicodeTricks(
  ownDevice: string,
  victimDevice: string,
): { name: string; observation: Observation }[] {
  // U+FF01..U+FF5E mirror ASCII 0x21..0x7E: '１' is '1' + 0xFEE0.
  const fullwidth = (s: string) =>
    s.replace(/[0-9a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
  const reading = (deviceId: string, id?: string) => bloodPressure(deviceId, 128, id ? { id } : {});
  const uuid = randomUUID();
  return [
    { name: 'fullwidth device id', observation: reading(fullwidth(victimDevice)) },
    {
      name: 'fullwidth digits in device id',
      observation: reading(ownDevice.replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0))),
    },
    {
      name: 'Cyrillic O for zero in device id',
      observation: reading(victimDevice.replaceAll('0', '\u041e')),
    },
    {
      name: 'zero-width joiner in device id',
      observation: reading(`${victimDevice.slice(0, 3)}\u200d${victimDevice.slice(3)}`),
    },
    { name: 'zero-width space after device id', observation: reading(`${ownDevice}\u200b`) },
    { name: 'right-to-left override in device id', observation: reading(`\u202e${ownDevice}`) },
    { name: 'NUL in device id', observation: reading(`${victimDevice}\u0000${ownDevice}`) },
    { name: 'fullwidth digits in observation id', observation: reading(ownDevice, fullwidth(uuid)) },
    {
      name: 'zero-width joiner in observation id',
      observation: reading(ownDevice, `${uuid.slice(0, 8)}\u200d${uuid.slice(8)}`),
    },
    { name: 'NUL in observation id', observation: reading(ownDevice, `${uuid}\u0000`) },
  ];
}

// ---------------------------------------------------------------------------------------------
// MQTT from a chosen address

export interface AddressedOptions extends IClientOptions {
  /** The local address to connect from (default: the OS's choice, 127.0.0.1 here). */
  localAddress?: string;
}

/** An mqtt.js client whose TCP connection leaves from `localAddress`. No reconnect unless asked. */
export function mqttClient(url: string, options: AddressedOptions): MqttClient {
  const { hostname, port } = new URL(url);
  const { localAddress, ...rest } = options;
  return new MqttClient(
    () => tcpConnect({ host: hostname, port: Number(port), ...(localAddress ? { localAddress } : {}) }),
    { reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4, ...rest },
  );
}

export interface ConnectOutcome {
  /** The CONNACK return code, or how the attempt ended without one. */
  code: number | 'closed' | 'timeout';
  /** Milliseconds from the attempt to its outcome. */
  ms: number;
  /** The connected client (code 0): the caller ends it. */
  client: MqttClient | null;
}

/** One CONNECT; resolves with its CONNACK code (0 leaves the client connected). */
export function tryConnect(
  url: string,
  options: AddressedOptions,
  timeoutMs = 10_000,
): Promise<ConnectOutcome> {
  const started = performance.now();
  const client = mqttClient(url, { ...options, reconnectPeriod: 0 });
  return new Promise((resolve) => {
    let done = false;
    const finish = (code: ConnectOutcome['code']) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.removeAllListeners('connect');
      if (code !== 0) client.end(true);
      resolve({ code, ms: performance.now() - started, client: code === 0 ? client : null });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    client.once('connect', () => finish(0));
    client.on('error', (err: Error & { code?: unknown }) =>
      finish(typeof err.code === 'number' ? err.code : 'closed'),
    );
    client.once('close', () => finish('closed'));
  });
}

/** Publishes QoS 1 and resolves on PUBACK, or rejects when `signal` aborts first. */
export function publishUntil(
  client: MqttClient,
  topic: string,
  payload: string | Buffer,
  signal?: AbortSignal,
): Promise<void> {
  const published = client.publishAsync(topic, payload, { qos: 1 }).then(() => undefined);
  if (!signal) return published;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    published.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// What the system says it refused

export interface BrokerHealth {
  status: string;
  clients: number;
  refusals: { total: number; byCode: Record<string, number> };
}

export async function brokerHealth(healthPort: number): Promise<BrokerHealth> {
  const res = await fetch(`http://127.0.0.1:${healthPort}/health`);
  return (await res.json()) as BrokerHealth;
}

/** Every dead letter with an id above `sinceId`, oldest first, read as an admin over the API. */
export async function deadLettersSince(
  httpUrl: string,
  token: string,
  sinceId: number,
): Promise<DeadLetter[]> {
  const found: DeadLetter[] = [];
  let before: number | undefined;
  for (;;) {
    const query = `limit=1000${before ? `&before=${before}` : ''}`;
    const res = await fetch(`${httpUrl}/api/dead-letters?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok) throw new Error(`GET /api/dead-letters: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as DeadLetter[];
    for (const letter of page) if (letter.id > sinceId) found.push(letter);
    const last = page.at(-1);
    if (page.length < 1000 || !last || last.id <= sinceId) break;
    before = last.id;
  }
  return found.sort((a, b) => a.id - b.id);
}

export async function lastDeadLetterId(httpUrl: string, token: string): Promise<number> {
  const res = await fetch(`${httpUrl}/api/dead-letters?limit=1`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`GET /api/dead-letters: ${res.status} ${await res.text()}`);
  return ((await res.json()) as DeadLetter[])[0]?.id ?? 0;
}

export function countByCode(letters: readonly { code: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of letters) counts[l.code] = (counts[l.code] ?? 0) + 1;
  return counts;
}

/** The p-th percentile (0..1) of `values`, nearest rank; Infinity stands for "never arrived". */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

export async function pollUntil<T>(probe: () => T | Promise<T>, timeoutMs: number, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}
