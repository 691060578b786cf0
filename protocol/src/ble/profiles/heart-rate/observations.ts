/**
 * Heart Rate Measurement -> contract observation (kind 'heart_rate').
 *
 * - A sensor that supports contact detection and reports no contact measured nothing: no
 *   observation, reported as MISSING_VALUE.
 * - RR-intervals are converted from 1/1024 s to ms exactly; beyond the contract's 64 per
 *   observation the rest are dropped and that is reported (INVALID_VALUE).
 * - HRS carries no time stamp: measuredAt is the gateway receive time.
 * - Energy expended has no place in the contract and is not sent.
 */
import { ConversionProblemCode, type ConversionProblem } from '../../errors.js';
import { newObservationId, type ConversionResult, type ObservationContext } from '../../profile.js';
import type { ObservationOfKind } from '../../../observation.js';
import { Unit } from '../../../units.js';
import { rrToMilliseconds, type HeartRateMeasurement } from './decode.js';

export const MAX_RR_INTERVALS = 64;

export function toObservations(decoded: HeartRateMeasurement, context: ObservationContext): ConversionResult {
  const problems: ConversionProblem[] = [];
  if (decoded.sensorContact === 'notDetected') {
    problems.push({
      code: ConversionProblemCode.missingValue,
      detail: 'heart rate: sensor reports no skin contact',
    });
    return { observations: [], problems };
  }
  const values: ObservationOfKind<'heart_rate'>['values'] = {
    heartRate: { value: decoded.heartRate, unit: Unit.bpm },
  };
  if (decoded.rrIntervals !== undefined && decoded.rrIntervals.length > 0) {
    if (decoded.rrIntervals.length > MAX_RR_INTERVALS) {
      problems.push({
        code: ConversionProblemCode.invalidValue,
        detail: `heart rate: more than ${MAX_RR_INTERVALS} RR-intervals, the rest not sent`,
      });
    }
    values.rrIntervals = {
      value: decoded.rrIntervals.slice(0, MAX_RR_INTERVALS).map(rrToMilliseconds),
      unit: Unit.milliseconds,
    };
  }
  const observation: ObservationOfKind<'heart_rate'> = {
    id: newObservationId(context),
    deviceId: context.deviceId,
    kind: 'heart_rate',
    measuredAt: context.measuredAtFallback,
    seq: context.nextSeq(),
    values,
  };
  return { observations: [observation], problems };
}
