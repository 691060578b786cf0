/**
 * One hub, measured: a real broker process and one real gateway process (noble on the simulated
 * radio, 8 devices, SQLite outbox), launched as production launches it, beside an idle node
 * process measured in the same run. Phases: a burst (the gateway starts with a day's outage in
 * its outbox, 11,520 readings, and replays it while its devices connect), then the devices' own
 * rhythm for a while. Prints RSS (steady and peak), heap, CPU per 1,000 readings, and ratios to
 * the idle node process. Goal: under 80 MiB RSS.
 *
 *   npm run bench -- hub            (compiled: tsc -p tsconfig.build.json into a temp dir, as the
 *                                    production build compiles; node runs the .js, no loader)
 *   HUB_BENCH_TREE=<runtime dir from scripts/build-production.ts> npm run bench -- hub
 *   HUB_BENCH_LOADER=tsx npm run bench -- hub   (node --import tsx on the sources, as npm start)
 *   HUB_BENCH_FLAGS=none npm run bench -- hub      (without the hub's node flags and HUB_ENV)
 *   HUB_BENCH_STEADY_SECONDS=30 …                 (length of the rhythm phase; default 20)
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HUB_ENV, HUB_NODE_FLAGS } from '../src/hub-flags.js';
import {
  compileRuntime,
  fillBacklog,
  launchFor,
  outboxCounts,
  startBrokerProcess,
  startHub,
  startIdleNode,
  tempDir,
  type ProcSample,
} from '../src/testing/hub-run.js';

const BACKLOG = 11_520; // 8 devices, one reading a minute, for a day
const STEADY_SECONDS = Number(process.env.HUB_BENCH_STEADY_SECONDS ?? 20);
const nodeFlags = process.env.HUB_BENCH_FLAGS === 'none' ? [] : HUB_NODE_FLAGS;
const hubEnv = process.env.HUB_BENCH_FLAGS === 'none' ? {} : HUB_ENV;
const mib = (kib: number) => (kib / 1024).toFixed(1);

const dir = tempDir('hub-bench');
const launch =
  process.env.HUB_BENCH_TREE || process.env.HUB_BENCH_LOADER === 'tsx'
    ? launchFor(process.env.HUB_BENCH_TREE)
    : compileRuntime(join(dir.path, 'compiled'));
const idle = await startIdleNode();
const idleLoader = launch.kind === 'tsx loader' ? await startIdleNode(['--import', 'tsx']) : undefined;
const broker = await startBrokerProcess(dir.path, launch);
const outboxPath = join(dir.path, 'outbox.db');
fillBacklog(outboxPath, BACKLOG);

let peakKiB = 0;
try {
  const idleAtStart = idle.sample();
  const started = Date.now();
  // As production runs it: no health endpoint (off by default); counts come from the outbox file.
  const hub = await startHub({
    brokerPort: broker.port,
    outboxPath,
    launch,
    nodeFlags,
    healthEndpoint: false,
  });
  const delivered = () => outboxCounts(outboxPath).delivered;
  const envText = Object.entries(hubEnv)
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  console.log(`gateway: ${envText}${hub.command} (${launch.kind}); broker: ${launch.kind}`);
  const track = (): ProcSample => {
    const s = hub.sample();
    peakKiB = Math.max(peakKiB, s.peakKiB);
    return s;
  };

  // Burst: the backlog replays (at the gateway's replay rate) while the devices report.
  const burstStart = track();
  const deliveredAtStart = delivered();
  for (;;) {
    const { pending } = outboxCounts(outboxPath);
    track();
    if (pending === 0) break;
    if (Date.now() - started > 120_000) throw new Error(`backlog not drained: ${pending} left`);
    await sleep(250);
  }
  const burstEnd = track();
  const deliveredAfterBurst = delivered();
  const burstSeconds = (Date.now() - started) / 1000;

  // Rhythm: the devices' own readings (cuffs, falls-sensor heartbeats), sampled twice a second.
  const steadyStart = track();
  const idleSteadyStart = idle.sample();
  const rss: number[] = [];
  const t0 = Date.now();
  while (Date.now() - t0 < STEADY_SECONDS * 1000) {
    await sleep(500);
    rss.push(track().rssKiB);
  }
  const steadyEnd = track();
  const idleSteadyEnd = idle.sample();
  const steadyReadings = delivered() - deliveredAfterBurst;
  const steadyCpu = steadyEnd.cpuSeconds - steadyStart.cpuSeconds;
  const idleCpu = idleSteadyEnd.cpuSeconds - idleSteadyStart.cpuSeconds;
  const burstReadings = deliveredAfterBurst - deliveredAtStart;
  const burstCpu = burstEnd.cpuSeconds - burstStart.cpuSeconds;
  await hub.stop();

  // The same hub with its health endpoint on (node:http loaded): its RSS, and the heap it reports.
  const watched = await startHub({ brokerPort: broker.port, outboxPath, launch, nodeFlags, hubEnv });
  await sleep(8000);
  const { memory } = await watched.health();
  const watchedKiB = watched.sample().rssKiB;
  await watched.stop();

  const sorted = [...rss].sort((a, b) => a - b);
  const steadyKiB = sorted[Math.floor(sorted.length / 2)] ?? steadyEnd.rssKiB;
  const idleNow = idle.sample();
  const idleKiB = Math.max(idleAtStart.rssKiB, idleNow.rssKiB);
  const per1000 = (cpu: number, readings: number) =>
    readings > 0 ? ((cpu / readings) * 1000).toFixed(3) : 'n/a';

  console.log(`\nOne hub (8 devices, SQLite outbox, real broker process); shared 2-core machine`);
  console.log(`  idle node (node -e setInterval)        RSS ${mib(idleKiB)} MiB`);
  if (idleLoader)
    console.log(`  idle node --import tsx                 RSS ${mib(idleLoader.sample().rssKiB)} MiB`);
  console.log(
    `  gateway steady (median of ${rss.length})          RSS ${mib(steadyKiB)} MiB  = ${(steadyKiB / idleKiB).toFixed(2)} x idle node   (goal < 80 MiB)`,
  );
  console.log(
    `  gateway peak (VmHWM, burst incl.)      RSS ${mib(peakKiB)} MiB  = ${(peakKiB / idleKiB).toFixed(2)} x idle node`,
  );
  console.log(
    `  with --health-port (node:http)         RSS ${mib(watchedKiB)} MiB  = ${(watchedKiB / idleKiB).toFixed(2)} x idle node; heap used ${mib(memory.heapUsedKiB)} of ${mib(memory.heapTotalKiB)} MiB`,
  );
  console.log(
    `  burst: ${burstReadings} readings replayed + live in ${burstSeconds.toFixed(1)} s, CPU ${burstCpu.toFixed(2)} s = ${per1000(burstCpu, burstReadings)} CPU s per 1,000 readings`,
  );
  console.log(
    `  rhythm: ${steadyReadings} readings in ${STEADY_SECONDS} s, CPU ${steadyCpu.toFixed(2)} s = ${per1000(steadyCpu, steadyReadings)} CPU s per 1,000 readings (idle node: ${idleCpu.toFixed(2)} s CPU in the same time)`,
  );
  console.log(
    `  under 80 MiB: steady ${steadyKiB < 80 * 1024 ? 'yes' : 'NO'}, peak ${peakKiB < 80 * 1024 ? 'yes' : 'NO'}`,
  );
} finally {
  await broker.stop();
  await idle.stop();
  await idleLoader?.stop();
  dir.remove();
}
