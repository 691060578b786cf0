import { describe, expect, it } from 'vitest';
import { bp, fall, iso, oximetry, temp } from '../testing/fixtures.js';
import { kindLabel, observationValue } from './observations.js';

describe('observationValue', () => {
  it('writes each kind with its units', () => {
    expect(observationValue(bp(iso(0), 132, 84, 68))).toBe('132/84 mmHg, pulse 68 bpm');
    expect(observationValue(oximetry(iso(0), 97))).toBe('97%');
    expect(observationValue(temp(iso(0), 37.24))).toBe('37.2 °C');
    expect(observationValue(fall(iso(0)))).toBe('Fall detected');
  });

  it('names kinds, and shows an unknown kind as it is', () => {
    expect(kindLabel('spo2')).toBe('Oxygen saturation');
    expect(kindLabel('future_kind')).toBe('future_kind');
  });
});
