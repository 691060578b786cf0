/**
 * Thermometers: Bluetooth SIG Health Thermometer Service 1.0 (HTS), service 0x1809,
 * Temperature Measurement 0x2A1C (indicate).
 */
import type { CharacteristicHandler } from '../../profile.js';
import { decode, type TemperatureMeasurement } from './decode.js';
import { HEALTH_THERMOMETER_SERVICE_UUID, TEMPERATURE_MEASUREMENT_UUID } from './gatt.js';
import { toObservations } from './observations.js';

export * from './gatt.js';
export * from './decode.js';
export * from './encode.js';
export * from './observations.js';

export const measurementHandler: CharacteristicHandler<TemperatureMeasurement> = {
  profile: 'health-thermometer',
  name: 'Temperature Measurement',
  serviceUuid: HEALTH_THERMOMETER_SERVICE_UUID,
  uuid: TEMPERATURE_MEASUREMENT_UUID,
  decode,
  toObservations,
};
