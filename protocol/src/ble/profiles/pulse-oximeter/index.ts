/**
 * Pulse oximeters: Bluetooth SIG Pulse Oximeter Service 1.0 (PLXS), service 0x1822, PLX
 * Spot-check Measurement 0x2A5E (indicate) and PLX Continuous Measurement 0x2A5F (notify).
 */
import type { CharacteristicHandler } from '../../profile.js';
import { decodeContinuous, decodeSpotCheck, type PlxContinuous, type PlxSpotCheck } from './decode.js';
import { PLX_CONTINUOUS_UUID, PLX_SPOT_CHECK_UUID, PULSE_OXIMETER_SERVICE_UUID } from './gatt.js';
import { continuousToObservations, spotCheckToObservations } from './observations.js';

export * from './gatt.js';
export * from './decode.js';
export * from './encode.js';
export * from './observations.js';

/** Continuous oximeters notify about once a second; one observation a minute per device is kept. */
export const CONTINUOUS_SAMPLE_INTERVAL_MS = 60_000;

export const spotCheckHandler: CharacteristicHandler<PlxSpotCheck> = {
  profile: 'pulse-oximeter',
  name: 'PLX Spot-check Measurement',
  serviceUuid: PULSE_OXIMETER_SERVICE_UUID,
  uuid: PLX_SPOT_CHECK_UUID,
  decode: decodeSpotCheck,
  toObservations: spotCheckToObservations,
};

export const continuousHandler: CharacteristicHandler<PlxContinuous> = {
  profile: 'pulse-oximeter',
  name: 'PLX Continuous Measurement',
  serviceUuid: PULSE_OXIMETER_SERVICE_UUID,
  uuid: PLX_CONTINUOUS_UUID,
  decode: decodeContinuous,
  toObservations: continuousToObservations,
  sampleIntervalMs: CONTINUOUS_SAMPLE_INTERVAL_MS,
};
