import {
  battery,
  bloodPressure,
  dateTimeFromDate,
  falls,
  fromHex,
  validateObservation,
  type CharacteristicHandler,
} from '@wardline/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeviceRegistry } from './devices.js';
import { Dispatcher } from './dispatch.js';
import { silentLogger } from './logger.js';
import { MemoryOutbox } from './queue.js';
import { MemorySequence } from './sequence.js';

const NOW = Date.parse('2025-03-01T09:00:00Z');
const CUFF = 'c0:ff:ee:01:00:01';
const SENSOR = 'c0:ff:ee:02:00:01';
const BPS = bloodPressure.BLOOD_PRESSURE_SERVICE_UUID;
const BPM = bloodPressure.BLOOD_PRESSURE_MEASUREMENT_UUID;
const FS = falls.FALLS_SERVICE_UUID;
const FE = falls.FALLS_EVENT_UUID;

const BPM_120_80_AT_0830 = fromHex('1e780050005d00e9070301081e0f4800030c00');
const BPM_TRUNCATED = fromHex('02780050005d00e907');
const BPM_RESERVED_FLAGS = fromHex('20780050005d00');
const BPM_SYSTOLIC_NAN = fromHex('00ff0750005d00');

function bpm(systolic: number, at?: string): Uint8Array {
  const m: bloodPressure.BloodPressureMeasurement = {
    unit: 'mmHg',
    systolic,
    diastolic: 80,
    meanArterial: 95,
  };
  if (at) m.timestamp = dateTimeFromDate(new Date(at));
  return bloodPressure.encode(m);
}

function fallEvent(counter: number, type: falls.FallsEventType = 'fall'): Uint8Array {
  return falls.encode({ type, counter, timestamp: NOW / 1000 - 60, confidence: type === 'fall' ? 90 : null });
}

let now: number;
let outbox: MemoryOutbox;
let devices: DeviceRegistry;
let dispatcher: Dispatcher;
let kicks: number;

function make(handlerFor?: (uuid: string) => CharacteristicHandler | undefined) {
  now = NOW;
  outbox = new MemoryOutbox();
  devices = new DeviceRegistry(() => now);
  kicks = 0;
  dispatcher = new Dispatcher({
    outbox,
    sequence: new MemorySequence(),
    devices,
    logger: silentLogger,
    now: () => now,
    onQueued: () => kicks++,
    ...(handlerFor ? { handlerFor } : {}),
  });
}

const lastError = (id: string) => devices.snapshot().find((d) => d.deviceId === id)?.lastError;

describe('dispatch', () => {
  beforeEach(() => make());

  it('decodes a cuff indication into a contract-valid observation and queues it', () => {
    const outcome = dispatcher.handle(CUFF, BPS, BPM, BPM_120_80_AT_0830);
    expect(outcome.status).toBe('queued');
    expect(outcome.problems).toEqual([]);
    const [obs] = outbox.peekBatch(10);
    expect(obs).toEqual(outcome.observations[0]);
    expect(validateObservation(obs).ok).toBe(true);
    expect(obs?.seq).toBe(0);
    expect(obs?.measuredAt).toBe('2025-03-01T08:30:15Z');
    expect(obs?.values).toMatchObject({ systolic: { value: 120, unit: 'mmHg' } });
    expect(kicks).toBe(1);
    expect(devices.snapshot()[0]).toMatchObject({ deviceId: CUFF, lastSeen: '2025-03-01T09:00:00.000Z' });
  });

  it('numbers observations per gateway, by one, across devices', () => {
    const outcomes = [
      dispatcher.handle(CUFF, BPS, BPM, bpm(120)),
      dispatcher.handle(SENSOR, FS, FE, fallEvent(1)),
      dispatcher.handle('c0:ff:ee:01:00:02', BPS, BPM, bpm(130)),
    ];
    expect(outcomes.flatMap((o) => o.observations.map((obs) => obs.seq))).toEqual([0, 1, 2]);
    expect(outbox.size()).toBe(3);
  });

  it.each([
    ['TRUNCATED', BPM_TRUNCATED],
    ['RESERVED_FLAGS', BPM_RESERVED_FLAGS],
    ['TRUNCATED', new Uint8Array()],
  ])('bad bytes (%s) are counted and reported on the device, not thrown', (code, bytes) => {
    const outcome = dispatcher.handle(CUFF, BPS, BPM, bytes);
    expect(outcome.status).toBe('decode_error');
    expect(outcome.problems.map((p) => p.code)).toEqual([code]);
    expect(dispatcher.stats().decodeErrors).toEqual({ [code]: 1 });
    expect(lastError(CUFF)).toBe(code);
    expect(outbox.size()).toBe(0);
  });

  it('survives any bytes on any characteristic', () => {
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const targets = [
      [BPS, BPM],
      [FS, FE],
      [battery.BATTERY_SERVICE_UUID, battery.BATTERY_LEVEL_UUID],
    ] as const;
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(random() * 24) }, () => Math.floor(random() * 256));
      const [service, characteristic] = targets[i % 3] as readonly [string, string];
      expect(() => dispatcher.handle(CUFF, service, characteristic, bytes)).not.toThrow();
    }
    for (const obs of outbox.peekBatch(500)) expect(validateObservation(obs).ok).toBe(true);
    expect(dispatcher.stats().internalErrors).toBe(0);
  });

  it('a missing systolic: no observation, MISSING_VALUE on the device', () => {
    const outcome = dispatcher.handle(CUFF, BPS, BPM, BPM_SYSTOLIC_NAN);
    expect(outcome.status).toBe('no_observation');
    expect(outcome.problems.map((p) => p.code)).toEqual(['MISSING_VALUE']);
    expect(dispatcher.stats().problems).toEqual({ MISSING_VALUE: 1 });
    expect(lastError(CUFF)).toBe('MISSING_VALUE');
  });

  it('an observation failing the contract is rejected with its code and leaves no sequence gap', () => {
    const outcome = dispatcher.handle(CUFF, BPS, BPM, bpm(400)); // systolic above 300 mmHg
    expect(outcome.status).toBe('rejected');
    expect(outcome.problems.map((p) => p.code)).toEqual(['OUT_OF_RANGE']);
    expect(dispatcher.stats().observationsRejected).toEqual({ OUT_OF_RANGE: 1 });
    expect(lastError(CUFF)).toBe('OUT_OF_RANGE');
    dispatcher.handle(CUFF, BPS, BPM, bpm(120));
    expect(outbox.peekBatch(10).map((o) => o.seq)).toEqual([0]);
  });

  it('a device clock far ahead: the reading is kept with the receive time and the fault reported', () => {
    const outcome = dispatcher.handle(CUFF, BPS, BPM, bpm(120, '2025-03-01T10:00:00Z'));
    expect(outcome.status).toBe('queued');
    expect(outcome.observations[0]?.measuredAt).toBe('2025-03-01T09:00:00.000Z');
    expect(lastError(CUFF)).toBe('DEVICE_CLOCK_AHEAD');
  });

  it('keeps a fall whose sensor clock was reset, at the receive time, and says so', () => {
    // A year behind: a sensor whose clock was set wrongly, not an unset one (PROTOCOL.md's 0).
    const resetClock = falls.encode({
      type: 'fall',
      counter: 7,
      timestamp: NOW / 1000 - 365 * 86400,
      confidence: 90,
    });
    const outcome = dispatcher.handle(SENSOR, FS, FE, resetClock);
    expect(outcome.status).toBe('queued');
    expect(outcome.observations[0]?.kind).toBe('fall');
    expect(outcome.observations[0]?.measuredAt).toBe('2025-03-01T09:00:00.000Z');
    expect(lastError(SENSOR)).toBe('DEVICE_CLOCK_BEHIND');
  });

  it('refuses a routine reading dated before the contract allows, visibly on the device', () => {
    const outcome = dispatcher.handle(CUFF, BPS, BPM, bpm(120, '2000-01-01T00:05:00Z'));
    expect(outcome.observations).toEqual([]);
    expect(outbox.size()).toBe(0);
    expect(lastError(CUFF)).toBe('TIMESTAMP_TOO_OLD');
  });

  it('ignores characteristics it has no handler for, without blaming the device', () => {
    // Glucose Measurement (GLS): no profile folder for it.
    const outcome = dispatcher.handle(CUFF, '1808', '2a18', fromHex('00'));
    expect(outcome.status).toBe('unhandled');
    expect(dispatcher.stats().unhandled).toBe(1);
    expect(lastError(CUFF)).toBeUndefined();
  });

  it('refuses device ids outside the contract pattern', () => {
    expect(dispatcher.handle('bad id!', BPS, BPM, bpm(120)).status).toBe('invalid_device');
    expect(dispatcher.stats().invalidDeviceIds).toBe(1);
    expect(devices.size()).toBe(0);
  });

  it.each([
    ['fall', 'fall'],
    ['help_button', 'help_request'],
    ['upright', 'upright'],
    ['no_movement', 'no_movement'],
  ] as const)(
    'merges the repeats of a %s event (PROTOCOL.md §5), queued once as %s ahead of a routine backlog',
    (type, kind) => {
      for (let systolic = 120; systolic < 125; systolic++) dispatcher.handle(CUFF, BPS, BPM, bpm(systolic));
      for (let i = 0; i < 3; i++) {
        expect(dispatcher.handle(SENSOR, FS, FE, fallEvent(5, type)).status).toBe(
          i === 0 ? 'queued' : 'duplicate',
        );
        now += 1000;
      }
      expect(dispatcher.stats()).toMatchObject({ observationsQueued: 6, duplicates: 2 });
      expect(outbox.stats().urgentPending).toBe(1);
      expect(outbox.peekBatch(10).map((o) => o.kind)).toEqual([kind]); // overtakes the five readings
    },
  );

  it('reports a jump in the falls event counter as EVENT_GAP', () => {
    dispatcher.handle(SENSOR, FS, FE, fallEvent(1, 'heartbeat'));
    dispatcher.handle(SENSOR, FS, FE, fallEvent(2, 'heartbeat'));
    expect(lastError(SENSOR)).toBeUndefined();
    dispatcher.handle(SENSOR, FS, FE, fallEvent(6, 'help_button'));
    expect(lastError(SENSOR)).toBe('EVENT_GAP');
    expect(outbox.peekBatch(10).map((o) => o.kind)).toEqual(['help_request']); // still delivered
    dispatcher.handle(SENSOR, FS, FE, fallEvent(65535, 'heartbeat'));
    dispatcher.handle(SENSOR, FS, FE, fallEvent(0, 'heartbeat')); // wrap is not a gap
    expect(dispatcher.stats().problems).toEqual({ EVENT_GAP: 2 });
  });

  it('a heartbeat only updates lastSeen', () => {
    now = NOW + 5000;
    expect(dispatcher.handle(SENSOR, FS, FE, fallEvent(9, 'heartbeat')).status).toBe('no_observation');
    expect(devices.snapshot()[0]?.lastSeen).toBe('2025-03-01T09:00:05.000Z');
    expect(outbox.size()).toBe(0);
  });

  it('battery levels become device status; a reserved level is a reported problem', () => {
    const bas = [battery.BATTERY_SERVICE_UUID, battery.BATTERY_LEVEL_UUID] as const;
    dispatcher.handle(SENSOR, ...bas, Uint8Array.of(64));
    expect(devices.snapshot()[0]?.battery).toEqual({ value: 64, unit: '%' });
    dispatcher.handle(SENSOR, ...bas, Uint8Array.of(200));
    expect(devices.snapshot()[0]?.battery).toEqual({ value: 64, unit: '%' });
    expect(lastError(SENSOR)).toBe('INVALID_VALUE');
  });

  it('contains a bug in a handler: counted as INTERNAL_ERROR, never thrown', () => {
    make(() => ({
      profile: 'broken',
      name: 'Broken',
      serviceUuid: 'ffff',
      uuid: 'fffe',
      decode: () => {
        throw new TypeError('boom');
      },
    }));
    expect(dispatcher.handle(CUFF, 'ffff', 'fffe', Uint8Array.of(1)).status).toBe('internal_error');
    expect(dispatcher.stats().internalErrors).toBe(1);
    expect(lastError(CUFF)).toBe('INTERNAL_ERROR');
  });

  it('keeps one observation a minute from a streaming heart rate sensor, and every one after a gap', () => {
    const HRM = fromHex('0648'); // 72 bpm, contact detected
    const send = () => dispatcher.handle('c0:ff:ee:04:00:01', '180d', '2a37', HRM).status;
    expect(send()).toBe('queued');
    now += 1000;
    expect(send()).toBe('sampled_out');
    now += 59_000;
    expect(send()).toBe('queued');
    expect(outbox.size()).toBe(2);
    expect(dispatcher.stats().sampledOut).toBe(1);
  });
});
