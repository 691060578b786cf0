/**
 * What an observation round finds besides blood pressure: SpO2 and temperature (measured by the
 * resident's oximeter and thermometer) and respiration rate, consciousness and oxygen (which no
 * device measures: staff count and note them). Pure, like the scenarios: a function of scenario
 * time and a random stream.
 *
 *   normal, hypertensive, fall   SpO2 about 96 %, 36.7 °C, 16 breaths/min, alert, on air
 *   deteriorating                over `deteriorationMs`, drifting (as sepsis does) toward SpO2
 *                                89 %, 38.9 °C, 26 breaths/min, and new confusion in the last fifth
 */
import type { Rng } from './prng.js';
import { DEFAULT_SCENARIO_OPTIONS, type ScenarioName, type ScenarioOptions } from './scenarios.js';

export interface SpotVitals {
  /** % */
  spo2: number;
  /** °C, at 0.1 as a thermometer shows it */
  temperature: number;
  /** breaths/min */
  respirationRate: number;
  /** ACVPU: A alert, C new confusion */
  consciousness: 'A' | 'C';
  onOxygen: boolean;
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

const WELL = { spo2: 96.5, temperature: 36.7, respirationRate: 16 };
const UNWELL = { spo2: 89, temperature: 38.9, respirationRate: 26 };

/** How far a deteriorating resident has gone, 0..1: slow at first, then faster (as its cuff). */
export function deteriorationProgress(elapsedMs: number, options: ScenarioOptions = {}): number {
  const span = options.deteriorationMs ?? DEFAULT_SCENARIO_OPTIONS.deteriorationMs;
  return clamp(elapsedMs / span, 0, 1) ** 1.5;
}

export function spotVitals(
  scenario: ScenarioName,
  elapsedMs: number,
  rng: Rng,
  options: ScenarioOptions = {},
): SpotVitals {
  const progress = scenario === 'deteriorating' ? deteriorationProgress(elapsedMs, options) : 0;
  const at = (key: keyof typeof WELL) => WELL[key] + (UNWELL[key] - WELL[key]) * progress;
  return {
    spo2: Math.round(clamp(rng.normal(at('spo2'), 0.8), 70, 100)),
    temperature: Math.round(clamp(rng.normal(at('temperature'), 0.15), 34, 41) * 10) / 10,
    respirationRate: Math.round(clamp(rng.normal(at('respirationRate'), 1), 8, 40)),
    consciousness: progress > 0.8 ? 'C' : 'A',
    onOxygen: false,
  };
}
