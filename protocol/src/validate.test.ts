import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, MAX_MEASUREMENT_AGE_MS, MAX_PAYLOAD_BYTES, MAX_SEQ } from './codes.js';
import { DEVICE_ID_PATTERN, SEGMENT_PATTERN, UUID_PATTERN } from './ids.js';
import { parseUplinkTopic } from './topics.js';
import { fahrenheitToCelsius, kpaToMmHg } from './units.js';
import {
  checkDeviceStatus,
  decodeJsonPayload,
  parseDeviceStatusBatch,
  parseGatewayStatus,
  parseObservationBatch,
  validateObservation,
  type ValidationOptions,
} from './validate.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const base = {
  id: '0b7d8f5e-4a3c-4d2e-9f10-1a2b3c4d5e6f',
  deviceId: 'c0:ff:ee:00:00:01',
  measuredAt: '2026-11-21T11:58:00Z',
  seq: 7,
};
const bp = {
  ...base,
  kind: 'blood_pressure',
  values: { systolic: { value: 138, unit: 'mmHg' }, diastolic: { value: 88, unit: 'mmHg' } },
};

function codeOf(raw: unknown, options: ValidationOptions = {}): string {
  const result = validateObservation(raw, { now: NOW, ...options });
  return result.ok ? 'OK' : result.rejection.code;
}
const DAY = 24 * 3600 * 1000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('observation validation', () => {
  it('accepts each kind in its canonical units', () => {
    const valid = [
      bp,
      {
        ...base,
        kind: 'spo2',
        values: { spo2: { value: 94, unit: '%' }, pulseRate: { value: 88, unit: 'bpm' } },
      },
      {
        ...base,
        kind: 'body_temperature',
        values: { temperature: { value: 37.8, unit: '°C' }, site: 'ear' },
      },
      {
        ...base,
        kind: 'heart_rate',
        values: { heartRate: { value: 61, unit: 'bpm' }, rrIntervals: { value: [980], unit: 'ms' } },
      },
      { ...base, kind: 'respiration_rate', values: { respirationRate: { value: 18, unit: '/min' } } },
      { ...base, kind: 'fall', values: { confidence: { value: 92, unit: '%' } } },
      { ...base, kind: 'help_request', values: {} },
    ];
    for (const raw of valid) expect(codeOf(raw), raw.kind).toBe('OK');
  });

  it.each([
    ['WRONG_UNIT', { ...bp, values: { ...bp.values, systolic: { value: 18.4, unit: 'kPa' } } }],
    [
      'WRONG_UNIT',
      { ...base, kind: 'body_temperature', values: { temperature: { value: 99.1, unit: '°F' } } },
    ],
    ['OUT_OF_RANGE', { ...bp, values: { ...bp.values, diastolic: { value: 0, unit: 'mmHg' } } }],
    ['OUT_OF_RANGE', { ...base, kind: 'spo2', values: { spo2: { value: 101, unit: '%' } } }],
    ['UNKNOWN_KIND', { ...bp, kind: 'glucose' }],
    ['SCHEMA_VIOLATION', { ...bp, values: { systolic: { value: 120, unit: 'mmHg' } } }],
    ['SCHEMA_VIOLATION', { ...bp, values: { ...bp.values, systolic: { value: null, unit: 'mmHg' } } }],
    ['SCHEMA_VIOLATION', { ...bp, measuredAt: '2026-11-21T11:58:00+01:00' }],
    ['SCHEMA_VIOLATION', { ...bp, measuredAt: '2026-02-31T11:58:00Z' }],
    ['SCHEMA_VIOLATION', { ...bp, id: 'not-a-uuid' }],
    ['SCHEMA_VIOLATION', { ...bp, deviceId: 'wardline/v1/#' }],
    ['SCHEMA_VIOLATION', { ...bp, patientName: 'Ada' }],
    ['SCHEMA_VIOLATION', 'a string'],
    ['TIMESTAMP_IN_FUTURE', { ...bp, measuredAt: '2026-11-21T12:06:00Z' }],
  ])('rejects with %s', (code, raw) => {
    expect(codeOf(raw)).toBe(code);
  });

  it('allows a gateway clock a little ahead of the server', () => {
    expect(codeOf({ ...bp, measuredAt: '2026-11-21T12:04:00Z' })).toBe('OK');
  });

  it.each([
    ['1970-01-01T00:00:00Z', 'TIMESTAMP_TOO_OLD'],
    ['0001-01-01T00:00:00Z', 'TIMESTAMP_TOO_OLD'],
    [iso(NOW - MAX_MEASUREMENT_AGE_MS - 1000), 'TIMESTAMP_TOO_OLD'],
    [iso(NOW - MAX_MEASUREMENT_AGE_MS + 60_000), 'OK'],
    [iso(NOW - 7 * DAY), 'OK'],
  ])('refuses a measurement time older than the outbox can hold: %s is %s', (measuredAt, code) => {
    expect(codeOf({ ...bp, measuredAt })).toBe(code);
    // Without a reference clock (fixed vectors) only the shape is checked.
    expect(validateObservation({ ...bp, measuredAt }).ok).toBe(true);
  });

  it.each([
    [1e20, 'SEQ_IMPLAUSIBLE'],
    [MAX_SEQ + 1, 'SEQ_IMPLAUSIBLE'],
    [Number.MAX_SAFE_INTEGER, 'SEQ_IMPLAUSIBLE'],
    [MAX_SEQ, 'OK'],
    [0, 'OK'],
    [-1, 'SCHEMA_VIOLATION'],
    [1.5, 'SCHEMA_VIOLATION'],
  ])('bounds the sequence number: %s is %s', (seq, code) => {
    expect(codeOf({ ...bp, seq })).toBe(code);
  });

  it('takes only falls and help calls on the urgent lane', () => {
    const fall = { ...base, kind: 'fall', values: { confidence: { value: 92, unit: '%' } } };
    const help = { ...base, kind: 'help_request', values: {} };
    expect(codeOf(bp, { urgentOnly: true })).toBe('NOT_URGENT_KIND');
    expect(
      codeOf({ ...base, kind: 'spo2', values: { spo2: { value: 94, unit: '%' } } }, { urgentOnly: true }),
    ).toBe('NOT_URGENT_KIND');
    expect(codeOf(fall, { urgentOnly: true })).toBe('OK');
    expect(codeOf(help, { urgentOnly: true })).toBe('OK');
    expect(codeOf(bp)).toBe('OK');
    // Each observation of an urgent batch is judged on its own: the fall stays.
    const parsed = parseObservationBatch(
      { v: 1, sentAt: '2026-11-21T11:59:00Z', observations: [bp, fall] },
      { now: NOW, urgentOnly: true },
    );
    expect(
      parsed.ok && parsed.value.results.map((r) => (r.result.ok ? 'OK' : r.result.rejection.code)),
    ).toEqual(['NOT_URGENT_KIND', 'OK']);
  });

  it.each([
    ['Cyrillic a (homoglyph)', 'c0:ff:ee:00:00:0\u0430'],
    ['NUL', 'c0:ff:ee:00\u0000:01'],
    ['right-to-left override', 'c0:ff:ee:\u202e10:00:00'],
    ['zero-width space', 'c0:ff:ee:00:00:01\u200b'],
    ['fullwidth digit', 'c0:ff:ee:00:00:\uff10\uff11'],
    ['combining accent', 'c0:ff:ee:00:00:01\u0301'],
    ['trailing newline', 'c0:ff:ee:00:00:01\n'],
    ['leading separator', ':c0:ff:ee:00:00:01'],
    ['65 characters', 'a'.repeat(65)],
    ['a topic wildcard', 'c0/ff/#'],
  ])('refuses a device id with %s', (_what, deviceId) => {
    expect(codeOf({ ...bp, deviceId })).toBe('SCHEMA_VIOLATION');
    expect(new RegExp(DEVICE_ID_PATTERN).test(deviceId)).toBe(false);
    expect(new RegExp(DEVICE_ID_PATTERN, 'u').test(deviceId)).toBe(false);
  });

  it('refuses look-alike observation ids, site codes and gateway codes', () => {
    const uuid = new RegExp(UUID_PATTERN);
    expect(uuid.test(base.id)).toBe(true);
    for (const lookalike of [
      base.id.replace('e', '\u0435'), // Cyrillic e
      base.id.toUpperCase(),
      `${base.id}\u0000`,
      `\u202e${base.id}`,
      base.id.replace('-', '\u2010'), // hyphen
    ]) {
      expect(uuid.test(lookalike), lookalike).toBe(false);
      expect(codeOf({ ...bp, id: lookalike }), lookalike).toBe('SCHEMA_VIOLATION');
    }
    const segment = new RegExp(SEGMENT_PATTERN);
    for (const code of ['site-\u0430', 'site\u0000', 'gw\u202e1', 'GW-1', 'gw 1', 'gw-1\n']) {
      expect(segment.test(code), code).toBe(false);
      expect(parseUplinkTopic(`wardline/v1/${code}/gw-1/obs`), code).toBeNull();
      expect(parseUplinkTopic(`wardline/v1/site-a/${code}/obs`), code).toBeNull();
    }
  });
});

describe('payload decoding', () => {
  it('rejects oversize, non-UTF-8 and non-JSON payloads with their codes', () => {
    const big = decodeJsonPayload(new Uint8Array(MAX_PAYLOAD_BYTES + 1));
    expect(big.ok ? null : big.rejection.code).toBe('PAYLOAD_TOO_LARGE');
    const binary = decodeJsonPayload(new Uint8Array([0xc3, 0x28]));
    expect(binary.ok ? null : binary.rejection.code).toBe('MALFORMED_JSON');
    const text = decodeJsonPayload('{"v":');
    expect(text.ok ? null : text.rejection.code).toBe('MALFORMED_JSON');
  });

  it('refuses JSON nested deeper than any contract payload before parsing it', () => {
    const code = (payload: string) => {
      const r = decodeJsonPayload(Buffer.from(payload));
      return r.ok ? 'OK' : r.rejection.code;
    };
    // 100,000 levels in 200 KB: under the size limit, and enough to overflow JSON.parse's stack.
    const attack = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(attack.length).toBeLessThan(MAX_PAYLOAD_BYTES);
    expect(code(attack)).toBe('NESTING_TOO_DEEP');
    expect(code('{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1))).toBe(
      'NESTING_TOO_DEEP',
    );
    expect(code('{"a":'.repeat(MAX_JSON_DEPTH) + '1' + '}'.repeat(MAX_JSON_DEPTH))).toBe('OK');
    // The deepest contract payload (batch > observations > item > values > rrIntervals > value).
    const deepest = {
      v: 1,
      sentAt: '2026-11-21T11:59:00Z',
      observations: [
        {
          ...base,
          kind: 'heart_rate',
          values: { heartRate: { value: 61, unit: 'bpm' }, rrIntervals: { value: [980, 1010], unit: 'ms' } },
        },
      ],
    };
    expect(code(JSON.stringify(deepest))).toBe('OK');
  });

  it('refuses an oversize batch by its count, before looking at any item', () => {
    let touched = 0;
    const trap = new Proxy({}, { get: () => touched++, has: () => (touched++, false) });
    const observations = Array<unknown>(100_000).fill(trap);
    const batch = parseObservationBatch({ v: 1, sentAt: '2026-11-21T11:59:00Z', observations }, { now: NOW });
    expect(batch.ok ? 'OK' : batch.rejection.code).toBe('SCHEMA_VIOLATION');
    const devices = parseDeviceStatusBatch({ v: 1, devices: Array<unknown>(100_000).fill(trap) });
    expect(devices.ok ? 'OK' : devices.rejection.code).toBe('SCHEMA_VIOLATION');
    expect(touched).toBe(0);
  });

  it('checks each observation of a batch on its own', () => {
    const parsed = parseObservationBatch(
      { v: 1, sentAt: '2026-11-21T11:59:00Z', observations: [bp, { ...bp, kind: 'glucose' }] },
      { now: NOW },
    );
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.results.map((r) => (r.result.ok ? 'OK' : r.result.rejection.code))).toEqual([
      'OK',
      'UNKNOWN_KIND',
    ]);
  });

  it('rejects whole batches of another version, empty or oversize batches', () => {
    const code = (json: unknown) => {
      const r = parseObservationBatch(json);
      return r.ok ? 'OK' : r.rejection.code;
    };
    expect(code({ v: 2, sentAt: '2026-11-21T11:59:00Z', observations: [bp] })).toBe('UNSUPPORTED_VERSION');
    expect(code({ v: 1, sentAt: '2026-11-21T11:59:00Z', observations: [] })).toBe('SCHEMA_VIOLATION');
    expect(code({ v: 1, sentAt: '2026-11-21T11:59:00Z', observations: Array(501).fill(bp) })).toBe(
      'SCHEMA_VIOLATION',
    );
  });

  it('validates device and gateway status', () => {
    const device = { deviceId: 'c0:ff:ee:00:00:01', connected: true, lastSeen: '2026-11-21T11:59:00Z' };
    expect(
      parseDeviceStatusBatch({ v: 1, devices: [{ ...device, battery: { value: 80, unit: '%' } }] }).ok,
    ).toBe(true);
    expect(
      parseDeviceStatusBatch({ v: 1, devices: [{ ...device, battery: { value: 180, unit: '%' } }] }).ok,
    ).toBe(false);
    expect(parseGatewayStatus({ v: 1, state: 'offline', at: '2026-11-21T11:59:00Z' }).ok).toBe(true);
    expect(parseGatewayStatus({ v: 1, state: 'asleep', at: '2026-11-21T11:59:00Z' }).ok).toBe(false);
  });

  it('holds a device status time to the clock like a measurement time', () => {
    const device = { deviceId: 'c0:ff:ee:00:00:01', connected: true, lastSeen: '2026-11-21T11:59:00Z' };
    const code = (lastSeen: string) => {
      const r = checkDeviceStatus({ ...device, lastSeen }, { now: NOW });
      return r.ok ? 'OK' : r.rejection.code;
    };
    expect(code('2026-11-21T11:59:00Z')).toBe('OK');
    expect(code('2026-11-21T12:30:00Z')).toBe('TIMESTAMP_IN_FUTURE');
    expect(code('1970-01-01T00:00:00Z')).toBe('TIMESTAMP_TOO_OLD');
    expect(code('0001-01-01T00:00:00Z')).toBe('TIMESTAMP_TOO_OLD');
    expect(code('2026-02-31T11:59:00Z')).toBe('SCHEMA_VIOLATION');
  });

  it('keeps a gateway status from long ago (a retained status or last will carries its connect time)', () => {
    expect(parseGatewayStatus({ v: 1, state: 'offline', at: '2025-01-02T03:04:05Z' }).ok).toBe(true);
    const impossible = parseGatewayStatus({ v: 1, state: 'offline', at: '2026-02-31T11:59:00Z' });
    expect(impossible.ok ? 'OK' : impossible.rejection.code).toBe('SCHEMA_VIOLATION');
  });
});

describe('unit conversions', () => {
  it('converts kPa to mmHg and Fahrenheit to Celsius', () => {
    expect(kpaToMmHg(16)).toBe(120);
    expect(kpaToMmHg(10.7)).toBe(80.3);
    expect(fahrenheitToCelsius(98.6)).toBe(37);
    expect(fahrenheitToCelsius(104)).toBe(40);
  });
});
