/**
 * Ingest spread over server replicas (issue 14), on the highly available shape as the failover
 * suite runs it (test/src/system/ha-system.ts: 3 RabbitMQ nodes, replicas on one PostgreSQL,
 * every part a real process). Three measures:
 *
 * 1. Replica scaling: a backlog of readings is put in the quorum queue while every replica is
 *    stopped (the gateways' PUBACKs say the queue holds them), then drained by 1, 2 and 3 replicas.
 *    The rate is the database's own: rows over the span from the first stored to the last. The
 *    load generator is idle while it is measured, so it is not the limit; the ratio is to one
 *    replica in the same run. CPU is read from /proc for replicas and broker nodes.
 * 2. Fall latency with 3 replicas under steady load: a fall every 250 ms, from the gateway taking
 *    it to the alert on a nurse's socket through haproxy; p50, p99, max.
 * 3. Connections held across the broker nodes: 40,000 gateways (BENCH_HA_CONNECTIONS), each with
 *    its own credentials checked by Wardline's auth service, a persistent session, a retained status
 *    and a will, spread over the 3 nodes, from 3 generator processes (a process here cannot open more
 *    than 20,000 files); held past two keep-alive periods; memory per connection from the nodes' RSS.
 * Two cores cannot show replicas scaling (they share them with the broker nodes, PostgreSQL and
 * the generator); the per-reading CPU costs let the figures be read for bigger machines.
 *
 * Env: BENCH_REPLICA_BACKLOG (readings per phase, default 30,000), BENCH_FALL_SECONDS (default 20).
 */
import {
  FleetRunner,
  fallsEvery,
  planFleet,
  type FallRecord,
  type FleetOptions,
} from '@wardline/firmware-sim';
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSecondsOfTree } from '../src/cluster/process.js';
import { tempDir } from '../src/support.js';
import { HaSystem } from '../src/system/ha-system.js';
import { fmt, latencySummary, progress } from './system/report.js';

const BACKLOG = Number(process.env.BENCH_REPLICA_BACKLOG ?? 30_000);
const FALL_SECONDS = Number(process.env.BENCH_FALL_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_HA_CONNECTIONS ?? 40_000);
const HOLD_SECONDS = 65;
const HOLDERS = 3;
const GATEWAYS = 200;

const plan = planFleet({ gateways: GATEWAYS, residentsPerGateway: 1, seed: 7, bedsPerWard: 50 });
progress(`starting 3 RabbitMQ nodes, PostgreSQL, 3 replicas, haproxy; ${GATEWAYS} gateways`);
const system = await HaSystem.start({ plan, dir: tempDir('bench-replicas') });
const fleet = new FleetRunner(plan, {
  url: system.mqttUrls[0]!,
  urls: system.mqttUrls,
  password: system.gatewayPassword,
});

const replicaCpu = () =>
  system.replicas.reduce(
    (sum, r) => sum + (r.process.running && r.process.pid ? cpuSecondsOfTree(r.process.pid) : 0),
    0,
  );
const brokerCpu = () => system.rabbit.nodes.reduce((sum, n) => sum + n.process.cpuSeconds(), 0);

interface Phase {
  replicas: number;
  stored: number;
  perSecond: number;
  replicaCpuMsPer1000: number;
  brokerCpuMsPer1000: number;
}

async function drainWith(replicas: number): Promise<Phase> {
  await Promise.all(system.replicas.map((r) => r.process.stop()));
  const since = new Date().toISOString();
  progress(
    `${replicas} replica(s): queueing a backlog of ${fmt.int(BACKLOG)} readings with every replica stopped`,
  );
  await fleet.runLoad({ readingsPerSecond: 3000, durationMs: (BACKLOG / 3000) * 1000 });
  if (!(await fleet.drained(300_000))) throw new Error('the gateways could not hand the backlog over');
  // Every replica is stopped: their CPU is counted from their start (startup included, a small share).
  const brokerBefore = brokerCpu();
  progress(`${replicas} replica(s): draining`);
  await Promise.all(Array.from({ length: replicas }, (_, i) => system.startReplica(i)));
  type Span = { n: number; first: string | null; last: string | null };
  let span: Span = { n: 0, first: null, last: null };
  for (let waited = 0; waited < 600_000; waited += 500) {
    const [row] = await system.query<Span>(
      `SELECT count(*) AS n, min(received_at) AS first, max(received_at) AS last FROM observations WHERE received_at > $1`,
      [since],
    );
    if (row) span = row;
    if (span.n >= BACKLOG) break;
    await sleep(500);
  }
  const replicaCpuSeconds = replicaCpu();
  const brokerCpuSeconds = brokerCpu() - brokerBefore;
  const seconds = (Date.parse(span.last!) - Date.parse(span.first!)) / 1000;
  return {
    replicas,
    stored: span.n,
    perSecond: span.n / seconds,
    replicaCpuMsPer1000: (replicaCpuSeconds * 1000 * 1000) / span.n,
    brokerCpuMsPer1000: (brokerCpuSeconds * 1000 * 1000) / span.n,
  };
}

/** Established connections whose local port is `port` (/proc/net/tcp: state 01). */
function establishedOn(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .filter((line) => {
      const fields = line.trim().split(/\s+/);
      return fields[1]?.endsWith(`:${hex}`) && fields[3] === '01';
    }).length;
}

interface HolderMessage {
  type: 'progress' | 'connected' | 'count' | 'stopped';
  connected?: number;
  failed?: number;
  open?: number;
}

/** 40,000 gateway connections across the nodes, from HOLDERS processes; memory per connection. */
async function holdConnections() {
  const options: FleetOptions = { gateways: CONNECTIONS, residentsPerGateway: 1, seed: 40, bedsPerWard: 200 };
  const connPlan = planFleet(options);
  progress(`connections: a broker cluster for ${fmt.int(CONNECTIONS)} gateways (hashing their passwords)`);
  const cluster = await HaSystem.start({ plan: connPlan, dir: tempDir('bench-ha-connections'), replicas: 0 });
  try {
    const nodesIdle = cluster.rabbit.nodes.map((n) => n.process.rssBytes());
    const per = Math.ceil(CONNECTIONS / HOLDERS);
    const started = performance.now();
    const holders = Array.from({ length: HOLDERS }, (_, i) => {
      const from = i * per;
      const to = Math.min(CONNECTIONS, from + per);
      const input = join(cluster.options.dir, `holder-${i}.json`);
      const passwords = Object.fromEntries(
        connPlan.gateways.slice(from, to).map((g) => [g.username, cluster.gatewayPassword(g)]),
      );
      writeFileSync(input, JSON.stringify({ plan: options, from, to, urls: cluster.mqttUrls, passwords }));
      const child = fork(join(import.meta.dirname, 'system/connection-holder.ts'), [input], {
        execArgv: ['--import', 'tsx'],
      });
      const state = { connected: 0, failed: 0, done: false };
      const listeners = new Set<(m: HolderMessage) => void>();
      child.on('message', (m: HolderMessage) => {
        if (m.type === 'progress' || m.type === 'connected') {
          state.connected = m.connected ?? 0;
          state.failed = m.failed ?? 0;
          state.done ||= m.type === 'connected';
        }
        for (const l of listeners) l(m);
      });
      const ask = (question: 'count' | 'stop', answer: HolderMessage['type']) =>
        new Promise<HolderMessage>((resolve) => {
          const l = (m: HolderMessage) => {
            if (m.type !== answer) return;
            listeners.delete(l);
            resolve(m);
          };
          listeners.add(l);
          child.send(question);
        });
      return { child, state, ask };
    });
    for (;;) {
      await sleep(2000);
      const connected = holders.reduce((n, h) => n + h.state.connected, 0);
      const failed = holders.reduce((n, h) => n + h.state.failed, 0);
      progress(
        `connections: ${fmt.int(connected)} of ${fmt.int(CONNECTIONS)} connected, ${fmt.int(failed)} failed`,
      );
      if (holders.every((h) => h.state.done)) break;
    }
    const connectSeconds = (performance.now() - started) / 1000;
    const connected = holders.reduce((n, h) => n + h.state.connected, 0);
    progress(`connections: holding for ${HOLD_SECONDS} s (keep-alive 30 s)`);
    await sleep(HOLD_SECONDS * 1000);
    const open = (await Promise.all(holders.map((h) => h.ask('count', 'count')))).reduce(
      (n, m) => n + (m.open ?? 0),
      0,
    );
    const nodesHeld = cluster.rabbit.nodes.map((n) => n.process.rssBytes());
    // Established TCP connections on each node's MQTT port, as the kernel lists them.
    const perNode = cluster.rabbit.nodes.map((n) => establishedOn(n.mqttPort));
    await Promise.all(holders.map((h) => h.ask('stop', 'stopped')));
    const grown = nodesHeld.reduce((a, b) => a + b, 0) - nodesIdle.reduce((a, b) => a + b, 0);
    return {
      connected,
      open,
      connectSeconds,
      perNode,
      nodesHeld,
      bytesPerConnection: grown / Math.max(1, open),
    };
  } finally {
    await cluster.stop();
  }
}

try {
  const progressOf = await fleet.connectAll(50);
  if (progressOf.failed > 0) throw new Error(`${progressOf.failed} gateways failed to connect`);
  const phases: Phase[] = [];
  for (const replicas of [1, 2, 3]) phases.push(await drainWith(replicas));

  progress(`3 replicas: steady load, a fall every 250 ms for ${FALL_SECONDS} s`);
  const watcher = await system.watchWards();
  const falls: { deviceId: string; measuredAtMs: number }[] = [];
  await fleet.runLoad({
    readingsPerSecond: GATEWAYS,
    durationMs: FALL_SECONDS * 1000,
    script: fallsEvery(250, 500, FALL_SECONDS * 1000 - 500),
    onFall: (fall: FallRecord) => falls.push({ deviceId: fall.deviceId, measuredAtMs: Date.now() }),
  });
  for (let waited = 0; waited < 30_000 && !watcher.alerted(falls); waited += 250) await sleep(250);
  const latency = latencySummary(watcher.fallLatencies(falls));
  watcher.close();

  const one = phases[0]!.perSecond;
  console.log(
    '\nIngest spread over replicas: a backlog drained from the quorum queue (readings stored per second)',
  );
  console.log(
    'replicas | stored | readings/s | ratio to 1 | replicas CPU ms / 1,000 | broker nodes CPU ms / 1,000',
  );
  for (const p of phases)
    console.log(
      `${String(p.replicas).padEnd(8)} | ${fmt.int(p.stored).padStart(6)} | ${fmt.int(p.perSecond).padStart(10)} | ` +
        `${fmt.ratio(p.perSecond / one).padStart(10)} | ${p.replicaCpuMsPer1000.toFixed(0).padStart(23)} | ${p.brokerCpuMsPer1000.toFixed(0).padStart(26)}`,
    );
  console.log(
    `per core: one core of replica time stores about ${fmt.int(1_000_000 / phases[0]!.replicaCpuMsPer1000)} readings/s ` +
      `(1 replica), ${fmt.int(1_000_000 / phases[2]!.replicaCpuMsPer1000)} readings/s (3 replicas); ` +
      `one core of broker time carries about ${fmt.int(1_000_000 / phases[0]!.brokerCpuMsPer1000)}.`,
  );
  console.log(
    `Fall latency with 3 replicas (taken to the nurse's socket through haproxy), ${latency.count} of ${falls.length} falls: ` +
      `p50 ${fmt.ms(latency.p50)}, p99 ${fmt.ms(latency.p99)}, max ${fmt.ms(latency.max)}`,
  );
} finally {
  await fleet.closeAll();
  await system.stop();
}

const held = await holdConnections();
console.log(
  `\nConnections across 3 broker nodes: ${fmt.int(held.connected)} of ${fmt.int(CONNECTIONS)} connected in ` +
    `${held.connectSeconds.toFixed(0)} s (${fmt.int(held.connected / held.connectSeconds)}/s), ` +
    `${fmt.int(held.open)} still open after ${HOLD_SECONDS} s; per node ${held.perNode.map(fmt.int).join(' / ')} ` +
    `connections, ${held.nodesHeld.map(fmt.mib).join(' / ')} resident; ${fmt.kib(held.bytesPerConnection)} per connection`,
);
process.exit(0);
