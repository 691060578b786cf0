/**
 * The dispatch table: every characteristic the gateway understands, keyed by characteristic UUID
 * (noble form). Adding a device type means adding a profile folder and a row here; the gateway
 * code does not change.
 */
import {
  matchesAdvertisement,
  type Advertisement,
  type CharacteristicHandler,
  type DeviceProfile,
} from '../profile.js';
import { normalizeUuid, type BleUuid } from '../uuids.js';
import * as battery from './battery/index.js';
import * as bloodPressure from './blood-pressure/index.js';
import * as falls from './falls/index.js';
import * as healthThermometer from './health-thermometer/index.js';
import * as heartRate from './heart-rate/index.js';
import * as pulseOximeter from './pulse-oximeter/index.js';
import * as deviceInformation from './device-information/index.js';
import * as currentTime from './current-time/index.js';

export {
  battery,
  bloodPressure,
  falls,
  healthThermometer,
  heartRate,
  pulseOximeter,
  deviceInformation,
  currentTime,
};

const handlers: CharacteristicHandler[] = [
  bloodPressure.measurementHandler,
  falls.eventHandler,
  battery.levelHandler,
  healthThermometer.measurementHandler,
  heartRate.measurementHandler,
  pulseOximeter.spotCheckHandler,
  pulseOximeter.continuousHandler,
];

export const characteristicHandlers: ReadonlyMap<BleUuid, CharacteristicHandler> = new Map(
  handlers.map((h) => [normalizeUuid(h.uuid), h]),
);

/** The handler for a characteristic UUID in any common spelling, or undefined. */
export function handlerFor(characteristicUuid: string): CharacteristicHandler | undefined {
  let key: BleUuid;
  try {
    key = normalizeUuid(characteristicUuid);
  } catch {
    return undefined;
  }
  return characteristicHandlers.get(key);
}

/** Device profiles the gateway can discover (battery is part of other devices, not one itself). */
export const deviceProfiles: readonly DeviceProfile[] = [
  bloodPressure.profile,
  falls.profile,
  pulseOximeter.profile,
  healthThermometer.profile,
  heartRate.profile,
];

export function profileForAdvertisement(adv: Advertisement): DeviceProfile | undefined {
  return deviceProfiles.find((p) => matchesAdvertisement(p, adv));
}
