import { randomUUID } from 'node:crypto';
import type { Observation } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import { assessPostural } from './postural.js';
import { bpReport, bpReportCsv } from './report.js';
import { homeSeries, pairOf, sessionOf, type BpReading } from './series.js';

/** January: Europe/London is on GMT, so local times read as the UTC ones written here. */
const r = (at: string, systolic: number, diastolic: number): BpReading => ({
  measuredAt: `2026-01-${at}Z`,
  systolic,
  diastolic,
});
type Pair = [number, number, number, number];
/** A day's morning (08:00, 08:02) and evening (19:00, 19:02) pairs: [sys, dia, sys, dia] each. */
function day(date: number, morning: Pair, evening: Pair = morning): BpReading[] {
  const d = String(date).padStart(2, '0');
  return [
    r(`${d}T08:00:00`, morning[0], morning[1]),
    r(`${d}T08:02:00`, morning[2], morning[3]),
    r(`${d}T19:00:00`, evening[0], evening[1]),
    r(`${d}T19:02:00`, evening[2], evening[3]),
  ];
}
const days = (first: number, count: number, pair: Pair) =>
  Array.from({ length: count }, (_, i) => day(first + i, pair)).flat();

describe('NICE NG136 home monitoring series', () => {
  it('a normal series: 4 days, day one dropped, the rest averaged', () => {
    const series = homeSeries([...day(5, [150, 95, 150, 95]), ...days(6, 3, [120, 78, 124, 80])]);
    expect(series.status).toBe('complete');
    expect(series.days).toEqual(['2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08']);
    expect(series.homeAverage).toEqual({ systolic: 122, diastolic: 79, readings: 12 });
    expect(series.stage).toBe('normal');
    expect(series.daily[0]).toMatchObject({ date: '2026-01-05', discarded: true, counted: false });
    expect(series.daily[1]!.morning.mean).toEqual({ systolic: 122, diastolic: 79 });
  });

  it('day one discarded changes the average, and here the stage', () => {
    const readings = [...day(5, [170, 100, 170, 100]), ...days(6, 3, [130, 80, 130, 80])];
    const series = homeSeries(readings);
    expect(series.homeAverage).toEqual({ systolic: 130, diastolic: 80, readings: 12 });
    expect(series.stage).toBe('normal');
    // Had day one counted: (4 x 170 + 12 x 130) / 16 = 140 systolic, stage 1.
    const all = readings.reduce((s, x) => s + x.systolic, 0) / readings.length;
    expect(all).toBe(140);
  });

  it('stage 1 over seven days, the eighth-oldest day outside the series', () => {
    const series = homeSeries([...day(4, [200, 110, 200, 110]), ...days(5, 7, [140, 86, 138, 84])]);
    expect(series.days).toHaveLength(7);
    expect(series.days[0]).toBe('2026-01-05');
    expect(series.homeAverage).toEqual({ systolic: 139, diastolic: 85, readings: 24 });
    expect(series.stage).toBe('stage1');
  });

  it('stage 2 from 150/95, by systolic or by diastolic alone', () => {
    expect(homeSeries(days(5, 5, [152, 90, 156, 92])).stage).toBe('stage2');
    expect(homeSeries(days(5, 5, [130, 96, 132, 94])).homeAverage).toMatchObject({ diastolic: 95 });
    expect(homeSeries(days(5, 5, [130, 96, 132, 94])).stage).toBe('stage2');
    expect(homeSeries(days(5, 5, [134, 84, 135, 84])).stage).toBe('normal'); // 134.5/84 is below 135/85
    expect(homeSeries(days(5, 5, [181, 100, 185, 100])).stage).toBe('severe');
  });

  it('an incomplete series says what is missing and gives no average', () => {
    const series = homeSeries([
      ...days(5, 3, [130, 80, 130, 80]),
      r('08T08:00:00', 130, 80),
      r('08T08:00:30', 130, 80), // less than a minute after the first
      r('08T19:00:00', 130, 80), // one evening reading only
    ]);
    expect(series.status).toBe('incomplete');
    expect(series.homeAverage).toBeNull();
    expect(series.stage).toBeNull();
    expect(series.missing).toEqual([
      '3 consecutive days with morning and evening pairs; 4 needed',
      '2026-01-08: morning readings less than a minute apart',
      '2026-01-08: only one evening reading (two needed)',
    ]);
  });

  it('a gap breaks the run: the latest consecutive days count', () => {
    const series = homeSeries([...days(1, 3, [120, 70, 120, 70]), ...days(5, 4, [140, 90, 140, 90])]);
    expect(series.days).toEqual(['2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08']);
    expect(series.stage).toBe('stage1');
  });

  it('pairs the first reading with the first one a minute or more after it', () => {
    const pair = pairOf([r('05T08:00:00', 150, 90), r('05T08:00:30', 140, 80), r('05T08:01:10', 130, 70)]);
    expect(pair?.map((p) => p.systolic)).toEqual([150, 130]);
  });

  it('sessions in Europe/London time: summer time moves the day and the session', () => {
    // 03:30 UTC in June is 04:30 BST: a morning; 23:30 UTC is 00:30 BST the next day: no session.
    expect(sessionOf('2026-06-01T03:30:00Z')).toEqual({ date: '2026-06-01', session: 'morning' });
    expect(sessionOf('2026-06-01T11:30:00Z')).toEqual({ date: '2026-06-01', session: 'evening' });
    expect(sessionOf('2026-06-01T23:30:00Z')).toBeNull();
    expect(sessionOf('2026-01-01T03:30:00Z')).toBeNull();
  });
});

const obs = (reading: BpReading, extra: Partial<Observation> & { quality?: string[] } = {}) =>
  ({
    id: randomUUID(),
    deviceId: 'aa:00:00:00:00:01',
    kind: 'blood_pressure',
    measuredAt: reading.measuredAt,
    seq: 0,
    values: {
      systolic: { value: reading.systolic, unit: 'mmHg' },
      diastolic: { value: reading.diastolic, unit: 'mmHg' },
    },
    ...extra,
  }) as Observation;

describe('BP report: target for a treated patient, reliable readings only', () => {
  const readings = days(5, 4, [140, 80, 142, 82]).map((x) => obs(x));
  const report = (dateOfBirth: string | null, treated = true, extra: Observation[] = []) =>
    bpReport({
      patientId: 'p-1',
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-01-10T00:00:00Z'),
      dateOfBirth,
      treated,
      observations: [...readings, ...extra],
    });

  it('an 80-year-old treated patient is at target below 145/85, a 79-year-old is not below 135/85', () => {
    const older = report('1945-06-01');
    expect(older.ageYears).toBe(80);
    expect(older.target).toMatchObject({ systolic: 145, diastolic: 85 });
    expect(older.homeAverage).toMatchObject({ systolic: 141, diastolic: 81 });
    expect(older.stage).toBe('stage1');
    expect(older.atTarget).toEqual({ readings: 16, total: 16, share: 1 });

    const younger = report('1946-01-11');
    expect(younger.ageYears).toBe(79);
    expect(younger.target).toMatchObject({ systolic: 135, diastolic: 85 });
    expect(younger.atTarget).toEqual({ readings: 0, total: 16, share: 0 });
  });

  it('unknown age takes the stricter under-80 target and says so; untreated has no target', () => {
    expect(report(null).target).toEqual({
      systolic: 135,
      diastolic: 85,
      basis: 'age unknown: the under-80 target is used',
    });
    expect(report('1940-01-01', false)).toMatchObject({ target: null, atTarget: null, treated: false });
  });

  it('leaves out unreliable cuff readings and staff entries, and counts the unreliable', () => {
    const loose = obs(r('07T08:01:00', 210, 125), { quality: ['cuff_too_loose'] });
    const staff = obs(r('07T19:01:00', 190, 110), { deviceId: 'staff:nurse' });
    const irregular = obs(r('07T20:00:00', 140, 80), { quality: ['irregular_pulse'] });
    const result = report('1945-06-01', true, [loose, staff, irregular]);
    expect(result.homeAverage).toMatchObject({ systolic: 141, diastolic: 81, readings: 12 });
    expect(result.unreliableReadings).toBe(1);
    expect(result.severeReadings).toBe(0);
    // The irregular-pulse reading is reliable as a pressure (the AF prompt is elsewhere): it counts.
    expect(result.atTarget).toEqual({ readings: 17, total: 17, share: 1 });
  });

  it('exports the sessions and the summary as CSV', () => {
    const csv = bpReportCsv(report('1945-06-01'));
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe(
      'date,session,systolic_mean [mm[Hg]],diastolic_mean [mm[Hg]],readings,in_average,note',
    );
    expect(lines[1]).toBe('2026-01-05,morning,141,81,2,no,day one: discarded');
    expect(lines[3]).toBe('2026-01-06,morning,141,81,2,yes,');
    expect(csv).toContain('home_average,,141,81,12,,');
    expect(csv).toContain('stage,stage1');
    expect(csv).toContain('target_below,,145,85,16/16,,aged 80: 80 and over');
  });
});

describe('postural hypotension', () => {
  const at = (min: number) => new Date(Date.UTC(2026, 0, 5, 10, min)).toISOString();
  const test = (lying: [number, number], one: [number, number], three?: [number, number]) => ({
    lying: { systolic: lying[0], diastolic: lying[1], measuredAt: at(0) },
    standing1: { systolic: one[0], diastolic: one[1], measuredAt: at(2) },
    ...(three ? { standing3: { systolic: three[0], diastolic: three[1], measuredAt: at(4) } } : {}),
  });

  it('flags a 22 mmHg systolic drop and not an 18 mmHg one', () => {
    expect(assessPostural(test([142, 80], [130, 78], [120, 76]))).toEqual({
      positive: true,
      findings: ['systolic fell 22 mmHg at 3 minutes standing'],
    });
    expect(assessPostural(test([142, 80], [124, 76], [126, 78]))).toEqual({ positive: false, findings: [] });
  });

  it('flags a 10 mmHg diastolic drop, and a standing systolic below 90', () => {
    expect(assessPostural(test([130, 80], [125, 70])).findings).toEqual([
      'diastolic fell 10 mmHg at 1 minute standing',
    ]);
    expect(assessPostural(test([100, 60], [89, 58])).findings).toEqual([
      'standing systolic 89 mmHg at 1 minute, below 90',
    ]);
    expect(assessPostural(test([130, 80], [121, 71])).positive).toBe(false);
  });
});
