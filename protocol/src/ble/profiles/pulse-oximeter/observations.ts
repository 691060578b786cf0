/**
 * PLX measurements -> contract observations (kind 'spo2', SpO2 % and pulse rate bpm).
 *
 * - No SpO2 (special value) means no observation (MISSING_VALUE); a missing pulse rate is omitted.
 * - A measurement the device itself marks as not a clinical result makes no observation and is
 *   reported (INVALID_VALUE): measurement ongoing, unavailable, questionable or invalid; data for
 *   demonstration or testing; or sensor/equipment faults that void the reading. The contract has
 *   no way to carry "questionable", so such a value is not passed on as if it were sound.
 * - Spot-check: measuredAt is the device time stamp unless absent, invalid, or flagged "device
 *   clock is not set" (then the gateway receive time, reported). Continuous: receive time.
 * - Continuous uses SpO2PR-Normal (the averaging the device recommends for display).
 */
import { dateTimeToUtcIso } from '../../date-time.js';
import { ConversionProblemCode, type ConversionProblem } from '../../errors.js';
import {
  measurementTime,
  newObservationId,
  type ConversionResult,
  type ObservationContext,
} from '../../profile.js';
import type { ObservationOfKind } from '../../../observation.js';
import { Unit } from '../../../units.js';
import type { PlxContinuous, PlxDeviceStatus, PlxMeasurementStatus, PlxSpotCheck } from './decode.js';

const VOIDING_MEASUREMENT_STATUS: readonly (keyof PlxMeasurementStatus)[] = [
  'measurementOngoing',
  'measurementUnavailable',
  'questionableMeasurementDetected',
  'invalidMeasurementDetected',
  'dataForDemonstration',
  'dataForTesting',
  'calibrationOngoing',
];

const VOIDING_DEVICE_STATUS: readonly (keyof PlxDeviceStatus)[] = [
  'equipmentMalfunctionDetected',
  'sensorUnconnectedToUser',
  'sensorDisplaced',
  'sensorMalfunctioning',
  'sensorDisconnected',
  'unknownSensorConnected',
];

function voidedBy(m: { measurementStatus?: PlxMeasurementStatus; deviceStatus?: PlxDeviceStatus }): string[] {
  return [
    ...VOIDING_MEASUREMENT_STATUS.filter((k) => m.measurementStatus?.[k]),
    ...VOIDING_DEVICE_STATUS.filter((k) => m.deviceStatus?.[k]),
  ];
}

function build(
  m: PlxSpotCheck | PlxContinuous,
  measuredAt: string,
  problems: ConversionProblem[],
  context: ObservationContext,
): ConversionResult {
  if (m.spo2 === null) {
    problems.push({ code: ConversionProblemCode.missingValue, detail: 'SpO2: IEEE 11073 special value' });
    return { observations: [], problems };
  }
  const voided = voidedBy(m);
  if (voided.length > 0) {
    problems.push({
      code: ConversionProblemCode.invalidValue,
      detail: `SpO2: device marks the measurement ${voided.join(', ')}`,
    });
    return { observations: [], problems };
  }
  const values: ObservationOfKind<'spo2'>['values'] = { spo2: { value: m.spo2, unit: Unit.percent } };
  if (m.pulseRate !== null) values.pulseRate = { value: m.pulseRate, unit: Unit.bpm };
  const observation: ObservationOfKind<'spo2'> = {
    id: newObservationId(context),
    deviceId: context.deviceId,
    kind: 'spo2',
    measuredAt,
    seq: context.nextSeq(),
    values,
  };
  return { observations: [observation], problems };
}

export function spotCheckToObservations(m: PlxSpotCheck, context: ObservationContext): ConversionResult {
  const problems: ConversionProblem[] = [];
  const deviceTime =
    m.timestamp === undefined ? undefined : m.deviceClockNotSet ? null : dateTimeToUtcIso(m.timestamp);
  const measuredAt = measurementTime(deviceTime, context, problems, 'SpO2');
  return build(m, measuredAt, problems, context);
}

export function continuousToObservations(m: PlxContinuous, context: ObservationContext): ConversionResult {
  return build(m, context.measuredAtFallback, [], context);
}
