import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  Channel,
  MAX_MEASUREMENT_AGE_MS,
  MAX_PAYLOAD_BYTES,
  gatewayTopic,
  type Observation,
} from '@wardline/protocol';
import { createContext, type ServerContext } from '../context.js';
import { openDatabase } from '../db/database.js';
import { sqliteDatabase } from '../db/engines/sqlite/index.js';
import { seedDemo } from '../demo/seed.js';
import {
  OBS_TOPIC,
  TEST_PASSWORD,
  batch,
  bpObservation,
  testContext,
  testFleet,
  testIngest,
} from '../testing.js';
import { createIngest, type IngestOutcome } from './ingest.js';

const URGENT_TOPIC = gatewayTopic({ site: 'site-a', gateway: 'gw-1' }, Channel.urgent);
/** site-a's second gateway: another gateway of the same care home. */
const GW2_OBS_TOPIC = gatewayTopic({ site: 'site-a', gateway: 'gw-2' }, Channel.observations);
/** A cuff registered to another site (a virtual ward elsewhere). */
const OTHER_SITE_CUFF = 'bb:00:00:00:00:01';

describe('ingest', () => {
  let ctx: ServerContext;
  let ingest: ReturnType<typeof testIngest>;

  beforeEach(async () => {
    ctx = await testContext();
    await ctx.devices.registerDevice(OTHER_SITE_CUFF, 'bp-cuff', 'site-b');
    ingest = testIngest(ctx);
  });

  const patient = 'ward-a-p001';
  const history = async () => await ctx.observations.history({ patientId: patient, limit: 100 });
  const deadLetterCodes = async () => (await ctx.deadLetters.list({ limit: 100 })).map((d) => d.code);

  it('stores a valid reading once, routed to the patient wearing the device, with values and units intact', async () => {
    const obs = bpObservation({ systolic: 141 });
    const outcome = await ingest.handle(OBS_TOPIC, batch(obs));
    expect(outcome.observations).toHaveLength(1);
    expect(outcome.observations[0]).toMatchObject({
      patientId: patient,
      wardId: 'ward-a',
      bedId: 'ward-a-bed-1',
    });
    const stored = await history();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.observation).toEqual(obs);
    expect(stored[0]!.gatewayId).toBe('site-a:gw-1');
  });

  it('files a returned kit’s late readings under the patient who had the device when they were measured', async () => {
    const cuff = 'aa:00:00:00:00:99';
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    await ctx.devices.registerDevice(cuff, 'bp-cuff', 'site-a');
    await ctx.devices.assign(cuff, 'ward-a-p001', 'nurse', ago(300));
    await ctx.devices.unassign(cuff, 'nurse', ago(180));
    await ctx.devices.assign(cuff, 'ward-a-p002', 'nurse', ago(60));
    const reading = (minutesAgo: number) => bpObservation({ deviceId: cuff, measuredAt: ago(minutesAgo) });
    const patientOf = async (obs: Observation) =>
      (await ctx.sql.get<{ p: string | null }>('SELECT patient_id AS p FROM observations WHERE id = ?', [
        obs.id,
      ]))!.p;

    const whileFirstPatientHadIt = reading(240);
    const betweenReturnAndIssue = reading(120);
    const clockSlightlyBehind = reading(61);
    const afterIssue = reading(30);
    const outcome = await ingest.handle(
      OBS_TOPIC,
      batch(whileFirstPatientHadIt, betweenReturnAndIssue, clockSlightlyBehind, afterIssue),
    );

    expect(await patientOf(whileFirstPatientHadIt)).toBe('ward-a-p001');
    expect(await patientOf(betweenReturnAndIssue)).toBeNull();
    expect(await patientOf(clockSlightlyBehind)).toBe('ward-a-p002');
    expect(await patientOf(afterIssue)).toBe('ward-a-p002');
    // Nothing measured while the first patient had it reaches the second patient's live screen.
    expect(outcome.observations.map((o) => o.patientId)).toEqual([
      'ward-a-p001',
      null,
      'ward-a-p002',
      'ward-a-p002',
    ]);
  });

  it('keeps a new device’s first readings, taken before it was assigned, with its first patient', async () => {
    const cuff = 'aa:00:00:00:00:98';
    await ctx.devices.registerDevice(cuff, 'bp-cuff', 'site-a');
    await ctx.devices.assign(cuff, 'ward-a-p002', 'nurse', new Date().toISOString());
    const early = bpObservation({
      deviceId: cuff,
      measuredAt: new Date(Date.now() - 3600_000).toISOString(),
    });
    expect((await ingest.handle(OBS_TOPIC, batch(early))).observations[0]?.patientId).toBe('ward-a-p002');
  });

  it('routes by the device’s assignment as it is now, also after another connection changed it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'wardline-routes-')), 'wardline.db');
    const server = createContext(sqliteDatabase(openDatabase(path)));
    await seedDemo(server, testFleet, TEST_PASSWORD, { N: 2 ** 10, r: 8, p: 1 });
    const serverIngest = testIngest(server);
    // Measured now, after every assignment below: each goes by the device's route as it stands.
    const routed = async () =>
      (await serverIngest.handle(OBS_TOPIC, batch(bpObservation({ measuredAt: new Date().toISOString() }))))
        .observations[0];
    expect(await routed()).toMatchObject({ patientId: patient, bedId: 'ward-a-bed-1' });
    expect(await routed()).toMatchObject({ patientId: patient }); // now from the remembered route

    // An administrator's tool on its own connection hands the cuff to the next resident.
    const admin = createContext(sqliteDatabase(openDatabase(path)));
    const handedOver = new Date().toISOString();
    await admin.devices.unassign('aa:00:00:00:00:01', 'admin', handedOver);
    await admin.devices.assign('aa:00:00:00:00:01', 'ward-a-p002', 'admin', handedOver);
    expect(await routed()).toMatchObject({ patientId: 'ward-a-p002', bedId: 'ward-a-bed-2' });

    // And takes that resident out of their bed: the reading follows them, to no bed and no ward.
    await admin.sql.run(`UPDATE patients SET bed_id = NULL WHERE id = 'ward-a-p002'`);
    expect(await routed()).toMatchObject({ patientId: 'ward-a-p002', bedId: null, wardId: null });
    await admin.sql.close();
    await server.sql.close();
  });

  it('de-duplicates a replayed observation by its id', async () => {
    const obs = bpObservation();
    await ingest.handle(OBS_TOPIC, batch(obs));
    const replay = await ingest.handle(OBS_TOPIC, batch(obs));
    expect(replay.duplicates).toBe(1);
    expect(replay.observations).toHaveLength(0);
    expect(await history()).toHaveLength(1);
    expect(ctx.metrics.counters.duplicates).toBe(1);
  });

  const badInputs: [string, string, Buffer | string][] = [
    ['MALFORMED_JSON', OBS_TOPIC, '{"v":1,"observations":[{'],
    ['MALFORMED_JSON', OBS_TOPIC, Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
    ['PAYLOAD_TOO_LARGE', OBS_TOPIC, Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20)],
    [
      'UNSUPPORTED_VERSION',
      OBS_TOPIC,
      JSON.stringify({ v: 2, sentAt: new Date().toISOString(), observations: [] }),
    ],
    ['SCHEMA_VIOLATION', OBS_TOPIC, JSON.stringify({ v: 1, observations: 'none' })],
    ['SCHEMA_VIOLATION', OBS_TOPIC, batch({ ...bpObservation(), measuredAt: '2026-01-01 10:00' })],
    ['UNKNOWN_KIND', OBS_TOPIC, batch({ ...bpObservation(), kind: 'blood_sugar' })],
    [
      'WRONG_UNIT',
      OBS_TOPIC,
      batch({
        ...bpObservation(),
        values: { systolic: { value: 17, unit: 'kPa' }, diastolic: { value: 11, unit: 'kPa' } },
      }),
    ],
    ['OUT_OF_RANGE', OBS_TOPIC, batch(bpObservation({ systolic: 400 }))],
    [
      'TIMESTAMP_IN_FUTURE',
      OBS_TOPIC,
      batch(bpObservation({ measuredAt: new Date(Date.now() + 3600_000).toISOString() })),
    ],
    ['UNKNOWN_DEVICE', OBS_TOPIC, batch(bpObservation({ deviceId: 'ff:ff:ff:ff:ff:ff' }))],
    ['UNKNOWN_TOPIC', 'wardline/v1/site-a/gw-1/obs/extra', batch(bpObservation())],
    ['NESTING_TOO_DEEP', OBS_TOPIC, '['.repeat(100_000) + ']'.repeat(100_000)],
    ['NESTING_TOO_DEEP', OBS_TOPIC, `{"v":1,"observations":[${'{"a":'.repeat(20)}1${'}'.repeat(20)}]}`],
    [
      'TIMESTAMP_TOO_OLD',
      OBS_TOPIC,
      batch(
        bpObservation({ measuredAt: new Date(Date.now() - MAX_MEASUREMENT_AGE_MS - 60_000).toISOString() }),
      ),
    ],
    ['TIMESTAMP_TOO_OLD', OBS_TOPIC, batch(bpObservation({ measuredAt: '1970-01-01T00:00:00.000Z' }))],
    ['TIMESTAMP_TOO_OLD', OBS_TOPIC, batch(bpObservation({ measuredAt: '0001-01-01T00:00:00Z' }))],
    ['SEQ_IMPLAUSIBLE', OBS_TOPIC, batch(bpObservation({ seq: 1e20 }))],
    ['NOT_URGENT_KIND', URGENT_TOPIC, batch(bpObservation())],
    ['DEVICE_OUT_OF_SCOPE', OBS_TOPIC, batch(bpObservation({ deviceId: OTHER_SITE_CUFF }))],
  ];

  it.each(badInputs)(
    'rejects %s with a dead letter, counts it, and keeps working',
    async (code, topic, payload) => {
      const outcome = await ingest.handle(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(payload));
      expect(outcome.rejections.map((r) => r.code)).toEqual([code]);
      expect(await deadLetterCodes()).toEqual([code]);
      expect((await ctx.deadLetters.list({ limit: 1 }))[0]!.topic).toBe(topic);
      expect(ctx.metrics.rejectedByCode().get(code)).toBe(1);
      expect(await history()).toHaveLength(0);

      const next = bpObservation();
      await ingest.handle(OBS_TOPIC, batch(next));
      expect((await history()).map((s) => s.observation.id)).toEqual([next.id]);
    },
  );

  it('keeps the good observations of a batch that also holds a bad one', async () => {
    const good = bpObservation();
    const outcome = await ingest.handle(OBS_TOPIC, batch(good, bpObservation({ systolic: 12 })));
    expect(outcome.observations.map((o) => o.observation.id)).toEqual([good.id]);
    expect(await deadLetterCodes()).toEqual(['OUT_OF_RANGE']);
  });

  it('keeps rejected bytes that are not text as base64 so an operator sees them exactly', async () => {
    await ingest.handle(OBS_TOPIC, Buffer.from([0xff, 0x00, 0x01]));
    const [letter] = await ctx.deadLetters.list({ limit: 1 });
    expect(letter!.payload).toBe('base64:/wAB');
    expect(letter!.payloadBytes).toBe(3);
  });

  it('does not move the latest reading backwards when an older one is replayed late', async () => {
    const hour = 3600_000;
    const newer = bpObservation({ systolic: 150, measuredAt: new Date(Date.now() - 2 * hour).toISOString() });
    const older = bpObservation({ systolic: 120, measuredAt: new Date(Date.now() - 4 * hour).toISOString() });
    await ingest.handle(OBS_TOPIC, batch(newer));
    await ingest.handle(OBS_TOPIC, batch(older));
    const latest = (await ctx.observations.latestByPatient([patient])).get(patient)!;
    expect(latest.blood_pressure!.observation.id).toBe(newer.id);
    expect((await history()).map((s) => s.observation.id)).toEqual([older.id, newer.id]);
  });

  it('stores a new gateway whose first group rolled back when its message comes again', async () => {
    const NEW_GW_TOPIC = gatewayTopic({ site: 'site-a', gateway: 'gw-9' }, Channel.status);
    const status = Buffer.from(JSON.stringify({ v: 1, state: 'online', at: new Date().toISOString() }));
    let failScoring = true;
    const flaky = testIngest(ctx, {
      afterStore: () => {
        if (failScoring) throw new Error('scoring failed');
      },
    });
    await expect(flaky.handleGroup([{ topic: NEW_GW_TOPIC, payload: status }])).rejects.toThrow(
      'scoring failed',
    );
    const gateway = () => ctx.sql.get(`SELECT id FROM gateways WHERE id = ?`, ['site-a:gw-9']);
    expect(await gateway()).toBeUndefined();
    failScoring = false;
    const outcome = await flaky.handle(NEW_GW_TOPIC, status);
    expect(outcome.gatewayStatus).toMatchObject({ gatewayId: 'site-a:gw-9', status: { state: 'online' } });
    expect(await gateway()).toEqual({ id: 'site-a:gw-9' });
  });

  it('records device and gateway status', async () => {
    const address = { site: 'site-a', gateway: 'gw-1' };
    const lastSeen = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await ingest.handle(
      gatewayTopic(address, Channel.devices),
      Buffer.from(
        JSON.stringify({
          v: 1,
          devices: [
            { deviceId: 'aa:00:00:00:00:01', connected: true, lastSeen, battery: { value: 64, unit: '%' } },
          ],
        }),
      ),
    );
    const outcome = await ingest.handle(
      gatewayTopic(address, Channel.status),
      Buffer.from(JSON.stringify({ v: 1, state: 'offline', at: lastSeen })),
    );
    expect(outcome.gatewayStatus).toMatchObject({
      gatewayId: 'site-a:gw-1',
      wardId: 'ward-a',
      status: { state: 'offline' },
    });
    const cuff = (await ctx.devices.list()).find((d) => d.deviceId === 'aa:00:00:00:00:01')!;
    expect(cuff.status).toMatchObject({ connected: true, battery: { value: 64, unit: '%' } });
    expect(cuff.gatewayId).toBe('site-a:gw-1');
  });

  const fall = (overrides: Partial<Observation> = {}): Observation =>
    ({
      ...bpObservation(),
      deviceId: 'aa:00:00:00:01:01',
      kind: 'fall',
      values: { confidence: { value: 95, unit: '%' } },
      ...overrides,
    }) as Observation;
  const statusBatch = (deviceId: string, lastSeen = new Date().toISOString()) =>
    Buffer.from(JSON.stringify({ v: 1, devices: [{ deviceId, connected: true, lastSeen }] }));

  it('keeps the raw bytes of a message too deeply nested to parse, and never throws on it', async () => {
    const attack = Buffer.from('['.repeat(100_000) + ']'.repeat(100_000));
    const outcome = await ingest.handle(OBS_TOPIC, attack);
    expect(outcome.rejections.map((r) => r.code)).toEqual(['NESTING_TOO_DEEP']);
    const [letter] = await ctx.deadLetters.list({ limit: 1 });
    expect(letter!.payloadBytes).toBe(200_000);
    expect(letter!.payload).toBe('['.repeat(letter!.payload.length));
  });

  it('keeps a bounded copy of a long string and a short detail, whatever the string holds', async () => {
    const long = 'x'.repeat(120_000);
    const outcome = await ingest.handle(
      OBS_TOPIC,
      batch({ ...bpObservation(), deviceId: long }, { ...bpObservation(), kind: long }),
    );
    expect(outcome.rejections.map((r) => r.code)).toEqual(['SCHEMA_VIOLATION', 'UNKNOWN_KIND']);
    for (const letter of await ctx.deadLetters.list({ limit: 2 })) {
      expect(letter.payload.length).toBeLessThanOrEqual(8192);
      expect(letter.payloadBytes).toBeGreaterThan(120_000);
      expect(letter.detail.length).toBeLessThan(200);
    }
  });

  it('refuses routine kinds on the urgent lane one by one, and stores the falls of the same batch', async () => {
    const theFall = fall();
    const outcome = await ingest.handle(
      URGENT_TOPIC,
      batch(bpObservation(), theFall, bpObservation({ systolic: 90 })),
    );
    expect(outcome.observations.map((o) => o.observation.id)).toEqual([theFall.id]);
    expect(outcome.rejections.map((r) => r.code)).toEqual(['NOT_URGENT_KIND', 'NOT_URGENT_KIND']);
    expect((await ctx.deadLetters.list({ limit: 10 })).map((d) => d.detail)).toEqual([
      expect.stringMatching(/^observations\[2\]: /),
      expect.stringMatching(/^observations\[0\]: /),
    ]);
    expect((await history()).map((s) => s.observation.kind)).toEqual(['fall']);
  });

  describe('device scope', () => {
    it("refuses a reading, a fall and a status for another site's device: nothing stored, alerted or changed", async () => {
      const before = (await ctx.devices.list()).find((d) => d.deviceId === OTHER_SITE_CUFF)!;
      const reading = bpObservation({ deviceId: OTHER_SITE_CUFF, systolic: 82 });
      const forgedFall = fall({ deviceId: OTHER_SITE_CUFF });
      const outcomes: IngestOutcome[] = [
        await ingest.handle(OBS_TOPIC, batch(reading)),
        await ingest.handle(URGENT_TOPIC, batch(forgedFall)),
        await ingest.handle(
          gatewayTopic({ site: 'site-a', gateway: 'gw-1' }, Channel.devices),
          statusBatch(OTHER_SITE_CUFF),
        ),
      ];
      for (const outcome of outcomes) {
        expect(outcome.rejections.map((r) => r.code)).toEqual(['DEVICE_OUT_OF_SCOPE']);
        expect(outcome.observations).toEqual([]);
        expect(outcome.deviceStatuses).toEqual([]);
      }
      expect(await ctx.observations.exists(reading.id)).toBe(false);
      expect(await ctx.observations.exists(forgedFall.id)).toBe(false);
      expect((await ctx.devices.list()).find((d) => d.deviceId === OTHER_SITE_CUFF)).toEqual(before);
      expect(ctx.metrics.rejectedByCode().get('DEVICE_OUT_OF_SCOPE')).toBe(3);
    });

    it('accepts an unpinned device through any gateway of its site (a care home with several)', async () => {
      const reading = bpObservation();
      expect((await ingest.handle(GW2_OBS_TOPIC, batch(reading))).observations).toHaveLength(1);
      expect((await history())[0]!.gatewayId).toBe('site-a:gw-2');
    });

    it('refuses a pinned device through another gateway of its site, and accepts it again once unpinned', async () => {
      expect(await ctx.devices.pinToGateway('aa:00:00:00:00:01', 'gw-1')).toBe(true);
      const outcome = await ingest.handle(GW2_OBS_TOPIC, batch(bpObservation()));
      expect(outcome.rejections.map((r) => r.code)).toEqual(['DEVICE_OUT_OF_SCOPE']);
      const status = await ingest.handle(
        gatewayTopic({ site: 'site-a', gateway: 'gw-2' }, Channel.devices),
        statusBatch('aa:00:00:00:00:01'),
      );
      expect(status.rejections.map((r) => r.code)).toEqual(['DEVICE_OUT_OF_SCOPE']);
      expect(
        (await ctx.devices.list()).find((d) => d.deviceId === 'aa:00:00:00:00:01')!.gatewayId,
      ).toBeNull();
      expect((await ingest.handle(OBS_TOPIC, batch(bpObservation()))).observations).toHaveLength(1);
      expect(await ctx.devices.pinToGateway('aa:00:00:00:00:01', null)).toBe(true);
      expect((await ingest.handle(GW2_OBS_TOPIC, batch(bpObservation()))).observations).toHaveLength(1);
      expect(await history()).toHaveLength(2);
    });
  });

  it('refuses device statuses one by one: a time out of bounds drops that device only', async () => {
    const topic = gatewayTopic({ site: 'site-a', gateway: 'gw-1' }, Channel.devices);
    const now = new Date().toISOString();
    const payload = JSON.stringify({
      v: 1,
      devices: [
        { deviceId: 'aa:00:00:00:00:01', connected: true, lastSeen: '1970-01-01T00:00:00Z' },
        {
          deviceId: 'aa:00:00:00:00:02',
          connected: true,
          lastSeen: new Date(Date.now() + 3600_000).toISOString(),
        },
        { deviceId: 'aa:00:00:00:01:01', connected: true, lastSeen: now },
      ],
    });
    const outcome = await ingest.handle(topic, Buffer.from(payload));
    expect(outcome.rejections.map((r) => r.code)).toEqual(['TIMESTAMP_TOO_OLD', 'TIMESTAMP_IN_FUTURE']);
    expect(outcome.deviceStatuses.map((d) => d.status.deviceId)).toEqual(['aa:00:00:00:01:01']);
  });

  describe('replayed ids', () => {
    it('refuses an id already stored with other values, keeping the stored reading', async () => {
      const original = bpObservation({ systolic: 128 });
      await ingest.handle(OBS_TOPIC, batch(original));
      const forged = { ...original, values: { ...original.values, systolic: { value: 201, unit: 'mmHg' } } };
      const outcome = await ingest.handle(OBS_TOPIC, batch(forged));
      expect(outcome.rejections.map((r) => r.code)).toEqual(['ID_CONFLICT']);
      expect(outcome.duplicates).toBe(0);
      expect((await history()).map((s) => s.observation)).toEqual([original]);
    });

    it.each([
      ['device', { deviceId: 'aa:00:00:00:00:02' }],
      ['kind', { kind: 'spo2', values: { spo2: { value: 97, unit: '%' } } }],
      ['measurement time', { measuredAt: new Date(Date.now() - 120_000).toISOString() }],
      ['sequence number', { seq: 999_999 }],
    ])('refuses the same id with another %s', async (_what, change) => {
      const original = bpObservation();
      await ingest.handle(OBS_TOPIC, batch(original));
      expect(
        (await ingest.handle(OBS_TOPIC, batch({ ...original, ...change }))).rejections.map((r) => r.code),
      ).toEqual(['ID_CONFLICT']);
    });

    it('takes an exact replay as a silent duplicate, whatever its member order or time notation', async () => {
      const wholeSecond = new Date(Math.floor((Date.now() - 60_000) / 1000) * 1000).toISOString();
      await ingest.handle(OBS_TOPIC, batch(bpObservation({ measuredAt: wholeSecond })));
      const stored = (await history())[0]!.observation;
      const { systolic, diastolic, pulseRate } = stored.values as Record<string, unknown>;
      const reordered = {
        values: { pulseRate, diastolic, systolic },
        seq: stored.seq,
        measuredAt: stored.measuredAt.replace('.000Z', 'Z'), // the same instant, written otherwise
        kind: stored.kind,
        deviceId: stored.deviceId,
        id: stored.id,
      };
      const outcome = await ingest.handle(OBS_TOPIC, batch(reordered));
      expect(outcome.rejections).toEqual([]);
      expect(outcome.duplicates).toBe(1);
    });
  });

  describe('messages whose handling fails', () => {
    const POISON_SYSTOLIC = 299;
    /** An alert rule with a fault that one reading triggers: a content failure, not storage. */
    const faultyRule = (outcomes: readonly IngestOutcome[]) => {
      if (
        outcomes.some((outcome) =>
          outcome.observations.some(
            (o) =>
              (o.observation.values as { systolic?: { value: number } }).systolic?.value === POISON_SYSTOLIC,
          ),
        )
      )
        throw new TypeError('rule fault');
    };
    const ingestWithRule = (context: ServerContext) =>
      createIngest({
        sql: context.sql,
        observations: context.observations,
        devices: context.devices,
        deadLetters: context.deadLetters,
        metrics: context.metrics,
        log: pino({ level: 'silent' }),
        afterStore: faultyRule,
      });

    it('counts nothing of a group that rolled back: stored again one by one, each reading counts once', async () => {
      const faulty = ingestWithRule(ctx);
      const good = { topic: OBS_TOPIC, payload: batch(bpObservation()) };
      const poison = { topic: OBS_TOPIC, payload: batch(bpObservation({ systolic: POISON_SYSTOLIC })) };
      await expect(faulty.handleGroup([good, poison])).rejects.toThrow('rule fault');
      expect(ctx.metrics.counters).toMatchObject({ messages: 0, accepted: 0 });
      await faulty.handle(good.topic, good.payload);
      expect(ctx.metrics.counters).toMatchObject({ messages: 1, accepted: 1 });
      expect(await history()).toHaveLength(1);
    });

    it('keeps failure counts across a restart and sets the message aside with its raw bytes', async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'wardline-ingest-')), 'wardline.db');
      const poison = batch(bpObservation({ systolic: POISON_SYSTOLIC }));
      const first = createContext(sqliteDatabase(openDatabase(path)));
      expect(await ingestWithRule(first).recordFailure(OBS_TOPIC, poison, 'TypeError: rule fault')).toBe(1);
      expect(await ingestWithRule(first).recordFailure(OBS_TOPIC, poison, 'TypeError: rule fault')).toBe(2);
      // Another message's count is its own (same bytes on another gateway's topic too).
      expect(await ingestWithRule(first).recordFailure(GW2_OBS_TOPIC, poison, 'TypeError: rule fault')).toBe(
        1,
      );
      await first.sql.close();

      const second = createContext(sqliteDatabase(openDatabase(path)));
      const restarted = ingestWithRule(second);
      expect(await restarted.recordFailure(OBS_TOPIC, poison, 'TypeError: rule fault')).toBe(3);
      const outcome = await restarted.quarantine(OBS_TOPIC, poison, 3, 'TypeError: rule fault');
      expect(outcome.rejections.map((r) => r.code)).toEqual(['PROCESSING_FAILED']);
      const [letter] = await second.deadLetters.list({ limit: 1 });
      expect(letter).toMatchObject({
        code: 'PROCESSING_FAILED',
        topic: OBS_TOPIC,
        payload: poison.toString(),
      });
      expect(letter!.detail).toContain('3 times');
      expect(second.metrics.rejectedByCode().get('PROCESSING_FAILED')).toBe(1);
      // Cleared: the same bytes arriving again start from the beginning.
      expect(await restarted.recordFailure(OBS_TOPIC, poison, 'TypeError: rule fault')).toBe(1);
      await second.sql.close();
    });
  });
});
