/**
 * The README's start command on a fresh data directory: broker, server and simulated homes come
 * up as separate processes, and the API shows readings from simulated residents within 30 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BedState, Health } from '@wardline/protocol';
import { apiGet, freePort, tempDir, waitUntil } from './support.js';

const root = resolve(import.meta.dirname, '../..');

/** Local addresses of sockets listening on these TCP ports, from the kernel's own tables. */
function listeningAddresses(ports: number[]): Record<number, string[]> {
  const found: Record<number, string[]> = Object.fromEntries(ports.map((p) => [p, []]));
  const LISTEN = '0A';
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== LISTEN) continue;
      const [hex, portHex] = local.split(':') as [string, string];
      const port = parseInt(portHex, 16);
      if (!(port in found)) continue;
      found[port]!.push(hex.length === 8 ? ipv4(hex) : hex === '0'.repeat(32) ? '::' : `ipv6:${hex}`);
    }
  }
  return found;
}
/** /proc/net/tcp writes IPv4 addresses as little-endian hex. */
const ipv4 = (hex: string) => [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');

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

    const { demoPasswords } = JSON.parse(readFileSync(join(home, 'demo-secrets.json'), 'utf8')) as {
      demoPasswords: Record<'nurse' | 'admin' | 'family', string>;
    };
    // Each demo user has its own password, printed at start; one never opens another's account.
    expect(new Set(Object.values(demoPasswords)).size).toBe(3);
    for (const password of Object.values(demoPasswords)) expect(output).toContain(password);
    const login = (username: string, password: string) =>
      fetch(`${baseUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
    expect((await login('admin', demoPasswords.family)).status).toBe(401);
    expect((await login('admin', demoPasswords.admin)).status).toBe(200);
    const { token } = (await (await login('nurse', demoPasswords.nurse)).json()) as { token: string };

    // The demo listens on loopback only: HTTP, MQTT and the broker's health endpoint.
    expect(listeningAddresses([httpPort, mqttPort, healthPort])).toEqual({
      [httpPort]: ['127.0.0.1'],
      [mqttPort]: ['127.0.0.1'],
      [healthPort]: ['127.0.0.1'],
    });

    const beds = await waitUntil(
      async () => {
        const list = await apiGet<BedState[]>(baseUrl, '/api/wards/larkspur-house/beds', token);
        return list.filter((b) => b.latest.blood_pressure).length >= 3 ? list : null;
      },
      'blood pressure readings from simulated residents',
      30_000 - (Date.now() - started),
    );
    expect(beds.length).toBeGreaterThanOrEqual(12);

    // Personal data at rest is for the owner only: the database, its WAL, the gateways' outboxes.
    const outboxes = readdirSync(join(home, 'gateways')).filter((f) => f.endsWith('.db'));
    expect(outboxes.length).toBeGreaterThan(0);
    const files = [
      'server/wardline.db',
      'server/wardline.db-wal',
      ...outboxes.flatMap((f) => [`gateways/${f}`, `gateways/${f}-wal`]),
    ];
    const modes = Object.fromEntries(
      files.map((f) => [f, (statSync(join(home, f)).mode & 0o777).toString(8)]),
    );
    expect(modes).toEqual(Object.fromEntries(files.map((f) => [f, '600'])));
    expect((statSync(join(home, 'server')).mode & 0o777).toString(8)).toBe('700');
    const bp = beds.find((b) => b.latest.blood_pressure)!.latest.blood_pressure!.observation;
    expect(bp.kind).toBe('blood_pressure');
    console.log(
      `start command: readings visible ${((Date.now() - started) / 1000).toFixed(1)} s after launch`,
    );
  }, 45_000);
});
