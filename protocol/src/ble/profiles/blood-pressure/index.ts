/**
 * Blood pressure cuffs: Bluetooth SIG Blood Pressure Service 1.0 (BLS), service 0x1810,
 * Blood Pressure Measurement 0x2A35 (indicate).
 */
import type { CharacteristicHandler } from '../../profile.js';
import { decode, type BloodPressureMeasurement } from './decode.js';
import { BLOOD_PRESSURE_MEASUREMENT_UUID, BLOOD_PRESSURE_SERVICE_UUID } from './gatt.js';
import { toObservations } from './observations.js';

export * from './gatt.js';
export * from './decode.js';
export * from './encode.js';
export * from './observations.js';

export const measurementHandler: CharacteristicHandler<BloodPressureMeasurement> = {
  profile: 'blood-pressure',
  name: 'Blood Pressure Measurement',
  serviceUuid: BLOOD_PRESSURE_SERVICE_UUID,
  uuid: BLOOD_PRESSURE_MEASUREMENT_UUID,
  decode,
  toObservations,
};
