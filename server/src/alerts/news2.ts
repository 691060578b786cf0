/**
 * NEWS2, exactly as the Royal College of Physicians' 2017 chart. Pure and table-driven: each
 * parameter is a list of bands (inclusive upper bound -> score) read top to bottom.
 *
 * Values between the chart's steps (a device reporting SpO2 91.5 or 35.05 °C; the chart uses one
 * decimal for temperature, whole numbers for everything else) score the worse of the two chart
 * values either side: the reading could stand for either, depending on how it was rounded for
 * display, and a score must never be lower than the chart gives for any value the reading could
 * stand for. So 35.05 °C scores as 35.0 (3), SpO2 91.5 % on scale 1 as 91 (3), respiration 20.5
 * as 21 (2). A value exactly on a step scores that step.
 */
import { news2MissingText } from '@wardline/protocol';

/** The missing list in words ("respiration rate, SpO2 and air or oxygen not recorded"), or null. */
export { news2MissingText };

export type SpO2Scale = 1 | 2;
export type Acvpu = 'A' | 'C' | 'V' | 'P' | 'U';
export type News2Risk = 'low' | 'low-medium' | 'medium' | 'high';

export const NEWS2_PARAMETERS = [
  'respirationRate',
  'spo2',
  'airOrOxygen',
  'systolic',
  'pulse',
  'consciousness',
  'temperature',
] as const;
export type News2Parameter = (typeof NEWS2_PARAMETERS)[number];

export interface News2Inputs {
  respirationRate?: number;
  spo2?: number;
  onOxygen?: boolean;
  systolic?: number;
  pulse?: number;
  consciousness?: Acvpu;
  temperature?: number;
}

type Bands = readonly (readonly [upTo: number, score: number])[];

// NEWS2 chart: respiration rate (per minute)
const RESPIRATION: Bands = [
  [8, 3],
  [11, 1],
  [20, 0],
  [24, 2],
  [Infinity, 3],
];
// NEWS2 chart: SpO2 scale 1 (%)
const SPO2_SCALE_1: Bands = [
  [91, 3],
  [93, 2],
  [95, 1],
  [Infinity, 0],
];
// NEWS2 chart: SpO2 scale 2 (%), at or below the 88-92 target; above it depends on air or oxygen
const SPO2_SCALE_2_LOW: Bands = [
  [83, 3],
  [85, 2],
  [87, 1],
  [92, 0],
];
// NEWS2 chart: SpO2 scale 2, >= 93 on oxygen
const SPO2_SCALE_2_ON_OXYGEN: Bands = [
  [94, 1],
  [96, 2],
  [Infinity, 3],
];
// NEWS2 chart: systolic blood pressure (mmHg)
const SYSTOLIC: Bands = [
  [90, 3],
  [100, 2],
  [110, 1],
  [219, 0],
  [Infinity, 3],
];
// NEWS2 chart: pulse (per minute)
const PULSE: Bands = [
  [40, 3],
  [50, 1],
  [90, 0],
  [110, 1],
  [130, 2],
  [Infinity, 3],
];
// NEWS2 chart: temperature (°C), one decimal
const TEMPERATURE: Bands = [
  [35.0, 3],
  [36.0, 1],
  [38.0, 0],
  [39.0, 1],
  [Infinity, 2],
];

/**
 * Nearest step, halves upwards: for display and the BP rules' whole millimetres, not for NEWS2
 * scoring (see chartSteps). toPrecision first so 36.05 (36.04999... in binary) rounds up. */
export function roundToChart(value: number, decimals: 0 | 1): number {
  const factor = 10 ** decimals;
  return Math.floor(Number((value * factor).toPrecision(12)) + 0.5) / factor;
}

/**
 * The chart values a reading could stand for: itself when on a step, else the steps either side.
 * toPrecision first, so that binary noise (36.1 as 36.10000000000001) does not make a step look
 * like a value between two.
 */
export function chartSteps(value: number, decimals: 0 | 1): number[] {
  const factor = 10 ** decimals;
  const scaled = Number((value * factor).toPrecision(12));
  const below = Math.floor(scaled);
  return below === scaled ? [below / factor] : [below / factor, (below + 1) / factor];
}

function band(bands: Bands, value: number): number {
  for (const [upTo, score] of bands) if (value <= upTo) return score;
  throw new RangeError(`no band for ${value}`);
}

/** The highest score of the chart values the reading could stand for (see the header). */
function worstOf(value: number, decimals: 0 | 1, score: (step: number) => number): number {
  return Math.max(...chartSteps(value, decimals).map(score));
}

export const scoreRespirationRate = (rate: number) => worstOf(rate, 0, (v) => band(RESPIRATION, v));
export const scoreSystolic = (mmHg: number) => worstOf(mmHg, 0, (v) => band(SYSTOLIC, v));
export const scorePulse = (bpm: number) => worstOf(bpm, 0, (v) => band(PULSE, v));
export const scoreTemperature = (celsius: number) => worstOf(celsius, 1, (v) => band(TEMPERATURE, v));
// NEWS2 chart: air or oxygen
export const scoreAirOrOxygen = (onOxygen: boolean) => (onOxygen ? 2 : 0);
// NEWS2 chart: consciousness; new confusion scores as V, P or U do
export const scoreConsciousness = (level: Acvpu) => (level === 'A' ? 0 : 3);

/**
 * SpO2 on the patient's scale. Scale 2 scores >= 93 % only when on oxygen; when oxygen is not
 * known it is scored as air, which can only understate the score (see partial scores).
 */
export function scoreSpo2(percent: number, scale: SpO2Scale, onOxygen: boolean | undefined): number {
  return worstOf(percent, 0, (spo2) => {
    if (scale === 1) return band(SPO2_SCALE_1, spo2);
    if (spo2 <= 92) return band(SPO2_SCALE_2_LOW, spo2);
    return onOxygen === true ? band(SPO2_SCALE_2_ON_OXYGEN, spo2) : 0;
  });
}

/** NEWS2 chart: clinical risk from the aggregate and any single red score. */
export function news2Risk(aggregate: number, anySingleThree: boolean): News2Risk {
  if (aggregate >= 7) return 'high';
  if (aggregate >= 5) return 'medium';
  return anySingleThree ? 'low-medium' : 'low';
}

export interface News2Result {
  /** Sum of the parameters present; with any missing it is a partial score and a lower bound. */
  score: number;
  complete: boolean;
  missing: News2Parameter[];
  /** The missing list in words, null when complete. */
  missingText: string | null;
  parameters: Partial<Record<News2Parameter, number>>;
  anySingleThree: boolean;
  risk: News2Risk;
}

export function news2(inputs: News2Inputs, scale: SpO2Scale): News2Result {
  const parameters: Partial<Record<News2Parameter, number>> = {};
  if (inputs.respirationRate !== undefined)
    parameters.respirationRate = scoreRespirationRate(inputs.respirationRate);
  if (inputs.spo2 !== undefined) parameters.spo2 = scoreSpo2(inputs.spo2, scale, inputs.onOxygen);
  if (inputs.onOxygen !== undefined) parameters.airOrOxygen = scoreAirOrOxygen(inputs.onOxygen);
  if (inputs.systolic !== undefined) parameters.systolic = scoreSystolic(inputs.systolic);
  if (inputs.pulse !== undefined) parameters.pulse = scorePulse(inputs.pulse);
  if (inputs.consciousness !== undefined) parameters.consciousness = scoreConsciousness(inputs.consciousness);
  if (inputs.temperature !== undefined) parameters.temperature = scoreTemperature(inputs.temperature);
  const scores = Object.values(parameters);
  const score = scores.reduce((sum, s) => sum + s, 0);
  const anySingleThree = scores.includes(3);
  const missing = NEWS2_PARAMETERS.filter((p) => parameters[p] === undefined);
  return {
    score,
    complete: missing.length === 0,
    missing,
    missingText: news2MissingText(missing),
    parameters,
    anySingleThree,
    risk: news2Risk(score, anySingleThree),
  };
}
