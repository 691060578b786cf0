import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES } from './codes.js';
import { fahrenheitToCelsius, kpaToMmHg } from './units.js';
import {
  decodeJsonPayload,
  parseDeviceStatusBatch,
  parseGatewayStatus,
  parseObservationBatch,
  validateObservation,
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

function codeOf(raw: unknown): string {
  const result = validateObservation(raw, { now: NOW });
  return result.ok ? 'OK' : result.rejection.code;
}

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
});

describe('unit conversions', () => {
  it('converts kPa to mmHg and Fahrenheit to Celsius', () => {
    expect(kpaToMmHg(16)).toBe(120);
    expect(kpaToMmHg(10.7)).toBe(80.3);
    expect(fahrenheitToCelsius(98.6)).toBe(37);
    expect(fahrenheitToCelsius(104)).toBe(40);
  });
});
