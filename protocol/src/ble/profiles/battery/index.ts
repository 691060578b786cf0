/** Battery level: Bluetooth SIG Battery Service 1.0 (BAS), service 0x180F, Battery Level 0x2A19. */
import type { CharacteristicHandler } from '../../profile.js';
import { decode, type BatteryLevel } from './decode.js';
import { BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID } from './gatt.js';
import { toDeviceStatus } from './status.js';

export * from './gatt.js';
export * from './decode.js';
export * from './encode.js';
export * from './status.js';

export const levelHandler: CharacteristicHandler<BatteryLevel> = {
  profile: 'battery',
  name: 'Battery Level',
  serviceUuid: BATTERY_SERVICE_UUID,
  uuid: BATTERY_LEVEL_UUID,
  decode,
  toDeviceStatus,
};
