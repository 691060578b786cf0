/**
 * The radio side of a simulated device: connection state, notifications, and what the device
 * keeps while no gateway is connected. Each device is itself a BleLink, so a test can wire one
 * device straight to a gateway; SimulatedHome merges many into one link.
 */
import { EventEmitter } from 'node:events';
import { battery, type BleLink, type BleLinkEvents, type BleLinkListener } from '@wardline/protocol';

export type DeviceModel = 'bp-cuff' | 'falls-sensor';

export interface SimulatedDeviceOptions {
  deviceId: string;
  /** Battery level in percent at power-on. Default 100. */
  battery?: number;
  /** The device clock (UTC, set by the gateway). Default Date.now. */
  now?: () => number;
}

export interface SendOptions {
  /** Keep the value while disconnected and send it on reconnection (else it is not sent). */
  keepWhileDisconnected: boolean;
}

export abstract class SimulatedDevice implements BleLink {
  abstract readonly model: DeviceModel;
  readonly deviceId: string;
  protected readonly now: () => number;
  /** How many kept values survive a disconnection; the oldest go first beyond it. */
  protected abstract readonly keepLimit: number;
  private readonly emitter = new EventEmitter();
  private isConnected = false;
  private batteryLevel: number;
  private readonly kept: { serviceUuid: string; characteristicUuid: string; bytes: Buffer }[] = [];

  constructor(options: SimulatedDeviceOptions) {
    this.deviceId = options.deviceId;
    this.now = options.now ?? Date.now;
    this.batteryLevel = options.battery ?? 100;
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
