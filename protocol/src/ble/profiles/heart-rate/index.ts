/** Heart rate sensors: Bluetooth SIG Heart Rate Service 1.0 (HRS), 0x180D, measurement 0x2A37 (notify). */
import type { CharacteristicHandler } from '../../profile.js';
import { decode, type HeartRateMeasurement } from './decode.js';
import { HEART_RATE_MEASUREMENT_UUID, HEART_RATE_SERVICE_UUID } from './gatt.js';
import { toObservations } from './observations.js';

export * from './gatt.js';
export * from './decode.js';
export * from './encode.js';
export * from './observations.js';

/** Sensors notify about once a second; one observation a minute per sensor is kept. */
export const SAMPLE_INTERVAL_MS = 60_000;

export const measurementHandler: CharacteristicHandler<HeartRateMeasurement> = {
  profile: 'heart-rate',
  name: 'Heart Rate Measurement',
  serviceUuid: HEART_RATE_SERVICE_UUID,
  uuid: HEART_RATE_MEASUREMENT_UUID,
  decode,
  toObservations,
  sampleIntervalMs: SAMPLE_INTERVAL_MS,
};
