/**
 * The boundary between a BLE radio and the gateway: a source of characteristic values from
 * connected devices. The simulator (firmware-sim SimulatedHome) implements it in-process today;
 * a noble-backed central implements the same interface later, so the gateway never knows which
 * it is talking to. Types only: nothing here touches Node or the radio.
 */
export interface BleLinkEvents {
  /** A notification or indication of a characteristic value (UUIDs in noble form, see uuids.ts). */
  notification: [deviceId: string, serviceUuid: string, characteristicUuid: string, bytes: Uint8Array];
  /** The device is connected and its characteristics are subscribed. */
  connect: [deviceId: string];
  /** The link to the device dropped (out of range, powered off, or the source stopped). */
  disconnect: [deviceId: string];
  /** A received signal strength reading for the device, in dBm. */
  rssi: [deviceId: string, rssi: number];
}

export type BleLinkListener<E extends keyof BleLinkEvents> = (...args: BleLinkEvents[E]) => void;

export interface BleLink {
  on<E extends keyof BleLinkEvents>(event: E, listener: BleLinkListener<E>): unknown;
  off<E extends keyof BleLinkEvents>(event: E, listener: BleLinkListener<E>): unknown;
  /** Devices connected right now, so a consumer that attaches late still knows about them. */
  connectedDevices(): string[];
}
