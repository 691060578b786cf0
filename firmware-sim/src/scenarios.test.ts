import { describe, expect, it } from 'vitest';
import { Rng } from './prng.js';
import { createScenario, isScenarioName, SCENARIO_NAMES, type VitalSigns } from './scenarios.js';

const MINUTE = 60_000;
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

  it('fall by default: a fall, a help press 2 min later, upright after 12.5 min (helped up)', () => {
    expect(createScenario('fall', { fallAtMs: 1000, fallConfidence: 80 }).events).toEqual([
      { atMs: 1000, type: 'fall', confidence: 80 },
      { atMs: 1000 + 2 * MINUTE, type: 'help_button' },
      { atMs: 1000 + 12.5 * MINUTE, type: 'upright' },
    ]);
    expect(createScenario('fall', { fallAtMs: 1000, helpAfterFallMs: 500 }).events[1]).toEqual({
      atMs: 1500,
      type: 'help_button',
    });
    expect(createScenario('fall', { helpAfterFallMs: null }).events.map((e) => e.type)).toEqual([
      'fall',
      'upright',
    ]);
    expect(createScenario('normal').events).toEqual([]);
  });

  it('fall aftermaths: got up alone, and a long lie that never reports upright', () => {
    const gotUp = createScenario('fall', { fallAtMs: 0, fallAftermath: 'got_up' }).events;
    expect(gotUp.map((e) => [e.type, e.atMs])).toEqual([
      ['fall', 0],
      ['upright', 75_000],
    ]);
    const longLie = createScenario('fall', { fallAtMs: 0, fallAftermath: 'long_lie' }).events;
    expect(longLie.map((e) => [e.type, e.atMs])).toEqual([
      ['fall', 0],
      ['no_movement', 5 * MINUTE],
    ]);
  });

  it('a seed draws each aftermath within its ranges, the same for the same seed', () => {
    const drawn = Array.from({ length: 300 }, (_, seed) => ({
      seed,
      events: createScenario('fall', { fallAtMs: 0, seed }).events,
    }));
    const byShape = new Map<string, number>();
    for (const { seed, events } of drawn) {
      expect(createScenario('fall', { fallAtMs: 0, seed }).events).toEqual(events);
      const at = (type: string) => events.find((e) => e.type === type)?.atMs;
      const shape = events.map((e) => e.type).join(',');
      byShape.set(shape, (byShape.get(shape) ?? 0) + 1);
      if (shape === 'fall,help_button,upright') {
        expect(at('help_button')).toBeGreaterThanOrEqual(MINUTE);
        expect(at('help_button')).toBeLessThanOrEqual(3 * MINUTE);
        expect(at('upright')).toBeGreaterThanOrEqual(5 * MINUTE);
        expect(at('upright')).toBeLessThanOrEqual(20 * MINUTE);
      } else if (shape === 'fall,upright') {
        expect(at('upright')).toBeGreaterThanOrEqual(30_000);
        expect(at('upright')).toBeLessThanOrEqual(2 * MINUTE);
      } else {
        expect(shape).toBe('fall,no_movement');
        expect(at('no_movement')).toBe(5 * MINUTE);
      }
      for (const e of events) expect(e.atMs % 1000).toBe(0); // whole seconds, as a sensor stamps them
    }
    // Helped up is the most common; each of the others about a fifth.
    expect(byShape.get('fall,help_button,upright')).toBeGreaterThan(150);
    expect(byShape.get('fall,upright')).toBeGreaterThan(35);
    expect(byShape.get('fall,no_movement')).toBeGreaterThan(35);
    // A chosen aftermath wins over the seed's draw; the seed still draws its times.
    expect(
      createScenario('fall', { fallAtMs: 0, seed: 1, fallAftermath: 'long_lie' }).events.map((e) => e.type),
    ).toEqual(['fall', 'no_movement']);
    expect(
      new Set(drawn.map(({ events }) => events.find((e) => e.type === 'upright')?.atMs)).size,
    ).toBeGreaterThan(100);
  });
});
