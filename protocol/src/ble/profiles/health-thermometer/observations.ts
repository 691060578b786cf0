/**
 * Temperature Measurement -> contract observation (kind 'body_temperature').
 *
 * - Fahrenheit readings are converted once, here, with protocol's fahrenheitToCelsius.
 * - A special value (NaN, NRes, ±INF) means no observation, reported as MISSING_VALUE.
 * - The temperature type becomes the site; a reserved type is omitted.
 * - measuredAt: the device time stamp (UTC, set by the gateway), else the gateway receive time.
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
import { fahrenheitToCelsius, Unit } from '../../../units.js';
import type { TemperatureMeasurement } from './decode.js';

export function toObservations(
  decoded: TemperatureMeasurement,
  context: ObservationContext,
): ConversionResult {
  const problems: ConversionProblem[] = [];
  if (decoded.temperature === null) {
    problems.push({
      code: ConversionProblemCode.missingValue,
      detail: 'temperature: IEEE 11073 special value',
    });
    return { observations: [], problems };
  }
  const deviceTime = decoded.timestamp === undefined ? undefined : dateTimeToUtcIso(decoded.timestamp);
  const measuredAt = measurementTime(deviceTime, context, problems, 'temperature');
  const celsius =
    decoded.unit === 'fahrenheit' ? fahrenheitToCelsius(decoded.temperature) : decoded.temperature;
  const values: ObservationOfKind<'body_temperature'>['values'] = {
    temperature: { value: celsius, unit: Unit.celsius },
  };
  // Object.assign: the contract's TemperatureSite union is built with .map, so its static type
  // lost the literals (it reads as undefined); the validator still checks the value.
  if (decoded.temperatureType) Object.assign(values, { site: decoded.temperatureType });
  const observation: ObservationOfKind<'body_temperature'> = {
    id: newObservationId(context),
    deviceId: context.deviceId,
    kind: 'body_temperature',
    measuredAt,
    seq: context.nextSeq(),
    values,
  };
  return { observations: [observation], problems };
}
