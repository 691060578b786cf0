/**
 * Spike for issue 14, "Ingest spread over replicas": the same fleet against each clustered
 * broker option in one run, so the figures compare.
 *
 *   npx tsx test/spike/ingest-cluster/run.ts [rabbit] [aedes] [--gateways=200] [--skip-ceiling]
 *
 * Per option: 3 broker nodes, a PostgreSQL table with a unique reading id, stand-in server
 * replicas as processes (replica.ts).
 *   1. Ceiling: 200 gateways publishing flat out (10 in flight each) with 1, 2, 3 replicas;
 *      readings stored per second and the ratio to one replica.
 *   2. Kill test: 3 replicas, every gateway 1 reading/s and a fall every second; kill -9 the
 *      broker node that leads the queues (RabbitMQ) or the first node (aedes), later kill -9
 *      one replica; then count readings PUBACKed vs stored, duplicates, fall delays.
 */
import amqp from 'amqplib';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { startPostgres, type RunningPostgres } from '../../../server/src/testing-postgres.js';
import { startAedesCluster } from './aedes/aedes-cluster.js';
import { cpuSecondsOfTree, EngineProcess, findPid, rssBytesOfTree } from '../../src/cluster/process.js';
import { startRabbitCluster } from '../../src/cluster/rabbitmq.js';
import { Fleet } from './fleet.js';
import type { ReplicaCounters } from './replica.js';
import { createTable, storedCount, withClient } from './store.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) =>
  Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const GATEWAYS = flag('gateways', 200);
const BACKLOG = flag('backlog', 30_000);
const CONNECTIONS = flag('connections', 1000);
const DRAIN_CAP_MS = flag('drain-cap-seconds', 60) * 1000;
const CEILING_S = flag('ceiling-seconds', 8);
const KILL_AT_S = flag('kill-at', 10);
const REPLICA_KILL_AT_S = flag('replica-kill-at', 22);
const RUN_S = flag('run-seconds', 34);
const chosen = args.filter((a) => !a.startsWith('--'));
const options = chosen.length ? chosen : ['rabbit', 'aedes'];

interface BrokerNode {
  name: string;
  process: EngineProcess;
  mqttUrl: string;
  kill9(): Promise<void>;
}

interface Cluster {
  mode: 'rabbit' | 'aedes';
  nodes: readonly BrokerNode[];
  /** Processes that are part of the option but not broker nodes (aedes' Redis). */
  extras: readonly EngineProcess[];
  /** URLs a replica tries in turn, starting with node `i`. */
  replicaUrls(i: number): string[];
  /** The node whose loss hurts most (the queues' leader for RabbitMQ). */
  victim(): Promise<BrokerNode>;
  /** Something the option keeps for a replica that is gone (aedes: queued in Redis). */
  backlogNote(): Promise<string>;
  /** Where the option's shared state spends its time (aedes: Redis' busiest commands, keys by kind). */
  diagnose(): Promise<string>;
  /** Empties what a previous phase left behind (RabbitMQ: the queues). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

async function rabbitCluster(): Promise<Cluster> {
  const cluster = await startRabbitCluster({ nodes: 3 });
  const first = cluster.nodes[0]!;
  const conn = await amqp.connect(first.amqpUrl);
  const ch = await conn.createChannel();
  for (const [queue, pattern] of [
    ['wl.readings', 'wl.*.*.obs'],
    ['wl.falls', 'wl.*.*.fall'],
  ] as const) {
    await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await ch.bindQueue(queue, 'amq.topic', pattern);
  }
  await conn.close();
  const leaders = async () =>
    JSON.parse(
      await cluster.cli(
        'rabbitmqctl',
        first,
        'list_queues',
        'name',
        'leader',
        'messages',
        '--formatter',
        'json',
      ),
    ) as {
      name: string;
      leader: string;
      messages: number;
    }[];
  return {
    mode: 'rabbit',
    nodes: cluster.nodes,
    extras: [],
    replicaUrls: (i) => cluster.nodes.map((_, k) => cluster.nodes[(i + k) % cluster.nodes.length]!.amqpUrl),
    async victim() {
      const leader = (await leaders()).find((q) => q.name === 'wl.falls')?.leader;
      return cluster.nodes.find((n) => n.name === leader) ?? first;
    },
    async backlogNote() {
      const alive = cluster.nodes.find((n) => n.process.running)!;
      const queues = JSON.parse(
        await cluster.cli(
          'rabbitmqctl',
          alive,
          'list_queues',
          'name',
          'leader',
          'messages',
          '--formatter',
          'json',
        ),
      ) as { name: string; leader: string; messages: number }[];
      return queues.map((q) => `${q.name} ${q.messages} ready, leader ${q.leader.split('-')[0]}`).join('; ');
    },
    diagnose: async () => '',
    async reset() {
      const alive = cluster.nodes.find((n) => n.process.running)!;
      const c = await amqp.connect(alive.amqpUrl);
      const channel = await c.createChannel();
      for (const queue of ['wl.readings', 'wl.falls']) await channel.purgeQueue(queue);
      await c.close();
    },
    stop: () => cluster.stop(),
  };
}

async function aedesCluster(): Promise<Cluster> {
  const cluster = await startAedesCluster({ nodes: 3 });
  return {
    mode: 'aedes',
    nodes: cluster.nodes,
    extras: [cluster.redis.process],
    replicaUrls: (i) => cluster.nodes.map((_, k) => cluster.nodes[(i + k) % cluster.nodes.length]!.mqttUrl),
    victim: async () => cluster.nodes[0]!,
    async backlogNote() {
      const info = await cluster.redis.command('INFO', 'memory');
      const used = /used_memory:(\d+)/.exec(info)?.[1] ?? '0';
      const keys = (await cluster.redis.command('DBSIZE')).replace(/[:\r\n]/g, '');
      return `Redis used_memory ${mib(Number(used))} MiB, ${keys} keys`;
    },
    async diagnose() {
      const redis = cluster.redis;
      const stats = (await redis.command('INFO', 'commandstats'))
        .split('\r\n')
        .map((line) => /^cmdstat_(\w+):calls=(\d+),usec=(\d+)/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ name: m[1]!, calls: Number(m[2]), usec: Number(m[3]) }))
        .sort((a, b) => b.usec - a.usec)
        .slice(0, 4)
        .map((c) => `${c.name} ${c.calls} calls ${(c.usec / 1e6).toFixed(1)} s`);
      await redis.command('CONFIG', 'RESETSTAT');
      const byKind = await redis.command(
        'EVAL',
        "local c={} for _,k in ipairs(redis.call('keys','*')) do local p=string.match(k,'^[^:]*') c[p]=(c[p] or 0)+1 end local r='' for p,n in pairs(c) do r=r..p..'='..n..' ' end return r",
        '0',
      );
      return `Redis busiest: ${stats.join(', ')}; keys: ${byKind.split('\r\n')[1] ?? ''}`;
    },
    reset: async () => undefined,
    stop: () => cluster.stop(),
  };
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

class Replica {
  counters: ReplicaCounters = { received: 0, inserted: 0, duplicates: 0, reconnects: 0, storeErrors: 0 };
  readonly process: EngineProcess;
  readonly ready: Promise<void>;

  constructor(cluster: Cluster, dbUrl: string, table: string, index: number) {
    this.process = new EngineProcess(
      `replica${index}`,
      process.execPath,
      ['--import', 'tsx', resolve(import.meta.dirname, 'replica.ts')],
      {
        cwd: import.meta.dirname,
        env: {
          ...process.env,
          MODE: cluster.mode,
          URLS: cluster.replicaUrls(index).join(','),
          DB_URL: dbUrl,
          TABLE: table,
          REPLICA: String(index),
        },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        logPath: join(tmpdir(), `wardline-spike-${table}-replica${index}.log`),
      },
    );
    this.ready = new Promise((done) =>
      this.process.child.on('message', (m) => {
        this.counters = m as ReplicaCounters;
        if ((m as { ready?: boolean }).ready) done();
      }),
    );
  }

  async stop(how: 'stop' | 'detach' = 'stop'): Promise<void> {
    if (!this.process.running) return;
    this.process.child.send(how);
    await Promise.race([this.process.exited(), sleep(10_000)]);
    await this.process.kill9();
  }
}

type Role = 'broker' | 'redis' | 'replica' | 'postgres' | 'fleet';

interface Probe {
  name: string;
  role: Role;
  cpu(): number;
  rss(): number;
}

interface UsageRow {
  name: string;
  role: Role;
  cores: number;
  rssMiB: number;
}

const processProbe = (p: EngineProcess, role: Role): Probe => ({
  name: p.name.split('-')[0]!,
  role,
  cpu: () => p.cpuSeconds(),
  rss: () => p.rssBytes(),
});

let postgresProbe: Probe;
const fleetProbe: Probe = {
  name: 'fleet',
  role: 'fleet',
  cpu: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  },
  rss: () => process.memoryUsage().rss,
};

function probes(cluster: Cluster, replicas: readonly Replica[]): Probe[] {
  return [
    ...cluster.nodes.map((n) => processProbe(n.process, 'broker')),
    ...cluster.extras.map((p) => processProbe(p, 'redis')),
    ...replicas.map((r) => processProbe(r.process, 'replica')),
    postgresProbe,
    fleetProbe,
  ];
}

/** CPU (cores busy) and memory of each process over a window. */
class Usage {
  readonly #start: Map<Probe, number>;
  readonly #t0 = Date.now();
  constructor(readonly probes: readonly Probe[]) {
    this.#start = new Map(probes.map((p) => [p, p.cpu()]));
  }
  read(): UsageRow[] {
    const seconds = (Date.now() - this.#t0) / 1000;
    return this.probes.map((p) => ({
      name: p.name,
      role: p.role,
      cores: (p.cpu() - (this.#start.get(p) ?? 0)) / seconds,
      rssMiB: Math.round(p.rss() / 1024 / 1024),
    }));
  }
}

const usageLine = (rows: UsageRow[]) =>
  rows.map((r) => `${r.name} ${r.cores.toFixed(2)} cores ${r.rssMiB} MiB`).join(' | ');

/** CPU milliseconds spent per 1,000 stored readings, by role: the per-core figure. */
function costLine(rows: UsageRow[], storedPerSecond: number): string {
  const roles: Role[] = ['broker', 'redis', 'replica', 'postgres', 'fleet'];
  return roles
    .map((role) => {
      const cores = rows.filter((r) => r.role === role).reduce((s, r) => s + r.cores, 0);
      return cores > 0 ? `${role} ${((cores * 1000 * 1000) / storedPerSecond).toFixed(0)}` : '';
    })
    .filter(Boolean)
    .join(', ');
}

async function waitStored(dbUrl: string, table: string, target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = await storedCount(dbUrl, table);
  while (n < target && Date.now() < deadline) {
    await sleep(250);
    n = await storedCount(dbUrl, table);
  }
  return n;
}

async function ceiling(cluster: Cluster, pg: RunningPostgres, replicas: number) {
  await cluster.reset();
  const dbUrl = await pg.createDatabase();
  const table = `ceil_${cluster.mode}_${replicas}`;
  await createTable(dbUrl, table);
  const reps = Array.from({ length: replicas }, (_, i) => new Replica(cluster, dbUrl, table, i));
  await Promise.all(reps.map((r) => r.ready));
  const fleet = new Fleet({ urls: cluster.nodes.map((n) => n.mqttUrl), gateways: GATEWAYS, tag: table });
  await fleet.connect();
  fleet.startFlatOut(10);
  await sleep(3000);
  const stored0 = await storedCount(dbUrl, table);
  const acked0 = fleet.acked.size;
  const usage = new Usage(probes(cluster, reps));
  await cluster.diagnose(); // counts from here on
  const t0 = Date.now();
  await sleep(CEILING_S * 1000);
  const seconds = (Date.now() - t0) / 1000;
  const stored = ((await storedCount(dbUrl, table)) - stored0) / seconds;
  const accepted = (fleet.acked.size - acked0) / seconds;
  const use = usage.read();
  const diagnosis = await cluster.diagnose();
  fleet.stopPublishing();
  // What was accepted but not yet stored drains with no publishing load on the machine: the
  // replicas' own ceiling.
  const drainStart = Date.now();
  const storedAtStop = await storedCount(dbUrl, table);
  await fleet.settle(30_000);
  const total = await waitStored(dbUrl, table, fleet.acked.size, 60_000);
  const backlog = total - storedAtStop;
  const drain = backlog / ((Date.now() - drainStart) / 1000);
  const lost = fleet.acked.size - Math.min(total, fleet.acked.size);
  await fleet.close();
  await Promise.all(reps.map((r) => r.stop()));
  const deliveries = reps.reduce((s, r) => s + r.counters.received, 0);
  return {
    replicas,
    stored,
    accepted,
    backlog,
    drain,
    use,
    diagnosis,
    deliveriesPerReading: deliveries / Math.max(1, total),
    lostAfterDrain: lost,
  };
}

/**
 * The replicas' own ceiling, with no gateway load on the machine: a backlog accepted while the
 * replicas were away (RabbitMQ: in the quorum queue; aedes: in each replica's persistent
 * session in Redis), then drained by 1, 2 or 3 replicas. Rate from the database's own times,
 * first to last stored row, so process start-up is not counted.
 */
async function backlogDrain(cluster: Cluster, pg: RunningPostgres, replicas: number) {
  await cluster.reset();
  const dbUrl = await pg.createDatabase();
  const table = `drain_${cluster.mode}_${replicas}`;
  await createTable(dbUrl, table);
  // Sessions exist (aedes) before the replicas go away.
  const first = Array.from({ length: replicas }, (_, i) => new Replica(cluster, dbUrl, table, i));
  await Promise.all(first.map((r) => r.ready));
  await Promise.all(first.map((r) => r.stop('detach')));
  const fleet = new Fleet({ urls: cluster.nodes.map((n) => n.mqttUrl), gateways: GATEWAYS, tag: table });
  await fleet.connect();
  await fleet.publishBacklog(BACKLOG);
  await fleet.close();
  const reps = Array.from({ length: replicas }, (_, i) => new Replica(cluster, dbUrl, table, i));
  const usage = new Usage(probes(cluster, reps));
  const t0 = Date.now();
  await Promise.all(reps.map((r) => r.ready));
  const stored = await waitStored(dbUrl, table, fleet.acked.size, DRAIN_CAP_MS);
  // Every aedes replica works through the whole backlog, not only the first to store it.
  const expected = cluster.mode === 'aedes' ? replicas * fleet.acked.size : fleet.acked.size;
  while (reps.reduce((s, r) => s + r.counters.received, 0) < expected && Date.now() - t0 < DRAIN_CAP_MS)
    await sleep(100);
  const allDoneMs = Date.now() - t0;
  const use = usage.read();
  const span = await withClient(dbUrl, async (c) => {
    const row = (await c.query(`SELECT min(stored_ms) AS a, max(stored_ms) AS b FROM ${table}`)).rows[0] as {
      a: string;
      b: string;
    };
    return (Number(row.b) - Number(row.a)) / 1000;
  });
  await Promise.all(reps.map((r) => r.stop()));
  return {
    replicas,
    backlog: fleet.acked.size,
    stored,
    rate: stored / Math.max(span, 0.001),
    allDoneMs,
    use,
    deliveriesPerReading: reps.reduce((s, r) => s + r.counters.received, 0) / Math.max(1, stored),
  };
}

/** What holding gateway connections costs each node, on a fresh cluster before any reading flows. */
async function connectionCost(cluster: Cluster, connections: number) {
  const nodes = cluster.nodes.map((n) => n.process);
  const before = nodes.map((p) => p.rssBytes());
  const fleet = new Fleet({ urls: cluster.nodes.map((n) => n.mqttUrl), gateways: connections, tag: 'conn' });
  const t0 = Date.now();
  await fleet.connect();
  const connectMs = Date.now() - t0;
  const usage = new Usage(nodes.map((p) => processProbe(p, 'broker')));
  await sleep(5000);
  const use = usage.read();
  const perConnectionKiB = nodes.reduce((s, p, i) => s + p.rssBytes() - before[i]!, 0) / 1024 / connections;
  await fleet.close();
  return { connections, connectMs, perConnectionKiB, idleCores: use.reduce((s, r) => s + r.cores, 0) };
}

interface FallRow {
  id: string;
  published_ms: string;
  stored_ms: string;
}

async function killTest(cluster: Cluster, pg: RunningPostgres) {
  await cluster.reset();
  const dbUrl = await pg.createDatabase();
  const table = `kill_${cluster.mode}`;
  await createTable(dbUrl, table);
  const reps = Array.from({ length: 3 }, (_, i) => new Replica(cluster, dbUrl, table, i));
  await Promise.all(reps.map((r) => r.ready));
  const fleet = new Fleet({ urls: cluster.nodes.map((n) => n.mqttUrl), gateways: GATEWAYS, tag: table });
  await fleet.connect();
  const spread = [...fleet.connectedPerPort().values()].join('/');
  // What holding the connections costs, before any reading flows.
  const idleUsage = new Usage(probes(cluster, reps));
  await sleep(3000);
  const connectedIdle = idleUsage.read();

  await cluster.diagnose(); // counts from here on
  const start = Date.now();
  fleet.startSteady(1000);
  await sleep(3000);
  const usage = new Usage(probes(cluster, reps));
  await sleep(KILL_AT_S * 1000 - (Date.now() - start));
  const steadyUse = usage.read();
  const victim = await cluster.victim();
  const killedAt = Date.now();
  await victim.kill9();
  // Gateways back on the surviving nodes.
  let failoverMs = -1;
  void (async () => {
    while (Date.now() - killedAt < 60_000) {
      const connected = [...fleet.connectedPerPort().values()].reduce((a, b) => a + b, 0);
      if (connected === GATEWAYS && Date.now() - killedAt > 50) {
        failoverMs = Date.now() - killedAt;
        return;
      }
      await sleep(20);
    }
  })();
  await sleep(REPLICA_KILL_AT_S * 1000 - (Date.now() - start));
  const victimReplica = reps[1]!;
  const before = { ...victimReplica.counters };
  const duplicatesBefore = reps.reduce((s, r) => s + r.counters.duplicates, 0);
  const replicaKilledAt = Date.now();
  await victimReplica.process.kill9();
  const backlogAtReplicaKill = await cluster.backlogNote();
  await sleep(RUN_S * 1000 - (Date.now() - start));
  fleet.stopPublishing();
  const backlogAtEnd = await cluster.backlogNote();
  const diagnosis = await cluster.diagnose();
  await fleet.settle(30_000);
  await waitStored(dbUrl, table, fleet.acked.size, 60_000);
  await sleep(2000); // re-deliveries still on their way are counted as duplicates too
  const survivors = reps.filter((r) => r !== victimReplica);

  const stored = await withClient(dbUrl, async (c) => {
    const ids = new Set((await c.query<{ id: string }>(`SELECT id FROM ${table}`)).rows.map((r) => r.id));
    const falls = (
      await c.query<FallRow>(
        `SELECT id, published_ms, stored_ms FROM ${table} WHERE kind = 'fall' ORDER BY published_ms`,
      )
    ).rows.map((r) => ({ id: r.id, published: Number(r.published_ms), stored: Number(r.stored_ms) }));
    const byReplicaAfterKill = (
      await c.query<{ replica: number; n: string }>(
        `SELECT replica, count(*) AS n FROM ${table} WHERE stored_ms > $1 GROUP BY replica ORDER BY replica`,
        [replicaKilledAt + 1000],
      )
    ).rows.map((r) => `r${r.replica}:${r.n}`);
    return { ids, falls, byReplicaAfterKill };
  });
  const lost = [...fleet.acked].filter((id) => !stored.ids.has(id));
  const storedNotAcked = [...stored.ids].filter(
    (id) => id.startsWith(`${table}-`) && !fleet.acked.has(id),
  ).length;
  const leftOvers = [...stored.ids].filter((id) => !id.startsWith(`${table}-`)).length;
  const fallsLost = fleet.falls.filter((f) => fleet.acked.has(f.id) && !stored.ids.has(f.id)).length;
  const fallsNotAcked = fleet.falls.filter((f) => !fleet.acked.has(f.id)).length;
  const latencies = stored.falls.map((f) => ({ ...f, latency: f.stored - f.published }));
  const steadyFalls = latencies.filter((f) => f.published < killedAt - 1000).map((f) => f.latency);
  const aroundKill = (at: number) => {
    const window = latencies.filter((f) => f.published >= at - 2000 && f.published < at + 10_000);
    const delayed = window.filter((f) => f.latency > 1000);
    return {
      maxLatency: Math.max(0, ...window.map((f) => f.latency)),
      delayed: delayed.length,
      // When the last fall held up by the fault finally reached the database: falls flow again.
      flowingAgainMs: delayed.length ? Math.max(...delayed.map((f) => f.stored)) - at : 0,
      firstAfter: (window.find((f) => f.published >= at)?.stored ?? NaN) - at,
    };
  };
  await fleet.close();
  await Promise.all(survivors.map((r) => r.stop()));
  const duplicates = reps.reduce((s, r) => s + r.counters.duplicates, 0);
  const received = reps.reduce((s, r) => s + r.counters.received, 0);
  const storeErrors = reps.reduce((s, r) => s + r.counters.storeErrors, 0);
  return {
    storeErrors,
    spread,
    sent: fleet.sent.size,
    acked: fleet.acked.size,
    stored: stored.ids.size,
    lost: lost.length,
    lostSample: lost.slice(0, 5),
    storedNotAcked,
    leftOvers,
    duplicates,
    deliveriesPerReading: received / Math.max(1, stored.ids.size),
    falls: fleet.falls.length,
    fallsLost,
    fallsNotAcked,
    steadyFallP50: percentile(steadyFalls, 0.5),
    steadyFallMax: Math.max(0, ...steadyFalls),
    nodeKill: { victim: victim.name.split('-')[0], failoverMs, ...aroundKill(killedAt) },
    replicaKill: {
      duplicatesAfter: duplicates - duplicatesBefore,
      inHandAtKill: before.received - before.inserted - before.duplicates,
      ...aroundKill(replicaKilledAt),
      storedAfterBy: stored.byReplicaAfterKill.join(' '),
      backlogAtReplicaKill,
      backlogAtEnd,
    },
    steadyUse,
    connectedIdle,
    diagnosis,
  };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const pg = await startPostgres();
{
  const postmaster = findPid(['-p', String(pg.port)]);
  if (!postmaster) throw new Error('postmaster not found');
  postgresProbe = {
    name: 'postgres',
    role: 'postgres',
    cpu: () => cpuSecondsOfTree(postmaster),
    rss: () => rssBytesOfTree(postmaster),
  };
}
const results: Record<string, unknown> = {};
try {
  for (const option of options) {
    const t0 = Date.now();
    const cluster = option === 'rabbit' ? await rabbitCluster() : await aedesCluster();
    console.log(`\n== ${option}: 3 nodes up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    try {
      const idle = cluster.nodes
        .map((n) => `${n.name.split('-')[0]} ${mib(n.process.rssBytes())} MiB`)
        .join(', ');
      console.log(`idle memory: ${idle}`);
      const cost = await connectionCost(cluster, CONNECTIONS);
      results[`${option}.connections`] = cost;
      console.log(
        `${cost.connections} gateway connections: connected in ${cost.connectMs} ms, broker memory ` +
          `${cost.perConnectionKiB.toFixed(0)} KiB per connection, ${cost.idleCores.toFixed(2)} cores (3 nodes) holding them idle`,
      );
      if (!args.includes('--skip-ceiling')) {
        const ceilings = [];
        for (const k of [1, 2, 3]) {
          const c = await ceiling(cluster, pg, k);
          ceilings.push(c);
          console.log(
            `ceiling ${k} replica(s): stored ${c.stored.toFixed(0)} readings/s (ratio ${(c.stored / ceilings[0]!.stored).toFixed(2)}), ` +
              `PUBACKed ${c.accepted.toFixed(0)}/s, then a backlog of ${c.backlog} drained at ${c.drain.toFixed(0)}/s ` +
              `(ratio ${(c.drain / ceilings[0]!.drain).toFixed(2)}), deliveries per reading ${c.deliveriesPerReading.toFixed(2)}, ` +
              `missing after drain ${c.lostAfterDrain}\n   ${usageLine(c.use)}\n` +
              `   CPU ms per 1,000 stored readings: ${costLine(c.use, c.stored)}` +
              (c.diagnosis ? `\n   ${c.diagnosis}` : ''),
          );
        }
        results[`${option}.ceiling`] = ceilings;
      }
      if (!args.includes('--skip-drain')) {
        const drains = [];
        for (const k of [1, 2, 3]) {
          const d = await backlogDrain(cluster, pg, k);
          drains.push(d);
          console.log(
            `backlog of ${d.backlog} drained by ${k} replica(s): ${d.rate.toFixed(0)} readings/s stored ` +
              `(ratio ${(d.rate / drains[0]!.rate).toFixed(2)}), stored ${d.stored}, every replica done after ${d.allDoneMs} ms, ` +
              `deliveries per reading ${d.deliveriesPerReading.toFixed(2)}\n   ${usageLine(d.use)}\n` +
              `   CPU ms per 1,000 stored readings: ${costLine(d.use, (d.stored * 1000) / d.allDoneMs)}`,
          );
        }
        results[`${option}.drain`] = drains;
      }
      const k = await killTest(cluster, pg);
      results[`${option}.kill`] = k;
      console.log(`kill test (${GATEWAYS} gateways spread ${k.spread}, 1 reading/s each, 1 fall/s):`);
      console.log(
        `   sent ${k.sent}, PUBACKed ${k.acked}, stored ${k.stored}, LOST ${k.lost} ${k.lostSample.join(' ')}, ` +
          `stored but never PUBACKed ${k.storedNotAcked}, left over from earlier phases ${k.leftOvers}, duplicates absorbed by the key ${k.duplicates} ` +
          `(${k.deliveriesPerReading.toFixed(2)} deliveries per stored reading), failed commits ${k.storeErrors}`,
      );
      console.log(
        `   falls ${k.falls} (lost ${k.fallsLost}, never PUBACKed ${k.fallsNotAcked}), steady fall latency p50 ${k.steadyFallP50} ms max ${k.steadyFallMax} ms`,
      );
      console.log(`   node kill: ${JSON.stringify(k.nodeKill)}`);
      console.log(`   replica kill: ${JSON.stringify(k.replicaKill)}`);
      if (k.diagnosis) console.log(`   ${k.diagnosis}`);
      console.log(`   connected, not publishing: ${usageLine(k.connectedIdle)}`);
      console.log(`   steady (before the kill): ${usageLine(k.steadyUse)}`);
      console.log(
        `   CPU ms per 1,000 stored readings at steady load: ${costLine(k.steadyUse, GATEWAYS + 1)}`,
      );
    } finally {
      await cluster.stop();
    }
  }
} finally {
  await pg.destroy();
}
console.log(`\n${JSON.stringify(results)}`);
