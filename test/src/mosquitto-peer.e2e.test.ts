/**
 * The server on Debian's mosquitto instead of our broker: the contract and the server's
 * persistent QoS 1 session hold on an independent MQTT implementation.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredObservation } from '@wardline/protocol';
import type { RunningServer } from '@wardline/server';
import {
  SERVER_MQTT_PASSWORD,
  apiGet,
  batchPayload,
  bpReading,
  freePort,
  signIn,
  startTestServer,
  tempDir,
  waitUntil,
} from './support.js';

describe('server on mosquitto', () => {
  let mosquitto: ChildProcess;
  let port: number;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    const dir = tempDir('mosquitto');
    const passwords = join(dir, 'passwd');
    writeFileSync(passwords, '');
    spawnSync('mosquitto_passwd', ['-b', passwords, 'wardline-server', SERVER_MQTT_PASSWORD]);
    spawnSync('mosquitto_passwd', ['-b', passwords, 'site-e2e.gw-1', 'gw-secret']);
    port = await freePort();
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous false',
        // As root, mosquitto drops to its own user, which cannot read this private temp dir.
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        `password_file ${passwords}`,
        'set_tcp_nodelay true',
        'persistence false',
        'max_queued_messages 100000',
      ].join('\n'),
    );
    mosquitto = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
    await waitUntil(
      () =>
        mqtt
          .connectAsync(`mqtt://127.0.0.1:${port}`, {
            username: 'site-e2e.gw-1',
            password: 'gw-secret',
            reconnectPeriod: 0,
          })
          .then((c) => c.endAsync().then(() => true))
          .catch(() => false),
      'mosquitto to listen',
    );
  });
  afterAll(async () => {
    await server?.close();
    mosquitto?.kill('SIGTERM');
  });

  it('stores readings published before and while the server is away, once each', async () => {
    const databasePath = join(tempDir('mosq-server'), 'wardline.db');
    server = await startTestServer(port, databasePath);
    await waitUntil(() => server!.context.mqttConnected(), 'server session on mosquitto');
    const gateway = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      username: 'site-e2e.gw-1',
      password: 'gw-secret',
      reconnectPeriod: 0,
    });
    const first = bpReading();
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/obs', batchPayload(first), { qos: 1 });
    await waitUntil(() => server!.context.observations.exists(first.id), 'live reading');

    await server.close();
    const whileAway = [bpReading(), bpReading(), bpReading()];
    await gateway.publishAsync('wardline/v1/site-e2e/gw-1/obs', batchPayload(...whileAway), { qos: 1 });
    await gateway.endAsync();

    server = await startTestServer(port, databasePath);
    const baseUrl = `http://127.0.0.1:${server.port}`;
    const nurse = await signIn(baseUrl, 'nurse');
    const stored = await waitUntil(async () => {
      const list = await apiGet<StoredObservation[]>(
        baseUrl,
        '/api/patients/ward-e2e-p001/observations',
        nurse,
      );
      return list.length >= 4 ? list : null;
    }, 'readings queued by mosquitto');
    expect(stored.map((s) => s.observation.id).sort()).toEqual([first, ...whileAway].map((r) => r.id).sort());
  });
});
