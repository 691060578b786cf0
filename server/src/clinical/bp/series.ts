import type { BpDay, BpPressure, BpSession, BpSessionName, BpStage, BpTarget } from '@wardline/protocol';

/**
 * NICE NG136 home blood pressure monitoring (1.2.5-1.2.6): for each recording two consecutive
 * seated readings at least a minute apart, morning and evening, for 4 to 7 days; day one's readings
 * are discarded and the rest averaged. Pure: readings in, series out.
 */

export const TIME_ZONE = 'Europe/London';
export const MIN_PAIR_GAP_MS = 60_000;
export const MIN_SERIES_DAYS = 4;
export const MAX_SERIES_DAYS = 7;

export interface BpReading extends BpPressure {
  measuredAt: string;
}

const localParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  hourCycle: 'h23',
});

/** The local (Europe/London) date and session of a reading; null between midnight and 04:00. */
export function sessionOf(measuredAt: string): { date: string; session: BpSessionName } | null {
  const parts = Object.fromEntries(
    localParts.formatToParts(new Date(measuredAt)).map((p) => [p.type, p.value]),
  ) as Record<string, string>;
  const hour = Number(parts.hour);
  if (hour < 4) return null;
  return { date: `${parts.year}-${parts.month}-${parts.day}`, session: hour < 12 ? 'morning' : 'evening' };
}

/** The first reading and the first one after it at least a minute later: the session's pair. */
export function pairOf(readings: BpReading[]): BpReading[] | null {
  const sorted = [...readings].sort((a, b) => Date.parse(a.measuredAt) - Date.parse(b.measuredAt));
  for (let i = 0; i < sorted.length; i++) {
    const first = sorted[i]!;
    const second = sorted.find(
      (r, j) => j > i && Date.parse(r.measuredAt) - Date.parse(first.measuredAt) >= MIN_PAIR_GAP_MS,
    );
    if (second) return [first, second];
  }
  return null;
}

export function meanOf(readings: BpPressure[]): BpPressure {
  const n = readings.length;
  return {
    systolic: readings.reduce((s, r) => s + r.systolic, 0) / n,
    diastolic: readings.reduce((s, r) => s + r.diastolic, 0) / n,
  };
}

function session(name: BpSessionName, readings: BpReading[]): BpSession {
  const pair = pairOf(readings);
  if (pair) return { session: name, readings: pair, mean: meanOf(pair) };
  const missing =
    readings.length === 0
      ? `no ${name} readings`
      : readings.length === 1
        ? `only one ${name} reading (two needed)`
        : `${name} readings less than a minute apart`;
  return { session: name, readings: [], mean: null, missing };
}

const DAY_MS = 86_400_000;
function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T12:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

/** Stage by a home average; the exact mean is compared, never a rounded one. */
export function stageOf(p: BpPressure): BpStage {
  if (p.systolic >= 180 || p.diastolic >= 120) return 'severe';
  if (p.systolic >= 150 || p.diastolic >= 95) return 'stage2';
  if (p.systolic >= 135 || p.diastolic >= 85) return 'stage1';
  return 'normal';
}

/** Whole years between a date of birth (YYYY-MM-DD) and an instant; null when unknown. */
export function ageAt(dateOfBirth: string | null | undefined, at: Date): number | null {
  const m = dateOfBirth ? /^(\d{4})-(\d{2})-(\d{2})/.exec(dateOfBirth) : null;
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  let age = at.getUTCFullYear() - y;
  if (at.getUTCMonth() + 1 < mo || (at.getUTCMonth() + 1 === mo && at.getUTCDate() < d)) age -= 1;
  return age;
}

/**
 * HBPM target for a treated patient (NG136 1.4.20-1.4.21): under 80 below 135/85, 80 and over
 * below 145/85. Unknown age takes the under-80 target, the stricter one, and says so.
 */
export function targetFor(ageYears: number | null): BpTarget {
  if (ageYears === null)
    return { systolic: 135, diastolic: 85, basis: 'age unknown: the under-80 target is used' };
  if (ageYears >= 80) return { systolic: 145, diastolic: 85, basis: `aged ${ageYears}: 80 and over` };
  return { systolic: 135, diastolic: 85, basis: `aged ${ageYears}: under 80` };
}

export function belowTarget(p: BpPressure, target: BpPressure): boolean {
  return p.systolic < target.systolic && p.diastolic < target.diastolic;
}

export interface SeriesResult {
  status: 'complete' | 'incomplete';
  days: string[];
  missing: string[];
  homeAverage: (BpPressure & { readings: number }) | null;
  stage: BpStage | null;
  daily: BpDay[];
}

/**
 * Days with both sessions paired, the latest run of consecutive ones taken (its last seven days
 * when longer); complete from four days. Readings given must already exclude unreliable ones.
 */
export function homeSeries(readings: BpReading[]): SeriesResult {
  const byDay = new Map<string, Record<BpSessionName, BpReading[]>>();
  for (const r of readings) {
    const at = sessionOf(r.measuredAt);
    if (!at) continue;
    const day = byDay.get(at.date) ?? { morning: [], evening: [] };
    day[at.session].push(r);
    byDay.set(at.date, day);
  }
  const dates = [...byDay.keys()].sort();
  const daily: BpDay[] = [];
  if (dates.length > 0)
    for (let date = dates[0]!; date <= dates[dates.length - 1]!; date = nextDate(date)) {
      const day = byDay.get(date) ?? { morning: [], evening: [] };
      daily.push({
        date,
        morning: session('morning', day.morning),
        evening: session('evening', day.evening),
        counted: false,
        discarded: false,
      });
    }
  const full = (d: BpDay) => d.morning.mean !== null && d.evening.mean !== null;

  // The latest run of consecutive full days.
  let end = daily.length - 1;
  while (end >= 0 && !full(daily[end]!)) end--;
  let start = end;
  while (start > 0 && full(daily[start - 1]!)) start--;
  const run = end >= 0 ? daily.slice(Math.max(start, end - MAX_SERIES_DAYS + 1), end + 1) : [];

  if (run.length < MIN_SERIES_DAYS) {
    const missing = [
      run.length === 0
        ? `no day with both a morning and an evening pair of readings (${MIN_SERIES_DAYS} consecutive days needed)`
        : `${run.length} consecutive day${run.length === 1 ? '' : 's'} with morning and evening pairs; ${MIN_SERIES_DAYS} needed`,
    ];
    for (const d of daily.slice(-MAX_SERIES_DAYS))
      for (const s of [d.morning, d.evening]) if (s.missing) missing.push(`${d.date}: ${s.missing}`);
    return {
      status: 'incomplete',
      days: run.map((d) => d.date),
      missing,
      homeAverage: null,
      stage: null,
      daily,
    };
  }
  run[0]!.discarded = true;
  const used = run.slice(1).flatMap((d) => {
    d.counted = true;
    return [...d.morning.readings, ...d.evening.readings];
  });
  const mean = meanOf(used);
  return {
    status: 'complete',
    days: run.map((d) => d.date),
    missing: [],
    homeAverage: { ...mean, readings: used.length },
    stage: stageOf(mean),
    daily,
  };
}
