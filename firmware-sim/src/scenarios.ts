/**
 * Per-resident clinical scenarios. A scenario is a pure description: vital signs as a function of
 * scenario time (ms since the scenario started) and a random stream, plus falls-sensor events at
 * fixed scenario times. The simulated home runs scenario time faster than real time for demos.
 *
 *   normal         healthy adult: about 122/78 mmHg, pulse about 70 bpm
 *   hypertensive   stage 2 hypertension: about 168/100 mmHg, pulse about 78 bpm
 *   deteriorating  starts normal and drifts, over `deteriorationMs`, toward shock: blood pressure
 *                  falling to about 84/50 mmHg while the pulse climbs to about 128 bpm
 *   fall           normal vital signs; a fall at `fallAtMs`, then a help-button press
 */
import type { Rng } from './prng.js';

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

export type ScenarioEventType = 'fall' | 'help_button';

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
  /** fall: help button pressed this long after the fall; null for never. Default 2 min. */
  helpAfterFallMs?: number | null;
  /** fall: the sensor's confidence, percent. Default 92. */
  fallConfidence?: number;
}

export interface Scenario {
  name: ScenarioName;
  vitals(elapsedMs: number, rng: Rng): VitalSigns;
  events: readonly ScenarioEvent[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DEFAULT_SCENARIO_OPTIONS = {
  deteriorationMs: 5 * DAY,
  fallAtMs: DAY,
  helpAfterFallMs: 2 * 60_000,
  fallConfidence: 92,
} as const;

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
    case 'fall': {
      const events: ScenarioEvent[] = [{ atMs: o.fallAtMs, type: 'fall', confidence: o.fallConfidence }];
      if (o.helpAfterFallMs !== null)
        events.push({ atMs: o.fallAtMs + o.helpAfterFallMs, type: 'help_button' });
      return { name, vitals: (_t, rng) => reading(NORMAL, NORMAL_SD, rng), events };
    }
  }
}
