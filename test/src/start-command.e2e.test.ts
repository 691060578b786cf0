/**
 * The README's start command on a fresh data directory: broker, server and simulated homes come
 * up as separate processes, and the API shows readings from simulated residents within 30 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BedState, Health } from '@wardline/protocol';
import { apiGet, freePort, tempDir, waitUntil } from './support.js';

const root = resolve(import.meta.dirname, '../..');

describe('start command', () => {
  let launcher: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    if (!launcher || launcher.exitCode !== null) return;
    const exited = new Promise((done) => launcher!.once('exit', done));
    launcher.kill('SIGTERM');
    await Promise.race([exited, new Promise((done) => setTimeout(done, 20_000))]);
    // Whatever is left of the process group must not outlive the test.
    try {
      process.kill(-launcher.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });

  it('brings the system up with readings from simulated residents within 30 seconds', async () => {
    const home = tempDir('start');
    const [httpPort, mqttPort, healthPort] = [await freePort(), await freePort(), await freePort()];
    const started = Date.now();
    launcher = spawn(join(root, 'node_modules/.bin/tsx'), ['scripts/start.ts'], {
      cwd: root,
      detached: true,
      env: {
        ...process.env,
        PORT: String(httpPort),
        MQTT_PORT: String(mqttPort),
        BROKER_HEALTH_PORT: String(healthPort),
        WARDLINE_HOME: home,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const baseUrl = `http://127.0.0.1:${httpPort}`;
    const health = await waitUntil(
      async () => {
        const res = await fetch(`${baseUrl}/api/health`).catch(() => null);
        return res?.ok ? ((await res.json()) as Health) : null;
      },
      'GET /api/health to answer ok',
      30_000,
    );
    expect(health.mqtt.connected).toBe(true);
    await waitUntil(() => output.includes('Press Ctrl+C to stop'), 'the banner', 10_000);
    expect(output).toContain(`http://localhost:${httpPort}`);
    expect(output).toContain(`mqtt://localhost:${mqttPort}`);

    const { demoPassword } = JSON.parse(readFileSync(join(home, 'demo-secrets.json'), 'utf8')) as {
      demoPassword: string;
    };
    expect(output).toContain(demoPassword);
    const login = await fetch(`${baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nurse', password: demoPassword }),
    });
    const { token } = (await login.json()) as { token: string };

    const beds = await waitUntil(
      async () => {
        const list = await apiGet<BedState[]>(baseUrl, '/api/wards/larkspur-house/beds', token);
        return list.filter((b) => b.latest.blood_pressure).length >= 3 ? list : null;
      },
      'blood pressure readings from simulated residents',
      30_000 - (Date.now() - started),
    );
    expect(beds.length).toBeGreaterThanOrEqual(12);
    const bp = beds.find((b) => b.latest.blood_pressure)!.latest.blood_pressure!.observation;
    expect(bp.kind).toBe('blood_pressure');
    console.log(
      `start command: readings visible ${((Date.now() - started) / 1000).toFixed(1)} s after launch`,
    );
  }, 45_000);
});
