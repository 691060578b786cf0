/**
 * One contract suite, run against both time-series adapters. The InfluxDB adapter runs against
 * real engines only: its spool writer sends line protocol with @influxdata/influxdb-client to
 * VictoriaMetrics' /api/v2/write (read back exactly with its export API), and the same lines go
 * to InfluxDB 1.6, whose InfluxQL /query the adapter reads from.
 */
import type { HistoryPoint, HistoryWindow, HistoryWindowRow, Observation } from '@wardline/protocol';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerContext } from '../context.js';
import type { SqlDatabase, SqlValue } from '../db/engines/engine.js';
import { OBS_TOPIC, batch, testContext, testIngest } from '../testing.js';
import { openTestSql, usePostgres } from '../testing-sql.js';
import {
  exportVictoriaMetrics,
  startInfluxDb1,
  startVictoriaMetrics,
  writeV1,
  type RunningEngine,
} from '../testing-engines.js';
import { createEmbeddedStore } from './embedded-store.js';
import { createInfluxSink, type InfluxSettings } from './influx-client.js';
import { createInfluxStore, type InfluxStore } from './influx-store.js';
import { numericValues, seriesFields } from './series.js';
import { createSpool } from './spool.js';
import { WINDOW_MS, type HistoryRequest, type TimeSeriesStore } from './store.js';

const P1 = 'ward-a-p001';
const P2 = 'ward-a-p002';
const CUFF_1 = 'aa:00:00:00:00:01';
const FALLS_1 = 'aa:00:00:00:01:01';
const CUFF_2 = 'aa:00:00:00:00:02';
const T0 = Date.UTC(2025, 5, 1, 0, 0, 0);
const SPAN = 2 * 86_400_000;
const DB = 'wardline';

usePostgres();

let seq = 0;
function bp(deviceId: string, at: number, i: number): Observation {
  return {
    id: randomUUID(),
    deviceId,
    kind: 'blood_pressure',
    measuredAt: new Date(at).toISOString(),
    seq: seq++,
    values: {
      systolic: { value: 100 + ((i * 37) % 80), unit: 'mmHg' },
      diastolic: { value: 60 + ((i * 13) % 30) + 0.5, unit: 'mmHg' },
      ...(i % 3 !== 0 ? { pulseRate: { value: 55 + (i % 40), unit: 'bpm' } } : {}),
    },
  } as Observation;
}

function fall(at: number, confidence?: number): Observation {
  return {
    id: randomUUID(),
    deviceId: FALLS_1,
    kind: 'fall',
    measuredAt: new Date(at).toISOString(),
    seq: seq++,
    values: confidence === undefined ? {} : { confidence: { value: confidence, unit: '%' } },
  } as Observation;
}

// Patient 1: a cuff every 7 minutes (odd ms offsets) for two days, some without pulse; falls.
const p1Readings = Array.from({ length: Math.floor(SPAN / 420_000) }, (_, i) =>
  bp(CUFF_1, T0 + i * 420_000 + (i % 7), i),
);
const p1Falls = [
  fall(T0 + 3_600_123, 93),
  fall(T0 + 3_700_000, 71.5),
  fall(T0 + 90_000_000),
  fall(T0 + 170_000_001, 88),
];
// Patient 2: two distinct readings of one kind from one device at the very same instant.
const sameInstant = T0 + 5_000_000;
const p2Readings = [
  bp(CUFF_2, sameInstant, 1),
  bp(CUFF_2, sameInstant, 2),
  bp(CUFF_2, sameInstant + 60_000, 4),
];
const fixture = [...p1Readings, ...p1Falls, ...p2Readings];
const patientOf = (o: Observation) => (o.deviceId === CUFF_2 ? P2 : P1);

function expectedRaw(patientId: string, kind: string, from: number, to: number): HistoryPoint[] {
  return fixture
    .filter((o) => patientOf(o) === patientId && o.kind === kind)
    .filter((o) => Date.parse(o.measuredAt) >= from && Date.parse(o.measuredAt) < to)
    .map((o) => ({ time: o.measuredAt, deviceId: o.deviceId, seq: o.seq, values: numericValues(o) }))
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.seq - b.seq));
}

function expectedWindows(patientId: string, kind: string, from: number, to: number, window: HistoryWindow) {
  const size = WINDOW_MS[window];
  const buckets = new Map<number, HistoryPoint[]>();
  for (const point of expectedRaw(patientId, kind, from, to)) {
    const start = Math.floor(Date.parse(point.time) / size) * size;
    buckets.set(start, [...(buckets.get(start) ?? []), point]);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, points]): HistoryWindowRow => {
      const values: HistoryWindowRow['values'] = {};
      for (const { name } of seriesFields(kind)) {
        const xs = points.flatMap((p) => (p.values[name] === undefined ? [] : [p.values[name]]));
        values[name] =
          xs.length === 0
            ? { mean: null, min: null, max: null, count: 0 }
            : {
                mean: Math.round((xs.reduce((s, x) => s + x, 0) / xs.length) * 10_000) / 10_000,
                min: Math.min(...xs),
                max: Math.max(...xs),
                count: xs.length,
              };
      }
      return { start: new Date(start).toISOString(), readings: points.length, values };
    });
}

let ctx: ServerContext;
/** The same stored readings in PostgreSQL, for the embedded store on that engine. */
let postgres: SqlDatabase;
let vm: RunningEngine;
let influx1: RunningEngine;
let influxStore: InfluxStore;
const sentLines: string[] = [];

beforeAll(async () => {
  [vm, influx1] = await Promise.all([startVictoriaMetrics(), startInfluxDb1(DB)]);
  ctx = await testContext();
  const spool = createSpool(ctx.sql, 100_000);
  // The fixture is two days from T0: ingest's clock stands at its end.
  const ingest = testIngest(ctx, { spool, now: () => new Date(T0 + SPAN) });
  for (let i = 0; i < fixture.length; i += 200)
    await ingest.handle(OBS_TOPIC, batch(...fixture.slice(i, i + 200)));
  expect(ctx.metrics.counters.accepted).toBe(fixture.length);

  const settings = (url: string): InfluxSettings => ({
    url,
    token: '',
    org: 'wardline',
    bucket: DB,
    database: DB,
    timeoutMs: 5000,
  });
  const clientSink = createInfluxSink(settings(vm.url), 250);
  influxStore = createInfluxStore({
    settings: settings(influx1.url),
    spool,
    sink: {
      async write(lines) {
        await clientSink.write(lines);
        await writeV1(influx1.url, DB, lines);
        sentLines.push(...lines);
      },
      close: () => clientSink.close(),
    },
    log: pino({ level: 'silent' }),
    deadLetters: ctx.deadLetters,
    batchSize: 250,
  });
  influxStore.notify();
  expect(await influxStore.drained(20_000)).toBe(true);

  postgres = await openTestSql('postgres');
  const columns =
    'id, device_id, patient_id, gateway_id, kind, measured_at, received_at, seq, values_json, quality_json';
  const rows = await ctx.sql.all<Record<string, SqlValue>>(`SELECT ${columns} FROM observations`);
  await postgres.transaction(async () => {
    for (const row of rows)
      await postgres.run(
        `INSERT INTO observations (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        columns.split(', ').map((column) => row[column] ?? null),
      );
  });
}, 120_000);

afterAll(async () => {
  await postgres?.close();
  await influxStore?.close();
  await Promise.all([vm?.destroy(), influx1?.destroy()]);
});

describe('InfluxDB write half (VictoriaMetrics /api/v2/write)', () => {
  it('holds every field of every reading exactly once, at its measured time, with the exact value', async () => {
    const series = await exportVictoriaMetrics(vm.url, `{patient="${P1}"}`);
    const stored = new Map(series.map((s) => [`${s.metric.__name__}|${s.metric.device}`, s]));
    const expected = new Map<string, Map<number, number>>();
    for (const o of [...p1Readings, ...p1Falls]) {
      for (const [field, value] of Object.entries({ ...numericValues(o), seq: o.seq })) {
        const key = `${o.kind}_${field}|${o.deviceId}`;
        expected.set(key, (expected.get(key) ?? new Map()).set(Date.parse(o.measuredAt), value));
      }
    }
    expect([...stored.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, samples] of expected) {
      const s = stored.get(key)!;
      expect(s.metric.patient).toBe(P1);
      expect(new Map(s.timestamps.map((t, i) => [t, s.values[i]]))).toEqual(samples);
      expect(s.timestamps).toHaveLength(samples.size);
    }
  });

  it('overwrites, not doubles, a point written again', async () => {
    const before = await exportVictoriaMetrics(vm.url, `{patient="${P1}"}`);
    const sink = createInfluxSink(
      { url: vm.url, token: '', org: 'wardline', bucket: DB, database: DB, timeoutMs: 5000 },
      sentLines.length,
    );
    await sink.write(sentLines);
    await sink.close();
    await writeV1(influx1.url, DB, sentLines);
    const after = await exportVictoriaMetrics(vm.url, `{patient="${P1}"}`);
    const count = (all: typeof before) => all.reduce((n, s) => n + s.timestamps.length, 0);
    expect(count(after)).toBe(count(before));
    const raw = await influxStore.rawPoints({
      patientId: P1,
      kind: 'blood_pressure',
      from: T0,
      to: T0 + SPAN,
      window: 'raw',
      limit: 100_000,
    });
    expect(raw).toHaveLength(p1Readings.length);
  });

  it('uses only the patient and device as tags (low cardinality: no ids or free text)', () => {
    for (const line of sentLines) {
      const [series] = line.split(' ');
      const tags = series!
        .split(',')
        .slice(1)
        .map((t) => t.split('=')[0]);
      expect(tags.every((t) => t === 'patient' || t === 'device')).toBe(true);
    }
  });
});

const adapters: [string, () => TimeSeriesStore][] = [
  ['embedded (SQLite)', () => createEmbeddedStore(ctx.sql)],
  ['embedded (PostgreSQL)', () => createEmbeddedStore(postgres)],
  ['InfluxDB (InfluxQL on InfluxDB 1.6)', () => influxStore],
];

describe.each(adapters)('time-series contract: %s', (_name, store) => {
  const request = (overrides: Partial<HistoryRequest>): HistoryRequest => ({
    patientId: P1,
    kind: 'blood_pressure',
    from: T0,
    to: T0 + SPAN,
    window: 'raw',
    limit: 100_000,
    ...overrides,
  });

  it('returns every raw reading in a range, in time order, with exact values', async () => {
    expect(await store().rawPoints(request({}))).toEqual(expectedRaw(P1, 'blood_pressure', T0, T0 + SPAN));
    const from = T0 + 3 * 3_600_000 + 1;
    const to = T0 + 5 * 3_600_000 + 3;
    const points = await store().rawPoints(request({ from, to }));
    expect(points).toEqual(expectedRaw(P1, 'blood_pressure', from, to));
    expect(points.length).toBeGreaterThan(10);
  });

  it('keeps two readings of one device taken at the same instant', async () => {
    const points = await store().rawPoints(request({ patientId: P2 }));
    expect(points).toEqual(expectedRaw(P2, 'blood_pressure', T0, T0 + SPAN));
    expect(points.filter((p) => Date.parse(p.time) === sameInstant)).toHaveLength(2);
  });

  it.each(['5m', '1h', '4h', '1d'] as const)(
    'downsamples to %s windows: mean, min, max, count',
    async (window) => {
      const from = T0 + 1_234_567;
      const windows = await store().windows(request({ window, from }));
      expect(windows).toEqual(expectedWindows(P1, 'blood_pressure', from, T0 + SPAN, window));
    },
  );

  it('counts a component only where readings carry it', async () => {
    const [first] = await store().windows(request({ window: '1d' }));
    expect(first!.values.pulseRate!.count).toBeLessThan(first!.values.systolic!.count);
  });

  it('answers for falls, raw and windowed', async () => {
    expect(await store().rawPoints(request({ kind: 'fall' }))).toEqual(
      expectedRaw(P1, 'fall', T0, T0 + SPAN),
    );
    expect(await store().windows(request({ kind: 'fall', window: '1h' }))).toEqual(
      expectedWindows(P1, 'fall', T0, T0 + SPAN, '1h'),
    );
  });

  it('answers empty for an empty range, another patient, or a hostile patient id', async () => {
    expect(await store().rawPoints(request({ from: T0 - 3_600_000, to: T0 }))).toEqual([]);
    expect(await store().windows(request({ to: T0, from: T0 - 86_400_000, window: '1h' }))).toEqual([]);
    expect(await store().rawPoints(request({ patientId: "x' OR 'a'='a" }))).toEqual([]);
    expect(await store().rawPoints(request({ patientId: 'ward-a-p999' }))).toEqual([]);
  });

  it('honours the raw point limit', async () => {
    expect(await store().rawPoints(request({ limit: 5 }))).toEqual(
      expectedRaw(P1, 'blood_pressure', T0, T0 + SPAN).slice(0, 5),
    );
  });
});
