/**
 * Test vectors for the Wardline Falls Event characteristic, format 1 (PROTOCOL.md §8). Layout:
 * format u8, event type u8, counter u16, time stamp u32 (Unix seconds, UTC), confidence u8.
 */
import { describe, expect, it } from 'vitest';
import { validateObservation } from '../../../validate.js';
import { fromHex, toHex } from '../../bytes.js';
import { decode, EVENT_TYPE_CODES, type FallsEvent } from './decode.js';
import { encode } from './encode.js';
import { eventHandler } from './index.js';
import { toObservations } from './observations.js';
import { decodeErrorCode, observationContext } from '../vectors-testing.js';

const TS_2025_03_01_08_30_15 = 1_740_817_815; // 0x67c2c597 -> "97c5c267"
const TS_2025_03_01_08_31_00 = 1_740_817_860; // 0x67c2c5c4 -> "c4c5c267"
const TS_2025_03_01_08_35_15 = 1_740_818_115; // 0x67c2c6c3 -> "c3c6c267"
const TS_2025_03_01_08_46_00 = 1_740_818_760; // 0x67c2c948 -> "48c9c267"

const FALL = '01012a0097c5c26757';
const HELP_BUTTON = '01022b00c4c5c267ff';
const HEARTBEAT = '01032c00c4c5c267ff';
const UPRIGHT = '0104310048c9c267ff'; // revision 1.1
const NO_MOVEMENT = '01053200c3c6c267ff'; // revision 1.1
const UPRIGHT_WITH_CONFIDENCE = '0104330048c9c26757'; // 87 %: ignored, only a fall carries one
const FALL_CLOCK_NOT_SET = '01012d000000000057';
const FALL_CLOCK_FROM_POWER_ON = '01012d0010270000ff'; // 10000 s after boot: before 2020 -> not set
const FALL_INVALID_CONFIDENCE = '01012e0097c5c267c8'; // 200 %
const UNKNOWN_EVENT_TYPE = '01072f0097c5c267ff';
const RESERVED_EVENT_TYPE_0 = '01002f0097c5c267ff';
const FUTURE_FORMAT = '0201300097c5c26757';
const TRUNCATED = '01012a0097c5';
const ONE_OCTET_TOO_MANY = '01012a0097c5c2675700';
const EMPTY = '';
/** Not this device: a Blood Pressure Measurement (flags 0x1e) sent to the falls decoder. */
const NOT_FALLS_BPM = '1e780050005d00e9070301081e0f4800030c00';

const context = () => observationContext('c0:ff:ee:02:00:01', 7, '0e4b8f9a-3c2d-4e1f-9a8b-7c6d5e4f3a2b');

const decodeError = (hex: string) => decodeErrorCode(decode, hex);

describe('Falls Event vectors', () => {
  it('fall', () => {
    const e = decode(fromHex(FALL));
    expect(e.type).toBe('fall');
    expect(e.counter).toBe(42);
    expect(e.timestamp).toBe(TS_2025_03_01_08_30_15); // s since Unix epoch, UTC
    expect(e.confidence).toBe(87); // %
  });

  it('help button', () => {
    const e = decode(fromHex(HELP_BUTTON));
    expect(e.type).toBe('help_button');
    expect(e.counter).toBe(43);
    expect(e.timestamp).toBe(TS_2025_03_01_08_31_00); // s since Unix epoch, UTC
    expect(e.confidence).toBeNull(); // 0xFF: not available
  });

  it('heartbeat', () => {
    const e = decode(fromHex(HEARTBEAT));
    expect(e.type).toBe('heartbeat');
    expect(e.counter).toBe(44);
    expect(e.timestamp).toBe(TS_2025_03_01_08_31_00); // s since Unix epoch, UTC
    expect(e.confidence).toBeNull();
  });

  it('upright (revision 1.1)', () => {
    const e = decode(fromHex(UPRIGHT));
    expect(e).toEqual({ type: 'upright', counter: 49, timestamp: TS_2025_03_01_08_46_00, confidence: null });
  });

  it('no movement (revision 1.1)', () => {
    const e = decode(fromHex(NO_MOVEMENT));
    expect(e).toEqual({
      type: 'no_movement',
      counter: 50,
      timestamp: TS_2025_03_01_08_35_15,
      confidence: null,
    });
  });

  it.each([
    ['help button', '01022b00c4c5c26757'],
    ['heartbeat', '01032c00c4c5c26757'],
    ['upright', UPRIGHT_WITH_CONFIDENCE],
    ['no movement', '01053200c3c6c26764'], // 100 %
  ])("ignores a %s's confidence octet: only a fall carries one (§3.5)", (_name, hex) => {
    expect(decode(fromHex(hex)).confidence).toBeNull();
    expect(decode(fromHex(FALL)).confidence).toBe(87); // the same octet on a fall is kept
  });

  it('the event types are 0x01-0x05: 0x06, the first reserved value, is rejected', () => {
    expect(Object.values(EVENT_TYPE_CODES).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(decodeError('01062f0097c5c267ff')).toBe('UNKNOWN_EVENT_TYPE');
  });

  it('clock not set: time stamp null, never 1970', () => {
    expect(decode(fromHex(FALL_CLOCK_NOT_SET)).timestamp).toBeNull();
    expect(decode(fromHex(FALL_CLOCK_FROM_POWER_ON)).timestamp).toBeNull();
  });

  it('invalid confidence decodes to null, never 0', () => {
    expect(decode(fromHex(FALL_INVALID_CONFIDENCE)).confidence).toBeNull();
  });

  it.each([
    ['empty value', EMPTY, 'TRUNCATED'],
    ['truncated', TRUNCATED, 'TRUNCATED'],
    ['one octet too many', ONE_OCTET_TOO_MANY, 'INCONSISTENT_LENGTH'],
    ['unknown event type', UNKNOWN_EVENT_TYPE, 'UNKNOWN_EVENT_TYPE'],
    ['reserved event type 0', RESERVED_EVENT_TYPE_0, 'UNKNOWN_EVENT_TYPE'],
    ['future format', FUTURE_FORMAT, 'UNSUPPORTED_FORMAT'],
    ['not this device (a blood pressure measurement)', NOT_FALLS_BPM, 'UNSUPPORTED_FORMAT'],
  ])('rejects %s with a coded error', (_name, hex, code) => {
    expect(decodeError(hex)).toBe(code);
  });

  it('encodes the vectors octet for octet and round-trips', () => {
    for (const hex of [FALL, HELP_BUTTON, HEARTBEAT, UPRIGHT, NO_MOVEMENT, FALL_CLOCK_NOT_SET]) {
      expect(toHex(encode(decode(fromHex(hex))))).toBe(hex);
    }
    const events: FallsEvent[] = [
      { type: 'fall', counter: 0, timestamp: null, confidence: 0 },
      { type: 'fall', counter: 65535, timestamp: 4_294_967_295, confidence: 100 },
      { type: 'help_button', counter: 1, timestamp: TS_2025_03_01_08_30_15, confidence: null },
      { type: 'heartbeat', counter: 2, timestamp: TS_2025_03_01_08_31_00, confidence: null },
      { type: 'upright', counter: 3, timestamp: TS_2025_03_01_08_46_00, confidence: null },
      { type: 'no_movement', counter: 4, timestamp: null, confidence: null },
    ];
    for (const event of events) expect(decode(encode(event))).toEqual(event);
  });

  it('exposes the event counter for gap detection', () => {
    expect(eventHandler.eventCounter?.(decode(fromHex(FALL)))).toEqual({ value: 42, modulo: 65536 });
  });
});

describe('Falls Event to observations', () => {
  it('fall -> kind fall with confidence in %, device time', () => {
    const { observations, problems } = toObservations(decode(fromHex(FALL)), context());
    expect(problems).toEqual([]);
    const [obs] = observations;
    expect(obs?.kind).toBe('fall');
    expect(obs?.measuredAt).toBe('2025-03-01T08:30:15Z');
    expect(obs?.seq).toBe(7);
    expect(obs?.values).toEqual({ confidence: { value: 87, unit: '%' } });
    expect(validateObservation(obs).ok).toBe(true);
  });

  it('help button -> kind help_request', () => {
    const [obs] = toObservations(decode(fromHex(HELP_BUTTON)), context()).observations;
    expect(obs?.kind).toBe('help_request');
    expect(obs?.measuredAt).toBe('2025-03-01T08:31:00Z');
    expect(obs?.values).toEqual({});
    expect(validateObservation(obs).ok).toBe(true);
  });

  it.each([
    ['upright', UPRIGHT, 'upright', '2025-03-01T08:46:00Z'],
    ['no movement', NO_MOVEMENT, 'no_movement', '2025-03-01T08:35:15Z'],
    ['upright sent with a confidence', UPRIGHT_WITH_CONFIDENCE, 'upright', '2025-03-01T08:46:00Z'],
  ])('%s -> kind %s, empty values, device time', (_name, hex, kind, measuredAt) => {
    const { observations, problems } = toObservations(decode(fromHex(hex)), context());
    expect(problems).toEqual([]);
    expect(observations).toHaveLength(1);
    const [obs] = observations;
    expect(obs?.kind).toBe(kind);
    expect(obs?.measuredAt).toBe(measuredAt);
    expect(obs?.values).toEqual({});
    expect(validateObservation(obs).ok).toBe(true);
  });

  it('heartbeat -> no observation', () => {
    expect(toObservations(decode(fromHex(HEARTBEAT)), context())).toEqual({ observations: [], problems: [] });
  });

  it('a fall is never dropped for an auxiliary field: bad confidence is omitted, unset clock reported', () => {
    const bad = toObservations(decode(fromHex(FALL_INVALID_CONFIDENCE)), context());
    expect(bad.observations[0]?.kind).toBe('fall');
    expect(bad.observations[0]?.values).toEqual({});
    const unset = toObservations(decode(fromHex(FALL_CLOCK_NOT_SET)), context());
    expect(unset.observations[0]?.kind).toBe('fall');
    expect(unset.observations[0]?.measuredAt).toBe('2025-03-01T09:00:00.000Z');
    expect(unset.problems.map((p) => p.code)).toEqual(['INVALID_TIMESTAMP']);
    expect(validateObservation(unset.observations[0]).ok).toBe(true);
  });
});
