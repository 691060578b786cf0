/**
 * Sustained ingest: the most readings a second the whole path carries without a growing backlog
 * (gateway -> broker -> server: validated, stored durably, scored, pushed to a nurse's socket),
 * against a bare-broker baseline in the same run (the same broker, same fleet and payloads, a
 * subscriber that only counts). Run twice: live traffic in small batches, and a backlog drain
 * in the gateway's full batches.
 */
import { SERVER_SUBSCRIPTIONS } from '@wardline/protocol';
import mqtt from 'mqtt';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { closedLoop, scaled, startStage, stopStage, waitFor } from './load.js';
import { hotSpots, type HotSpot } from './profile.js';
import { fmt, progress } from './report.js';
import { repoRoot } from '../../src/system/processes.js';

export interface IngestResult {
  label: string;
  gateways: number;
  batchSize: number;
  baselinePerSecond: number;
  endToEndPerSecond: number;
  ratio: number;
  taken: number;
  stored: number;
  lost: number;
  pushedTwice: number;
  hotSpots: HotSpot[];
}

const WARMUP_MS = 3000;
const MEASURE_MS = Number(process.env.BENCH_INGEST_SECONDS ?? 20) * 1000;

async function baseline(label: string, gateways: number, batchSize: number): Promise<number> {
  const stage = await startStage(
    `${label} baseline`,
    { gateways, residentsPerGateway: 5, seed: 1 },
    { server: false, batchSize },
  );
  let consumed = 0;
  const subscriber = await mqtt.connectAsync(stage.system.brokerUrl, {
    clientId: 'wardline-server',
    username: 'wardline-server',
    password: stage.system.serverMqttPassword,
    clean: false,
  });
  subscriber.on('message', (_topic, payload) => {
    const batch = JSON.parse(payload.toString()) as { observations?: unknown[] };
    consumed += batch.observations?.length ?? 0;
  });
  await subscriber.subscribeAsync(SERVER_SUBSCRIPTIONS, { qos: 1 });
  const result = await closedLoop(`${label} baseline`, stage.fleet, () => consumed, {
    window: Math.max(2000, gateways * batchSize),
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
  });
  await subscriber.endAsync(true);
  await stopStage(stage);
  return result.perSecond;
}

async function endToEnd(label: string, gateways: number, batchSize: number) {
  const profileDir = join(repoRoot, 'test-artifacts', `profile-${label.replace(/\W+/g, '-')}`);
  const profiling = process.env.BENCH_PROFILE === '1';
  if (profiling) {
    rmSync(profileDir, { recursive: true, force: true });
    mkdirSync(profileDir, { recursive: true });
  }
  const stage = await startStage(
    `${label} end-to-end`,
    { gateways, residentsPerGateway: 5, seed: 1 },
    { batchSize, ...(profiling ? { serverNodeArgs: ['--cpu-prof', '--cpu-prof-dir', profileDir] } : {}) },
  );
  const watcher = stage.watcher!;
  const result = await closedLoop(`${label} end-to-end`, stage.fleet, () => watcher.seen.size, {
    window: Math.max(2000, gateways * batchSize),
    warmupMs: WARMUP_MS,
    measureMs: MEASURE_MS,
  });
  const taken = stage.fleet.taken;
  progress(`${label} end-to-end: draining ${fmt.int(taken - watcher.seen.size)} in flight`);
  await stage.fleet.drained(300_000);
  await waitFor(() => watcher.seen.size >= taken, 300_000);
  const stored = stage.system.storedReadings();
  const pushedTwice = watcher.repeats;
  await stopStage(stage);
  return {
    perSecond: result.perSecond,
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
  const base = await baseline(label, gateways, batchSize);
  progress(`${label} baseline: ${fmt.int(base)} readings/s`);
  const e2e = await endToEnd(label, gateways, batchSize);
  progress(
    `${label} end-to-end: ${fmt.int(e2e.perSecond)} readings/s, ${fmt.int(e2e.taken - e2e.stored)} lost`,
  );
  return {
    label,
    gateways,
    batchSize,
    baselinePerSecond: base,
    endToEndPerSecond: e2e.perSecond,
    ratio: e2e.perSecond / base,
    taken: e2e.taken,
    stored: e2e.stored,
    lost: e2e.taken - e2e.stored,
    pushedTwice: e2e.pushedTwice,
    hotSpots: e2e.hotSpots,
  };
}
