/** Shared pieces of the system benchmark: the fleet on a system, and closed-loop load. */
import { FleetRunner, planFleet, type FleetOptions, type FleetPlan } from '@wardline/firmware-sim';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../src/support.js';
import { WardlineSystem, type SystemOptions } from '../../src/system/system.js';
import type { WardWatcher } from '../../src/system/ward-watcher.js';
import { fmt, progress } from './report.js';

export const SCALE = Number(process.env.BENCH_SCALE ?? 1);
export const scaled = (n: number, min = 1) => Math.max(min, Math.round(n * SCALE));

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

/**
 * Offers as much load as the consumer takes: readings are handed to the gateways whenever fewer
 * than `window` are outstanding (taken but not consumed), so the rate measured is what the whole
 * path sustains without a growing backlog. Returns the consumer's rate over `measureMs` after
 * `warmupMs`.
 */
export async function closedLoop(
  name: string,
  fleet: FleetRunner,
  consumed: () => number,
  { window, warmupMs, measureMs }: { window: number; warmupMs: number; measureMs: number },
): Promise<{ perSecond: number; consumed: number; seconds: number }> {
  const start = performance.now();
  let measureStart = 0;
  let consumedAtStart = 0;
  let lastReport = start;
  for (;;) {
    const now = performance.now();
    if (!measureStart && now - start >= warmupMs) {
      measureStart = now;
      consumedAtStart = consumed();
    }
    if (measureStart && now - measureStart >= measureMs) break;
    const room = Math.min(window / 4, consumed() + window - fleet.taken);
    for (let i = 0; i < room; i++) fleet.takeRoutine();
    if (now - lastReport >= 2000) {
      lastReport = now;
      progress(`${name}: ${fmt.int(fleet.taken)} taken, ${fmt.int(consumed())} through`);
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
