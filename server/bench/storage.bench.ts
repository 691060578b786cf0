/**
 * Storage throughput: points/s through each time-series adapter, and the ratio to a bare write
 * into the same engine in the same run.
 *
 * - embedded: the server's durable record (observation insert + latest upsert), in transactions
 *   of 500 (one MQTT batch), against a bare better-sqlite3 INSERT of the same rows into the same
 *   schema, both with WAL and synchronous=FULL.
 * - influxdb: spool enqueue in the ingest's transaction + the background writer draining to
 *   VictoriaMetrics' /api/v2/write, against bare @influxdata/influxdb-client writes (awaited flush of
 *   5,000-line batches) of the same lines into the same engine.
 *
 * BENCH_POINTS sets the number of points (default 100,000).
 */
import { InfluxDB } from '@influxdata/influxdb-client';
import type { Observation } from '@wardline/protocol';
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createContext } from '../src/context.js';
import { openDatabase } from '../src/db/database.js';
import { sqliteDatabase } from '../src/db/engines/sqlite/index.js';
import { seedDemo } from '../src/demo/seed.js';
import { exportVictoriaMetrics, startVictoriaMetrics } from '../src/testing-engines.js';
import { testFleet } from '../src/testing.js';
import { createInfluxSink } from '../src/timeseries/influx-client.js';
import { createInfluxStore } from '../src/timeseries/influx-store.js';
import { toLine } from '../src/timeseries/series.js';
import { createSpool } from '../src/timeseries/spool.js';

const N = Number(process.env.BENCH_POINTS ?? 100_000);
const TX = 500;
const BATCH = 5000;
const PATIENT = 'ward-a-p001';
const dir = mkdtempSync(join(tmpdir(), 'wardline-bench-'));
const silent = pino({ level: 'silent' });

function progress(label: string, done: number) {
  if (done % Math.max(1, Math.floor(N / 5)) < TX) process.stdout.write(`  ${label}: ${done}/${N}\n`);
}

const t0 = Date.UTC(2025, 0, 1);
const observations: Observation[] = Array.from(
  { length: N },
  (_, i) =>
    ({
      id: randomUUID(),
      deviceId: 'aa:00:00:00:00:01',
      kind: 'blood_pressure',
      measuredAt: new Date(t0 + i * 1000).toISOString(),
      seq: i,
      values: {
        systolic: { value: 100 + (i % 80), unit: 'mmHg' },
        diastolic: { value: 60 + (i % 30) + 0.5, unit: 'mmHg' },
        pulseRate: { value: 50 + (i % 60), unit: 'bpm' },
      },
    }) as Observation,
);

async function seeded(name: string) {
  const ctx = createContext(sqliteDatabase(openDatabase(join(dir, `${name}.db`))));
  await seedDemo(ctx, testFleet, 'bench-password', { N: 2 ** 10, r: 8, p: 1 });
  return ctx;
}

function timed<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now();
  const value = fn();
  return { ms: performance.now() - start, value };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

interface Row {
  adapter: string;
  adapterRate: number;
  baseline: string;
  baselineRate: number;
}
const rows: Row[] = [];
const rate = (ms: number) => (N / ms) * 1000;

// --- embedded -------------------------------------------------------------------------------
console.log(`storage benchmark: ${N} blood-pressure points, ${TX} per transaction`);
console.log('embedded adapter (SQLite record):');
{
  const ctx = await seeded('embedded');
  const receivedAt = new Date().toISOString();
  const write = (slice: Observation[]) =>
    ctx.sql.transaction(async () => {
      for (const observation of slice)
        await ctx.observations.insert({
          observation,
          patientId: PATIENT,
          gatewayId: 'site-a:gw-1',
          receivedAt,
        });
    });
  const adapter = await timedAsync(async () => {
    for (let i = 0; i < N; i += TX) {
      await write(observations.slice(i, i + TX));
      progress('embedded', i + TX);
    }
  });
  await ctx.sql.close();

  console.log('bare better-sqlite3 INSERT (same schema, same pragmas):');
  const bare = new Database(join(dir, 'bare.db'));
  bare.pragma('journal_mode = WAL');
  bare.pragma('synchronous = FULL');
  bare.exec(`CREATE TABLE observations (
    id TEXT PRIMARY KEY, device_id TEXT NOT NULL, patient_id TEXT, gateway_id TEXT NOT NULL,
    kind TEXT NOT NULL, measured_at TEXT NOT NULL, received_at TEXT NOT NULL, seq INTEGER NOT NULL,
    values_json TEXT NOT NULL) WITHOUT ROWID`);
  const insert = bare.prepare(`INSERT INTO observations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const bareWrite = bare.transaction((slice: Observation[]) => {
    for (const o of slice)
      insert.run(
        o.id,
        o.deviceId,
        PATIENT,
        'site-a:gw-1',
        o.kind,
        o.measuredAt,
        receivedAt,
        o.seq,
        JSON.stringify(o.values),
      );
  });
  const baseline = timed(() => {
    for (let i = 0; i < N; i += TX) {
      bareWrite(observations.slice(i, i + TX));
      progress('bare sqlite', i + TX);
    }
  });
  bare.close();
  rows.push({
    adapter: 'embedded (SQLite)',
    adapterRate: rate(adapter.ms),
    baseline: 'bare better-sqlite3 insert',
    baselineRate: rate(baseline.ms),
  });
}

// --- InfluxDB ------------------------------------------------------------------------------
console.log('starting VictoriaMetrics (serves /api/v2/write) on 127.0.0.1');
const vm = await startVictoriaMetrics();
try {
  const settings = {
    url: vm.url,
    token: '',
    org: 'wardline',
    bucket: 'wardline',
    database: 'wardline',
    timeoutMs: 30_000,
  };
  console.log('InfluxDB adapter (durable spool + writer):');
  const ctx = await seeded('influx');
  const spool = createSpool(ctx.sql, N + 1);
  const store = createInfluxStore({
    settings,
    spool,
    sink: createInfluxSink(settings, BATCH),
    log: silent,
    deadLetters: ctx.deadLetters,
    batchSize: BATCH,
  });
  const at = new Date().toISOString();
  const enqueue = (slice: Observation[]) =>
    ctx.sql.transaction(async () => {
      for (const o of slice) await spool.enqueue(o, PATIENT, at);
    });
  const adapter = await timedAsync(async () => {
    for (let i = 0; i < N; i += TX) {
      await enqueue(observations.slice(i, i + TX));
      store.notify();
      progress('influx adapter enqueued', i + TX);
      // Let the writer run alongside, as it does beside ingest.
      if ((i / TX) % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    if (!(await store.drained(600_000))) throw new Error('spool did not drain');
  });
  await store.close();
  await ctx.sql.close();

  console.log('bare @influxdata/influxdb-client writes (same lines, awaited flush per batch):');
  const lines = observations.map((o) => toLine(o, 'bench-bare', 0));
  const writeApi = new InfluxDB({ url: vm.url, timeout: 30_000 }).getWriteApi('wardline', 'wardline', 'ns', {
    batchSize: BATCH + 1,
    flushInterval: 0,
    maxRetries: 0,
  });
  const baseline = await timedAsync(async () => {
    for (let i = 0; i < N; i += BATCH) {
      writeApi.writeRecords(lines.slice(i, i + BATCH));
      await writeApi.flush();
      progress('bare client', i + BATCH);
    }
  });
  await writeApi.close();

  const series = await exportVictoriaMetrics(vm.url, `{__name__="blood_pressure_systolic"}`);
  const counts = Object.fromEntries(series.map((s) => [s.metric.patient, s.timestamps.length]));
  if (counts[PATIENT] !== N || counts['bench-bare'] !== N)
    throw new Error(`expected ${N} points per run in the engine, found ${JSON.stringify(counts)}`);
  rows.push({
    adapter: 'influxdb (spool -> /api/v2/write)',
    adapterRate: rate(adapter.ms),
    baseline: 'bare influxdb-client write',
    baselineRate: rate(baseline.ms),
  });
} finally {
  await vm.destroy();
  rmSync(dir, { recursive: true, force: true });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');
console.log('\nadapter                            points/s  baseline                      points/s  ratio');
for (const r of rows) {
  console.log(
    `${r.adapter.padEnd(34)} ${fmt(r.adapterRate).padStart(9)}  ${r.baseline.padEnd(28)} ${fmt(r.baselineRate).padStart(9)}  ${(
      r.adapterRate / r.baselineRate
    ).toFixed(2)}`,
  );
}
