import type { Observation } from '@wardline/protocol';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createIngest } from '../ingest/ingest.js';
import { OBS_TOPIC, batch, bpObservation, testContext } from '../testing.js';
import { freePort, startInfluxDb1, writeV1, type RunningEngine } from '../testing-engines.js';
import { createInfluxSink } from './influx-client.js';
import { INFLUX_REJECTED, createInfluxStore } from './influx-store.js';
import { applyRetention } from './retention.js';
import { SpoolFullError, createSpool } from './spool.js';

const silent = pino({ level: 'silent' });

async function setUp(limit: number) {
  const ctx = await testContext();
  const spool = createSpool(ctx.sql, limit);
  /** Ingest whose clock reads `now` (readings are checked against it); the real clock by default. */
  const ingestAt = (now?: Date) =>
    createIngest({
      sql: ctx.sql,
      observations: ctx.observations,
      devices: ctx.devices,
      deadLetters: ctx.deadLetters,
      metrics: ctx.metrics,
      log: silent,
      spool,
      ...(now ? { now: () => now } : {}),
    });
  const ingest = ingestAt();
  const stored = async () => (await ctx.sql.get<{ n: number }>('SELECT count(*) AS n FROM observations'))!.n;
  return { ctx, spool, ingest, ingestAt, stored };
}

describe('time-series spool', () => {
  it('refuses a message whole when full, so it stays unacknowledged, and takes it once there is room', async () => {
    const { spool, ingest, stored } = await setUp(3);
    await ingest.handle(OBS_TOPIC, batch(bpObservation(), bpObservation()));
    const held = batch(bpObservation(), bpObservation());
    await expect(ingest.handle(OBS_TOPIC, held)).rejects.toThrow(SpoolFullError);
    // Nothing of the refused message was kept: the broker redelivers all of it.
    expect(await stored()).toBe(2);
    expect(await spool.size()).toBe(2);
    await spool.release((await spool.peek(10)).at(-1)!.id);
    expect((await ingest.handle(OBS_TOPIC, held)).observations).toHaveLength(2);
    expect(await stored()).toBe(4);
    // A message larger than the bound still goes into an empty spool: none can be stuck forever.
    await spool.release((await spool.peek(10)).at(-1)!.id);
    const big = Array.from({ length: 5 }, () => bpObservation());
    expect((await ingest.handle(OBS_TOPIC, batch(...big))).observations).toHaveLength(5);
  });

  it('spools points in arrival order, and a replayed observation is not spooled twice', async () => {
    const { spool, ingest } = await setUp(100);
    const readings = [bpObservation({ systolic: 101 }), bpObservation({ systolic: 102 })];
    await ingest.handle(OBS_TOPIC, batch(...readings));
    await ingest.handle(OBS_TOPIC, batch(...readings));
    const lines = (await spool.peek(10)).map((r) => r.line);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^blood_pressure,patient=ward-a-p001,device=aa:00:00:00:00:01 systolic=101\.0,/);
    expect(lines[1]).toContain('systolic=102.0');
  });

  it('shows a failing InfluxDB on health, keeps the points, and reports a full spool', async () => {
    const { ctx, spool, ingest } = await setUp(2);
    const closedPort = await freePort();
    const settings = {
      url: `http://127.0.0.1:${closedPort}`,
      token: '',
      org: 'o',
      bucket: 'b',
      database: 'b',
      timeoutMs: 1000,
    };
    const store = createInfluxStore({
      settings,
      spool,
      sink: createInfluxSink(settings, 10),
      log: silent,
      deadLetters: ctx.deadLetters,
      batchSize: 10,
      minRetryMs: 50,
    });
    await ingest.handle(OBS_TOPIC, batch(bpObservation()));
    store.notify();
    const deadline = Date.now() + 5000;
    while (store.health().failures === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(store.health()).toMatchObject({
      adapter: 'influxdb',
      state: 'retrying',
      spooled: 1,
      spoolLimit: 2,
    });
    expect(store.health().lastError).toContain('ECONNREFUSED');
    await ingest.handle(OBS_TOPIC, batch(bpObservation()));
    expect(store.health().state).toBe('full');
    await store.close();
    expect(await spool.size()).toBe(2);
  });
});

describe('points InfluxDB refuses', () => {
  let influx1: RunningEngine | undefined;
  afterAll(async () => {
    await influx1?.destroy();
  });

  it('go to the dead-letter list alone, and do not stall the readings around them', async () => {
    influx1 = await startInfluxDb1('refusals');
    const engine = influx1;
    // A string heartRate in this week's shard makes every float heartRate a field type conflict (HTTP 400).
    await writeV1(engine.url, 'refusals', [
      `heart_rate,patient=other,device=other heartRate="n/a",seq=0i ${Date.now() - 60_000}000000`,
    ]);
    const { ctx, spool, ingest } = await setUp(100);
    const heartRate = (value: number) =>
      ({
        ...bpObservation(),
        kind: 'heart_rate',
        values: { heartRate: { value, unit: 'bpm' } },
      }) as Observation;
    const readings = [
      bpObservation(),
      heartRate(71),
      bpObservation(),
      bpObservation(),
      heartRate(72),
      bpObservation(),
    ];
    await ingest.handle(OBS_TOPIC, batch(...readings));
    const settings = {
      url: engine.url,
      token: '',
      org: '',
      bucket: '',
      database: 'refusals',
      timeoutMs: 5000,
    };
    const store = createInfluxStore({
      settings,
      spool,
      sink: { write: (lines) => writeV1(engine.url, 'refusals', lines), close: async () => undefined },
      log: silent,
      deadLetters: ctx.deadLetters,
      batchSize: 100,
    });
    store.notify();
    expect(await store.drained(10_000)).toBe(true);
    expect(store.health()).toMatchObject({ state: 'ok', spooled: 0, rejected: 2, written: 4 });
    const letters = await ctx.deadLetters.list({ code: INFLUX_REJECTED, limit: 10 });
    expect(letters.map((l) => l.payload).sort()).toEqual([
      expect.stringContaining('heartRate=71.0'),
      expect.stringContaining('heartRate=72.0'),
    ]);
    expect(letters[0]!.detail).toContain('400');
    const bp = await store.rawPoints({
      patientId: 'ward-a-p001',
      kind: 'blood_pressure',
      from: 0,
      to: Date.now(),
      window: 'raw',
      limit: 100,
    });
    expect(bp).toHaveLength(4);
    await store.close();
  });
});

describe('embedded retention', () => {
  it('deletes observations older than the retention and keeps newer ones and the spool', async () => {
    const { ctx, spool, ingest, ingestAt, stored } = await setUp(100);
    const day = 86_400_000;
    const old: Observation = bpObservation({ measuredAt: new Date(Date.now() - 40 * day).toISOString() });
    const recent: Observation = bpObservation({ measuredAt: new Date(Date.now() - 2 * day).toISOString() });
    // The old reading was stored when it was fresh (ingest refuses readings older than 30 days).
    await ingestAt(new Date(Date.now() - 39 * day)).handle(OBS_TOPIC, batch(old));
    await ingest.handle(OBS_TOPIC, batch(recent));
    expect(await applyRetention(ctx.sql, 30)).toBe(1);
    expect(await stored()).toBe(1);
    expect(await ctx.observations.exists(recent.id)).toBe(true);
    expect(await ctx.observations.exists(old.id)).toBe(false);
    expect(await spool.size()).toBe(2);
    const latest = (await ctx.observations.latestByPatient(['ward-a-p001'])).get('ward-a-p001');
    expect(latest?.blood_pressure?.observation.id).toBe(recent.id);
  });
});
