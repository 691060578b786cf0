/**
 * Server memory per 1,000 monitored beds: the resident set of a server with no beds against
 * one with N beds whose every device has reported (so per-bed state, alert rules and caches
 * are populated), both after a forced settle.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { scaled, startStage, stopStage, waitFor } from './load.js';
import { fmt, progress } from './report.js';

async function serverRss(beds: number): Promise<number> {
  const gateways = Math.max(1, beds / 10);
  const stage = await startStage(
    `memory-${beds}`,
    {
      gateways,
      residentsPerGateway: beds === 0 ? 1 : 10,
      seed: 5,
    },
    beds === 0 ? { seed: false, watch: false } : {},
  );
  if (beds > 0) {
    // Every device of every bed reports once (falls sensors excepted: they only report events).
    const routinePerGateway = 10 * 3;
    for (const client of stage.fleet.clients) {
      for (let i = 0; i < routinePerGateway; i++)
        client.take(stage.fleet.readings.routine(client.gateway, Date.now() - 1000));
    }
    await stage.fleet.drained(300_000);
    await waitFor(() => stage.watcher!.seen.size >= stage.fleet.taken, 300_000);
  }
  await sleep(5000);
  const rss = stage.system.server.rssBytes();
  progress(`memory: server with ${fmt.int(beds)} beds: ${fmt.mib(rss)}`);
  await stopStage(stage);
  return rss;
}

export async function measureServerMemory(beds: number) {
  beds = scaled(beds, 100);
  const empty = await serverRss(0);
  const full = await serverRss(beds);
  return { beds, emptyBytes: empty, fullBytes: full, bytesPer1000Beds: ((full - empty) / beds) * 1000 };
}
