/**
 * Units on the wire. Every quantity carries its unit explicitly; the server accepts only the
 * canonical unit of each component, so conversions happen once, at the gateway, where the
 * device's own unit flag is known.
 */
export const Unit = {
  mmHg: 'mmHg',
  percent: '%',
  bpm: 'bpm',
  perMinute: '/min',
  celsius: '°C',
  dBm: 'dBm',
  milliseconds: 'ms',
  litresPerMinute: 'L/min',
} as const;
export type Unit = (typeof Unit)[keyof typeof Unit];

/** UCUM codes for FHIR and other standards-based exports. */
export const ucumCode: Record<Unit, string> = {
  mmHg: 'mm[Hg]',
  '%': '%',
  bpm: '/min',
  '/min': '/min',
  '°C': 'Cel',
  dBm: 'dB[mW]',
  ms: 'ms',
  'L/min': 'L/min',
};

const MMHG_PER_KPA = 7.500617;

export function kpaToMmHg(kpa: number): number {
  return Math.round(kpa * MMHG_PER_KPA * 10) / 10;
}

export function fahrenheitToCelsius(f: number): number {
  return Math.round((((f - 32) * 5) / 9) * 100) / 100;
}
