import type { BedState, LatestObservation, ObservationKind, ObservationOfKind } from '@wardline/protocol';
import { DAY, MINUTE, parseTime } from './time.js';

/**
 * Turns a bed's latest observations into what a card shows. Pure functions of (bed, now), so the
 * clinical display rules live in one place and are unit-tested.
 */

/** How old a value may be before it is greyed out and labelled stale. */
export const STALE_AFTER_MS = {
  bloodPressure: DAY,
  pulse: DAY,
  spo2: DAY,
  temperature: DAY,
} as const;

/** How long a fall or help request stays on screen. There is no acknowledgement yet. */
export const ALERT_WINDOW_MS = 30 * MINUTE;

/** A fall or help request is also shown as "received" when it arrived this much after it happened. */
const LATE_ARRIVAL_MS = 5 * MINUTE;

export interface VitalReading {
  /** Value with its unit, e.g. "132/84 mmHg". */
  text: string;
  measuredAt: number;
  stale: boolean;
}

export interface PulseReading extends VitalReading {
  source: 'blood_pressure' | 'heart_rate' | 'spo2';
}

interface Latest<K extends ObservationKind> {
  observation: ObservationOfKind<K>;
  receivedAt: string;
  measuredAt: number;
}

function latestOf<K extends ObservationKind>(bed: BedState, kind: K): Latest<K> | null {
  const entry: LatestObservation | undefined = bed.latest[kind];
  if (!entry || entry.observation.kind !== kind) return null;
  const measuredAt = parseTime(entry.observation.measuredAt);
  if (measuredAt === null) return null;
  return { observation: entry.observation as ObservationOfKind<K>, receivedAt: entry.receivedAt, measuredAt };
}

/** "132 mmHg", "97%", "37.2 °C": a percent sign sits against its number, other units are spaced. */
export function formatQuantity(value: number, unit: string, decimals = 0): string {
  const n = value.toFixed(decimals);
  return unit === '%' ? `${n}%` : `${n} ${unit}`;
}

function reading(text: string, measuredAt: number, now: number, staleAfter: number): VitalReading {
  return { text, measuredAt, stale: now - measuredAt > staleAfter };
}

export function bloodPressure(bed: BedState, now: number): VitalReading | null {
  const bp = latestOf(bed, 'blood_pressure');
  if (!bp) return null;
  const { systolic, diastolic } = bp.observation.values;
  const text = `${Math.round(systolic.value)}/${Math.round(diastolic.value)} ${systolic.unit}`;
  return reading(text, bp.measuredAt, now, STALE_AFTER_MS.bloodPressure);
}

/** The newest pulse from a BP cuff, a heart-rate sensor or a pulse oximeter. */
export function pulse(bed: BedState, now: number): PulseReading | null {
  const candidates: { source: PulseReading['source']; value: number; unit: string; measuredAt: number }[] =
    [];
  const bp = latestOf(bed, 'blood_pressure');
  if (bp?.observation.values.pulseRate) {
    const { value, unit } = bp.observation.values.pulseRate;
    candidates.push({ source: 'blood_pressure', value, unit, measuredAt: bp.measuredAt });
  }
  const hr = latestOf(bed, 'heart_rate');
  if (hr) {
    const { value, unit } = hr.observation.values.heartRate;
    candidates.push({ source: 'heart_rate', value, unit, measuredAt: hr.measuredAt });
  }
  const ox = latestOf(bed, 'spo2');
  if (ox?.observation.values.pulseRate) {
    const { value, unit } = ox.observation.values.pulseRate;
    candidates.push({ source: 'spo2', value, unit, measuredAt: ox.measuredAt });
  }
  let newest = candidates[0];
  for (const c of candidates) if (newest && c.measuredAt > newest.measuredAt) newest = c;
  if (!newest) return null;
  return {
    ...reading(formatQuantity(newest.value, newest.unit), newest.measuredAt, now, STALE_AFTER_MS.pulse),
    source: newest.source,
  };
}

export function spo2(bed: BedState, now: number): VitalReading | null {
  const ox = latestOf(bed, 'spo2');
  if (!ox) return null;
  const { value, unit } = ox.observation.values.spo2;
  return reading(formatQuantity(value, unit), ox.measuredAt, now, STALE_AFTER_MS.spo2);
}

export function temperature(bed: BedState, now: number): VitalReading | null {
  const t = latestOf(bed, 'body_temperature');
  if (!t) return null;
  const { value, unit } = t.observation.values.temperature;
  return reading(formatQuantity(value, unit, 1), t.measuredAt, now, STALE_AFTER_MS.temperature);
}

export type AlertKind = 'fall' | 'help_request' | 'no_movement';

export interface ActiveAlert {
  kind: AlertKind;
  measuredAt: number;
  receivedAt: number;
  /** The event reached the server well after it happened (for example a gateway was offline). */
  late: boolean;
  /** A fall only: when the sensor last saw the resident upright again after it. */
  uprightAt?: number;
}

/**
 * Falls and help requests to show on a bed, newest first. One stays active for ALERT_WINDOW_MS
 * from when it happened or, if it arrived late, from when it arrived: a fall that reaches us after
 * a gateway outage is still news. Later vital-sign readings do not clear it; a wearable streaming
 * heart rate would otherwise hide a fall within seconds.
 */
export function activeAlerts(bed: BedState, now: number): ActiveAlert[] {
  if (!bed.patient) return [];
  const alerts: ActiveAlert[] = [];
  const upright = latestOf(bed, 'upright');
  for (const kind of ['fall', 'no_movement', 'help_request'] as const) {
    const entry = latestOf(bed, kind);
    if (!entry) continue;
    const receivedAt = parseTime(entry.receivedAt) ?? entry.measuredAt;
    if (now - Math.max(entry.measuredAt, receivedAt) > ALERT_WINDOW_MS) continue;
    alerts.push({
      kind,
      measuredAt: entry.measuredAt,
      receivedAt,
      late: receivedAt - entry.measuredAt > LATE_ARRIVAL_MS,
      ...(kind === 'fall' && upright && upright.measuredAt >= entry.measuredAt
        ? { uprightAt: upright.measuredAt }
        : {}),
    });
  }
  return alerts.sort((a, b) => b.measuredAt - a.measuredAt);
}

export const LOW_BATTERY_PERCENT = 20;

export function respirationRate(bed: BedState, now: number): VitalReading | null {
  const r = latestOf(bed, 'respiration_rate');
  if (!r) return null;
  const { value, unit } = r.observation.values.respirationRate;
  return reading(formatQuantity(value, unit), r.measuredAt, now, DAY);
}
