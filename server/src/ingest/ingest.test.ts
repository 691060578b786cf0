import { beforeEach, describe, expect, it } from 'vitest';
import { Channel, MAX_PAYLOAD_BYTES, gatewayTopic } from '@wardline/protocol';
import type { ServerContext } from '../context.js';
import { OBS_TOPIC, batch, bpObservation, testContext, testIngest } from '../testing.js';

describe('ingest', () => {
  let ctx: ServerContext;
  let ingest: ReturnType<typeof testIngest>;

  beforeEach(async () => {
    ctx = await testContext();
    ingest = testIngest(ctx);
  });

  const patient = 'ward-a-p001';
  const history = () => ctx.observations.history({ patientId: patient, limit: 100 });
  const deadLetterCodes = () => ctx.deadLetters.list({ limit: 100 }).map((d) => d.code);

  it('stores a valid reading once, routed to the patient wearing the device, with values and units intact', () => {
    const obs = bpObservation({ systolic: 141 });
    const outcome = ingest.handle(OBS_TOPIC, batch(obs));
    expect(outcome.observations).toHaveLength(1);
    expect(outcome.observations[0]).toMatchObject({
      patientId: patient,
      wardId: 'ward-a',
      bedId: 'ward-a-bed-1',
    });
    const stored = history();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.observation).toEqual(obs);
    expect(stored[0]!.gatewayId).toBe('site-a:gw-1');
  });

  it('de-duplicates a replayed observation by its id', () => {
    const obs = bpObservation();
    ingest.handle(OBS_TOPIC, batch(obs));
    const replay = ingest.handle(OBS_TOPIC, batch(obs));
    expect(replay.duplicates).toBe(1);
    expect(replay.observations).toHaveLength(0);
    expect(history()).toHaveLength(1);
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
  ];

  it.each(badInputs)(
    'rejects %s with a dead letter, counts it, and keeps working',
    (code, topic, payload) => {
      const outcome = ingest.handle(topic, Buffer.isBuffer(payload) ? payload : Buffer.from(payload));
      expect(outcome.rejections.map((r) => r.code)).toEqual([code]);
      expect(deadLetterCodes()).toEqual([code]);
      expect(ctx.deadLetters.list({ limit: 1 })[0]!.topic).toBe(topic);
      expect(ctx.metrics.rejectedByCode().get(code)).toBe(1);
      expect(history()).toHaveLength(0);

      const next = bpObservation();
      ingest.handle(OBS_TOPIC, batch(next));
      expect(history().map((s) => s.observation.id)).toEqual([next.id]);
    },
  );

  it('keeps the good observations of a batch that also holds a bad one', () => {
    const good = bpObservation();
    const outcome = ingest.handle(OBS_TOPIC, batch(good, bpObservation({ systolic: 12 })));
    expect(outcome.observations.map((o) => o.observation.id)).toEqual([good.id]);
    expect(deadLetterCodes()).toEqual(['OUT_OF_RANGE']);
  });

  it('keeps rejected bytes that are not text as base64 so an operator sees them exactly', () => {
    ingest.handle(OBS_TOPIC, Buffer.from([0xff, 0x00, 0x01]));
    const [letter] = ctx.deadLetters.list({ limit: 1 });
    expect(letter!.payload).toBe('base64:/wAB');
    expect(letter!.payloadBytes).toBe(3);
  });

  it('does not move the latest reading backwards when an older one is replayed late', () => {
    const newer = bpObservation({ systolic: 150, measuredAt: '2026-11-20T10:00:00.000Z' });
    const older = bpObservation({ systolic: 120, measuredAt: '2026-11-20T08:00:00.000Z' });
    ingest.handle(OBS_TOPIC, batch(newer));
    ingest.handle(OBS_TOPIC, batch(older));
    const latest = ctx.observations.latestByPatient([patient]).get(patient)!;
    expect(latest.blood_pressure!.observation.id).toBe(newer.id);
    expect(history().map((s) => s.observation.id)).toEqual([older.id, newer.id]);
  });

  it('records device and gateway status', () => {
    const address = { site: 'site-a', gateway: 'gw-1' };
    const lastSeen = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    ingest.handle(
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
    const outcome = ingest.handle(
      gatewayTopic(address, Channel.status),
      Buffer.from(JSON.stringify({ v: 1, state: 'offline', at: lastSeen })),
    );
    expect(outcome.gatewayStatus).toMatchObject({
      gatewayId: 'site-a:gw-1',
      wardId: 'ward-a',
      status: { state: 'offline' },
    });
    const cuff = ctx.devices.list().find((d) => d.deviceId === 'aa:00:00:00:00:01')!;
    expect(cuff.status).toMatchObject({ connected: true, battery: { value: 64, unit: '%' } });
    expect(cuff.gatewayId).toBe('site-a:gw-1');
  });
});
