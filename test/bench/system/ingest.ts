/**
 * Sustained ingest: the most readings a second the whole path carries without a growing backlog
 * (gateway -> broker -> server: validated, stored durably, scored, pushed to a nurse's socket),
 * against a bare-broker baseline in the same run (the same broker, same fleet and payloads, a
 * subscriber that only counts). Run twice: live traffic in small batches, and a backlog drain
 * in the gateway's full batches. The fleet is the load generator (firmware-sim/src/loadgen:
 * raw sockets, pre-encoded packets, worker threads), which pushes several times what the broker
 * takes, so that the baseline is the broker's and the ratio is against it.
 */

type Batch = { min: number; max: number };
import { SERVER_SUBSCRIPTIONS, SERVER_URGENT_SUBSCRIPTIONS } from '@wardline/protocol';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CountingSubscriber } from './counting-subscriber.js';
import { closedLoop, cpuMeter, scaled, startGeneratorStage, stopGeneratorStage, waitFor } from './load.js';
import { hotSpots, type HotSpot } from './profile.js';
import { fmt, progress } from './report.js';
import { repoRoot } from '../../src/system/processes.js';

export interface IngestResult {
  label: string;
  gateways: number;
  batchSize: number;
  baselinePerSecond: number;
  /** CPU during the baseline's measured stretch, in cores: the broker, and this process (generator threads, subscriber). */
  baselineBrokerCores: number;
  baselineGeneratorCores: number;
  endToEndPerSecond: number;
  ratio: number;
  /** CPU during the end-to-end run's measured stretch, in cores: broker, server, generator. */
  endToEndCores: { broker: number; server: number; generator: number };
  taken: number;
  stored: number;
  lost: number;
  pushedTwice: number;
  hotSpots: HotSpot[];
}

const WARMUP_MS = 3000;

/**
 * Readings outstanding at most. A backlog drain keeps four full batches waiting on every gateway,
 * so that each sends full batches however fast it is acknowledged (with one batch's worth, a
 * gateway acknowledged quickly sends whatever few readings it has, which is live traffic, not a
 * backlog); live traffic keeps about one batch's worth.
 */
const windowFor = (gateways: number, batch: Batch) =>
  Math.max(2000, gateways * batch.max * (batch.min === batch.max ? 4 : 1));
const MEASURE_MS = Number(process.env.BENCH_INGEST_SECONDS ?? 20) * 1000;

/**
 * The same broker with a subscriber in the server's place that only counts (its persistent
 * session, QoS 1, a PUBACK for each message), fed by the same generator and fleet.
 */
async function baseline(label: string, gateways: number, batch: Batch) {
  const stage = await startGeneratorStage(
    `${label} baseline`,
    { gateways, residentsPerGateway: 5, seed: 1 },
    { server: false, batch },
  );
  const subscriber = await CountingSubscriber.connect(stage.system.brokerUrl, {
    clientId: 'wardline-server',
    username: 'wardline-server',
    password: stage.system.serverMqttPassword,
    topics: [...SERVER_SUBSCRIPTIONS, ...SERVER_URGENT_SUBSCRIPTIONS],
  });
  const cpu = cpuMeter(stage.system.broker.pid);
  const result = await closedLoop(`${label} baseline`, stage.generator, () => subscriber.readings, {
    window: windowFor(gateways, batch),
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
    onMeasureStart: () => cpu.start(),
  });
  const cores = cpu.stop();
  await subscriber.close();
  await stopGeneratorStage(stage);
  return { perSecond: result.perSecond, ...cores };
}

async function endToEnd(label: string, gateways: number, batch: Batch) {
  const profileDir = join(repoRoot, 'test-artifacts', `profile-${label.replace(/\W+/g, '-')}`);
  // BENCH_PROFILE=1 (or server) profiles the server, BENCH_PROFILE=broker the broker.
  const profiled = process.env.BENCH_PROFILE === 'broker' ? 'broker' : 'server';
  const profiling = process.env.BENCH_PROFILE === '1' || process.env.BENCH_PROFILE === profiled;
  if (profiling) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const stage = await startGeneratorStage(
    `${label} end-to-end`,
    { gateways, residentsPerGateway: 5, seed: 1 },
    {
      batch,
      ...(profiling ? { [`${profiled}NodeArgs`]: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}),
    },
  );
  const watcher = stage.watcher!;
  const brokerCpu = cpuMeter(stage.system.broker.pid);
  const serverCpu = cpuMeter(stage.system.server.pid);
  const result = await closedLoop(`${label} end-to-end`, stage.generator, () => watcher.seen.size, {
    window: windowFor(gateways, batch),
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
    onMeasureStart: () => {
      brokerCpu.start();
      serverCpu.start();
    },
  });
  const brokerCores = brokerCpu.stop();
  const cores = {
    broker: brokerCores.brokerCores,
    server: serverCpu.stop().brokerCores,
    generator: brokerCores.benchCores,
  };
  const taken = stage.generator.handedOut;
  progress(`${label} end-to-end: draining ${fmt.int(taken - watcher.seen.size)} in flight`);
  await stage.generator.drained(300_000);
  await waitFor(() => watcher.seen.size >= taken, 300_000);
  const stored = stage.system.storedReadings();
  const pushedTwice = watcher.repeats;
  await stopGeneratorStage(stage);
  return {
    perSecond: result.perSecond,
    cores,
    taken,
    stored,
    pushedTwice,
    hotSpots: profiling ? hotSpots(profileDir, repoRoot) : [],
  };
}

export async function measureIngest(
  label: string,
  gateways: number,
  batchSize: number,
): Promise<IngestResult> {
  gateways = scaled(gateways, 10);
  const batch = { min: label === 'live' ? 1 : batchSize, max: batchSize };
  const base = await baseline(label, gateways, batch);
  progress(
    `${label} baseline: ${fmt.int(base.perSecond)} readings/s (CPU cores: broker ${base.brokerCores.toFixed(2)}, generator and subscriber ${base.benchCores.toFixed(2)})`,
  );
  const e2e = await endToEnd(label, gateways, batch);
  progress(
    `${label} end-to-end: ${fmt.int(e2e.perSecond)} readings/s, ${fmt.int(e2e.taken - e2e.stored)} lost (CPU cores: broker ${e2e.cores.broker.toFixed(2)}, server ${e2e.cores.server.toFixed(2)}, generator and watcher ${e2e.cores.generator.toFixed(2)})`,
  );
  return {
    label,
    gateways,
    batchSize,
    baselinePerSecond: base.perSecond,
    baselineBrokerCores: base.brokerCores,
    baselineGeneratorCores: base.benchCores,
    endToEndPerSecond: e2e.perSecond,
    ratio: e2e.perSecond / base.perSecond,
    endToEndCores: e2e.cores,
    taken: e2e.taken,
    stored: e2e.stored,
    lost: e2e.taken - e2e.stored,
    pushedTwice: e2e.pushedTwice,
    hotSpots: e2e.hotSpots,
  };
}
