import { describe, expect, it } from 'vitest';
import {
  bed,
  bp,
  fall,
  fallsSensorEvent,
  heartRate,
  help,
  iso,
  NOW,
  oximetry,
  temp,
} from '../testing/fixtures.js';
import { DAY, HOUR, MINUTE } from './time.js';
import { activeAlerts, bloodPressure, pulse, spo2, temperature } from './vitals.js';

describe('bloodPressure', () => {
  it('formats systolic/diastolic with the unit', () => {
    const b = bed({ observations: [bp(iso(4 * MINUTE), 132, 84, 72)] });
    expect(bloodPressure(b, NOW)).toEqual({
      text: '132/84 mmHg',
      measuredAt: NOW - 4 * MINUTE,
      stale: false,
    });
  });

  it('is stale after 24 hours', () => {
    const b = bed({ observations: [bp(iso(DAY + MINUTE), 120, 80)] });
    expect(bloodPressure(b, NOW)?.stale).toBe(true);
  });

  it('is null without a reading', () => {
    expect(bloodPressure(bed(), NOW)).toBeNull();
  });
});

describe('pulse', () => {
  it("takes the BP cuff's pulse rate", () => {
    const b = bed({ observations: [bp(iso(HOUR), 132, 84, 72)] });
    expect(pulse(b, NOW)).toMatchObject({ text: '72 bpm', source: 'blood_pressure' });
  });

  it('takes whichever source is newest', () => {
    const b = bed({
      observations: [bp(iso(HOUR), 132, 84, 72), heartRate(iso(2 * HOUR), 90), oximetry(iso(MINUTE), 97, 66)],
    });
    expect(pulse(b, NOW)).toMatchObject({ text: '66 bpm', source: 'spo2' });
  });

  it('ignores a BP reading without a pulse rate', () => {
    const b = bed({ observations: [bp(iso(MINUTE), 132, 84), heartRate(iso(HOUR), 80)] });
    expect(pulse(b, NOW)).toMatchObject({ text: '80 bpm', source: 'heart_rate' });
  });
});

describe('spo2 and temperature', () => {
  it('formats with units', () => {
    const b = bed({ observations: [oximetry(iso(MINUTE), 97), temp(iso(MINUTE), 37.25)] });
    expect(spo2(b, NOW)?.text).toBe('97%');
    expect(temperature(b, NOW)?.text).toBe('37.3 °C');
  });
});

describe('activeAlerts', () => {
  it('shows a fall within 30 minutes', () => {
    const b = bed({ observations: [fall(iso(2 * MINUTE))] });
    expect(activeAlerts(b, NOW)).toEqual([
      { kind: 'fall', measuredAt: NOW - 2 * MINUTE, receivedAt: NOW - 2 * MINUTE, late: false },
    ]);
  });

  it('drops a fall after 30 minutes', () => {
    const b = bed({ observations: [fall(iso(31 * MINUTE))] });
    expect(activeAlerts(b, NOW)).toEqual([]);
  });

  it('keeps a fall that arrived late, counting from its arrival', () => {
    const f = fall(iso(50 * MINUTE));
    const b = bed({ latest: { fall: { observation: f, receivedAt: iso(MINUTE) } } });
    expect(activeAlerts(b, NOW)).toMatchObject([{ kind: 'fall', late: true }]);
  });

  it('is not cleared by a later vital-sign reading', () => {
    const b = bed({ observations: [fall(iso(5 * MINUTE)), heartRate(iso(0), 88)] });
    expect(activeAlerts(b, NOW)).toHaveLength(1);
  });

  it('says when the sensor saw the resident upright again after the fall, and not an older upright', () => {
    const up = bed({ observations: [fall(iso(10 * MINUTE)), fallsSensorEvent('upright', iso(4 * MINUTE))] });
    expect(activeAlerts(up, NOW)).toMatchObject([{ kind: 'fall', uprightAt: NOW - 4 * MINUTE }]);
    const before = bed({
      observations: [fallsSensorEvent('upright', iso(12 * MINUTE)), fall(iso(10 * MINUTE))],
    });
    expect(activeAlerts(before, NOW)[0]).not.toHaveProperty('uprightAt');
  });

  it('shows the sensor reporting no movement', () => {
    const b = bed({
      observations: [fall(iso(10 * MINUTE)), fallsSensorEvent('no_movement', iso(5 * MINUTE))],
    });
    expect(activeAlerts(b, NOW).map((a) => a.kind)).toEqual(['no_movement', 'fall']);
  });

  it('lists fall and help request newest first', () => {
    const b = bed({ observations: [fall(iso(10 * MINUTE)), help(iso(MINUTE))] });
    expect(activeAlerts(b, NOW).map((a) => a.kind)).toEqual(['help_request', 'fall']);
  });

  it('never alerts on an empty bed', () => {
    const b = bed({ patient: null, observations: [fall(iso(MINUTE))] });
    expect(activeAlerts(b, NOW)).toEqual([]);
  });
});
