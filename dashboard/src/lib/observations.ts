import type { Observation, ObservationKind } from '@wardline/protocol';
import { formatQuantity } from './vitals.js';

/** Names and values of any stored observation, for history tables. */

export const KIND_LABEL: Record<ObservationKind, string> = {
  blood_pressure: 'Blood pressure',
  spo2: 'Oxygen saturation',
  body_temperature: 'Temperature',
  heart_rate: 'Heart rate',
  respiration_rate: 'Respiration rate',
  fall: 'Fall',
  help_request: 'Help request',
  upright: 'Upright again',
  no_movement: 'No movement',
  consciousness: 'Consciousness (ACVPU)',
  inspired_oxygen: 'Inspired oxygen',
};

const ACVPU: Record<string, string> = {
  A: 'Alert',
  C: 'New confusion',
  V: 'Responds to voice',
  P: 'Responds to pain',
  U: 'Unresponsive',
};

export function kindLabel(kind: string): string {
  return (KIND_LABEL as Record<string, string>)[kind] ?? kind;
}

/** "132/84 mmHg, pulse 68 bpm", "97%", "Fall detected (93% confidence)". */
export function observationValue(o: Observation): string {
  switch (o.kind) {
    case 'blood_pressure': {
      const { systolic, diastolic, pulseRate } = o.values;
      const bp = `${Math.round(systolic.value)}/${Math.round(diastolic.value)} ${systolic.unit}`;
      return pulseRate ? `${bp}, pulse ${formatQuantity(pulseRate.value, pulseRate.unit)}` : bp;
    }
    case 'spo2': {
      const { spo2, pulseRate } = o.values;
      const text = formatQuantity(spo2.value, spo2.unit);
      return pulseRate ? `${text}, pulse ${formatQuantity(pulseRate.value, pulseRate.unit)}` : text;
    }
    case 'body_temperature': {
      const { temperature, site } = o.values;
      return `${formatQuantity(temperature.value, temperature.unit, 1)}${site ? ` (${site})` : ''}`;
    }
    case 'heart_rate':
      return formatQuantity(o.values.heartRate.value, o.values.heartRate.unit);
    case 'respiration_rate':
      return formatQuantity(o.values.respirationRate.value, o.values.respirationRate.unit);
    case 'fall':
      return o.values.confidence
        ? `Fall detected (${formatQuantity(o.values.confidence.value, o.values.confidence.unit)} confidence)`
        : 'Fall detected';
    case 'help_request':
      return 'Help requested';
    case 'upright':
      return 'Upright again (sensor)';
    case 'no_movement':
      return 'No movement (sensor)';
    case 'consciousness':
      return `${o.values.acvpu} — ${ACVPU[o.values.acvpu] ?? ''}`;
    case 'inspired_oxygen':
      if (!o.values.onOxygen) return 'Breathing air';
      return o.values.flowRate
        ? `On oxygen, ${formatQuantity(o.values.flowRate.value, o.values.flowRate.unit, 1)}`
        : 'On oxygen';
  }
}
