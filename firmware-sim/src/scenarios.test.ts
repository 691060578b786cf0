import { describe, expect, it } from 'vitest';
import { Rng } from './prng.js';
import { createScenario, isScenarioName, SCENARIO_NAMES, type VitalSigns } from './scenarios.js';

const DAY = 86_400_000;

function mean(readings: VitalSigns[], key: keyof VitalSigns): number {
  return readings.reduce((s, r) => s + r[key], 0) / readings.length;
}

function sample(name: (typeof SCENARIO_NAMES)[number], atMs: number, n = 300, seed = 5): VitalSigns[] {
  const scenario = createScenario(name);
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => scenario.vitals(atMs, rng));
}

describe('scenarios', () => {
  it('names the four scenarios', () => {
    expect(SCENARIO_NAMES).toEqual(['normal', 'hypertensive', 'deteriorating', 'fall']);
    expect(isScenarioName('fall')).toBe(true);
    expect(isScenarioName('sepsis')).toBe(false);
  });

  it('is deterministic from the seed', () => {
    for (const name of SCENARIO_NAMES) expect(sample(name, DAY, 20, 11)).toEqual(sample(name, DAY, 20, 11));
    expect(sample('normal', 0, 20, 11)).not.toEqual(sample('normal', 0, 20, 12));
  });

  it('produces whole-number readings a cuff could display, diastolic below systolic', () => {
    for (const name of SCENARIO_NAMES) {
      for (const r of sample(name, 3 * DAY)) {
        for (const v of Object.values(r)) expect(Number.isInteger(v)).toBe(true);
        expect(r.diastolic).toBeLessThanOrEqual(r.systolic - 20);
        expect(r.meanArterial).toBeGreaterThan(r.diastolic);
        expect(r.meanArterial).toBeLessThan(r.systolic);
      }
    }
  });

  it('normal is normotensive and hypertensive is stage 2', () => {
    const normal = sample('normal', 0);
    expect(mean(normal, 'systolic')).toBeGreaterThan(115);
    expect(mean(normal, 'systolic')).toBeLessThan(130);
    const high = sample('hypertensive', 0);
    expect(mean(high, 'systolic')).toBeGreaterThan(160);
    expect(mean(high, 'diastolic')).toBeGreaterThan(95);
  });

  it('deteriorating drifts from normal toward shock: pressure falls while the pulse climbs', () => {
    const start = sample('deteriorating', 0);
    const half = sample('deteriorating', 2.5 * DAY);
    const end = sample('deteriorating', 5 * DAY);
    const later = sample('deteriorating', 9 * DAY);
    expect(mean(start, 'systolic')).toBeGreaterThan(118);
    expect(mean(half, 'systolic')).toBeLessThan(mean(start, 'systolic'));
    expect(mean(end, 'systolic')).toBeLessThan(90);
    expect(mean(end, 'pulseRate')).toBeGreaterThan(120);
    expect(mean(half, 'pulseRate')).toBeGreaterThan(mean(start, 'pulseRate'));
    expect(mean(later, 'systolic')).toBeCloseTo(mean(end, 'systolic'), -1); // stays there
  });

  it('fall has a fall at the given time, then a help-button press', () => {
    expect(
      createScenario('fall', { fallAtMs: 1000, helpAfterFallMs: 500, fallConfidence: 80 }).events,
    ).toEqual([
      { atMs: 1000, type: 'fall', confidence: 80 },
      { atMs: 1500, type: 'help_button' },
    ]);
    expect(createScenario('fall', { helpAfterFallMs: null }).events).toHaveLength(1);
    expect(createScenario('normal').events).toEqual([]);
  });
});
