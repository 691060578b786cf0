/**
 * Falls under background load: the fleet sends routine readings at a fixed rate while a fall
 * lands every 250 ms on a different resident; each fall is timed from its measurement time (set
 * by the simulated sensor when it happened) to the fall alert arriving on the nurse's socket.
 */
import { fallsEvery, type FallRecord } from '@wardline/firmware-sim';
import { setTimeout as sleep } from 'node:timers/promises';
import { scaled, startStage, stopStage, waitFor } from './load.js';
import { fmt, latencySummary, progress } from './report.js';

export async function measureFallLatency(readingsPerSecond: number, seconds: number) {
  const stage = await startStage('falls', { gateways: scaled(400, 20), residentsPerGateway: 5, seed: 2 });
  const watcher = stage.watcher!;
  const falls: FallRecord[] = [];
  const record = (fall: FallRecord) => falls.push(fall);

  // Baseline: the same falls on the idle system.
  for (let i = 0; i < 20; i++) {
    record(stage.fleet.takeFall());
    await sleep(100);
  }
  await waitFor(() => watcher.alerted(falls), 10_000);
  const idle = latencySummary(watcher.fallLatencies(falls));
  progress(`falls: idle system p50 ${fmt.ms(idle.p50)}, p99 ${fmt.ms(idle.p99)}`);
  falls.length = 0;

  const script = fallsEvery(250, 2000, seconds * 1000);
  await stage.fleet.runLoad({
    readingsPerSecond,
    durationMs: seconds * 1000,
    script,
    onFall: record,
    onProgress: (ms) =>
      ms % 5000 < 1000 &&
      progress(
        `falls: ${(ms / 1000).toFixed(0)} s, ${fmt.int(stage.fleet.taken)} readings, ${falls.length} falls`,
      ),
  });
  await waitFor(() => watcher.alerted(falls), 30_000);
  const latencies = watcher.fallLatencies(falls);
  const missed = falls.length - latencies.length;
  const taken = stage.fleet.taken;
  await stopStage(stage);
  return { readingsPerSecond, taken, falls: falls.length, missed, idle, loaded: latencySummary(latencies) };
}
