/**
 * Blood Pressure Measurement -> contract observation (kind 'blood_pressure').
 *
 * - kPa readings (flags bit 0 = 1) are converted once, here, with protocol's kpaToMmHg.
 * - A systolic or diastolic special value means no observation, reported as MISSING_VALUE.
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
import type { ObservationOfKind } from '../../../observation.js';
import { kpaToMmHg, Unit } from '../../../units.js';
import type { BloodPressureMeasurement } from './decode.js';

export function toObservations(
  decoded: BloodPressureMeasurement,
  context: ObservationContext,
): ConversionResult {
  const problems: ConversionProblem[] = [];
  const { systolic, diastolic } = decoded;
  if (systolic === null || diastolic === null) {
    problems.push({
      code: ConversionProblemCode.missingValue,
      detail: 'blood pressure: systolic or diastolic is an IEEE 11073 special value',
    });
    return { observations: [], problems };
  }

  const deviceTime = decoded.timestamp === undefined ? undefined : dateTimeToUtcIso(decoded.timestamp);
  const measuredAt = measurementTime(deviceTime, context, problems, 'blood pressure');

  const mmHg = (value: number) => ({
    value: decoded.unit === 'kPa' ? kpaToMmHg(value) : value,
    unit: Unit.mmHg,
  });
  const values: ObservationOfKind<'blood_pressure'>['values'] = {
    systolic: mmHg(systolic),
    diastolic: mmHg(diastolic),
  };
  if (decoded.meanArterial !== null) values.meanArterial = mmHg(decoded.meanArterial);
  if (decoded.pulseRate !== undefined && decoded.pulseRate !== null) {
    values.pulseRate = { value: decoded.pulseRate, unit: Unit.bpm };
  }

  const observation: ObservationOfKind<'blood_pressure'> = {
    id: newObservationId(context),
    deviceId: context.deviceId,
    kind: 'blood_pressure',
    measuredAt,
    seq: context.nextSeq(),
    values,
  };
  return { observations: [observation], problems };
}
