/**
 * The load generator's own ceiling: how many readings a second it pushes, acknowledged (PUBACK),
 * into a bare Wardline broker (the broker package as a real process, as the system bench starts
 * it, with a counting subscriber in the server's place) and, as an independent peer, into
 * mosquitto (if installed). Every gateway has its own connection, credentials and persistent
 * session; QoS 1. The system bench's ratios are only meaningful while these figures sit well
 * above what the whole system carries.
 *
 * LOADGEN_GATEWAYS (default 2000), LOADGEN_SECONDS (default 15), LOADGEN_WORKERS (default 2),
 * LOADGEN_ONLY=broker,mosquitto, LOADGEN_BATCHES=live,backlog.
 */
import { planFleet, type FleetPlan } from '@wardline/firmware-sim';
import { LoadGenerator, type LoadGeneratorOptions } from '@wardline/firmware-sim/loadgen';
import { SERVER_SUBSCRIPTIONS, SERVER_URGENT_SUBSCRIPTIONS } from '@wardline/protocol';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, tempDir } from '../src/support.js';
import { repoRoot } from '../src/system/processes.js';
import { WardlineSystem } from '../src/system/system.js';
import { CountingSubscriber } from './system/counting-subscriber.js';
import { cpuSeconds } from './system/load.js';
import { fmt, printTable, progress, type Row } from './system/report.js';

const GATEWAYS = Number(process.env.LOADGEN_GATEWAYS ?? 2000);
const SECONDS = Number(process.env.LOADGEN_SECONDS ?? 15);
const WORKERS = Number(process.env.LOADGEN_WORKERS ?? 2);
const only = new Set((process.env.LOADGEN_ONLY ?? 'broker,mosquitto').split(','));
const batches = new Set((process.env.LOADGEN_BATCHES ?? 'live,backlog').split(','));

interface Shape {
  label: string;
  gateways: number;
  batch: { min: number; max: number };
  window: number;
}
const shapes: Shape[] = [
  { label: 'live', gateways: GATEWAYS, batch: { min: 1, max: 5 }, window: 1 },
  {
    label: 'backlog',
    gateways: Math.max(10, Math.round(GATEWAYS / 10)),
    batch: { min: 100, max: 100 },
    window: 1,
  },
].filter((s) => batches.has(s.label));

interface Measured {
  target: string;
  shape: Shape;
  ackedPerSecond: number;
  consumedPerSecond: number;
  messagesPerSecond: number;
  connectSeconds: number;
  /** CPU used over the measured stretch, in cores: this process (generator threads and subscriber), the broker. */
  generatorCores: number;
  brokerCores: number;
}

async function drive(
  target: string,
  shape: Shape,
  plan: FleetPlan,
  url: string,
  password: LoadGeneratorOptions['password'],
  subscriber: CountingSubscriber,
  brokerPid: number | undefined,
): Promise<Measured> {
  const t0 = performance.now();
  const { generator, connected, failed } = await LoadGenerator.start(plan, {
    url,
    password,
    workers: WORKERS,
    batch: shape.batch,
    window: shape.window,
  });
  const connectSeconds = (performance.now() - t0) / 1000;
  progress(
    `${target} ${shape.label}: ${fmt.int(connected)} gateways connected in ${connectSeconds.toFixed(1)} s (${failed} failed)`,
  );
  if (failed > 0) throw new Error(`${failed} gateways could not connect`);
  const consumedAt = { start: 0, end: 0 };
  const run = generator.run({
    readingsPerSecond: Infinity,
    warmupMs: 3000,
    measureMs: SECONDS * 1000,
    onProgress: (t) =>
      progress(
        `${target} ${shape.label}: ${fmt.int(t.acked)} acked, ${fmt.int(subscriber.readings)} consumed`,
      ),
  });
  await sleep(3000);
  consumedAt.start = subscriber.readings;
  const t1 = performance.now();
  const cpu0 = { generator: process.cpuUsage(), broker: cpuSeconds(brokerPid) };
  const result = await run;
  consumedAt.end = subscriber.readings;
  const consumedSeconds = (performance.now() - t1) / 1000;
  const generatorCpu = process.cpuUsage(cpu0.generator);
  const generatorCores = (generatorCpu.user + generatorCpu.system) / 1e6 / consumedSeconds;
  const brokerCores = (cpuSeconds(brokerPid) - cpu0.broker) / consumedSeconds;
  await generator.close();
  return {
    target,
    shape,
    ackedPerSecond: result.ackedPerSecond,
    messagesPerSecond: result.messagesPerSecond,
    consumedPerSecond: (consumedAt.end - consumedAt.start) / consumedSeconds,
    connectSeconds,
    generatorCores,
    brokerCores,
  };
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`nothing listening on ${port}`);
}

const results: Measured[] = [];

if (only.has('broker')) {
  for (const shape of shapes) {
    const plan = planFleet({ gateways: shape.gateways, residentsPerGateway: 5, seed: 1 });
    progress(
      `wardline broker ${shape.label}: starting a bare broker for ${fmt.int(shape.gateways)} gateways`,
    );
    const system = await WardlineSystem.start({ plan, dir: tempDir('bench-loadgen'), server: false });
    const subscriber = await CountingSubscriber.connect(system.brokerUrl, {
      clientId: 'wardline-server',
      username: 'wardline-server',
      password: system.serverMqttPassword,
      topics: [...SERVER_SUBSCRIPTIONS, ...SERVER_URGENT_SUBSCRIPTIONS],
    });
    try {
      results.push(
        await drive(
          'wardline broker',
          shape,
          plan,
          system.brokerUrl,
          system.gatewayPassword,
          subscriber,
          system.broker.pid,
        ),
      );
    } finally {
      await subscriber.close();
      await system.stop();
    }
  }
}

if (only.has('mosquitto')) {
  const which = spawnSync('which', ['mosquitto']);
  if (which.status !== 0) progress('mosquitto: not installed, skipped');
  else {
    for (const shape of shapes) {
      const plan = planFleet({ gateways: shape.gateways, residentsPerGateway: 5, seed: 1 });
      const dir = tempDir('bench-loadgen-mosquitto');
      const port = await freePort();
      // Each gateway has its own user and password, as on the Wardline broker.
      const passwords = new Map(plan.gateways.map((g) => [g.username, `pw-${g.index}-${port}`]));
      const passwordFile = join(dir, 'passwd');
      writeFileSync(
        passwordFile,
        [...passwords].map(([u, p]) => `${u}:${p}`).join('\n') + '\nwardline-server:server-secret\n',
      );
      spawnSync('mosquitto_passwd', ['-U', passwordFile]);
      writeFileSync(
        join(dir, 'mosquitto.conf'),
        [
          `listener ${port} 127.0.0.1`,
          // Run as whoever started it: the files are in a private temp dir.
          ...(process.getuid?.() === 0 ? ['user root'] : []),
          'allow_anonymous false',
          `password_file ${passwordFile}`,
          'set_tcp_nodelay true',
          'persistence false',
          'max_inflight_messages 1000',
          'max_queued_messages 1000000',
          '',
        ].join('\n'),
      );
      const mosquitto = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
      await waitForPort(port);
      const url = `mqtt://127.0.0.1:${port}`;
      const subscriber = await CountingSubscriber.connect(url, {
        clientId: 'wardline-server',
        username: 'wardline-server',
        password: 'server-secret',
        topics: [...SERVER_SUBSCRIPTIONS, ...SERVER_URGENT_SUBSCRIPTIONS],
      });
      try {
        results.push(
          await drive(
            'mosquitto',
            shape,
            plan,
            url,
            (g) => passwords.get(g.username)!,
            subscriber,
            mosquitto.pid,
          ),
        );
      } finally {
        await subscriber.close();
        mosquitto.kill('SIGTERM');
      }
    }
  }
}

const rows: Row[] = results.map((r) => ({
  measure: `generator -> ${r.target}, ${r.shape.label} (${fmt.int(r.shape.gateways)} gateways, batches ${r.shape.batch.min}-${r.shape.batch.max}, ${WORKERS} workers), readings/s acked`,
  value: fmt.int(r.ackedPerSecond),
  baseline: `${fmt.int(r.consumedPerSecond)} consumed`,
  ratio: fmt.ratio(r.consumedPerSecond / r.ackedPerSecond),
  target: '>= 50,000',
  verdict: `${r.ackedPerSecond >= 50_000 ? 'met' : 'MISSED'}: ${fmt.int(r.messagesPerSecond)} msg/s; CPU cores: generator ${r.generatorCores.toFixed(2)}, broker ${r.brokerCores.toFixed(2)}`,
}));
printTable(rows);
mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
writeFileSync(
  join(repoRoot, 'test-artifacts', 'bench-loadgen.json'),
  JSON.stringify({ gateways: GATEWAYS, seconds: SECONDS, workers: WORKERS, results, rows }, null, 2),
);
process.exit(0);
