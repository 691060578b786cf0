import { describe, expect, it } from 'vitest';
import {
  news2,
  news2Risk,
  roundToChart,
  scoreAirOrOxygen,
  scoreConsciousness,
  scorePulse,
  scoreRespirationRate,
  scoreSpo2,
  scoreSystolic,
  scoreTemperature,
} from './news2.js';

// Every band edge of the RCP 2017 chart: the value on each side of each boundary.
describe('NEWS2 chart, band by band', () => {
  it.each([
    [0, 3],
    [8, 3],
    [9, 1],
    [11, 1],
    [12, 0],
    [20, 0],
    [21, 2],
    [24, 2],
    [25, 3],
    [60, 3],
  ])('respiration rate %d/min scores %d', (value, score) => {
    expect(scoreRespirationRate(value)).toBe(score);
  });

  it.each([
    [70, 3],
    [91, 3],
    [92, 2],
    [93, 2],
    [94, 1],
    [95, 1],
    [96, 0],
    [100, 0],
  ])('SpO2 scale 1 %d%% scores %d (air or oxygen alike)', (value, score) => {
    expect(scoreSpo2(value, 1, false)).toBe(score);
    expect(scoreSpo2(value, 1, true)).toBe(score);
  });

  it.each([
    [70, false, 3],
    [83, false, 3],
    [84, false, 2],
    [85, false, 2],
    [86, false, 1],
    [87, false, 1],
    [88, false, 0],
    [92, false, 0],
    [93, false, 0],
    [100, false, 0],
    [83, true, 3],
    [84, true, 2],
    [86, true, 1],
    [88, true, 0],
    [92, true, 0],
    [93, true, 1],
    [94, true, 1],
    [95, true, 2],
    [96, true, 2],
    [97, true, 3],
    [100, true, 3],
  ])('SpO2 scale 2 %d%% on oxygen=%s scores %d', (value, onOxygen, score) => {
    expect(scoreSpo2(value, 2, onOxygen)).toBe(score);
  });

  it('air or oxygen', () => {
    expect(scoreAirOrOxygen(false)).toBe(0);
    expect(scoreAirOrOxygen(true)).toBe(2);
  });

  it.each([
    [50, 3],
    [90, 3],
    [91, 2],
    [100, 2],
    [101, 1],
    [110, 1],
    [111, 0],
    [219, 0],
    [220, 3],
    [260, 3],
  ])('systolic %d mmHg scores %d', (value, score) => {
    expect(scoreSystolic(value)).toBe(score);
  });

  it.each([
    [25, 3],
    [40, 3],
    [41, 1],
    [50, 1],
    [51, 0],
    [90, 0],
    [91, 1],
    [110, 1],
    [111, 2],
    [130, 2],
    [131, 3],
    [200, 3],
  ])('pulse %d/min scores %d', (value, score) => {
    expect(scorePulse(value)).toBe(score);
  });

  it.each([
    ['A', 0],
    ['C', 3],
    ['V', 3],
    ['P', 3],
    ['U', 3],
  ] as const)('consciousness %s scores %d', (level, score) => {
    expect(scoreConsciousness(level)).toBe(score);
  });

  it.each([
    [34, 3],
    [35.0, 3],
    [35.1, 1],
    [36.0, 1],
    [36.1, 0],
    [38.0, 0],
    [38.1, 1],
    [39.0, 1],
    [39.1, 2],
    [41, 2],
  ])('temperature %d °C scores %d', (value, score) => {
    expect(scoreTemperature(value)).toBe(score);
  });
});

describe('values between chart bands: nearest step, halves upwards', () => {
  it.each([
    [36.05, 36.1, 0],
    [36.04, 36.0, 1],
    [35.05, 35.1, 1],
    [38.05, 38.1, 1],
    [39.04, 39.0, 1],
    [39.05, 39.1, 2],
  ])('temperature %d °C is charted as %d and scores %d', (value, charted, score) => {
    expect(roundToChart(value, 1)).toBe(charted);
    expect(scoreTemperature(value)).toBe(score);
  });

  it.each([
    [93.5, 1],
    [93.4, 2],
    [91.5, 2],
    [91.49, 3],
    [95.5, 0],
  ])('SpO2 %d%% on scale 1 scores %d', (value, score) => {
    expect(scoreSpo2(value, 1, false)).toBe(score);
  });

  it.each([
    [90.5, 2],
    [90.4, 3],
    [110.5, 0],
    [219.5, 3],
  ])('systolic %d mmHg scores %d', (value, score) => {
    expect(scoreSystolic(value)).toBe(score);
  });

  it.each([
    [90.5, 1],
    [90.4, 0],
    [40.5, 1],
    [130.5, 3],
  ])('pulse %d/min scores %d', (value, score) => {
    expect(scorePulse(value)).toBe(score);
  });

  it('respiration 20.5 scores as 21', () => expect(scoreRespirationRate(20.5)).toBe(2));
});

describe('aggregate and clinical risk', () => {
  it.each([
    [0, false, 'low'],
    [4, false, 'low'],
    [3, true, 'low-medium'],
    [4, true, 'low-medium'],
    [5, false, 'medium'],
    [6, true, 'medium'],
    [7, false, 'high'],
    [20, true, 'high'],
  ] as const)('aggregate %d with a single 3=%s is %s', (aggregate, red, risk) => {
    expect(news2Risk(aggregate, red)).toBe(risk);
  });

  const normal = {
    respirationRate: 16,
    spo2: 97,
    onOxygen: false,
    systolic: 128,
    pulse: 72,
    consciousness: 'A',
    temperature: 36.8,
  } as const;

  it('scores a complete normal set as 0, low', () => {
    expect(news2(normal, 1)).toMatchObject({ score: 0, complete: true, missing: [], risk: 'low' });
  });

  it('a single red parameter is low-medium', () => {
    expect(news2({ ...normal, consciousness: 'C' }, 1)).toMatchObject({ score: 3, risk: 'low-medium' });
  });

  it('sums every parameter into medium and high', () => {
    expect(news2({ ...normal, respirationRate: 22, pulse: 115 }, 1)).toMatchObject({ score: 4, risk: 'low' });
    expect(news2({ ...normal, respirationRate: 22, pulse: 115, temperature: 38.5 }, 1)).toMatchObject({
      score: 5,
      risk: 'medium',
    });
    const sick = {
      respirationRate: 26,
      spo2: 90,
      onOxygen: true,
      systolic: 95,
      pulse: 125,
      consciousness: 'V',
      temperature: 39.5,
    } as const;
    expect(news2(sick, 1)).toMatchObject({ score: 3 + 3 + 2 + 2 + 2 + 3 + 2, risk: 'high', complete: true });
  });

  it('uses the patient scale: 95% on oxygen is 0+2 on scale 1 but 2+2 on scale 2', () => {
    const onO2 = { ...normal, spo2: 95, onOxygen: true };
    expect(news2(onO2, 1).parameters).toMatchObject({ spo2: 1, airOrOxygen: 2 });
    expect(news2(onO2, 2).parameters).toMatchObject({ spo2: 2, airOrOxygen: 2 });
    expect(news2({ ...normal, spo2: 89 }, 2).parameters.spo2).toBe(0);
    expect(news2({ ...normal, spo2: 89 }, 1).parameters.spo2).toBe(3);
  });

  it('labels a partial score with exactly what is missing, never as complete', () => {
    const partial = news2({ systolic: 88, pulse: 128 }, 1);
    expect(partial).toMatchObject({ score: 5, complete: false, risk: 'medium' });
    expect(partial.missing).toEqual([
      'respirationRate',
      'spo2',
      'airOrOxygen',
      'consciousness',
      'temperature',
    ]);
  });
});
