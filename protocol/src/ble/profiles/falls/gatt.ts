/**
 * GATT layout of the Wardline Falls Service, version 1 (see PROTOCOL.md in this folder), as data.
 * 128-bit UUIDs share one random base, 55e3xxxx-0af7-4dca-9354-00653a5aeadd, with the xxxx part
 * numbering the attributes.
 */
import type { DeviceProfile } from '../../profile.js';
import { normalizeUuid } from '../../uuids.js';
import { BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID } from '../battery/gatt.js';

/** Wardline Falls Service: 55e30001-0af7-4dca-9354-00653a5aeadd */
export const FALLS_SERVICE_UUID = normalizeUuid('55e30001-0af7-4dca-9354-00653a5aeadd');
/** Falls Event characteristic (Notify): 55e30002-0af7-4dca-9354-00653a5aeadd */
export const FALLS_EVENT_UUID = normalizeUuid('55e30002-0af7-4dca-9354-00653a5aeadd');
/** Reserved for a future configuration characteristic; not defined by version 1. */
export const FALLS_RESERVED_CONFIGURATION_UUID = normalizeUuid('55e30003-0af7-4dca-9354-00653a5aeadd');

export const profile: DeviceProfile = {
  id: 'falls',
  name: 'Falls sensor',
  specification: 'Wardline Falls Service 1 (protocol/src/ble/profiles/falls/PROTOCOL.md)',
  discovery: [{ serviceUuid: FALLS_SERVICE_UUID }],
  services: [
    {
      uuid: FALLS_SERVICE_UUID,
      name: 'Wardline Falls',
      characteristics: [
        { uuid: FALLS_EVENT_UUID, name: 'Falls Event', properties: ['notify'], subscribe: true },
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
