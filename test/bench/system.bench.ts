/**
 * The whole system under load: broker and server as real processes, the load generator
 * (firmware-sim/src/loadgen: raw sockets, pre-encoded batches, worker threads) as thousands of
 * gateways for ingest, falls and the storm (connections and memory still use the mqtt.js fleet
 * simulator), a nurse's socket as the end point. Prints a table and writes
 * test-artifacts/bench-system.json. Every figure has a baseline measured in the same run:
 *
 *   sustained ingest        end to end (validated, stored, scored, pushed) vs a bare broker
 *   fall latency            at 2,000 readings/s background vs the same falls on an idle system
 *   connections             held vs the target
 *   reconnect storm         drain rate vs sustained ingest of full batches
 *   server memory           with N monitored beds vs with none
 *
 * BENCH_ONLY=ingest,falls,connections,storm,memory picks sections; BENCH_SCALE shrinks the
 * fleets for a quick look (0.1); BENCH_INGEST=live or drain runs one ingest run; BENCH_PROFILE=1
 * (or broker) writes a CPU profile of the server (or the broker) during
 * ingest and prints where its time went.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../src/system/processes.js';
import { measureConnections } from './system/connections.js';
import { measureFallLatency } from './system/fall-latency.js';
import { measureIngest, type IngestResult } from './system/ingest.js';
import { SCALE } from './system/load.js';
import { measureServerMemory } from './system/memory.js';
import { measureReconnectStorm } from './system/reconnect-storm.js';
import { fmt, printTable, progress, verdict, type Row } from './system/report.js';

const only = new Set((process.env.BENCH_ONLY ?? 'ingest,falls,connections,storm,memory').split(','));
const TARGET = {
  ingestPerSecond: 20_000,
  fallP99Ms: 100,
  connections: 40_000,
  stormFallMs: 1000,
};
const rows: Row[] = [];
const results: Record<string, unknown> = { scale: SCALE, startedAt: new Date().toISOString(), cores: 2 };
const out = join(repoRoot, 'test-artifacts', 'bench-system.json');
mkdirSync(join(repoRoot, 'test-artifacts'), { recursive: true });
/** After each section: its rows now, and the JSON so far, so that a cut-short run keeps its figures. */
function sectionDone(from: number): void {
  printTable(rows.slice(from));
  writeFileSync(out, JSON.stringify({ ...results, rows }, null, 2));
}

if (only.has('ingest')) {
  const from = rows.length;
  // BENCH_INGEST=live or drain runs one of the two.
  const which = process.env.BENCH_INGEST ?? 'live,drain';
  const runs: IngestResult[] = [];
  if (which.includes('live')) runs.push(await measureIngest('live', 2000, 5));
  if (which.includes('drain')) runs.push(await measureIngest('drain', 200, 100));
  results.ingest = runs;
  for (const r of runs) {
    rows.push({
      measure: `ingest, ${r.label} (${fmt.int(r.gateways)} gateways, batches <= ${r.batchSize}), readings/s`,
      value: fmt.int(r.endToEndPerSecond),
      baseline: `${fmt.int(r.baselinePerSecond)} bare broker (CPU: broker ${r.baselineBrokerCores.toFixed(2)}, generator ${r.baselineGeneratorCores.toFixed(2)} cores)`,
      ratio: fmt.ratio(r.ratio),
      target: `>= ${fmt.int(TARGET.ingestPerSecond)}`,
      verdict: verdict(r.endToEndPerSecond, TARGET.ingestPerSecond, true),
    });
    rows.push({
      measure: `  readings lost / pushed twice (${fmt.int(r.taken)} taken)`,
      value: `${fmt.int(r.lost)} / ${fmt.int(r.pushedTwice)}`,
      baseline: '-',
      ratio: '-',
      target: '0 / 0',
      verdict: r.lost === 0 && r.pushedTwice === 0 ? 'met' : 'MISSED',
    });
    if (r.hotSpots.length > 0) {
      console.log(
        `\n${process.env.BENCH_PROFILE === 'broker' ? 'broker' : 'server'} CPU profile, ingest ${r.label} (self time):`,
      );
      for (const h of r.hotSpots) console.log(`  ${(h.share * 100).toFixed(1).padStart(5)} %  ${h.where}`);
    }
  }
  sectionDone(from);
}

if (only.has('falls')) {
  const from = rows.length;
  const f = await measureFallLatency(2000, Number(process.env.BENCH_FALL_SECONDS ?? 30));
  results.falls = f;
  rows.push({
    measure: `fall -> alert on socket at ${fmt.int(f.readingsPerSecond)} readings/s (${f.falls} falls), p50 / p99 / max`,
    value: `${fmt.ms(f.loaded.p50)} / ${fmt.ms(f.loaded.p99)} / ${fmt.ms(f.loaded.max)}`,
    baseline: `p99 ${fmt.ms(f.idle.p99)} idle`,
    ratio: fmt.ratio(f.loaded.p99 / f.idle.p99),
    target: `p99 < ${TARGET.fallP99Ms} ms`,
    verdict: f.missed > 0 ? `${f.missed} falls missed` : verdict(f.loaded.p99, TARGET.fallP99Ms, false),
  });
  sectionDone(from);
}

if (only.has('connections')) {
  const from = rows.length;
  const c = await measureConnections(TARGET.connections, Number(process.env.BENCH_HOLD_SECONDS ?? 65));
  results.connections = c;
  const capped =
    c.attempted < c.target
      ? ` (capped at ${fmt.int(c.attempted)}: open-file limit ${fmt.int(c.openFileLimit)} per process)`
      : '';
  rows.push({
    measure: `gateway connections held ${c.holdSeconds} s${capped}`,
    value: fmt.int(c.held),
    baseline: `${fmt.int(c.target)} target`,
    ratio: fmt.ratio(c.held / c.target),
    target: `${fmt.int(c.target)}`,
    verdict: verdict(c.held, c.target, true),
  });
  rows.push({
    measure: `  broker memory per connection (connect rate ${fmt.int(c.connectsPerSecond)}/s)`,
    value: fmt.kib(c.brokerBytesPerConnection),
    baseline: `${fmt.mib(c.brokerIdleBytes)} idle broker`,
    ratio: fmt.ratio(c.brokerHeldBytes / c.brokerIdleBytes),
    target: '-',
    verdict: `${fmt.mib(c.brokerHeldBytes)} at ${fmt.int(c.held)}`,
  });
  sectionDone(from);
}

let drainBaseline = (results.ingest as IngestResult[] | undefined)?.find(
  (r) => r.label === 'drain',
)?.endToEndPerSecond;
if (only.has('storm')) {
  const from = rows.length;
  const s = await measureReconnectStorm(10_000, Number(process.env.BENCH_STORM_READINGS_PER_HOUR ?? 60));
  results.storm = s;
  drainBaseline ??= NaN;
  rows.push({
    measure: `storm: ${fmt.int(s.gateways)} gateways reconnect, ${fmt.int(s.backlog)} readings replayed, drain readings/s`,
    value: fmt.int(s.drainPerSecond),
    baseline: Number.isFinite(drainBaseline) ? `${fmt.int(drainBaseline)} sustained` : '-',
    ratio: fmt.ratio(s.drainPerSecond / drainBaseline),
    target: '-',
    verdict: `all reconnected in ${s.reconnectSeconds.toFixed(1)} s, drained in ${s.drainSeconds.toFixed(0)} s, ${fmt.int(s.lost)} lost`,
  });
  rows.push({
    measure: `  fall -> alert during the drain (${s.falls} falls), p50 / p99 / max`,
    value: `${fmt.ms(s.fallLatency.p50)} / ${fmt.ms(s.fallLatency.p99)} / ${fmt.ms(s.fallLatency.max)}`,
    baseline: '-',
    ratio: '-',
    target: `< ${fmt.int(TARGET.stormFallMs)} ms`,
    verdict:
      s.fallsMissed > 0
        ? `${s.fallsMissed} falls missed`
        : verdict(s.fallLatency.max, TARGET.stormFallMs, false),
  });
  sectionDone(from);
}

if (only.has('memory')) {
  const from = rows.length;
  const m = await measureServerMemory(10_000);
  results.memory = m;
  rows.push({
    measure: `server memory per 1,000 monitored beds (${fmt.int(m.beds)} beds, all reporting)`,
    value: fmt.mib(m.bytesPer1000Beds),
    baseline: `${fmt.mib(m.emptyBytes)} with no beds`,
    ratio: fmt.ratio(m.fullBytes / m.emptyBytes),
    target: '-',
    verdict: `${fmt.mib(m.fullBytes)} in all`,
  });
  sectionDone(from);
}

progress('done');
printTable(rows);
writeFileSync(out, JSON.stringify({ ...results, rows }, null, 2));
console.log(`\nJSON: ${out}`);
process.exit(0);
