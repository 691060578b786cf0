import type { BedState, Observation, ObservationEvent } from '@wardline/protocol';

/** Small builders for unit tests of the dashboard's pure logic. */

export const NOW = Date.parse('2025-03-04T12:00:00.000Z');

export function iso(msBeforeNow: number): string {
  return new Date(NOW - msBeforeNow).toISOString();
}

let seq = 0;
function envelope(measuredAt: string) {
  seq += 1;
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    deviceId: 'ble-aa:bb:cc:dd:ee:ff',
    measuredAt,
    seq,
  };
}

export function bp(measuredAt: string, systolic: number, diastolic: number, pulseRate?: number): Observation {
  return {
    ...envelope(measuredAt),
    kind: 'blood_pressure',
    values: {
      systolic: { value: systolic, unit: 'mmHg' },
      diastolic: { value: diastolic, unit: 'mmHg' },
      ...(pulseRate !== undefined && { pulseRate: { value: pulseRate, unit: 'bpm' } }),
    },
  };
}

export function heartRate(measuredAt: string, value: number): Observation {
  return { ...envelope(measuredAt), kind: 'heart_rate', values: { heartRate: { value, unit: 'bpm' } } };
}

export function oximetry(measuredAt: string, value: number, pulseRate?: number): Observation {
  return {
    ...envelope(measuredAt),
    kind: 'spo2',
    values: {
      spo2: { value, unit: '%' },
      ...(pulseRate !== undefined && { pulseRate: { value: pulseRate, unit: 'bpm' } }),
    },
  };
}

export function temp(measuredAt: string, value: number): Observation {
  return {
    ...envelope(measuredAt),
    kind: 'body_temperature',
    values: { temperature: { value, unit: '°C' } },
  };
}

export function fall(measuredAt: string): Observation {
  return { ...envelope(measuredAt), kind: 'fall', values: {} };
}

export function help(measuredAt: string): Observation {
  return { ...envelope(measuredAt), kind: 'help_request', values: {} };
}

export function fallsSensorEvent(kind: 'upright' | 'no_movement', measuredAt: string): Observation {
  return { ...envelope(measuredAt), kind, values: {} };
}

export function bed(overrides: Partial<BedState> & { observations?: Observation[] } = {}): BedState {
  const { observations = [], ...rest } = overrides;
  const latest: BedState['latest'] = {};
  for (const o of observations) latest[o.kind] = { observation: o, receivedAt: o.measuredAt };
  return {
    bedId: 'bed-1',
    label: 'Bed 1',
    wardId: 'ward-1',
    patient: { id: 'patient-1', displayName: 'Jane Smith', wardId: 'ward-1', bedId: 'bed-1' },
    latest,
    devices: [],
    gateway: null,
    ...rest,
  };
}

export function observationEvent(
  observation: Observation,
  overrides: Partial<ObservationEvent> = {},
): ObservationEvent {
  return {
    wardId: 'ward-1',
    bedId: 'bed-1',
    patientId: 'patient-1',
    observation,
    receivedAt: observation.measuredAt,
    ...overrides,
  };
}
