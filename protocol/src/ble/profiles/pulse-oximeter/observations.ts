/**
 * PLX measurements -> contract observations (kind 'spo2', SpO2 % and pulse rate bpm).
 *
 * - No SpO2 (special value) means no observation (MISSING_VALUE); a missing pulse rate is omitted.
 * - A measurement the device itself marks as not a reading of a person makes no observation and is
 *   reported (INVALID_VALUE): measurement ongoing, unavailable or invalid; data for demonstration
 *   or testing; calibration; equipment or sensor faults, no sensor or an unknown one on the user.
 * - A measurement the device marks as doubtful (questionable, low perfusion, erratic, weak or
 *   displaced sensor) is passed on with quality flags, as the cuff's are: stored and shown marked,
 *   and the server keeps it out of alerting and NEWS2 (protocol isUnreliable).
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
import type { ObservationOfKind, QualityFlag } from '../../../observation.js';
import { Unit } from '../../../units.js';
import type { PlxContinuous, PlxDeviceStatus, PlxMeasurementStatus, PlxSpotCheck } from './decode.js';

const VOIDING_MEASUREMENT_STATUS: readonly (keyof PlxMeasurementStatus)[] = [
  'measurementOngoing',
  'measurementUnavailable',
  'invalidMeasurementDetected',
  'dataForDemonstration',
  'dataForTesting',
  'calibrationOngoing',
];

const VOIDING_DEVICE_STATUS: readonly (keyof PlxDeviceStatus)[] = [
  'equipmentMalfunctionDetected',
  'sensorUnconnectedToUser',
  'sensorMalfunctioning',
  'sensorDisconnected',
  'unknownSensorConnected',
];

/** PLXS status bits -> contract quality flags. Several bits can mean one flag. */
const MEASUREMENT_STATUS_FLAGS: readonly [keyof PlxMeasurementStatus, QualityFlag][] = [
  ['questionableMeasurementDetected', 'measurement_questionable'],
];
const DEVICE_STATUS_FLAGS: readonly [keyof PlxDeviceStatus, QualityFlag][] = [
  ['signalProcessingIrregularityDetected', 'measurement_questionable'],
  ['questionablePulseDetected', 'measurement_questionable'],
  ['lowPerfusionDetected', 'low_perfusion'],
  ['erraticSignalDetected', 'erratic_signal'],
  ['sensorInterferenceDetected', 'erratic_signal'],
  ['inadequateSignalDetected', 'signal_weak'],
  ['poorSignalDetected', 'signal_weak'],
  ['nonpulsatileSignalDetected', 'signal_weak'],
  ['sensorDisplaced', 'sensor_displaced'],
];
const FLAG_ORDER: readonly QualityFlag[] = [
  'measurement_questionable',
  'low_perfusion',
  'erratic_signal',
  'signal_weak',
  'sensor_displaced',
];

export function qualityFlags(m: {
  measurementStatus?: PlxMeasurementStatus;
  deviceStatus?: PlxDeviceStatus;
}): QualityFlag[] {
  const flags = new Set<QualityFlag>();
  for (const [bit, flag] of MEASUREMENT_STATUS_FLAGS) if (m.measurementStatus?.[bit]) flags.add(flag);
  for (const [bit, flag] of DEVICE_STATUS_FLAGS) if (m.deviceStatus?.[bit]) flags.add(flag);
  return FLAG_ORDER.filter((flag) => flags.has(flag));
}

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
  const quality = qualityFlags(m);
  const observation: ObservationOfKind<'spo2'> = {
    id: newObservationId(context),
    deviceId: context.deviceId,
    kind: 'spo2',
    measuredAt,
    seq: context.nextSeq(),
    ...(quality.length > 0 ? { quality } : {}),
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
