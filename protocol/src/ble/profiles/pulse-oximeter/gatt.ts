/**
 * GATT layout of the Bluetooth SIG Pulse Oximeter Service 1.0 (PLXS, service 0x1822), as data.
 * Record Access Control Point (stored spot-checks) is not used: devices send what they stored on
 * reconnection as ordinary indications, flagged "data from measurement storage".
 */
import type { DeviceProfile } from '../../profile.js';
import { uuid16 } from '../../uuids.js';
import { BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID } from '../battery/gatt.js';

export const PULSE_OXIMETER_SERVICE_UUID = uuid16(0x1822);
/** PLXS 3.1: PLX Spot-check Measurement, Indicate (if spot-check supported). */
export const PLX_SPOT_CHECK_UUID = uuid16(0x2a5e);
/** PLXS 3.2: PLX Continuous Measurement, Notify (if continuous supported). */
export const PLX_CONTINUOUS_UUID = uuid16(0x2a5f);
/** PLXS 3.3: PLX Features, Read (mandatory). */
export const PLX_FEATURES_UUID = uuid16(0x2a60);

export const profile: DeviceProfile = {
  id: 'pulse-oximeter',
  name: 'Pulse oximeter',
  specification: 'Bluetooth SIG Pulse Oximeter Service 1.0 (PLXS) / Pulse Oximeter Profile 1.0',
  discovery: [{ serviceUuid: PULSE_OXIMETER_SERVICE_UUID }],
  services: [
    {
      uuid: PULSE_OXIMETER_SERVICE_UUID,
      name: 'Pulse Oximeter',
      characteristics: [
        {
          uuid: PLX_SPOT_CHECK_UUID,
          name: 'PLX Spot-check Measurement',
          properties: ['indicate'],
          subscribe: true,
        },
        {
          uuid: PLX_CONTINUOUS_UUID,
          name: 'PLX Continuous Measurement',
          properties: ['notify'],
          subscribe: true,
        },
        { uuid: PLX_FEATURES_UUID, name: 'PLX Features', properties: ['read'], subscribe: false },
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
