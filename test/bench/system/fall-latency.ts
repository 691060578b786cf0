/**
 * Falls under background load: the fleet (the load generator) sends routine readings at a fixed
 * rate while a fall lands every 250 ms on a different resident; each fall is timed from its
 * measurement time (set when it happened) to the fall alert arriving on the nurse's socket.
 */
import type { GeneratorFall } from '@wardline/firmware-sim/loadgen';
import { setTimeout as sleep } from 'node:timers/promises';
import { scaled, startGeneratorStage, stopGeneratorStage, waitFor } from './load.js';
import { fmt, latencySummary, progress } from './report.js';

export async function measureFallLatency(readingsPerSecond: number, seconds: number) {
  const stage = await startGeneratorStage(
    'falls',
    { gateways: scaled(400, 20), residentsPerGateway: 5, seed: 2 },
    { batch: { min: 1, max: 5 } },
  );
  const { generator } = stage;
  const watcher = stage.watcher!;
  const falls: GeneratorFall[] = [];

  // Baseline: the same falls on the idle system.
  for (let i = 0; i < 20; i++) {
    falls.push(await generator.fall());
    await sleep(100);
  }
  await waitFor(() => watcher.alerted(falls), 10_000);
  const idle = latencySummary(watcher.fallLatencies(falls));
  progress(`falls: idle system p50 ${fmt.ms(idle.p50)}, p99 ${fmt.ms(idle.p99)}`);
  falls.length = 0;

  await generator.setRate(readingsPerSecond);
  const start = performance.now();
  let nextFallMs = 2000;
  let lastReport = 0;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= seconds * 1000) break;
    if (elapsed >= nextFallMs) {
      falls.push(await generator.fall());
      nextFallMs += 250;
    }
    if (elapsed - lastReport >= 5000) {
      lastReport = elapsed;
      progress(
        `falls: ${(elapsed / 1000).toFixed(0)} s, ${fmt.int(generator.totals.taken)} readings, ${falls.length} falls`,
      );
    }
    await sleep(Math.max(1, Math.min(50, nextFallMs - elapsed)));
  }
  await generator.setRate(0);
  await waitFor(() => watcher.alerted(falls), 30_000);
  const latencies = watcher.fallLatencies(falls);
  const missed = falls.length - latencies.length;
  const taken = (await generator.freshTotals()).taken;
  await stopGeneratorStage(stage);
  return { readingsPerSecond, taken, falls: falls.length, missed, idle, loaded: latencySummary(latencies) };
}
