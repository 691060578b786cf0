/**
 * Per-resident clinical scenarios. A scenario is a pure description: vital signs as a function of
 * scenario time (ms since the scenario started) and a random stream, plus falls-sensor events at
 * fixed scenario times. The simulated home runs scenario time faster than real time for demos.
 *
 *   normal         healthy adult: about 122/78 mmHg, pulse about 70 bpm
 *   hypertensive   stage 2 hypertension: about 168/100 mmHg, pulse about 78 bpm
 *   deteriorating  starts normal and drifts, over `deteriorationMs`, toward shock: blood pressure
 *                  falling to about 84/50 mmHg while the pulse climbs to about 128 bpm
 *   fall           normal vital signs; a fall at `fallAtMs`, then one of three aftermaths, as a
 *                  worn pendant reports them (Falls Service revision 1.1):
 *                    helped_up  a help press 1-3 min after the fall, upright 5-20 min after it
 *                               (the most common: someone came and helped them up)
 *                    got_up     upright within 2 min (they got up alone)
 *                    long_lie   no movement 5 min after the fall, and no upright
 */
import { Rng, mixSeed } from './prng.js';

export const SCENARIO_NAMES = ['normal', 'hypertensive', 'deteriorating', 'fall'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(value);
}

/** One cuff reading: pressures in mmHg, pulse in bpm, whole numbers as a cuff displays them. */
export interface VitalSigns {
  systolic: number;
  diastolic: number;
  meanArterial: number;
  pulseRate: number;
}

export type ScenarioEventType = 'fall' | 'help_button' | 'upright' | 'no_movement';

export const FALL_AFTERMATHS = ['helped_up', 'got_up', 'long_lie'] as const;
export type FallAftermath = (typeof FALL_AFTERMATHS)[number];

/** How often each aftermath is drawn when a seed picks it: helped up is the most common. */
export const FALL_AFTERMATH_SHARES: Readonly<Record<FallAftermath, number>> = {
  helped_up: 0.6,
  got_up: 0.2,
  long_lie: 0.2,
};

/** An aftermath drawn by its share (FALL_AFTERMATH_SHARES). */
export function drawFallAftermath(rng: Rng): FallAftermath {
  let u = rng.next();
  for (const aftermath of FALL_AFTERMATHS) {
    u -= FALL_AFTERMATH_SHARES[aftermath];
    if (u < 0) return aftermath;
  }
  return 'helped_up';
}

export interface ScenarioEvent {
  /** Scenario time, ms after the scenario started. */
  atMs: number;
  type: ScenarioEventType;
  /** Fall confidence in percent (falls only). */
  confidence?: number;
}

export interface ScenarioOptions {
  /** deteriorating: scenario time to reach the dangerous state. Default 5 days. */
  deteriorationMs?: number;
  /** fall: scenario time of the fall. Default 24 h. */
  fallAtMs?: number;
  /**
   * fall: what follows the fall. Default: drawn from `seed` by FALL_AFTERMATH_SHARES when a seed is
   * given, else helped_up.
   */
  fallAftermath?: FallAftermath;
  /**
   * fall: draws the aftermath (unless given) and its times within their ranges. Without it, each
   * time is the middle of its range (help 2 min; upright 12.5 min helped up, 75 s got up; no
   * movement 5 min).
   */
  seed?: number;
  /** fall: help button pressed this long after the fall; null for never. Default by aftermath. */
  helpAfterFallMs?: number | null;
  /** fall: upright again this long after the fall; null for never. Default by aftermath. */
  uprightAfterFallMs?: number | null;
  /** fall: the sensor reports no movement this long after the fall; null for never. Default by aftermath. */
  noMovementAfterFallMs?: number | null;
  /** fall: the sensor's confidence, percent. Default 92. */
  fallConfidence?: number;
}

export interface Scenario {
  name: ScenarioName;
  vitals(elapsedMs: number, rng: Rng): VitalSigns;
  events: readonly ScenarioEvent[];
  /** fall: the aftermath its events follow. */
  fallAftermath?: FallAftermath;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULT_SCENARIO_OPTIONS = {
  deteriorationMs: 5 * DAY,
  fallAtMs: DAY,
  helpAfterFallMs: 2 * 60_000,
  fallConfidence: 92,
} as const;

/** Each aftermath's times after the fall, ms: [min, max) of the drawn range; null for none. */
const AFTERMATH_TIMES: Record<
  FallAftermath,
  Record<'help' | 'upright' | 'noMovement', readonly [number, number] | null>
> = {
  helped_up: { help: [1 * MINUTE, 3 * MINUTE], upright: [5 * MINUTE, 20 * MINUTE], noMovement: null },
  got_up: { help: null, upright: [0.5 * MINUTE, 2 * MINUTE], noMovement: null },
  // The protocol's no-movement period: at most 5 minutes (PROTOCOL.md §3.6).
  long_lie: { help: null, upright: null, noMovement: [5 * MINUTE, 5 * MINUTE] },
};

/** The fall and its aftermath, in time order. */
function fallEvents(
  options: ScenarioOptions,
  at: number,
  confidence: number,
): { fallAftermath: FallAftermath; events: ScenarioEvent[] } {
  const rng = options.seed === undefined ? undefined : new Rng(mixSeed(options.seed, 0xfa11));
  const aftermath = options.fallAftermath ?? (rng ? drawFallAftermath(rng) : 'helped_up');
  const ranges = AFTERMATH_TIMES[aftermath];
  const after = (
    given: number | null | undefined,
    range: readonly [number, number] | null,
  ): number | null => {
    if (given !== undefined) return given;
    if (range === null) return null;
    const [min, max] = range;
    // Whole seconds, as a sensor's time stamp has them.
    return Math.round((rng ? rng.range(min, max) : (min + max) / 2) / 1000) * 1000;
  };
  const help = after(options.helpAfterFallMs, ranges.help);
  const upright = after(options.uprightAfterFallMs, ranges.upright);
  const noMovement = after(options.noMovementAfterFallMs, ranges.noMovement);
  const events: ScenarioEvent[] = [{ atMs: at, type: 'fall', confidence }];
  if (help !== null) events.push({ atMs: at + help, type: 'help_button' });
  if (noMovement !== null) events.push({ atMs: at + noMovement, type: 'no_movement' });
  if (upright !== null) events.push({ atMs: at + upright, type: 'upright' });
  return { fallAftermath: aftermath, events: events.sort((a, b) => a.atMs - b.atMs) };
}

interface Baseline {
  systolic: number;
  diastolic: number;
  pulseRate: number;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

function reading(mean: Baseline, sd: Baseline, rng: Rng): VitalSigns {
  const systolic = Math.round(clamp(rng.normal(mean.systolic, sd.systolic), 60, 250));
  // Keep a physiological pulse pressure of at least 20 mmHg.
  const diastolic = Math.round(clamp(rng.normal(mean.diastolic, sd.diastolic), 30, systolic - 20));
  const pulseRate = Math.round(clamp(rng.normal(mean.pulseRate, sd.pulseRate), 30, 220));
  return { systolic, diastolic, meanArterial: Math.round(diastolic + (systolic - diastolic) / 3), pulseRate };
}

const NORMAL: Baseline = { systolic: 122, diastolic: 78, pulseRate: 70 };
const NORMAL_SD: Baseline = { systolic: 6, diastolic: 4, pulseRate: 5 };
const HYPERTENSIVE: Baseline = { systolic: 168, diastolic: 100, pulseRate: 78 };
const HYPERTENSIVE_SD: Baseline = { systolic: 8, diastolic: 5, pulseRate: 6 };
const SHOCK: Baseline = { systolic: 84, diastolic: 50, pulseRate: 128 };
const DRIFT_SD: Baseline = { systolic: 3, diastolic: 2, pulseRate: 3 };

export function createScenario(name: ScenarioName, options: ScenarioOptions = {}): Scenario {
  const o = { ...DEFAULT_SCENARIO_OPTIONS, ...options };
  switch (name) {
    case 'normal':
      return { name, vitals: (_t, rng) => reading(NORMAL, NORMAL_SD, rng), events: [] };
    case 'hypertensive':
      return { name, vitals: (_t, rng) => reading(HYPERTENSIVE, HYPERTENSIVE_SD, rng), events: [] };
    case 'deteriorating':
      return {
        name,
        vitals(elapsedMs, rng) {
          // Slow at first, then faster: progress^1.5 of the way from normal to shock.
          const progress = clamp(elapsedMs / o.deteriorationMs, 0, 1) ** 1.5;
          const at = (key: keyof Baseline) => NORMAL[key] + (SHOCK[key] - NORMAL[key]) * progress;
          return reading(
            { systolic: at('systolic'), diastolic: at('diastolic'), pulseRate: at('pulseRate') },
            DRIFT_SD,
            rng,
          );
        },
        events: [],
      };
    case 'fall':
      return {
        name,
        vitals: (_t, rng) => reading(NORMAL, NORMAL_SD, rng),
        ...fallEvents(options, o.fallAtMs, o.fallConfidence),
      };
  }
}
