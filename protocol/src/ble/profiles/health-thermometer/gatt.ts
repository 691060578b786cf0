/**
 * GATT layout of the Bluetooth SIG Health Thermometer Service 1.0 (HTS, service 0x1809), as data.
 * Intermediate Temperature (readings while the probe settles) is deliberately not subscribed.
 */
import type { DeviceProfile } from '../../profile.js';
import { uuid16 } from '../../uuids.js';
import { BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID } from '../battery/gatt.js';

export const HEALTH_THERMOMETER_SERVICE_UUID = uuid16(0x1809);
/** HTS 3.1: Temperature Measurement, Indicate (mandatory). */
export const TEMPERATURE_MEASUREMENT_UUID = uuid16(0x2a1c);
/** HTS 3.2: Temperature Type, Read (optional): a fixed body site for the whole device. */
export const TEMPERATURE_TYPE_UUID = uuid16(0x2a1d);
/** HTS 3.3: Intermediate Temperature, Notify (optional): not a result. */
export const INTERMEDIATE_TEMPERATURE_UUID = uuid16(0x2a1e);

export const profile: DeviceProfile = {
  id: 'health-thermometer',
  name: 'Thermometer',
  specification: 'Bluetooth SIG Health Thermometer Service 1.0 (HTS) / Health Thermometer Profile 1.0',
  discovery: [{ serviceUuid: HEALTH_THERMOMETER_SERVICE_UUID }],
  services: [
    {
      uuid: HEALTH_THERMOMETER_SERVICE_UUID,
      name: 'Health Thermometer',
      characteristics: [
        {
          uuid: TEMPERATURE_MEASUREMENT_UUID,
          name: 'Temperature Measurement',
          properties: ['indicate'],
          subscribe: true,
        },
        { uuid: TEMPERATURE_TYPE_UUID, name: 'Temperature Type', properties: ['read'], subscribe: false },
        {
          uuid: INTERMEDIATE_TEMPERATURE_UUID,
          name: 'Intermediate Temperature',
          properties: ['notify'],
          subscribe: false,
        },
      ],
    },
    {
      uuid: BATTERY_SERVICE_UUID,
      name: 'Battery',
      characteristics: [
        { uuid: BATTERY_LEVEL_UUID, name: 'Battery Level', properties: ['read', 'notify'], subscribe: true },
      ],
    },
  ],
};
