/** Falls sensors: Wardline Falls Service 1 (PROTOCOL.md), plus Battery Service for the battery. */
import type { CharacteristicHandler } from '../../profile.js';
import { decode, type FallsEvent } from './decode.js';
import { FALLS_EVENT_UUID, FALLS_SERVICE_UUID } from './gatt.js';
import { toObservations } from './observations.js';

export * from './gatt.js';
export * from './decode.js';
export * from './encode.js';
export * from './observations.js';

/** PROTOCOL.md §5: devices send each fall/help event 3 times, 1 s apart; gateways merge repeats. */
export const REPEAT_WINDOW_MS = 30_000;

export const eventHandler: CharacteristicHandler<FallsEvent> = {
  profile: 'falls',
  name: 'Falls Event',
  serviceUuid: FALLS_SERVICE_UUID,
  uuid: FALLS_EVENT_UUID,
  decode,
  toObservations,
  eventCounter: (event) => ({ value: event.counter, modulo: 0x10000 }),
  repeatWindowMs: REPEAT_WINDOW_MS,
};
