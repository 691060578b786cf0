/**
 * The radio side of a simulated device: connection state, notifications, and what the device
 * keeps while no gateway is connected. Each device is itself a BleLink, so a test can wire one
 * device straight to a gateway; SimulatedHome merges many into one link.
 */
import { EventEmitter } from 'node:events';
import {
  battery,
  currentTime,
  deviceInformation,
  sameUuid,
  type BleLink,
  type BleLinkEvents,
  type BleLinkListener,
  type CharacteristicProperty,
  type DeviceProfile,
} from '@wardline/protocol';

export type DeviceModel = 'bp-cuff' | 'falls-sensor' | 'pulse-oximeter' | 'thermometer';

/** A characteristic as the device's GATT server declares it. */
export interface GattCharacteristic {
  uuid: string;
  properties: CharacteristicProperty[];
}

export interface GattService {
  uuid: string;
  characteristics: GattCharacteristic[];
}

export interface SimulatedDeviceOptions {
  deviceId: string;
  /** Battery level in percent at power-on. Default 100. */
  battery?: number;
  /** The true time. Default Date.now. */
  now?: () => number;
  /** How far the device clock is off until a gateway writes Current Time (ms). Default 0. */
  clockErrorMs?: number;
  /** Offer the Current Time Service (writable). Default true. */
  currentTimeService?: boolean;
  /** Advertised local name. Default: the model and the last address octets. */
  localName?: string;
}

export interface SendOptions {
  /** Keep the value while disconnected and send it on reconnection (else it is not sent). */
  keepWhileDisconnected: boolean;
}

export abstract class SimulatedDevice implements BleLink {
  abstract readonly model: DeviceModel;
  /** The protocol profile whose GATT layout this device serves. */
  abstract readonly profile: DeviceProfile;
  /** The characteristic whose subscription means "a gateway is ready": kept values go then. */
  abstract readonly primaryCharacteristic: string;
  readonly deviceId: string;
  readonly localName: string;
  /** Times a gateway set the clock through Current Time. */
  clockWrites = 0;
  private clockErrorMs: number;
  private readonly currentTimeService: boolean;
  private readonly trueNow: () => number;
  /** How many kept values survive a disconnection; the oldest go first beyond it. */
  protected abstract readonly keepLimit: number;
  private readonly emitter = new EventEmitter();
  private isConnected = false;
  private batteryLevel: number;
  private readonly kept: { serviceUuid: string; characteristicUuid: string; bytes: Buffer }[] = [];

  constructor(options: SimulatedDeviceOptions) {
    this.deviceId = options.deviceId;
    this.trueNow = options.now ?? Date.now;
    this.clockErrorMs = options.clockErrorMs ?? 0;
    this.currentTimeService = options.currentTimeService ?? true;
    this.localName = options.localName ?? `Wardline ${options.deviceId.slice(-5)}`;
    this.batteryLevel = options.battery ?? 100;
  }

  /** The device clock: the true time plus its error, until a gateway sets it. */
  protected now(): number {
    return this.trueNow() + this.clockErrorMs;
  }

  /** The GATT table: the profile's services, Device Information, and Current Time if offered. */
  gattServices(): GattService[] {
    const services: GattService[] = this.profile.services.map((s) => ({
      uuid: s.uuid,
      characteristics: s.characteristics.map((c) => ({ uuid: c.uuid, properties: [...c.properties] })),
    }));
    services.push({
      uuid: deviceInformation.DEVICE_INFORMATION_SERVICE_UUID,
      characteristics: Object.values(deviceInformation.DEVICE_INFORMATION_STRINGS).map((uuid) => ({
        uuid,
        properties: ['read'],
      })),
    });
    if (this.currentTimeService) {
      services.push({
        uuid: currentTime.CURRENT_TIME_SERVICE_UUID,
        characteristics: [{ uuid: currentTime.CURRENT_TIME_UUID, properties: ['read', 'write', 'notify'] }],
      });
    }
    return services;
  }

  /** Service UUIDs in the advertisement (the profile's discovery services). */
  advertisedServices(): string[] {
    return this.profile.discovery.flatMap((m) => (m.serviceUuid ? [m.serviceUuid] : []));
  }

  /** A GATT read; undefined when the device has no readable value there. */
  read(characteristicUuid: string): Uint8Array | undefined {
    const info = deviceInformation.DEVICE_INFORMATION_STRINGS;
    const strings: Record<string, string> = {
      [info.manufacturer]: 'Wardline Simulated Devices',
      [info.model]: this.model,
      [info.serial]: this.deviceId.replaceAll(':', ''),
      [info.hardware]: '1',
      [info.firmware]: '1.0.0',
      [info.software]: 'firmware-sim',
    };
    const text = strings[characteristicUuid];
    if (text !== undefined) return deviceInformation.encodeString(text);
    if (sameUuid(characteristicUuid, battery.BATTERY_LEVEL_UUID))
      return battery.encode({ level: this.batteryLevel });
    if (this.currentTimeService && sameUuid(characteristicUuid, currentTime.CURRENT_TIME_UUID)) {
      return currentTime.encode(currentTime.currentTimeFromDate(new Date(this.now())));
    }
    return this.readProfile(characteristicUuid);
  }

  /** Profile-specific readable values (features, temperature type). */
  protected readProfile(_characteristicUuid: string): Uint8Array | undefined {
    return undefined;
  }

  /** A GATT write; false when refused (the characteristic is not writable or the value is wrong). */
  write(characteristicUuid: string, bytes: Uint8Array): boolean {
    if (!this.currentTimeService || !sameUuid(characteristicUuid, currentTime.CURRENT_TIME_UUID))
      return false;
    try {
      const value = currentTime.decode(bytes);
      const { year, month, day, hours, minutes, seconds } = value.dateTime;
      const written = Date.UTC(
        year,
        month - 1,
        day,
        hours,
        minutes,
        seconds,
        (value.fractions256 * 1000) / 256,
      );
      if (!Number.isFinite(written)) return false;
      this.clockErrorMs = written - this.trueNow();
      this.clockWrites++;
      return true;
    } catch {
      return false;
    }
  }

  /** Sends arbitrary bytes on a characteristic while connected: garbage for fault-injection tests. */
  inject(serviceUuid: string, characteristicUuid: string, bytes: Uint8Array): void {
    this.send(serviceUuid, characteristicUuid, bytes, { keepWhileDisconnected: false });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get battery(): number {
    return this.batteryLevel;
  }

  on<E extends keyof BleLinkEvents>(event: E, listener: BleLinkListener<E>): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof BleLinkEvents>(event: E, listener: BleLinkListener<E>): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  connectedDevices(): string[] {
    return this.isConnected ? [this.deviceId] : [];
  }

  /** A gateway connected and enabled notifications: report the battery, then anything kept. */
  connect(): void {
    if (this.isConnected) return;
    this.isConnected = true;
    this.emit('connect', this.deviceId);
    this.sendBattery();
    for (const value of this.kept.splice(0)) {
      this.emit('notification', this.deviceId, value.serviceUuid, value.characteristicUuid, value.bytes);
    }
  }

  disconnect(): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.emit('disconnect', this.deviceId);
  }

  /** Sets the battery level; notifies it (BAS 3.1) when it changed and a gateway is connected. */
  setBattery(level: number): void {
    const next = Math.max(0, Math.min(100, Math.round(level)));
    if (next === this.batteryLevel) return;
    this.batteryLevel = next;
    this.sendBattery();
  }

  /** Stops timers; the device stays in whatever connection state it was. */
  stop(): void {}

  protected send(
    serviceUuid: string,
    characteristicUuid: string,
    bytes: Uint8Array,
    options: SendOptions,
  ): Buffer {
    const buffer = Buffer.from(bytes);
    if (this.isConnected) {
      this.emit('notification', this.deviceId, serviceUuid, characteristicUuid, buffer);
    } else if (options.keepWhileDisconnected) {
      this.kept.push({ serviceUuid, characteristicUuid, bytes: buffer });
      if (this.kept.length > this.keepLimit) this.kept.shift();
    }
    return buffer;
  }

  private sendBattery(): void {
    if (!this.isConnected) return;
    this.send(
      battery.BATTERY_SERVICE_UUID,
      battery.BATTERY_LEVEL_UUID,
      battery.encode({ level: this.batteryLevel }),
      {
        keepWhileDisconnected: false,
      },
    );
  }

  private emit<E extends keyof BleLinkEvents>(event: E, ...args: BleLinkEvents[E]): void {
    this.emitter.emit(event, ...args);
  }
}
