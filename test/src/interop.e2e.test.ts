/**
 * An independent MQTT client (Debian's mosquitto_pub) against our broker and server: proves the
 * contract and the broker's authentication and ACLs are not an artefact of sharing mqtt.js.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '@wardline/broker';
import type { DeadLetter, StoredObservation } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import {
  apiGet,
  batchPayload,
  bpReading,
  gatewayPassword,
  signIn,
  startTestBroker,
  startTestServer,
  waitUntil,
} from './support.js';

interface Run {
  code: number | null;
  stderr: string;
}

function mosquittoPub(port: number, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', '1', ...args]);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('interop with mosquitto_pub', () => {
  let broker: RunningBroker;
  let server: RunningServer;
  let baseUrl: string;
  let nurse: string;
  let admin: string;
  const history = () =>
    apiGet<StoredObservation[]>(
      baseUrl,
      '/api/patients/ward-e2e-p001/observations?kind=blood_pressure',
      nurse,
    );

  beforeAll(async () => {
    broker = await startTestBroker();
    server = await startTestServer(broker.port);
    baseUrl = `http://127.0.0.1:${server.port}`;
    await waitUntil(() => server.context.mqttConnected(), 'server MQTT session');
    nurse = await signIn(baseUrl, 'nurse');
    admin = await signIn(baseUrl, 'admin');
  });
  afterAll(async () => {
    await server?.close();
    await broker?.close();
  });

  it("accepts and stores a batch published with a gateway's credentials", async () => {
    const reading = bpReading('e2:00:00:00:00:01', 146);
    const run = await mosquittoPub(broker.port, [
      ...['-u', 'site-e2e.gw-1', '-i', 'site-e2e.gw-1', '-P', gatewayPassword('site-e2e', 'gw-1')],
      ...['-t', 'wardline/v1/site-e2e/gw-1/obs', '-m', batchPayload(reading)],
    ]);
    expect(run.code).toBe(0);
    const stored = await waitUntil(
      async () => (await history()).find((s) => s.observation.id === reading.id),
      'stored reading',
    );
    expect(stored.observation.values).toEqual(reading.values);
    expect(stored.gatewayId).toBe('site-e2e:gw-1');
  });

  it('refuses a wrong password, and nothing is stored', async () => {
    const reading = bpReading();
    const run = await mosquittoPub(broker.port, [
      ...['-u', 'site-e2e.gw-1', '-i', 'site-e2e.gw-1', '-P', 'wrong-password'],
      ...['-t', 'wardline/v1/site-e2e/gw-1/obs', '-m', batchPayload(reading)],
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr.toLowerCase()).toMatch(/not authori[sz]ed|bad user name or password|refused/);
    await assertNeverStored(reading.id);
  });

  it("refuses a publish under another gateway's prefix, and nothing is stored", async () => {
    const reading = bpReading();
    await mosquittoPub(broker.port, [
      ...['-u', 'site-e2e.gw-1', '-i', 'site-e2e.gw-1', '-P', gatewayPassword('site-e2e', 'gw-1')],
      ...['-t', 'wardline/v1/site-e2e/gw-2/obs', '-m', batchPayload(reading)],
    ]);
    await assertNeverStored(reading.id);
    const letters = await apiGet<DeadLetter[]>(baseUrl, '/api/dead-letters', admin);
    expect(letters.filter((d) => d.payload.includes(reading.id))).toEqual([]);
  });

  /** A later good reading on the same path arrives: had the refused one got through, it would be there too. */
  async function assertNeverStored(id: string) {
    const marker = bpReading();
    const run = await mosquittoPub(broker.port, [
      ...['-u', 'site-e2e.gw-1', '-i', 'site-e2e.gw-1', '-P', gatewayPassword('site-e2e', 'gw-1')],
      ...['-t', 'wardline/v1/site-e2e/gw-1/obs', '-m', batchPayload(marker)],
    ]);
    expect(run.code).toBe(0);
    await waitUntil(
      async () => (await history()).some((s) => s.observation.id === marker.id),
      'marker reading',
    );
    expect((await history()).some((s) => s.observation.id === id)).toBe(false);
  }
});
