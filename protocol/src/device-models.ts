/**
 * Device models Wardline reads (the simulators and the gateway's BLE profiles cover each): what an
 * admin may register a device as, by hand or in a CSV import.
 */
export const DEVICE_MODELS = ['bp-cuff', 'falls-sensor', 'pulse-oximeter', 'thermometer'] as const;
export type KnownDeviceModel = (typeof DEVICE_MODELS)[number];

export function isKnownDeviceModel(model: string): model is KnownDeviceModel {
  return (DEVICE_MODELS as readonly string[]).includes(model);
}
