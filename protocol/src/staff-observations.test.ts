import { describe, expect, it } from 'vitest';
import { validateObservation } from './validate.js';

const base = {
  id: '0b7d8f5e-4a3c-4d2e-9f10-1a2b3c4d5e6f',
  deviceId: 'staff:nurse',
  measuredAt: '2026-11-21T11:58:00Z',
  seq: 0,
};
const codeOf = (raw: unknown) => {
  const result = validateObservation(raw, { now: Date.parse('2026-11-21T12:00:00Z') });
  return result.ok ? 'OK' : result.rejection.code;
};

describe('staff-entered NEWS2 observations', () => {
  it.each([
    ['OK', { kind: 'consciousness', values: { acvpu: 'A' } }],
    ['OK', { kind: 'consciousness', values: { acvpu: 'C' } }],
    ['OK', { kind: 'inspired_oxygen', values: { onOxygen: false } }],
    ['OK', { kind: 'inspired_oxygen', values: { onOxygen: true, flowRate: { value: 2, unit: 'L/min' } } }],
    ['SCHEMA_VIOLATION', { kind: 'consciousness', values: { acvpu: 'X' } }],
    ['SCHEMA_VIOLATION', { kind: 'consciousness', values: {} }],
    ['SCHEMA_VIOLATION', { kind: 'inspired_oxygen', values: { onOxygen: 'yes' } }],
    [
      'WRONG_UNIT',
      { kind: 'inspired_oxygen', values: { onOxygen: true, flowRate: { value: 2, unit: '%' } } },
    ],
    [
      'OUT_OF_RANGE',
      { kind: 'inspired_oxygen', values: { onOxygen: true, flowRate: { value: 90, unit: 'L/min' } } },
    ],
  ])('%s: %j', (code, raw) => {
    expect(codeOf({ ...base, ...raw })).toBe(code);
  });
});
