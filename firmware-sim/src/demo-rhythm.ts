/**
 * When a demo resident's devices are used, on the demo's clock of the day: blood pressure morning
 * and evening as NICE NG136 home monitoring asks (two readings a minute apart), and oximeter,
 * thermometer and staff observations on four-hourly rounds, night included. Scenario time 0 is `dayStartMs` into
 * the demo's first day, just before the morning round, so the rhythm shows within seconds of a
 * start; each resident is `staggerMs` after the one before, as a round goes from room to room.
 */
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface DemoRhythm {
  /** Demo time of day at scenario time 0, ms after midnight. */
  dayStartMs: number;
  /** Times of day of the cuff's sessions, ms after midnight. */
  cuffTimes: readonly number[];
  /** Between the two readings of a session, in real time: the device's wall clock (measuredAt). */
  pairGapMs: number;
  /** Times of day of oximeter, thermometer and staff-observation rounds. */
  spotTimes: readonly number[];
  /** Scenario time between one resident and the next on a round. */
  staggerMs: number;
}

export const DEFAULT_DEMO_RHYTHM: DemoRhythm = {
  dayStartMs: 7 * HOUR + 59 * 60_000,
  cuffTimes: [8 * HOUR, 20 * HOUR],
  pairGapMs: 60_000,
  // Four-hourly, round the clock, as for a resident whose NEWS2 is being watched.
  spotTimes: [0, 4 * HOUR, 8 * HOUR, 12 * HOUR, 16 * HOUR, 20 * HOUR],
  staggerMs: 2 * 60_000,
};

/**
 * The first scenario time at or after `fromMs` when a round at one of `times` reaches the resident
 * at `index` (0-based) on it.
 */
export function nextRoundAt(
  fromMs: number,
  times: readonly number[],
  rhythm: Pick<DemoRhythm, 'dayStartMs' | 'staggerMs'>,
  index: number,
): number {
  if (times.length === 0) return Infinity;
  const offset = rhythm.dayStartMs - index * rhythm.staggerMs;
  // Day number (in the resident's shifted clock) of fromMs; look at that day and the next.
  const day = Math.floor((fromMs + offset) / DAY);
  let best = Infinity;
  for (const d of [day - 1, day, day + 1])
    for (const time of times) {
      const at = d * DAY + time - offset;
      if (at >= fromMs && at < best) best = at;
    }
  return best;
}

/** The demo's time of day (ms after midnight) at a scenario time. */
export function demoTimeOfDay(scenarioMs: number, rhythm: Pick<DemoRhythm, 'dayStartMs'>): number {
  return (((rhythm.dayStartMs + scenarioMs) % DAY) + DAY) % DAY;
}
