import { describe, expect, it } from 'vitest';
import {
  chartSteps,
  news2,
  news2MissingText,
  news2Risk,
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

// Between two chart steps a reading scores the worse of the two: never lower than the chart gives
// for any value it could stand for.
describe('values between chart steps: the worse of the steps either side', () => {
  it.each([
    [35.05, 3], // 35.0 scores 3, 35.1 scores 1
    [34.95, 3],
    [36.05, 1], // 36.0 scores 1, 36.1 scores 0
    [36.04, 1],
    [37.05, 0],
    [38.05, 1], // 38.0 scores 0, 38.1 scores 1
    [39.04, 2], // 39.0 scores 1, 39.1 scores 2
    [39.05, 2],
  ])('temperature %d °C scores %d', (value, score) => {
    expect(scoreTemperature(value)).toBe(score);
  });

  it.each([
    [8.5, 3], // 8 scores 3, 9 scores 1
    [11.5, 1], // 11 scores 1, 12 scores 0
    [15.5, 0],
    [20.5, 2], // 20 scores 0, 21 scores 2
    [24.5, 3], // 24 scores 2, 25 scores 3
  ])('respiration rate %d/min scores %d', (value, score) => {
    expect(scoreRespirationRate(value)).toBe(score);
  });

  it.each([
    [91.5, 3], // 91 scores 3, 92 scores 2
    [91.01, 3],
    [93.5, 2], // 93 scores 2, 94 scores 1
    [95.5, 1], // 95 scores 1, 96 scores 0
    [97.5, 0],
  ])('SpO2 %d%% on scale 1 scores %d (air or oxygen alike)', (value, score) => {
    expect(scoreSpo2(value, 1, false)).toBe(score);
    expect(scoreSpo2(value, 1, true)).toBe(score);
  });

  it.each([
    [83.5, false, 3], // 83 scores 3, 84 scores 2
    [85.5, false, 2],
    [87.5, false, 1], // 87 scores 1, 88 scores 0
    [90.5, false, 0],
    [92.5, false, 0], // on air 93 scores 0 as 92 does
    [92.5, true, 1], // on oxygen 93 scores 1
    [94.5, true, 2], // 94 scores 1, 95 scores 2
    [96.5, true, 3], // 96 scores 2, 97 scores 3
    [87.5, true, 1],
  ])('SpO2 %d%% on scale 2, oxygen=%s, scores %d', (value, onOxygen, score) => {
    expect(scoreSpo2(value, 2, onOxygen)).toBe(score);
  });

  it.each([
    [90.5, 3], // 90 scores 3, 91 scores 2
    [100.5, 2],
    [110.5, 1], // 110 scores 1, 111 scores 0
    [150.5, 0],
    [219.5, 3], // 219 scores 0, 220 scores 3
  ])('systolic %d mmHg scores %d', (value, score) => {
    expect(scoreSystolic(value)).toBe(score);
  });

  it.each([
    [40.5, 3], // 40 scores 3, 41 scores 1
    [50.5, 1], // 50 scores 1, 51 scores 0
    [70.5, 0],
    [90.4, 1], // 90 scores 0, 91 scores 1
    [110.5, 2],
    [130.5, 3],
  ])('pulse %d/min scores %d', (value, score) => {
    expect(scorePulse(value)).toBe(score);
  });

  it('a value on a chart step is that step, binary noise or not', () => {
    expect(chartSteps(36.1, 1)).toEqual([36.1]);
    expect(chartSteps(0.1 + 0.2, 1)).toEqual([0.3]);
    expect(chartSteps(36.05, 1)).toEqual([36, 36.1]);
    expect(scoreTemperature(36.1)).toBe(0);
    expect(scoreSpo2(96, 1, false)).toBe(0);
  });

  it('the aggregate uses the conservative parameter scores', () => {
    const r = news2({ temperature: 35.05, spo2: 91.5, respirationRate: 8.5 }, 1);
    expect(r.parameters).toMatchObject({ temperature: 3, spo2: 3, respirationRate: 3 });
    expect(r.score).toBe(9);
  });
});

describe('missing parameters in words', () => {
  it('lists what is missing as a nurse would say it', () => {
    expect(news2MissingText(['respirationRate', 'spo2', 'airOrOxygen'])).toBe(
      'respiration rate, SpO2 and air or oxygen not recorded',
    );
    expect(news2MissingText(['temperature'])).toBe('temperature not recorded');
    expect(news2MissingText(['pulse', 'consciousness'])).toBe('pulse and consciousness (ACVPU) not recorded');
    expect(news2MissingText([])).toBeNull();
  });

  it('comes with every score', () => {
    expect(news2({ systolic: 120 }, 1).missingText).toBe(
      'respiration rate, SpO2, air or oxygen, pulse, consciousness (ACVPU) and temperature not recorded',
    );
  });
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
    expect(news2(normal, 1)).toMatchObject({
      score: 0,
      complete: true,
      missing: [],
      missingText: null,
      risk: 'low',
    });
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
