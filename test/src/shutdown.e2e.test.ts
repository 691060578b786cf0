/**
 * A stop request ends the server process within seconds whatever holds it up: ingest holding
 * messages back (storage failing: here the time-series spool is full because InfluxDB is down),
 * and, worse, a broker that stops answering (SIGSTOP), so that the MQTT session cannot close
 * cleanly. The broker and the server run as real processes, as `npm start` runs them; a server
 * left behind would hold its port, so the test also checks the port is free afterwards.
 */
import { planFleet } from '@wardline/firmware-sim';
import { Channel, gatewayTopic, type Health, type Observation } from '@wardline/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tempDir, waitUntil } from './support.js';
import { WardlineSystem } from './system/system.js';

const plan = planFleet({ gateways: 1, residentsPerGateway: 1, seed: 11 });
const home = plan.gateways[0]!;
const cuff = home.residents[0]!.devices.find((d) => d.model === 'bp-cuff')!.id;
const STOP_BOUND_MS = 5000;

let seq = 0;
function reading(): string {
  const observation: Observation = {
    id: randomUUID(),
    deviceId: cuff,
    kind: 'blood_pressure',
    measuredAt: new Date(Date.now() - 10_000).toISOString(),
    seq: seq++,
    values: { systolic: { value: 128, unit: 'mmHg' }, diastolic: { value: 81, unit: 'mmHg' } },
  };
  return JSON.stringify({ v: 1, sentAt: new Date().toISOString(), observations: [observation] });
}

async function portIsFree(port: number): Promise<boolean> {
  const probe = createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('server stop', () => {
  let system: WardlineSystem;
  let gateway: MqttClient;
  let dir: string;

  beforeAll(async () => {
    dir = tempDir('shutdown');
    system = await WardlineSystem.start({
      plan,
      dir,
      logLevel: 'info',
      serverEnv: {
        // Nothing listens there: points pile up in the spool, and a spool of one holds ingest back.
        WARDLINE_INFLUX_URL: `http://127.0.0.1:${await freePort()}`,
        WARDLINE_INFLUX_SPOOL_LIMIT: '1',
        WARDLINE_INFLUX_TIMEOUT_MS: '1000',
      },
    });
  }, 120_000);

  afterAll(async () => {
    if (system?.broker.pid) process.kill(system.broker.pid, 'SIGCONT');
    await gateway?.endAsync(true);
    await system?.stop();
  });

  async function holdIngest(): Promise<void> {
    gateway = await mqtt.connectAsync(system.brokerUrl, {
      username: home.username,
      password: system.gatewayPassword(home),
      clientId: home.username,
      reconnectPeriod: 0,
    });
    const topic = gatewayTopic(home, Channel.observations);
    for (let i = 0; i < 3; i++) void gateway.publishAsync(topic, reading(), { qos: 1 }).catch(() => {});
    const health = await waitUntil(async () => {
      const res = await fetch(`${system.httpUrl}/api/health`);
      const body = (await res.json()) as Health;
      return res.status === 503 && body.reasons?.some((r) => r.startsWith('storage failing (SPOOL_FULL)'))
        ? body
        : null;
    }, 'health to report the held messages');
    expect(health.status).toBe('degraded');
    await gateway.endAsync(true);
  }

  async function stopWithin(): Promise<number> {
    const started = Date.now();
    await system.server.stop('SIGTERM', 15_000);
    return Date.now() - started;
  }

  it('stops within seconds on SIGTERM while ingest holds messages back, and frees its port', async () => {
    await holdIngest();
    const elapsed = await stopWithin();
    expect(elapsed, system.server.tail()).toBeLessThan(STOP_BOUND_MS);
    expect(await portIsFree(system.httpPort)).toBe(true);
  });

  it('stops within seconds even when the broker no longer answers', async () => {
    // Its spool is still full, so its health stays 503: wait for it to answer at all.
    system.server.start();
    await waitUntil(
      () =>
        fetch(`${system.httpUrl}/api/health`).then(
          () => true,
          () => false,
        ),
      'the restarted server',
      60_000,
    );
    await holdIngest();
    process.kill(system.broker.pid!, 'SIGSTOP');
    const elapsed = await stopWithin();
    process.kill(system.broker.pid!, 'SIGCONT');
    expect(elapsed, system.server.tail()).toBeLessThan(STOP_BOUND_MS);
    expect(await portIsFree(system.httpPort)).toBe(true);
    const log = readFileSync(join(dir, 'server.log'), 'utf8');
    expect(log).toContain('did not close in time');
  });
});
