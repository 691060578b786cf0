/**
 * GATT layout of the Bluetooth SIG Battery Service 1.0 (BAS, service 0x180F), as data. Not a
 * device profile on its own: cuffs and falls sensors include it as a secondary service.
 */
import type { DeviceProfile } from '../../profile.js';
import { uuid16 } from '../../uuids.js';

export const BATTERY_SERVICE_UUID = uuid16(0x180f);
/** BAS 3.1: Battery Level, Read (mandatory), Notify (optional). */
export const BATTERY_LEVEL_UUID = uuid16(0x2a19);

export const profile: DeviceProfile = {
  id: 'battery',
  name: 'Battery',
  specification: 'Bluetooth SIG Battery Service 1.0 (BAS)',
  // Never matched on its own: a battery is always part of another device.
  discovery: [],
  services: [
    {
      uuid: BATTERY_SERVICE_UUID,
      name: 'Battery',
      characteristics: [
        { uuid: BATTERY_LEVEL_UUID, name: 'Battery Level', properties: ['read', 'notify'], subscribe: true },
      ],
    },
  ],
};
