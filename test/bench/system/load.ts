/** Shared pieces of the system benchmark: the fleet on a system, and closed-loop load. */
import { FleetRunner, planFleet, type FleetOptions, type FleetPlan } from '@wardline/firmware-sim';
import { LoadGenerator } from '@wardline/firmware-sim/loadgen';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../src/support.js';
import { WardlineSystem, type SystemOptions } from '../../src/system/system.js';
import type { WardWatcher } from '../../src/system/ward-watcher.js';
import { fmt, progress } from './report.js';

export const SCALE = Number(process.env.BENCH_SCALE ?? 1);
export const scaled = (n: number, min = 1) => Math.max(min, Math.round(n * SCALE));
/** Worker threads of the load generator; BENCH_GENERATOR_WORKERS, default 2. */
export const GENERATOR_WORKERS = Number(process.env.BENCH_GENERATOR_WORKERS ?? 2);

export interface Stage {
  plan: FleetPlan;
  system: WardlineSystem;
  fleet: FleetRunner;
  watcher: WardWatcher | null;
}

export async function startStage(
  name: string,
  fleetOptions: FleetOptions,
  options: Partial<SystemOptions> & { batchSize?: number; watch?: boolean } = {},
): Promise<Stage> {
  const plan = planFleet(fleetOptions);
  progress(
    `${name}: starting broker${options.server === false ? '' : ' and server'} for ${fmt.int(plan.gateways.length)} gateways, ${fmt.int(plan.residents.length)} beds`,
  );
  const system = await WardlineSystem.start({ plan, dir: tempDir(`bench-${name}`), ...options });
  let watcher: WardWatcher | null = null;
  if (options.server !== false && options.watch !== false) {
    watcher = await system.watchWards();
  }
  const fleet = new FleetRunner(plan, {
    url: system.brokerUrl,
    password: system.gatewayPassword,
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
  });
  const connected = await fleet.connectAll(200, (p) =>
    progress(`${name}: ${fmt.int(p.connected)} of ${fmt.int(p.total)} gateways connected`),
  );
  if (connected.failed > 0) throw new Error(`${name}: ${connected.failed} gateways could not connect`);
  return { plan, system, fleet, watcher };
}

export async function stopStage(stage: Stage): Promise<void> {
  stage.watcher?.close();
  await stage.fleet.closeAll();
  await stage.system.stop();
}

export interface GeneratorStage {
  plan: FleetPlan;
  system: WardlineSystem;
  generator: LoadGenerator;
  watcher: WardWatcher | null;
}

/**
 * The system (or a bare broker with `server: false`) and the fleet as the load generator: every
 * gateway on its own raw connection in worker threads, pre-encoded batches (see
 * firmware-sim/src/loadgen), so that the generator is not what a figure measures.
 */
export async function startGeneratorStage(
  name: string,
  fleetOptions: FleetOptions,
  options: Partial<SystemOptions> & { batch: { min?: number; max: number }; watch?: boolean },
): Promise<GeneratorStage> {
  const plan = planFleet(fleetOptions);
  progress(
    `${name}: starting broker${options.server === false ? '' : ' and server'} for ${fmt.int(plan.gateways.length)} gateways, ${fmt.int(plan.residents.length)} beds`,
  );
  const system = await WardlineSystem.start({ plan, dir: tempDir(`bench-${name}`), ...options });
  let watcher: WardWatcher | null = null;
  if (options.server !== false && options.watch !== false) watcher = await system.watchWards();
  const started = performance.now();
  const { generator, connected, failed } = await LoadGenerator.start(plan, {
    url: system.brokerUrl,
    password: system.gatewayPassword,
    batch: options.batch,
    workers: GENERATOR_WORKERS,
  });
  progress(
    `${name}: ${fmt.int(connected)} gateways connected in ${((performance.now() - started) / 1000).toFixed(1)} s (${GENERATOR_WORKERS} generator threads)`,
  );
  if (failed > 0) {
    await generator.close();
    await system.stop();
    throw new Error(`${name}: ${failed} gateways could not connect`);
  }
  return { plan, system, generator, watcher };
}

export async function stopGeneratorStage(stage: GeneratorStage): Promise<void> {
  stage.watcher?.close();
  await stage.generator.close();
  await stage.system.stop();
}

/** What a closed loop feeds: the fleet simulator or the load generator. */
export interface Feed {
  readonly taken: number;
  take(count: number): void;
}

export const feedOf = (source: FleetRunner | LoadGenerator): Feed =>
  source instanceof LoadGenerator
    ? {
        get taken() {
          return source.handedOut;
        },
        take: (count) => source.take(count),
      }
    : {
        get taken() {
          return source.taken;
        },
        take: (count) => {
          for (let i = 0; i < count; i++) source.takeRoutine();
        },
      };

/**
 * Offers as much load as the consumer takes: readings are handed to the gateways whenever fewer
 * than `window` are outstanding (taken but not consumed), so the rate measured is what the whole
 * path sustains without a growing backlog. Returns the consumer's rate over `measureMs` after
 * `warmupMs`.
 */
export async function closedLoop(
  name: string,
  source: FleetRunner | LoadGenerator,
  consumed: () => number,
  {
    window,
    warmupMs,
    measureMs,
    onMeasureStart,
  }: { window: number; warmupMs: number; measureMs: number; onMeasureStart?: () => void },
): Promise<{ perSecond: number; consumed: number; seconds: number }> {
  const feed = feedOf(source);
  const start = performance.now();
  let measureStart = 0;
  let consumedAtStart = 0;
  let lastReport = start;
  for (;;) {
    const now = performance.now();
    if (!measureStart && now - start >= warmupMs) {
      measureStart = now;
      consumedAtStart = consumed();
      onMeasureStart?.();
    }
    if (measureStart && now - measureStart >= measureMs) break;
    const room = Math.floor(Math.min(window / 4, consumed() + window - feed.taken));
    if (room > 0) feed.take(room);
    if (now - lastReport >= 2000) {
      lastReport = now;
      progress(`${name}: ${fmt.int(feed.taken)} taken, ${fmt.int(consumed())} through`);
    }
    await sleep(5);
  }
  const seconds = (performance.now() - measureStart) / 1000;
  const through = consumed() - consumedAtStart;
  return { perSecond: through / seconds, consumed: through, seconds };
}

export async function waitFor(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (probe()) return true;
    await sleep(50);
  }
  return probe();
}

/** User and system CPU seconds of a process so far (Linux /proc; NaN elsewhere). */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU used between start() and stop(), in cores: a process by its pid, and this process (all its threads). */
export function cpuMeter(pid: number | undefined) {
  let t0 = 0;
  let other = 0;
  let own = process.cpuUsage();
  return {
    start() {
      t0 = performance.now();
      other = cpuSeconds(pid);
      own = process.cpuUsage();
    },
    stop(): { brokerCores: number; benchCores: number } {
      const seconds = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(own);
      return {
        brokerCores: (cpuSeconds(pid) - other) / seconds,
        benchCores: (used.user + used.system) / 1e6 / seconds,
      };
    },
  };
}
