/**
 * Falls Event -> contract observations (PROTOCOL.md §4):
 *   fall        -> kind 'fall', with confidence (%) when the device gave one
 *   help button -> kind 'help_request'
 *   upright     -> kind 'upright' (the wearer is up again)
 *   no movement -> kind 'no_movement' (the wearer has not moved for the sensor's set time)
 *   heartbeat   -> nothing (the gateway updates the device's lastSeen for every value)
 * measuredAt is the device's UTC time stamp, or the gateway receive time when its clock is not set.
 */
import type { ConversionProblem } from '../../errors.js';
import {
  measurementTime,
  newObservationId,
  type ConversionResult,
  type ObservationContext,
} from '../../profile.js';
import type { Observation } from '../../../observation.js';
import { Unit } from '../../../units.js';
import type { FallsEvent } from './decode.js';

const EVENT_KINDS = {
  help_button: 'help_request',
  upright: 'upright',
  no_movement: 'no_movement',
} as const;

export function epochSecondsToUtcIso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function toObservations(decoded: FallsEvent, context: ObservationContext): ConversionResult {
  if (decoded.type === 'heartbeat') return { observations: [], problems: [] };

  const problems: ConversionProblem[] = [];
  const deviceTime = decoded.timestamp === null ? null : epochSecondsToUtcIso(decoded.timestamp);
  const measuredAt = measurementTime(deviceTime, context, problems, 'falls event');

  const envelope = { id: newObservationId(context), deviceId: context.deviceId, measuredAt };
  let observation: Observation;
  if (decoded.type === 'fall') {
    observation = {
      ...envelope,
      kind: 'fall',
      seq: context.nextSeq(),
      values:
        decoded.confidence === null ? {} : { confidence: { value: decoded.confidence, unit: Unit.percent } },
    };
  } else {
    const kind = EVENT_KINDS[decoded.type];
    observation = { ...envelope, kind, seq: context.nextSeq(), values: {} };
  }
  return { observations: [observation], problems };
}
