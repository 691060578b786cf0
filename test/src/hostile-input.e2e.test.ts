/**
 * Hostile and broken input against the running system: raw malformed MQTT packets, oversize
 * frames, unauthenticated and cross-tenant attempts over MQTT, HTTP and socket.io, malformed
 * HTTP bodies and fuzzed payloads. Every one is refused with a clear error, no process goes
 * down, and nothing is stored that should not be.
 */
import fc from 'fast-check';
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { io } from 'socket.io-client';
import type { RunningBroker } from '@wardline/broker';
import type { Health, ObservationEvent } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import {
  batchPayload,
  bpReading,
  connectGatewayClient,
  signIn,
  startTestBroker,
  startTestServer,
  waitUntil,
} from './support.js';

const OBS = 'wardline/v1/site-e2e/gw-1/obs';

/** Writes raw bytes to the broker and resolves when the broker closes the socket (or after 2 s). */
function sendRaw(port: number, bytes: Buffer): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1', () => socket.write(bytes));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('open');
    }, 2000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    socket.on('error', () => undefined);
  });
}

describe('hostile input', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let gateway: MqttClient;
  let baseUrl: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port);
    baseUrl = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    gateway = await connectGatewayClient(broker.port);
  });
  afterAll(async () => {
    await gateway?.endAsync();
    await server?.close();
    await broker?.close();
  });

  async function systemStillWorks(): Promise<void> {
    const reading = bpReading();
    await gateway.publishAsync(OBS, batchPayload(reading), { qos: 1 });
    await waitUntil(() => server.context.observations.exists(reading.id), 'a good reading after the attack');
    const health = (await (await fetch(`${baseUrl}/api/health`)).json()) as Health;
    expect(health.status).toBe('ok');
  }

  it('survives raw malformed MQTT packets and closes those connections', async () => {
    const packets: [string, Buffer][] = [
      ['random bytes', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
      ['PUBLISH before CONNECT', Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69])],
      [
        'CONNECT with a bad protocol name',
        Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x58, 0x04, 0x02, 0, 60, 0, 0]),
      ],
      ['a remaining length of 256 MiB', Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f])],
      ['a malformed variable-length integer', Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01])],
      ['reserved packet type 0', Buffer.from([0x00, 0x00])],
    ];
    for (const [what, bytes] of packets) {
      expect(await sendRaw(broker.port, bytes), what).toBe('closed');
    }
    await systemStillWorks();
  });

  it('refuses MQTT without credentials and cross-tenant subscriptions', async () => {
    const mqtt = (await import('mqtt')).default;
    await expect(
      mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
        reconnectPeriod: 0,
        clientId: 'anonymous-probe',
      }),
    ).rejects.toThrow(/not authori[sz]ed/i);
    for (const filter of ['wardline/v1/#', 'wardline/v1/site-e2e/gw-2/cmd/#', '#']) {
      await expect(gateway.subscribeAsync(filter, { qos: 1 }), filter).rejects.toMatchObject({
        packet: { granted: [128] },
      });
    }
    expect(await gateway.subscribeAsync('wardline/v1/site-e2e/gw-1/cmd/#', { qos: 1 })).toEqual([
      { topic: 'wardline/v1/site-e2e/gw-1/cmd/#', qos: 1 },
    ]);
    await systemStillWorks();
  });

  it('answers HTTP attacks with clear errors and stays up', async () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${baseUrl}${path}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
      });
    const expectations: [string, Promise<Response>, number][] = [
      ['malformed JSON', post('/api/auth/login', '{"username":'), 400],
      ['missing fields', post('/api/auth/login', '{}'), 400],
      // Unknown fields are stripped by the schema, never honoured: this is just a failed sign-in.
      [
        'extra fields',
        post('/api/auth/login', JSON.stringify({ username: 'a', password: 'b', role: 'admin' })),
        401,
      ],
      [
        'oversize body',
        post('/api/auth/login', JSON.stringify({ username: 'a', password: 'x'.repeat(100_000) })),
        413,
      ],
      [
        'form-encoded body',
        post('/api/auth/login', 'username=a', { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
      ],
      // text/plain needs no CORS preflight, so it is what a forged cross-site post would use: JSON only.
      ['plain-text body', post('/api/auth/login', 'username=a', { 'content-type': 'text/plain' }), 415],
      ['no session', fetch(`${baseUrl}/api/wards`), 401],
      [
        'forged bearer token',
        fetch(`${baseUrl}/api/wards`, { headers: { authorization: 'Bearer forged' } }),
        401,
      ],
      [
        'forged cookie',
        fetch(`${baseUrl}/api/dead-letters`, { headers: { cookie: 'wardline_session=forged' } }),
        401,
      ],
      [
        'SQL in a path',
        fetch(`${baseUrl}/api/patients/'%20OR%201=1--`, {
          headers: { authorization: `Bearer ${await signIn(baseUrl, 'nurse')}` },
        }),
        404,
      ],
    ];
    for (const [what, response, status] of expectations) {
      const res = await response;
      expect(res.status, what).toBe(status);
      const body = (await res.json()) as { code?: string; message?: string };
      expect(body.code, what).toBeTruthy();
      expect(body.message, what).toBeTruthy();
    }
    await systemStillWorks();
  });

  it('refuses unauthenticated sockets and keeps families out of wards and other residents', async () => {
    const anonymous = io(baseUrl, { transports: ['websocket'], reconnection: false });
    const refusal = await new Promise<Error & { data?: { code?: string } }>((resolve) =>
      anonymous.once('connect_error', resolve),
    );
    expect(refusal.data?.code).toBe('WL_UNAUTHENTICATED');
    anonymous.close();

    const family = io(baseUrl, {
      auth: { token: await signIn(baseUrl, 'family') },
      transports: ['websocket'],
      reconnection: false,
    });
    await new Promise<void>((resolve) => family.once('connect', () => resolve()));
    expect(await family.emitWithAck('joinWard', 'ward-e2e')).toEqual({ ok: false, code: 'WL_FORBIDDEN' });
    // The demo's family contact has no consent to clinical detail: told a reading arrived, no values.
    const seen: string[] = [];
    family.on('observation', (e: ObservationEvent) => seen.push(`observation ${e.patientId}`));
    family.on('observations', (batch) => seen.push(`ward batch ${batch.wardId}`));
    family.on('readingArrived', (e) => seen.push(`arrived ${e.patientId} ${e.measuredAt}`));

    const other = bpReading('e2:00:00:00:00:02');
    const own = bpReading('e2:00:00:00:00:01');
    await gateway.publishAsync(OBS, batchPayload(other, own), { qos: 1 });
    const arrived = `arrived ward-e2e-p001 ${own.measuredAt}`;
    await waitUntil(() => seen.includes(arrived), "the family's own relative's reading");
    expect(seen).toEqual([arrived]);
    family.close();
  });

  it('rejects fuzzed payloads one by one without storing them, and keeps ingesting', async () => {
    const countRows = async (table: string) =>
      (await server.context.sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n;
    const before = server.context.metrics.counters.messages;
    const [observationsBefore, deadLettersBefore] = [
      await countRows('observations'),
      await countRows('dead_letters'),
    ];
    const arbitraryPayload = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
      fc.json().map((j) => Buffer.from(j)),
      fc
        .record({
          v: fc.constantFrom(1, 2, '1'),
          sentAt: fc.string(),
          observations: fc.array(fc.anything(), { maxLength: 4 }),
        })
        .map((o) => Buffer.from(JSON.stringify(o))),
      fc
        .record({ kind: fc.string(), values: fc.anything(), deviceId: fc.string() })
        .map((o) => Buffer.from(batchPayload(o))),
    );
    const samples = fc.sample(arbitraryPayload, { numRuns: 150, seed: 20261121 });
    for (const payload of samples) await gateway.publishAsync(OBS, payload, { qos: 1 });
    await waitUntil(
      () => server.context.metrics.counters.messages - before >= samples.length,
      'every fuzzed message',
    );
    expect(server.context.metrics.counters.messages - before).toBe(samples.length);
    expect(await countRows('observations')).toBe(observationsBefore);
    // Every fuzzed message left at least one dead letter saying why it was refused.
    expect((await countRows('dead_letters')) - deadLettersBefore).toBeGreaterThanOrEqual(samples.length);
    await systemStillWorks();
  });
});
