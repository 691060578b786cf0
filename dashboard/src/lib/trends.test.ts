import type { History } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import { niceStep, seriesOf, summarise, TRENDS, xDomain, xTicks, yAxis, type Series } from './trends.js';

const NOW = Date.parse('2025-03-04T12:00:00.000Z');
const MIN = 60_000;
const spec = (kind: string) => TRENDS.find((s) => s.kind === kind)!;

const raw = (kind: string, points: [number, Record<string, number>][]): History => ({
  patientId: 'p',
  kind,
  from: new Date(NOW - 24 * 60 * MIN).toISOString(),
  to: new Date(NOW).toISOString(),
  window: 'raw',
  fields: [],
  points: points.map(([ago, values], i) => ({
    time: new Date(NOW - ago * MIN).toISOString(),
    deviceId: 'd',
    seq: i,
    values,
  })),
});

describe('seriesOf', () => {
  it("draws the cuff's pulse on the pulse chart when no monitor sends heart rate", () => {
    const histories = new Map([
      ['heart_rate', raw('heart_rate', [])],
      ['blood_pressure', raw('blood_pressure', [[5, { systolic: 84, diastolic: 51, pulseRate: 88 }]])],
      ['spo2', raw('spo2', [])],
    ] as const);
    const series = seriesOf(spec('heart_rate'), histories);
    expect(series.map((s) => [s.label, s.points.map((p) => p.v)])).toEqual([['Pulse (cuff)', [88]]]);
    expect(summarise(series, spec('heart_rate'))).toBe(
      'Pulse (cuff): latest 88 bpm, lowest 88, highest 88 (1 reading).',
    );
  });
});

describe('summarise', () => {
  it('gives the latest reading, not a window mean with a decimal', () => {
    const windows: History = {
      ...raw('blood_pressure', []),
      window: '5m',
      points: undefined,
      windows: [
        {
          start: new Date(NOW - 60 * MIN).toISOString(),
          readings: 3,
          values: {
            systolic: { mean: 91.2, min: 84, max: 99, count: 3 },
            diastolic: { mean: 55.4, min: 51, max: 60, count: 3 },
          },
        },
      ],
    };
    const series = seriesOf(spec('blood_pressure'), new Map([['blood_pressure', windows]]));
    const latest = new Map([
      ['blood_pressure.systolic', { key: 'blood_pressure.systolic', value: 84, at: NOW }],
      ['blood_pressure.diastolic', { key: 'blood_pressure.diastolic', value: 51, at: NOW }],
    ]);
    const text = summarise(series, spec('blood_pressure'), latest);
    expect(text).toBe(
      'Systolic: latest 84 mmHg, lowest 84, highest 99; Diastolic: latest 51 mmHg, lowest 51, highest 60 (3 readings).',
    );
    expect(text).not.toContain('91.2');
  });

  it('says once that there are no readings', () => {
    expect(summarise([], spec('spo2'))).toBe('No readings in this period.');
  });
});

const seriesAt = (values: number[], ago: number[] = values.map(() => 10)): Series[] => [
  {
    key: 'k',
    label: 'k',
    colour: '#000',
    raw: true,
    readings: values.length,
    points: values.map((v, i) => ({ t: NOW - ago[i]! * MIN, v })),
  },
];

describe('yAxis', () => {
  it('uses round steps for blood pressure', () => {
    const { domain, ticks } = yAxis(spec('blood_pressure'), seriesAt([205, 130, 85, 40]));
    const steps = new Set(ticks.slice(1).map((t, i) => t - ticks[i]!));
    expect(steps.size).toBe(1);
    expect([20, 40]).toContain([...steps][0]);
    expect(ticks[0]).toBeGreaterThanOrEqual(domain[0]);
    expect(ticks[ticks.length - 1]).toBeLessThanOrEqual(domain[1]);
  });

  it('keeps every reading inside the axis with room to spare (no clipped point)', () => {
    const { domain, ticks } = yAxis(spec('blood_pressure'), seriesAt([200, 40]));
    const step = ticks[1]! - ticks[0]!;
    expect(domain[0]).toBeLessThanOrEqual(40 - step / 5);
    expect(domain[1]).toBeGreaterThanOrEqual(200 + step / 5);
  });

  it('steps temperature in tenths without floating-point noise', () => {
    const { ticks } = yAxis(spec('body_temperature'), seriesAt([36.4, 38.1]));
    for (const t of ticks) expect(String(t)).toMatch(/^\d+(\.\d)?$/);
  });
});

describe('yAxis at the usual limits', () => {
  it('gives the charts their familiar scales', () => {
    expect(yAxis(spec('blood_pressure'), seriesAt([120])).ticks).toEqual([40, 80, 120, 160, 200]);
    expect(yAxis(spec('spo2'), seriesAt([95])).ticks).toEqual([80, 84, 88, 92, 96, 100]);
    expect(yAxis(spec('heart_rate'), seriesAt([70])).ticks).toEqual([40, 60, 80, 100, 120, 140]);
    // A saturation of 100 % is inside the axis, which still ends its ticks at 100.
    const full = yAxis(spec('spo2'), seriesAt([100]));
    expect(full.ticks[full.ticks.length - 1]).toBe(100);
    expect(full.domain[1]).toBeGreaterThan(100);
  });
});

describe('niceStep', () => {
  it('picks 1, 2, 4 or 5 times a power of ten', () => {
    expect(niceStep(160)).toBe(40);
    expect(niceStep(165)).toBe(40);
    expect(niceStep(100)).toBe(20);
    expect(niceStep(5)).toBe(1);
    expect(niceStep(2.3)).toBe(0.5);
  });
});

describe('xDomain', () => {
  it('starts shortly before the first reading, so a morning of readings fills the day view', () => {
    const from = NOW - 24 * 60 * MIN;
    const [x0, x1] = xDomain(seriesAt([120, 125], [90, 10]), from, NOW);
    expect(x1).toBe(NOW);
    expect(x0).toBeGreaterThan(from);
    expect(x0).toBeLessThan(NOW - 90 * MIN);
    // The readings span most of the axis, not a sliver at its right edge.
    expect((NOW - 90 * MIN - x0) / (x1 - x0)).toBeLessThan(0.1);
  });

  it('keeps the whole range when readings start at its beginning, or there are none', () => {
    const from = NOW - 60 * MIN;
    expect(xDomain(seriesAt([120], [60]), from, NOW)).toEqual([from, NOW]);
    expect(xDomain([], from, NOW)).toEqual([from, NOW]);
  });
});

describe('xTicks', () => {
  it('puts time ticks on round steps inside the axis', () => {
    const ticks = xTicks([NOW - 125 * MIN, NOW]);
    expect(ticks.slice(1).map((t, i) => t - ticks[i]!)).toEqual(ticks.slice(1).map(() => 30 * MIN));
    expect(ticks[0]).toBeGreaterThanOrEqual(NOW - 125 * MIN);
    expect(ticks.every((t) => t % (30 * MIN) === 0)).toBe(true);
    const day = xTicks([NOW - 24 * 60 * MIN, NOW]);
    expect(day.length).toBeGreaterThanOrEqual(4);
    expect(day.every((t) => t % (180 * MIN) === 0 || t % (360 * MIN) === 0)).toBe(true);
  });
});
