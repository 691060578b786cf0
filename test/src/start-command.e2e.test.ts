/**
 * The README's start command on a fresh data directory: broker, server and simulated homes come
 * up as separate processes, and the API shows readings from simulated residents within 30 s. The
 * banner stays on screen (the processes' info logs go to files), and Ctrl+C stops the gateways,
 * the server and the broker in that order, each saying so, without connection errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BedState, Health, Kit, KitPage } from '@wardline/protocol';
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

/** Processes started with this data directory in their environment: the launcher and its children. */
function processesOf(home: string): { pid: number; cmdline: string }[] {
  const found: { pid: number; cmdline: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/environ`, 'latin1').includes(`WARDLINE_HOME=${home}\0`)) continue;
      readlinkSync(`/proc/${entry}/exe`); // gone zombies have none
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push({ pid: Number(entry), cmdline });
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

const LEVEL = /^\[\w+\]\s+\S+ (DEBUG|INFO|WARN|ERROR|FATAL)\b/;
/** Lines by level; lines the launcher writes itself (banner, stop lines) count as "launcher". */
function countByLevel(lines: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of lines) {
    const level = LEVEL.exec(line)?.[1] ?? (line.trim() ? 'launcher' : 'blank');
    counts[level] = (counts[level] ?? 0) + 1;
  }
  return counts;
}

describe('start command', () => {
  let launcher: ChildProcess | undefined;
  let output = '';
  let home = '';
  /** When each console line arrived. */
  const arrivals: { at: number; line: string }[] = [];
  let bannerAt = 0;
  let baseUrl = '';
  let adminToken = '';
  let nurseToken = '';
  const consoleLines = () => output.split('\n').filter((l) => l.trim());

  afterAll(async () => {
    if (launcher && launcher.exitCode === null) {
      const exited = new Promise((done) => launcher!.once('exit', done));
      launcher.kill('SIGTERM');
      await Promise.race([exited, new Promise((done) => setTimeout(done, 20_000))]);
    }
    // Whatever is left must not outlive the test.
    for (const { pid } of home ? processesOf(home) : []) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('brings the system up with readings from simulated residents within 30 seconds', async () => {
    home = tempDir('start');
    const [httpPort, mqttPort, healthPort] = [await freePort(), await freePort(), await freePort()];
    const started = Date.now();
    // As package.json's start script runs it: the real node process, not tsx's CLI wrapper.
    launcher = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: root,
      detached: true,
      env: {
        ...process.env,
        PORT: String(httpPort),
        MQTT_PORT: String(mqttPort),
        BROKER_HEALTH_PORT: String(healthPort),
        WARDLINE_HOME: home,
        // The broker learns the demo kits' credentials up to 4 s after the server has them: the
        // launcher must wait for them before starting the gateways, or they are refused.
        WARDLINE_CREDENTIALS_POLL_MS: '4000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of chunk.toString().split('\n'))
        if (line.trim()) arrivals.push({ at: Date.now(), line });
      if (!bannerAt && output.includes('Press Ctrl+C to stop')) bannerAt = Date.now();
    };
    launcher.stdout!.on('data', collect);
    launcher.stderr!.on('data', collect);

    baseUrl = `http://127.0.0.1:${httpPort}`;
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
    const admin = await login('admin', demoPasswords.admin);
    expect(admin.status).toBe(200);
    adminToken = ((await admin.json()) as { token: string }).token;
    const { token } = (await (await login('nurse', demoPasswords.nurse)).json()) as { token: string };
    nurseToken = token;

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

    // Real node processes only: the launcher and its three children, no tsx CLI wrappers.
    const processes = processesOf(home);
    const nodes = processes.filter((p) => p.cmdline.includes('--import tsx'));
    expect(nodes.map((p) => p.cmdline.split(' ').at(-1)!.replace(root, '')).sort()).toEqual([
      '/broker/src/main.ts',
      '/scripts/simulate-fleet.ts',
      '/server/src/main.ts',
      'scripts/start.ts',
    ]);
    // (tsx's esbuild service, a child of each, is the only other kind.)
    expect(processes.filter((p) => /tsx\/dist\/cli|\.bin\/tsx/.test(p.cmdline))).toEqual([]);
  }, 45_000);

  it("runs the demo's gateways as kits from the server's database: the broker's users file names only the server", async () => {
    const usersFile = JSON.parse(readFileSync(join(home, 'broker-users.json'), 'utf8')) as {
      users: { username: string }[];
    };
    expect(usersFile.users.map((u) => u.username)).toEqual(['wardline-server']);

    // Admin > Kits lists every demo hub; a virtual-ward home's is issued to its patient.
    const kits = await apiGet<Kit[]>(baseUrl, '/api/kits', adminToken);
    const byUser = Object.fromEntries(kits.map((kit) => [kit.username, kit]));
    const homes = [1, 2, 3, 4, 5, 6].map((n) => `vw-north.home-0${n}`);
    expect(Object.keys(byUser).sort()).toEqual(['larkspur.gw-01', ...homes]);
    expect(byUser['larkspur.gw-01']).toMatchObject({ label: 'Larkspur House hub', patientId: null });
    expect(byUser['vw-north.home-04']).toMatchObject({
      label: 'Home 4 hub',
      patientId: 'virtual-ward-north-p004',
    });
    for (const kit of kits) expect(kit.credentials).toHaveLength(1);

    // Every hub connected with its kit's credential, and the virtual ward's readings arrive.
    await waitUntil(
      async () => {
        const pages = await Promise.all(
          kits.map((kit) => apiGet<KitPage>(baseUrl, `/api/kits/${kit.id}`, adminToken)),
        );
        return pages.every((page) => page.hub.state === 'online');
      },
      'every demo hub online',
      10_000,
    );
    await waitUntil(
      async () => {
        const beds = await apiGet<BedState[]>(baseUrl, '/api/wards/virtual-ward-north/beds', nurseToken);
        return beds.some((bed) => Object.keys(bed.latest).length > 0);
      },
      'readings from a virtual-ward home',
      15_000,
    );
    // The launcher waited for the broker to hold the kits' credentials: no hub was ever refused.
    expect(readFileSync(join(home, 'logs/broker.log'), 'utf8')).not.toContain('connect refused');
  }, 30_000);

  it('keeps the banner on screen while the demo runs: the logs go to files', async () => {
    expect(bannerAt).toBeGreaterThan(0);
    await new Promise((done) => setTimeout(done, Math.max(0, bannerAt + 5000 - Date.now())));
    const after = arrivals.filter((a) => a.at > bannerAt && a.at <= bannerAt + 5000).map((a) => a.line);
    const before = consoleLines().slice(
      0,
      consoleLines().findIndex((l) => l.includes('Wardline is running')),
    );
    console.log(
      `start command: console lines before the banner ${before.length}, in the 5 s after it ${after.length}` +
        (after.length ? `:\n${after.join('\n')}` : ''),
    );
    expect(before.length).toBeLessThanOrEqual(2);
    expect(after.length).toBeLessThanOrEqual(3);
    // The API calls above were logged, to the server's log file, one line each.
    const serverLog = readFileSync(join(home, 'logs/server.log'), 'utf8');
    expect(serverLog).toMatch(/INFO {2}GET \/api\/wards\/:wardId\/beds 200 [\d.]+ ms/);
    // A refused sign-in is one line with its code, without a stack trace.
    expect(serverLog).toMatch(/INFO {2}POST \/api\/auth\/login 401 [\d.]+ ms .*code=WL_BAD_CREDENTIALS/);
    expect(serverLog).not.toMatch(/^\s+at /m);
    expect(output).not.toContain('/api/wards/:wardId/beds');
    expect(readFileSync(join(home, 'logs/gateways.log'), 'utf8')).toContain('simulated homes running');
  }, 15_000);

  it('stops on Ctrl+C: gateways, then server, then broker, each saying so, then a last line', async () => {
    const mark = output.length;
    const exited = new Promise<number | null>((done) => launcher!.once('exit', (code) => done(code)));
    const asked = Date.now();
    // Ctrl+C: SIGINT to the terminal's foreground process group.
    process.kill(-launcher!.pid!, 'SIGINT');
    const code = await exited;
    const took = Date.now() - asked;
    const stopLines = output
      .slice(mark)
      .split('\n')
      .filter((l) => l.trim());
    console.log(`start command: stopped in ${(took / 1000).toFixed(1)} s:\n${stopLines.join('\n')}`);
    expect(code).toBe(0);
    expect(took).toBeLessThan(6000);
    expect(stopLines.map((l) => l.replace(/\(.*\)$/, '').trim())).toEqual([
      'Stopping Wardline...',
      '[gateways] stopped',
      '[server]   stopped',
      '[broker]   stopped',
      'Wardline stopped.',
    ]);
    await waitUntil(() => processesOf(home).length === 0, 'every process gone', 3000);

    const logs = Object.fromEntries(
      ['broker', 'server', 'gateways'].map((name) => [
        name,
        readFileSync(join(home, `logs/${name}.log`), 'utf8')
          .split('\n')
          .filter((l) => l.trim()),
      ]),
    );
    const everything = [output, ...Object.values(logs).flat()].join('\n');
    expect(everything).not.toMatch(/ECONNRESET|link lost|broker unreachable/i);
    // Each process says it stopped in its own log, and the broker saw the others leave first.
    expect(logs.gateways!.at(-1)).toContain('simulated homes stopped');
    expect(logs.server!.at(-1)).toContain('server stopped');
    expect(logs.broker!.at(-1)).toContain('broker closed');

    console.log(
      `start command: console lines by level for a full start and stop ${JSON.stringify(countByLevel(consoleLines()))}; ` +
        `log files ${JSON.stringify(Object.fromEntries(Object.entries(logs).map(([n, l]) => [n, countByLevel(l)])))}`,
    );
  }, 20_000);
});
