/**
 * What the gateway knows about each device: connected, last heard from, battery, signal, and the
 * code of the last fault. Becomes the contract DeviceStatus published on the devices channel.
 */
import { DEVICE_ID_PATTERN, Unit, type DeviceStatus, type DeviceStatusUpdate } from '@wardline/protocol';

const deviceIdPattern = new RegExp(DEVICE_ID_PATTERN);

export function isValidDeviceId(deviceId: string): boolean {
  return deviceIdPattern.test(deviceId);
}

const iso = (ms: number) => new Date(ms).toISOString();

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceStatus>();
  private readonly changed = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  private get(deviceId: string): DeviceStatus {
    let status = this.devices.get(deviceId);
    if (!status) {
      status = { deviceId, connected: false, lastSeen: iso(this.now()) };
      this.devices.set(deviceId, status);
      this.changed.add(deviceId);
    }
    return status;
  }

  connected(deviceId: string): void {
    const status = this.get(deviceId);
    status.lastSeen = iso(this.now());
    if (!status.connected) this.changed.add(deviceId);
    status.connected = true;
  }

  disconnected(deviceId: string): void {
    const status = this.get(deviceId);
    if (status.connected) this.changed.add(deviceId);
    status.connected = false;
  }

  /** The device sent something: it is alive now. */
  seen(deviceId: string, at: number = this.now()): void {
    this.get(deviceId).lastSeen = iso(at);
  }

  update(deviceId: string, update: DeviceStatusUpdate): void {
    const status = this.get(deviceId);
    if (update.battery && update.battery.value !== status.battery?.value) {
      status.battery = update.battery;
      this.changed.add(deviceId);
    }
    if (update.rssi) status.rssi = update.rssi;
  }

  rssi(deviceId: string, dBm: number): void {
    if (!Number.isFinite(dBm) || dBm < -127 || dBm > 20) return;
    this.get(deviceId).rssi = { value: Math.round(dBm), unit: Unit.dBm };
  }

  /** Records a fault code (stable, at most 64 characters) as the device's lastError. */
  error(deviceId: string, code: string): void {
    const status = this.get(deviceId);
    const value = code.slice(0, 64);
    if (status.lastError !== value) this.changed.add(deviceId);
    status.lastError = value;
  }

  has(deviceId: string): boolean {
    return this.devices.has(deviceId);
  }

  size(): number {
    return this.devices.size;
  }

  snapshot(): DeviceStatus[] {
    this.changed.clear();
    return [...this.devices.values()].map((s) => structuredClone(s));
  }

  /** Devices whose connection, battery or lastError changed since the last snapshot/take. */
  takeChanged(): DeviceStatus[] {
    const out = [...this.changed].flatMap((id) => {
      const status = this.devices.get(id);
      return status ? [structuredClone(status)] : [];
    });
    this.changed.clear();
    return out;
  }
}
