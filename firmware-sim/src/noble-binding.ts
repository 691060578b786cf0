/**
 * Simulated devices behind noble's binding interface: give this object to
 * `require('@abandonware/noble/with-bindings')(binding)` and noble builds its real Noble,
 * Peripheral, Service and Characteristic objects on top of it, exactly as over an HCI socket.
 *
 * The binding plays the radio: it advertises every device in range while scanning, connects,
 * answers GATT discovery from each device's table, serves reads and writes, and delivers a
 * device's notifications and indications only on characteristics the central subscribed to
 * (as a CCCD would). When the central subscribes to a device's primary characteristic, the device
 * counts as connected and sends what it kept while alone.
 *
 * Radio faults for tests and demos: a device can go out of range (link dropped, no advertising),
 * come back, have a weak signal, or send garbage (SimulatedDevice.inject).
 */
import { EventEmitter } from 'node:events';
import type { SimulatedDevice } from './device.js';

/** HCI disconnect reasons noble passes through. */
const REMOTE_USER_TERMINATED = 0x13;
const CONNECTION_TIMEOUT = 0x08;
const LOCAL_HOST_TERMINATED = 0x16;

interface Link {
  device: SimulatedDevice;
  peripheralUuid: string;
  inRange: boolean;
  connected: boolean;
  rssi: number;
  subscribed: Set<string>;
}

export interface SimulatedBindingOptions {
  /** Advertising period while scanning. Default 100 ms. */
  advertiseIntervalMs?: number;
  /** Delay before a connection attempt completes. Default 5 ms. */
  connectDelayMs?: number;
  /** RSSI when none was set. Default -60 dBm. */
  rssi?: number;
  /** false simulates a machine without a Bluetooth adapter (state 'unsupported'). Default true. */
  adapter?: boolean;
}

/** noble form of an address: lower-case hex without colons. */
export const peripheralUuidOf = (deviceId: string) => deviceId.replaceAll(':', '').toLowerCase();

export class SimulatedBinding extends EventEmitter {
  private readonly links = new Map<string, Link>();
  private readonly options: Required<SimulatedBindingOptions>;
  private scanTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(devices: Iterable<SimulatedDevice>, options: SimulatedBindingOptions = {}) {
    super();
    this.options = {
      advertiseIntervalMs: options.advertiseIntervalMs ?? 100,
      connectDelayMs: options.connectDelayMs ?? 5,
      rssi: options.rssi ?? -60,
      adapter: options.adapter ?? true,
    };
    for (const device of devices) this.add(device);
  }

  add(device: SimulatedDevice): void {
    const peripheralUuid = peripheralUuidOf(device.deviceId);
    const link: Link = {
      device,
      peripheralUuid,
      inRange: true,
      connected: false,
      rssi: this.options.rssi,
      subscribed: new Set(),
    };
    this.links.set(peripheralUuid, link);
    device.on('notification', (_deviceId, serviceUuid, characteristicUuid, bytes) => {
      if (!link.connected || !link.subscribed.has(characteristicUuid)) return;
      this.emit('read', peripheralUuid, serviceUuid, characteristicUuid, Buffer.from(bytes), true);
    });
  }

  // ---- Test and demo controls ----

  /** The device leaves radio range: the link drops (supervision timeout) and it stops advertising. */
  outOfRange(deviceId: string): void {
    const link = this.link(deviceId);
    if (!link) return;
    link.inRange = false;
    this.drop(link, CONNECTION_TIMEOUT);
  }

  backInRange(deviceId: string): void {
    const link = this.link(deviceId);
    if (link) link.inRange = true;
  }

  /** The device ends the connection itself (powered off, or its own idle policy). */
  deviceDisconnects(deviceId: string): void {
    const link = this.link(deviceId);
    if (link) this.drop(link, REMOTE_USER_TERMINATED);
  }

  setRssi(deviceId: string, dBm: number): void {
    const link = this.link(deviceId);
    if (link) link.rssi = dBm;
  }

  isConnected(deviceId: string): boolean {
    return this.link(deviceId)?.connected ?? false;
  }

  /** Stops advertising timers (the devices stay as they are). */
  stop(): void {
    clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  // ---- noble binding interface ----

  init(): void {
    this.later(() => this.emit('stateChange', this.options.adapter ? 'poweredOn' : 'unsupported'));
  }

  setScanParameters(): void {
    this.later(() => this.emit('scanParametersSet'));
  }

  startScanning(_serviceUuids?: string[], _allowDuplicates?: boolean): void {
    // noble filters nothing itself; like an HCI scan, every advertiser is reported.
    this.later(() => {
      this.emit('scanStart', false);
      this.advertise();
      clearInterval(this.scanTimer);
      this.scanTimer = setInterval(() => this.advertise(), this.options.advertiseIntervalMs);
    });
  }

  stopScanning(): void {
    clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    this.later(() => this.emit('scanStop'));
  }

  connect(peripheralUuid: string): void {
    const link = this.links.get(peripheralUuid);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!link || !link.inRange) {
        this.emit('connect', peripheralUuid, new Error('connection failed: device not in range'));
        return;
      }
      link.connected = true;
      this.emit('connect', peripheralUuid, null);
    }, this.options.connectDelayMs);
    this.timers.add(timer);
  }

  cancelConnect(): void {}

  disconnect(peripheralUuid: string): void {
    const link = this.links.get(peripheralUuid);
    if (link) this.drop(link, LOCAL_HOST_TERMINATED);
  }

  updateRssi(peripheralUuid: string): void {
    const link = this.links.get(peripheralUuid);
    if (link?.connected) this.later(() => this.emit('rssiUpdate', peripheralUuid, link.rssi));
  }

  discoverServices(peripheralUuid: string, uuids: string[] = []): void {
    const link = this.connectedLink(peripheralUuid);
    if (!link) return;
    const services = link.device
      .gattServices()
      .map((s) => s.uuid)
      .filter((uuid) => uuids.length === 0 || uuids.includes(uuid));
    this.later(() => this.emit('servicesDiscover', peripheralUuid, services));
  }

  discoverIncludedServices(peripheralUuid: string, serviceUuid: string): void {
    this.later(() => this.emit('includedServicesDiscover', peripheralUuid, serviceUuid, []));
  }

  discoverCharacteristics(peripheralUuid: string, serviceUuid: string, uuids: string[] = []): void {
    const link = this.connectedLink(peripheralUuid);
    if (!link) return;
    const service = link.device.gattServices().find((s) => s.uuid === serviceUuid);
    const characteristics = (service?.characteristics ?? [])
      .filter((c) => uuids.length === 0 || uuids.includes(c.uuid))
      .map((c) => ({ uuid: c.uuid, properties: c.properties }));
    this.later(() => this.emit('characteristicsDiscover', peripheralUuid, serviceUuid, characteristics));
  }

  read(peripheralUuid: string, serviceUuid: string, characteristicUuid: string): void {
    const link = this.connectedLink(peripheralUuid);
    if (!link) return;
    const value = link.device.read(characteristicUuid) ?? new Uint8Array(0);
    this.later(() =>
      this.emit('read', peripheralUuid, serviceUuid, characteristicUuid, Buffer.from(value), false),
    );
  }

  write(
    peripheralUuid: string,
    serviceUuid: string,
    characteristicUuid: string,
    data: Buffer,
    _withoutResponse: boolean,
  ): void {
    const link = this.connectedLink(peripheralUuid);
    if (!link) return;
    // A refused write has no error path in noble's binding events; the device simply ignores it.
    link.device.write(characteristicUuid, data);
    this.later(() => this.emit('write', peripheralUuid, serviceUuid, characteristicUuid));
  }

  broadcast(
    peripheralUuid: string,
    serviceUuid: string,
    characteristicUuid: string,
    broadcast: boolean,
  ): void {
    this.later(() => this.emit('broadcast', peripheralUuid, serviceUuid, characteristicUuid, broadcast));
  }

  notify(peripheralUuid: string, serviceUuid: string, characteristicUuid: string, enable: boolean): void {
    const link = this.connectedLink(peripheralUuid);
    if (!link) return;
    if (enable) link.subscribed.add(characteristicUuid);
    else link.subscribed.delete(characteristicUuid);
    this.later(() => {
      this.emit('notify', peripheralUuid, serviceUuid, characteristicUuid, enable);
      if (enable && characteristicUuid === link.device.primaryCharacteristic && link.connected) {
        link.device.connect();
      }
    });
  }

  discoverDescriptors(peripheralUuid: string, serviceUuid: string, characteristicUuid: string): void {
    this.later(() => this.emit('descriptorsDiscover', peripheralUuid, serviceUuid, characteristicUuid, []));
  }

  readValue(
    peripheralUuid: string,
    serviceUuid: string,
    characteristicUuid: string,
    descriptorUuid: string,
  ): void {
    this.later(() =>
      this.emit(
        'valueRead',
        peripheralUuid,
        serviceUuid,
        characteristicUuid,
        descriptorUuid,
        Buffer.alloc(0),
      ),
    );
  }

  writeValue(
    peripheralUuid: string,
    serviceUuid: string,
    characteristicUuid: string,
    descriptorUuid: string,
  ): void {
    this.later(() =>
      this.emit('valueWrite', peripheralUuid, serviceUuid, characteristicUuid, descriptorUuid),
    );
  }

  readHandle(peripheralUuid: string, handle: number): void {
    this.later(() => this.emit('handleRead', peripheralUuid, handle, Buffer.alloc(0)));
  }

  writeHandle(peripheralUuid: string, handle: number): void {
    this.later(() => this.emit('handleWrite', peripheralUuid, handle));
  }

  reset(): void {}

  // ---- internals ----

  private advertise(): void {
    for (const link of this.links.values()) {
      if (!link.inRange || link.connected) continue;
      const advertisement = {
        localName: link.device.localName,
        txPowerLevel: undefined,
        manufacturerData: undefined,
        serviceData: [],
        serviceUuids: link.device.advertisedServices(),
        solicitationServiceUuids: [],
        serviceSolicitationUuids: [],
      };
      this.emit(
        'discover',
        link.peripheralUuid,
        link.device.deviceId,
        'public',
        true,
        advertisement,
        link.rssi,
        true,
      );
    }
  }

  private drop(link: Link, reason: number): void {
    link.subscribed.clear();
    link.device.disconnect();
    if (!link.connected) return;
    link.connected = false;
    this.later(() => this.emit('disconnect', link.peripheralUuid, reason));
  }

  private link(deviceId: string): Link | undefined {
    return this.links.get(peripheralUuidOf(deviceId));
  }

  /** A GATT request on a link that is down gets no answer, as over the air. */
  private connectedLink(peripheralUuid: string): Link | undefined {
    const link = this.links.get(peripheralUuid);
    return link?.connected ? link : undefined;
  }

  private later(fn: () => void): void {
    setImmediate(fn);
  }
}
