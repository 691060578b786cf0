/**
 * Runs one real hub the way a care home runs it, for the hub bench and the hub memory test: a real
 * broker process, one gateway process (gateway/src/main.ts --simulate: noble on the simulated
 * radio, 8 devices, the SQLite outbox) launched with the hub's node flags, and an idle node
 * process as the baseline, all measured from /proc (RSS as the kernel counts it, CPU in ticks).
 * Not part of the production build (testing/ is excluded from tsconfig.build.json).
 */
import Database from 'better-sqlite3';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HUB_ENV, HUB_NODE_FLAGS } from '../hub-flags.js';
import { SqliteOutbox } from '../durable-outbox.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux
const SITE = 'hub-bench';
const GATEWAY = 'gw-1';
const PASSWORD = 'hub-bench-secret';
/** A known scrypt hash costs a fixed, cheap N; verification reads the cost from the hash. */
const HASH_COST = { N: 2 ** 10, r: 8, p: 1 };

export interface ProcSample {
  /** Resident set now and its peak (VmHWM), KiB. */
  rssKiB: number;
  peakKiB: number;
  /** User + system CPU since the process started, seconds. */
  cpuSeconds: number;
}

export function sampleProcess(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  // Fields after the command name (which may hold spaces) start at the 3rd: utime is 14th, stime 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssKiB: kib('VmRSS'), peakKiB: kib('VmHWM'), cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`${what} not within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((done) => child.once('exit', () => done()));
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 8000);
  await exited(child);
  clearTimeout(killer);
}

/** The shape a production process has: real node; compiled JS when a runtime tree is given. */
export interface Launch {
  /** "tsx loader" (node --import tsx <src>.ts) or "compiled" (node <tree>/<ws>/dist/<x>.js). */
  kind: 'tsx loader' | 'compiled';
  args(workspace: string, file: string): string[];
}

export function launchFor(runtimeTree?: string): Launch {
  if (runtimeTree) {
    return {
      kind: 'compiled',
      args: (workspace, file) => [join(runtimeTree, workspace, 'dist', `${file}.js`)],
    };
  }
  return {
    kind: 'tsx loader',
    args: (workspace, file) => ['--import', 'tsx', join(ROOT, workspace, 'src', `${file}.ts`)],
  };
}

const COMPILED = ['protocol', 'broker', 'gateway', 'firmware-sim'];

/**
 * Compiled JavaScript as the production build makes it (tsc -p tsconfig.build.json), laid out so
 * that node resolves our packages to the compiled files and everything else to this checkout's
 * node_modules. For the bench; the real runtime tree is scripts/build-production.ts's.
 */
export function compileRuntime(out: string): Launch {
  const tsc = spawnSync(
    join(ROOT, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', out, '--incremental', 'false', '--tsBuildInfoFile', 'null'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (!existsSync(join(out, 'gateway/src/main.js'))) throw new Error(`tsc did not emit: ${tsc.stdout}`);
  writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
  const modules = join(out, 'node_modules');
  mkdirSync(join(modules, '@wardline'), { recursive: true });
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry !== '@wardline' && !entry.startsWith('.'))
      symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
  }
  for (const workspace of COMPILED) {
    const manifest = JSON.parse(readFileSync(join(ROOT, workspace, 'package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, string>;
    };
    const pkg = join(modules, manifest.name);
    mkdirSync(pkg);
    const exports = Object.fromEntries(
      Object.entries(manifest.exports).map(([k, v]) => [k, v.replace(/\.ts$/, '.js')]),
    );
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: manifest.name, type: 'module', exports }),
    );
    symlinkSync(join(out, workspace, 'src'), join(pkg, 'src'));
  }
  return {
    kind: 'compiled',
    args: (workspace, file) => [join(out, workspace, 'src', `${file}.js`)],
  };
}

export interface Baseline {
  child: ChildProcess;
  sample(): ProcSample;
  stop(): Promise<void>;
}

/** `node -e 'setInterval(()=>{},1e3)'` (plus any flags): what a node process costs doing nothing. */
export async function startIdleNode(flags: string[] = []): Promise<Baseline> {
  const child = spawn(process.execPath, [...flags, '-e', 'setInterval(()=>{},1e3)'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
  const pid = child.pid!;
  await sleep(1500); // past start-up, like the hub is measured past its start
  return { child, sample: () => sampleProcess(pid), stop: () => stopProcess(child) };
}

export interface Broker {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startBrokerProcess(dir: string, launch: Launch): Promise<Broker> {
  const { hashPassword } = await import('@wardline/broker');
  const usersFile = join(dir, 'broker-users.json');
  const users = [
    {
      username: `${SITE}.${GATEWAY}`,
      role: 'gateway',
      site: SITE,
      gateway: GATEWAY,
      passwordHash: await hashPassword(PASSWORD, HASH_COST),
    },
  ];
  writeFileSync(usersFile, JSON.stringify({ users }), { mode: 0o600 });
  const port = await freePort();
  const healthPort = await freePort();
  const child = spawn(process.execPath, launch.args('broker', 'main'), {
    cwd: ROOT,
    env: {
      ...process.env,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(port),
      BROKER_HEALTH_HOST: '127.0.0.1',
      BROKER_HEALTH_PORT: String(healthPort),
      WARDLINE_BROKER_USERS_FILE: usersFile,
      WARDLINE_BROKER_DATA_DIR: join(dir, 'broker'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await poll('the broker', 30_000, async () => {
    if (child.exitCode !== null) throw new Error(`broker exited (${child.exitCode})`);
    return (await fetch(`http://127.0.0.1:${healthPort}/health`)).ok ? true : null;
  }).catch(async (err: unknown) => {
    await stopProcess(child);
    throw err;
  });
  return { port, pid: child.pid!, stop: () => stopProcess(child) };
}

/** Routine readings as an outage leaves them in the outbox: what the hub replays when it is back. */
export function fillBacklog(outboxPath: string, count: number): void {
  new SqliteOutbox({ path: outboxPath }).close();
  // One transaction for the lot: the bench's set-up, not the hub's, so no fsync per row.
  const db = new Database(outboxPath);
  const insert = db.prepare('INSERT INTO outbox (seq, id, urgent, body) VALUES (?, ?, 0, ?)');
  const start = Date.now() - count * 60_000;
  db.transaction(() => {
    for (let seq = 0; seq < count; seq++) {
      const observation = {
        id: randomUUID(),
        deviceId: `e2:00:00:00:00:0${seq % 4}`,
        kind: 'blood_pressure',
        measuredAt: new Date(start + seq * 60_000).toISOString(),
        seq,
        values: {
          systolic: { value: 110 + (seq % 40), unit: 'mmHg' },
          diastolic: { value: 70 + (seq % 20), unit: 'mmHg' },
          pulseRate: { value: 60 + (seq % 30), unit: 'bpm' },
        },
      };
      insert.run(seq, observation.id, JSON.stringify(observation));
    }
    db.prepare("UPDATE meta SET value = ? WHERE key = 'next_seq'").run(count);
  })();
  db.close();
}

export interface HubHealth {
  broker: { connected: boolean };
  outbox: { pending: number; acked: number };
  devices: { deviceId: string; connected: boolean }[];
  memory: { rssKiB: number; heapUsedKiB: number; heapTotalKiB: number };
}

/** Readings taken (sequence numbers used) and still waiting in an outbox file, read beside the hub. */
export function outboxCounts(outboxPath: string): { taken: number; pending: number; delivered: number } {
  const db = new Database(outboxPath, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const pending = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
    const taken = (db.prepare("SELECT value FROM meta WHERE key = 'next_seq'").get() as { value: number })
      .value;
    return { taken, pending, delivered: taken - pending };
  } finally {
    db.close();
  }
}

export interface Hub {
  pid: number;
  /** The node command line, for the report. */
  command: string;
  health(): Promise<HubHealth>;
  sample(): ProcSample;
  stop(): Promise<void>;
}

export interface HubOptions {
  brokerPort: number;
  outboxPath: string;
  launch: Launch;
  /** Residents, each with a BP cuff and a falls sensor (4: the 8 devices of a small home). */
  residents?: number;
  /** Simulated scenario time per real second (the simulator's --time-scale). */
  timeScale?: number;
  /** Cuff period in scenario minutes. */
  bpIntervalMinutes?: number;
  heartbeatSeconds?: number;
  /** Node flags: the hub's own (HUB_NODE_FLAGS) unless told otherwise. */
  nodeFlags?: readonly string[];
  /** The hub's environment additions: HUB_ENV unless told otherwise. */
  hubEnv?: Readonly<Record<string, string>>;
  /** Node options for the hub process only, e.g. --heap-prof. */
  extraNodeFlags?: string[];
  /**
   * The local health endpoint (off by default in production, and it loads node:http): with it,
   * start-up waits for the broker session and all devices; without, for the first live reading.
   */
  healthEndpoint?: boolean;
}

/** Starts the gateway process and resolves once it has its broker session and all its devices. */
export async function startHub(options: HubOptions): Promise<Hub> {
  const residents = options.residents ?? 4;
  const withHealth = options.healthEndpoint ?? true;
  const healthPort = await freePort();
  const args = [
    ...(options.nodeFlags ?? HUB_NODE_FLAGS),
    ...(options.extraNodeFlags ?? []),
    ...options.launch.args('gateway', 'main'),
    '--simulate',
    `--site=${SITE}`,
    `--gateway=${GATEWAY}`,
    `--broker-url=mqtt://127.0.0.1:${options.brokerPort}`,
    `--outbox-path=${options.outboxPath}`,
    ...(withHealth ? [`--health-port=${healthPort}`] : []),
    `--residents=${residents}`,
    `--time-scale=${options.timeScale ?? 8640}`,
    `--bp-interval=${options.bpIntervalMinutes ?? 720}`,
    `--heartbeat=${options.heartbeatSeconds ?? 60}`,
    '--log-level=warn',
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...(options.hubEnv ?? HUB_ENV), WARDLINE_GATEWAY_PASSWORD: PASSWORD },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const health = async (): Promise<HubHealth> => {
    const res = await fetch(`http://127.0.0.1:${healthPort}/health`);
    return (await res.json()) as HubHealth;
  };
  const takenBefore = existsSync(options.outboxPath) ? outboxCounts(options.outboxPath).taken : 0;
  try {
    await poll('the gateway with its broker session and devices', 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`gateway exited (${child.exitCode})`);
      if (!withHealth) return outboxCounts(options.outboxPath).taken > takenBefore ? true : null;
      const h = await health();
      const connected = h.devices.filter((d) => d.connected).length;
      return h.broker.connected && connected >= residents * 2 ? h : null;
    });
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  return {
    pid: child.pid!,
    command: `node ${args
      .slice(0, args.indexOf('--simulate'))
      .join(' ')
      .replaceAll(ROOT + '/', '')} --simulate …`,
    health,
    sample: () => sampleProcess(child.pid!),
    stop: () => stopProcess(child),
  };
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `wardline-${prefix}-`));
  return { path, remove: () => existsSync(path) && rmSync(path, { recursive: true, force: true }) };
}
