/** GATT layout of the Bluetooth SIG Heart Rate Service 1.0 (HRS, service 0x180D), as data. */
import type { DeviceProfile } from '../../profile.js';
import { uuid16 } from '../../uuids.js';
import { BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID } from '../battery/gatt.js';

export const HEART_RATE_SERVICE_UUID = uuid16(0x180d);
/** HRS 3.1: Heart Rate Measurement, Notify (mandatory). */
export const HEART_RATE_MEASUREMENT_UUID = uuid16(0x2a37);
/** HRS 3.2: Body Sensor Location, Read (optional). */
export const BODY_SENSOR_LOCATION_UUID = uuid16(0x2a38);

export const profile: DeviceProfile = {
  id: 'heart-rate',
  name: 'Heart rate sensor',
  specification: 'Bluetooth SIG Heart Rate Service 1.0 (HRS) / Heart Rate Profile 1.0',
  discovery: [{ serviceUuid: HEART_RATE_SERVICE_UUID }],
  services: [
    {
      uuid: HEART_RATE_SERVICE_UUID,
      name: 'Heart Rate',
      characteristics: [
        {
          uuid: HEART_RATE_MEASUREMENT_UUID,
          name: 'Heart Rate Measurement',
          properties: ['notify'],
          subscribe: true,
        },
        {
          uuid: BODY_SENSOR_LOCATION_UUID,
          name: 'Body Sensor Location',
          properties: ['read'],
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
