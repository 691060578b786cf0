/**
 * Blood Pressure Measurement -> contract observations (kind 'blood_pressure').
 *
 * - kPa readings (flags bit 0 = 1) are converted once, here, with protocol's kpaToMmHg.
 * - The Measurement Status bits become the observation's quality flags: the reading is passed on
 *   flagged, never dropped, so the server stores it and the nurse sees why to repeat it.
 * - A systolic or diastolic special value means no blood_pressure observation (MISSING_VALUE);
 *   a valid pulse rate in the same measurement is still passed on, as a heart_rate observation
 *   with the same quality flags (the contract's blood_pressure needs both pressures).
 * - A missing mean arterial pressure or pulse rate (flag clear or special value) is omitted.
 * - measuredAt is the device time stamp (read as UTC: gateways set cuff clocks to UTC); without a
 *   usable time stamp it is the gateway receive time, and an unusable one is reported.
 */
import { dateTimeToUtcIso } from '../../date-time.js';
import { ConversionProblemCode, type ConversionProblem } from '../../errors.js';
import {
  measurementTime,
  newObservationId,
  type ConversionResult,
  type ObservationContext,
} from '../../profile.js';
import type { Observation, ObservationOfKind, QualityFlag } from '../../../observation.js';
import { kpaToMmHg, Unit } from '../../../units.js';
import type { BloodPressureMeasurement, MeasurementStatus } from './decode.js';

/** BLS 3.1 Measurement Status -> contract quality flags, in QUALITY_FLAGS order. */
export function qualityFlags(status: MeasurementStatus | undefined): QualityFlag[] {
  if (status === undefined) return [];
  const flags: QualityFlag[] = [];
  if (status.bodyMovement) flags.push('body_movement');
  if (status.cuffTooLoose) flags.push('cuff_too_loose');
  if (status.irregularPulse) flags.push('irregular_pulse');
  if (status.pulseRateRange === 'aboveUpperLimit') flags.push('pulse_rate_high');
  if (status.pulseRateRange === 'belowLowerLimit') flags.push('pulse_rate_low');
  if (status.improperPosition) flags.push('improper_position');
  return flags;
}

export function toObservations(
  decoded: BloodPressureMeasurement,
  context: ObservationContext,
): ConversionResult {
  const problems: ConversionProblem[] = [];
  const { systolic, diastolic } = decoded;
  const pulseRate = decoded.pulseRate ?? null;
  const pressureMissing = systolic === null || diastolic === null;
  if (pressureMissing) {
    problems.push({
      code: ConversionProblemCode.missingValue,
      detail: 'blood pressure: systolic or diastolic is an IEEE 11073 special value',
    });
    if (pulseRate === null) return { observations: [], problems };
  }

  const deviceTime = decoded.timestamp === undefined ? undefined : dateTimeToUtcIso(decoded.timestamp);
  const measuredAt = measurementTime(deviceTime, context, problems, 'blood pressure');
  const quality = qualityFlags(decoded.measurementStatus);
  const envelope = {
    id: newObservationId(context),
    deviceId: context.deviceId,
    measuredAt,
    seq: context.nextSeq(),
    ...(quality.length > 0 ? { quality } : {}),
  };

  if (pressureMissing) {
    const heartRate: ObservationOfKind<'heart_rate'> = {
      ...envelope,
      kind: 'heart_rate',
      values: { heartRate: { value: pulseRate as number, unit: Unit.bpm } },
    };
    return { observations: [heartRate], problems };
  }

  const mmHg = (value: number) => ({
    value: decoded.unit === 'kPa' ? kpaToMmHg(value) : value,
    unit: Unit.mmHg,
  });
  const values: ObservationOfKind<'blood_pressure'>['values'] = {
    systolic: mmHg(systolic as number),
    diastolic: mmHg(diastolic as number),
  };
  if (decoded.meanArterial !== null) values.meanArterial = mmHg(decoded.meanArterial);
  if (pulseRate !== null) values.pulseRate = { value: pulseRate, unit: Unit.bpm };

  const observation: Observation = { ...envelope, kind: 'blood_pressure', values };
  return { observations: [observation], problems };
}
