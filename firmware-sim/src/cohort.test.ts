import { validateObservation } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import {
  cohortEvents,
  cohortResidents,
  type CohortEvent,
  type CohortOptions,
  type CohortResident,
} from './cohort.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const START = Date.parse('2026-01-05T00:00:00Z');
const options: CohortOptions = {
  residents: 50,
  seed: 2026,
  durationMs: 24 * HOUR,
  bpIntervalMs: 6 * HOUR,
  heartbeatMs: 5 * MINUTE,
};

/** What the resident's falls sensor sent, in time order. */
function sensorEvents(resident: CohortResident, events: CohortEvent[]) {
  return events.flatMap((e) =>
    e.type === 'observation' && e.observation.deviceId === resident.fallsSensorId ? [e.observation] : [],
  );
}

describe('24-hour cohort', () => {
  it('gives the fall residents every aftermath, helped up the most, from the seed', () => {
    const residents = cohortResidents(options);
    const fallen = residents.filter((r) => r.scenario === 'fall');
    expect(fallen).toHaveLength(7);
    const count = (a: string) => fallen.filter((r) => r.fallAftermath === a).length;
    // Shares 0.6/0.2/0.2 of 7, each at least once.
    expect([count('helped_up'), count('got_up'), count('long_lie')]).toEqual([5, 1, 1]);
    expect(cohortResidents(options)).toEqual(residents);
    // Only fall residents have one.
    expect(residents.filter((r) => r.fallAftermath !== undefined)).toEqual(fallen);
    // Another seed shuffles them differently.
    const other = cohortResidents({ ...options, seed: 7 }).filter((r) => r.scenario === 'fall');
    expect(other.map((r) => r.fallAftermath)).not.toEqual(fallen.map((r) => r.fallAftermath));
  });

  it('keeps the scripted moments the cohort had before aftermaths (the report compares runs)', () => {
    const residents = cohortResidents(options);
    // Fall times of seed 2026 before revision 1.1 of the falls protocol: aftermaths draw from
    // their own streams, so these (and deterioration and drop-out times) do not move.
    expect(residents.filter((r) => r.scenario === 'fall').map((r) => [r.number, r.fallAtMs])).toEqual([
      [39, 52_955_944],
      [40, 66_763_111],
      [41, 14_207_689],
      [42, 21_960_622],
      [43, 61_359_289],
      [44, 33_205_667],
      [45, 57_578_696],
    ]);
    const allHelpedUp = cohortResidents({ ...options, fallAftermaths: { got_up: 0, long_lie: 0 } });
    expect(allHelpedUp.map((r) => [r.fallAtMs, r.deteriorationMs, r.dropoutAtMs])).toEqual(
      residents.map((r) => [r.fallAtMs, r.deteriorationMs, r.dropoutAtMs]),
    );
    const aftermaths = allHelpedUp.filter((r) => r.scenario === 'fall').map((r) => r.fallAftermath);
    expect(aftermaths).toEqual(Array(7).fill('helped_up'));
  });

  it('sends each aftermath as the sensor reports it: valid contract observations at their times', () => {
    const residents = cohortResidents(options);
    const events = cohortEvents(residents, options, START);
    const shapes = {
      helped_up: ['fall', 'help_request', 'upright'],
      got_up: ['fall', 'upright'],
      long_lie: ['fall', 'no_movement'],
    };
    for (const r of residents.filter((x) => x.scenario === 'fall')) {
      const sent = sensorEvents(r, events);
      expect(
        sent.map((o) => o.kind),
        `resident ${r.number}`,
      ).toEqual(shapes[r.fallAftermath!]);
      const after = (kind: string) =>
        Date.parse(String(sent.find((o) => o.kind === kind)?.measuredAt)) - (START + r.fallAtMs!);
      expect(after('fall')).toBe(0);
      if (r.fallAftermath === 'helped_up') {
        expect(after('help_request')).toBeGreaterThanOrEqual(1 * MINUTE);
        expect(after('help_request')).toBeLessThanOrEqual(3 * MINUTE);
        expect(after('upright')).toBeGreaterThanOrEqual(5 * MINUTE);
        expect(after('upright')).toBeLessThanOrEqual(20 * MINUTE);
      }
      if (r.fallAftermath === 'got_up') expect(after('upright')).toBeLessThanOrEqual(2 * MINUTE);
      if (r.fallAftermath === 'long_lie') expect(after('no_movement')).toBe(5 * MINUTE);
      for (const o of sent) {
        if (o.kind !== 'fall') expect(o.values).toEqual({});
        expect(validateObservation(o).ok, `${String(o.kind)} of resident ${r.number}`).toBe(true);
      }
    }
  });

  it('emits the new kinds and no others for residents who do not fall', () => {
    const residents = cohortResidents(options);
    const events = cohortEvents(residents, options, START);
    const kinds = new Set(events.flatMap((e) => (e.type === 'observation' ? [e.observation.kind] : [])));
    expect(kinds).toEqual(new Set(['blood_pressure', 'fall', 'help_request', 'upright', 'no_movement']));
    const notFallen = new Set(residents.filter((r) => r.scenario !== 'fall').map((r) => r.number));
    expect(
      events.some(
        (e) =>
          e.type === 'observation' && notFallen.has(e.resident) && e.observation.kind !== 'blood_pressure',
      ),
    ).toBe(false);
  });

  it('appends borderline residents, systolic around 180, without changing anyone else', () => {
    const withBorderline = { ...options, borderline: 5, bpIntervalMs: 15 * MINUTE };
    const residents = cohortResidents(withBorderline);
    expect(residents.slice(50).map((r) => [r.number, r.scenario])).toEqual(
      [51, 52, 53, 54, 55].map((n) => [n, 'borderline']),
    );
    expect(residents.slice(0, 50)).toEqual(cohortResidents({ ...withBorderline, borderline: 0 }));
    // The others' readings and times stay what they were (ids are random UUIDs).
    const sent = (events: CohortEvent[]) =>
      events.flatMap((e) =>
        e.type === 'observation' && e.resident <= 50
          ? [[e.atMs, e.observation.kind, e.observation.values]]
          : [],
      );
    const events = cohortEvents(residents, withBorderline, START);
    expect(sent(events)).toEqual(sent(cohortEvents(residents.slice(0, 50), withBorderline, START)));
    const systolic = events.flatMap((e) =>
      e.type === 'observation' && e.resident > 50
        ? [(e.observation.values as Record<string, { value: number }>).systolic!.value]
        : [],
    );
    expect(systolic).toHaveLength(5 * 96);
    expect(Math.min(...systolic)).toBeGreaterThanOrEqual(166);
    expect(Math.max(...systolic)).toBeLessThanOrEqual(194);
    // Both sides of the threshold, and now and then below bp_high's hysteresis band (under 170).
    expect(systolic.filter((s) => s >= 180).length).toBeGreaterThan(200);
    expect(systolic.some((s) => s < 170)).toBe(true);
    for (const e of events.filter((x) => x.type === 'observation' && x.resident > 50))
      if (e.type === 'observation') expect(validateObservation(e.observation).ok).toBe(true);
  });
});
