/**
 * GATT layout of the Bluetooth SIG Blood Pressure Service 1.0 (BLS, service 0x1810), as data.
 * Only the Blood Pressure Measurement characteristic carries readings; Intermediate Cuff Pressure
 * (live cuff inflation, not a result) is deliberately not subscribed.
 */
import type { DeviceProfile } from '../../profile.js';
import { uuid16 } from '../../uuids.js';
import { BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID } from '../battery/gatt.js';

export const BLOOD_PRESSURE_SERVICE_UUID = uuid16(0x1810);
/** BLS 3.1: Blood Pressure Measurement, Indicate (mandatory). */
export const BLOOD_PRESSURE_MEASUREMENT_UUID = uuid16(0x2a35);
/** BLS 3.2: Intermediate Cuff Pressure, Notify (optional): in-progress pressures, not results. */
export const INTERMEDIATE_CUFF_PRESSURE_UUID = uuid16(0x2a36);
/** BLS 3.3: Blood Pressure Feature, Read (mandatory). */
export const BLOOD_PRESSURE_FEATURE_UUID = uuid16(0x2a49);

export const profile: DeviceProfile = {
  id: 'blood-pressure',
  name: 'Blood pressure monitor',
  specification: 'Bluetooth SIG Blood Pressure Service 1.0 (BLS) / Blood Pressure Profile 1.0',
  discovery: [{ serviceUuid: BLOOD_PRESSURE_SERVICE_UUID }],
  services: [
    {
      uuid: BLOOD_PRESSURE_SERVICE_UUID,
      name: 'Blood Pressure',
      characteristics: [
        {
          uuid: BLOOD_PRESSURE_MEASUREMENT_UUID,
          name: 'Blood Pressure Measurement',
          properties: ['indicate'],
          subscribe: true,
        },
        {
          uuid: INTERMEDIATE_CUFF_PRESSURE_UUID,
          name: 'Intermediate Cuff Pressure',
          properties: ['notify'],
          subscribe: false,
        },
        {
          uuid: BLOOD_PRESSURE_FEATURE_UUID,
          name: 'Blood Pressure Feature',
          properties: ['read'],
          subscribe: false,
        },
      ],
    },
    {
      uuid: BATTERY_SERVICE_UUID,
      name: 'Battery (optional on cuffs)',
      characteristics: [
        { uuid: BATTERY_LEVEL_UUID, name: 'Battery Level', properties: ['read', 'notify'], subscribe: true },
      ],
    },
  ],
};
