import { describe, expect, it } from 'vitest';
import { QUALITY_FLAGS, type Observation } from '@wardline/protocol';
import { bed, bp, heartRate, iso, oximetry } from '../testing/fixtures.js';
import { MINUTE } from './time.js';
import { latestQualityNotes, qualityNotes, QUALITY_TEXT } from './quality.js';

const flagged = (o: Observation, quality: Observation['quality']): Observation => ({ ...o, quality });

describe('reading quality in words', () => {
  it('says what is wrong and what to do for a loose cuff and an irregular pulse', () => {
    expect(qualityNotes(['cuff_too_loose']).map((n) => n.text)).toEqual([
      'Cuff too loose — repeat this reading',
    ]);
    expect(qualityNotes(['irregular_pulse']).map((n) => n.text)).toEqual([
      'Irregular pulse — check for atrial fibrillation',
    ]);
  });

  it('has words for every flag of the contract, never the code', () => {
    for (const flag of QUALITY_FLAGS) {
      const [note] = qualityNotes([flag]);
      expect(note?.text).toBe(QUALITY_TEXT[flag]);
      expect(note?.text).not.toMatch(/_/);
      expect(note?.text).toMatch(/ — /); // what happened — what to do
    }
  });

  it('asks for a repeat exactly when the flag makes the values unreliable', () => {
    for (const flag of QUALITY_FLAGS) {
      const [note] = qualityNotes([flag]);
      expect(note?.text.includes('repeat this reading'), flag).toBe(note?.unreliable);
    }
    expect(qualityNotes(['irregular_pulse'])[0]?.unreliable).toBe(false);
    expect(qualityNotes(['body_movement'])[0]?.unreliable).toBe(true);
  });

  it('puts what voids the reading first, whatever order the device sent', () => {
    expect(qualityNotes(['irregular_pulse', 'pulse_rate_high', 'body_movement']).map((n) => n.flag)).toEqual([
      'body_movement',
      'irregular_pulse',
      'pulse_rate_high',
    ]);
  });

  it('has nothing to say about a reading without flags', () => {
    expect(qualityNotes(undefined)).toEqual([]);
    expect(qualityNotes([])).toEqual([]);
  });

  it("reads the flags of a bed's latest reading of each kind", () => {
    const b = bed({
      observations: [
        flagged(bp(iso(MINUTE), 121, 79, 88), ['cuff_too_loose', 'irregular_pulse']),
        flagged(oximetry(iso(MINUTE), 93), ['low_perfusion']),
        heartRate(iso(MINUTE), 70),
      ],
    });
    expect(latestQualityNotes(b, 'blood_pressure').map((n) => n.flag)).toEqual([
      'cuff_too_loose',
      'irregular_pulse',
    ]);
    expect(latestQualityNotes(b, 'spo2').map((n) => n.text)).toEqual([
      'Weak circulation at the probe — warm the hand and repeat this reading',
    ]);
    expect(latestQualityNotes(b, 'heart_rate')).toEqual([]);
    expect(latestQualityNotes(b, 'body_temperature')).toEqual([]);
  });
});
