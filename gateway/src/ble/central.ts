/**
 * The BLE central: noble peripherals in, the BleLink the gateway consumes out.
 *
 * - Scans continuously (duplicates on, so idle devices keep being heard) and takes a device when
 *   it is allow-listed (by address, or by an advertised service) and advertises a supported
 *   profile; with an empty allow-list, every device with a supported profile.
 * - Per device: connect, discover the profile's services plus Battery, Device Information and
 *   Current Time; read Device Information (logged); write Current Time (UTC) where writable;
 *   subscribe to every characteristic the profile marks, measurement first, battery last; read
 *   the battery. Only then is the device reported connected.
 * - Connection set-up is one device at a time (HCI controllers refuse parallel connection
 *   attempts); connected devices are served concurrently.
 * - Every GATT step has a timeout (noble's promises never settle if the link drops mid-step).
 * - After a drop or a failed attempt: reconnect with exponential backoff and jitter, or as soon
 *   as the device advertises again (at most once a second).
 */
import type { Characteristic, Peripheral } from '@abandonware/noble';
import { EventEmitter } from 'node:events';
import {
  battery,
  currentTime,
  deviceInformation,
  deviceProfiles,
  matchesAdvertisement,
  normalizeUuid,
  type BleLink,
  type BleLinkEvents,
  type BleLinkListener,
  type DeviceProfile,
} from '@wardline/protocol';
import type { Logger } from '../logger.js';
import type { NobleLike } from './noble.js';

export class NoAdapterError extends Error {
  override readonly name = 'NoAdapterError';
}

export interface AllowList {
  addresses: readonly string[];
  services: readonly string[];
}

export interface CentralOptions {
  noble: NobleLike;
  logger: Logger;
  allow?: AllowList;
  profiles?: readonly DeviceProfile[];
  /** Reconnect backoff: base and cap in ms. Defaults 1000 and 60 000. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Each GATT step (connect, discover, read, write, subscribe). Default 10 000. */
  gattTimeoutMs?: number;
  /** How often connected devices' RSSI is read. Default 30 000. */
  rssiIntervalMs?: number;
  /** How long to wait for the adapter to power on. Default 5000. */
  poweredOnTimeoutMs?: number;
  random?: () => number;
  now?: () => number;
}

type State = 'connecting' | 'connected' | 'backoff';

interface Managed {
  deviceId: string;
  peripheral: Peripheral;
  profile: DeviceProfile;
  state: State;
  failures: number;
  timer?: NodeJS.Timeout | undefined;
  /** When the current backoff began. */
  backoffSince?: number;
  subscribed: Characteristic[];
  /** Rejects when the link drops: set-up steps race it instead of waiting for their timeout. */
  linkLost?: Promise<never>;
  onDisconnect?: () => void;
}

const ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const EARLY_RECONNECT_AFTER_MS = 1000;

export class NobleCentral implements BleLink {
  private readonly emitter = new EventEmitter();
  private readonly options: CentralOptions;
  private readonly devices = new Map<string, Managed>();
  private readonly profiles: readonly DeviceProfile[];
  private readonly allowAddresses: Set<string>;
  private readonly allowServices: Set<string>;
  private readonly random: () => number;
  private connecting: Promise<void> = Promise.resolve();
  private rssiTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly onDiscover = (peripheral: Peripheral) => this.discovered(peripheral);

  constructor(options: CentralOptions) {
    this.options = options;
    this.profiles = options.profiles ?? deviceProfiles;
    this.allowAddresses = new Set(options.allow?.addresses.map((a) => a.toLowerCase()) ?? []);
    this.allowServices = new Set(options.allow?.services.map(normalizeUuid) ?? []);
    this.random = options.random ?? Math.random;
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
    return [...this.devices.values()].filter((m) => m.state === 'connected').map((m) => m.deviceId);
  }

  /** Device ids and where each stands (for the health endpoint). */
  deviceStates(): { deviceId: string; profile: string; state: State; failures: number }[] {
    return [...this.devices.values()].map((m) => ({
      deviceId: m.deviceId,
      profile: m.profile.id,
      state: m.state,
      failures: m.failures,
    }));
  }

  /** Waits for the adapter and starts scanning; NoAdapterError when there is no usable adapter. */
  async start(): Promise<void> {
    const { noble, logger } = this.options;
    const state = await this.poweredOn();
    if (state !== 'poweredOn') {
      throw new NoAdapterError(`Bluetooth adapter state is "${state}" (not poweredOn)`);
    }
    noble.on('discover', this.onDiscover);
    noble.on('scanStop', () => {
      // Some controllers stop scanning around connections: resume.
      if (!this.stopped) setTimeout(() => void this.scan(), 1000);
    });
    await this.scan();
    this.rssiTimer = setInterval(() => this.readRssi(), this.options.rssiIntervalMs ?? 30_000);
    logger.info(
      {
        allow: { addresses: [...this.allowAddresses], services: [...this.allowServices] },
        profiles: this.profiles.map((p) => p.id),
      },
      'BLE scanning',
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.rssiTimer);
    this.options.noble.off('discover', this.onDiscover);
    await this.options.noble.stopScanningAsync().catch(() => undefined);
    await Promise.all(
      [...this.devices.values()].map(async (m) => {
        clearTimeout(m.timer);
        if (m.state === 'connected') {
          await this.timed(m.peripheral.disconnectAsync(), 'disconnect').catch(() => undefined);
        }
      }),
    );
  }

  private poweredOn(): Promise<string> {
    const { noble } = this.options;
    return new Promise((resolve) => {
      const timeoutMs = this.options.poweredOnTimeoutMs ?? 5000;
      const timer = setTimeout(() => {
        noble.off('stateChange', onState);
        resolve(noble.state === 'unknown' ? 'no answer from the adapter' : noble.state);
      }, timeoutMs);
      const onState = (state: string) => {
        if (state === 'unknown' || state === 'resetting') return;
        clearTimeout(timer);
        noble.off('stateChange', onState);
        resolve(state);
      };
      noble.on('stateChange', onState); // the first listener makes noble initialise its binding
      onState(noble.state); // already settled (a second start)
    });
  }

  private async scan(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.options.noble.startScanningAsync([], true);
    } catch (err) {
      this.options.logger.error({ code: 'BLE_SCAN_FAILED', err: (err as Error).message }, 'BLE scan failed');
    }
  }

  private discovered(peripheral: Peripheral): void {
    const deviceId = (peripheral.address ?? '').toLowerCase();
    if (!ADDRESS.test(deviceId) || this.stopped) return;
    const known = this.devices.get(deviceId);
    if (known) {
      // Advertising again means back in range: no need to sit out a long backoff (a falls sensor
      // returning from the garden should not wait a minute), but not more than once a second.
      if (known.state === 'backoff' && Date.now() - (known.backoffSince ?? 0) >= EARLY_RECONNECT_AFTER_MS) {
        clearTimeout(known.timer);
        known.timer = undefined;
        this.queueConnect(known);
      }
      return;
    }
    const advertisement = {
      serviceUuids: (peripheral.advertisement?.serviceUuids ?? []).flatMap((u) => {
        try {
          return [normalizeUuid(u)];
        } catch {
          return [];
        }
      }),
      ...(peripheral.advertisement?.localName ? { localName: peripheral.advertisement.localName } : {}),
    };
    const profile = this.profiles.find((p) => matchesAdvertisement(p, advertisement));
    if (!profile) return;
    const listed =
      (this.allowAddresses.size === 0 && this.allowServices.size === 0) ||
      this.allowAddresses.has(deviceId) ||
      advertisement.serviceUuids.some((u) => this.allowServices.has(u));
    if (!listed) return;
    const managed: Managed = {
      deviceId,
      peripheral,
      profile,
      state: 'connecting',
      failures: 0,
      subscribed: [],
    };
    this.devices.set(deviceId, managed);
    this.options.logger.info({ deviceId, profile: profile.id, rssi: peripheral.rssi }, 'BLE device found');
    this.emit('rssi', deviceId, peripheral.rssi);
    this.queueConnect(managed);
  }

  private queueConnect(m: Managed): void {
    m.state = 'connecting';
    this.connecting = this.connecting.then(() => this.connect(m));
  }

  private async connect(m: Managed): Promise<void> {
    if (this.stopped) return;
    const { logger } = this.options;
    const p = m.peripheral;
    try {
      await this.timed(p.connectAsync(), 'connect');
      m.linkLost = new Promise<never>((_, reject) => {
        m.onDisconnect = () => {
          reject(new Error('link lost'));
          this.lost(m);
        };
      });
      m.linkLost.catch(() => undefined);
      p.once('disconnect', m.onDisconnect!);
      await this.setUp(m);
      m.state = 'connected';
      m.failures = 0;
      logger.info({ deviceId: m.deviceId, profile: m.profile.id }, 'BLE device connected and subscribed');
      this.emit('connect', m.deviceId);
      const rssi = await this.timed(p.updateRssiAsync(), 'rssi', m).catch(() => undefined);
      if (rssi !== undefined) this.emit('rssi', m.deviceId, rssi);
      // Battery last: read once now; later changes come as notifications (BAS 3.1).
      const level = m.subscribed.find((c) => c.uuid === battery.BATTERY_LEVEL_UUID);
      if (level) await this.timed(level.readAsync(), 'battery read', m).catch(() => undefined);
    } catch (err) {
      m.failures++;
      logger[m.failures === 1 ? 'warn' : 'debug'](
        {
          deviceId: m.deviceId,
          code: 'BLE_CONNECT_FAILED',
          failures: m.failures,
          err: (err as Error).message,
        },
        'BLE connection attempt failed',
      );
      if (m.onDisconnect) p.off('disconnect', m.onDisconnect);
      if (p.state === 'connecting') p.cancelConnect();
      if (p.state === 'connected') await this.timed(p.disconnectAsync(), 'disconnect').catch(() => undefined);
      this.backoff(m);
    }
  }

  private async setUp(m: Managed): Promise<void> {
    const p = m.peripheral;
    const services = [
      ...new Set([
        ...m.profile.services.map((s) => s.uuid),
        battery.BATTERY_SERVICE_UUID,
        deviceInformation.DEVICE_INFORMATION_SERVICE_UUID,
        currentTime.CURRENT_TIME_SERVICE_UUID,
      ]),
    ];
    const { characteristics } = await this.timed(
      p.discoverSomeServicesAndCharacteristicsAsync(services, []),
      'discovery',
      m,
    );
    const byUuid = new Map(characteristics.map((c) => [normalizeUuid(c.uuid), c]));

    const info: Record<string, string> = {};
    for (const [field, uuid] of Object.entries(deviceInformation.DEVICE_INFORMATION_STRINGS)) {
      const c = byUuid.get(uuid);
      if (!c) continue;
      try {
        info[field] = deviceInformation.decodeString(
          await this.timed(c.readAsync(), 'device information', m),
        );
      } catch {
        info[field] = '(unreadable)';
      }
    }
    if (Object.keys(info).length > 0)
      this.options.logger.debug({ deviceId: m.deviceId, ...info }, 'device information');

    const clock = byUuid.get(currentTime.CURRENT_TIME_UUID);
    if (clock?.properties.includes('write')) {
      const now = new Date((this.options.now ?? Date.now)());
      const value = Buffer.from(currentTime.encode(currentTime.currentTimeFromDate(now)));
      await this.timed(clock.writeAsync(value, false), 'current time write', m);
      this.options.logger.info(
        { deviceId: m.deviceId, utc: now.toISOString() },
        'device clock set (Current Time)',
      );
    }

    const wanted = m.profile.services.flatMap((s) =>
      s.characteristics.filter((c) => c.subscribe).map((c) => ({ service: s.uuid, uuid: c.uuid })),
    );
    // Measurements before battery: the device sends what it kept as soon as the first is on.
    wanted.sort(
      (a, b) => Number(a.uuid === battery.BATTERY_LEVEL_UUID) - Number(b.uuid === battery.BATTERY_LEVEL_UUID),
    );
    m.subscribed = [];
    for (const { service, uuid } of wanted) {
      const c = byUuid.get(uuid);
      if (!c || !(c.properties.includes('notify') || c.properties.includes('indicate'))) continue;
      c.removeAllListeners('data');
      // Reads of a subscribed characteristic (the battery) arrive here too, and are handled alike.
      c.on('data', (data: Buffer) => this.emit('notification', m.deviceId, service, uuid, data));
      await this.timed(c.subscribeAsync(), `subscribe ${uuid}`, m);
      m.subscribed.push(c);
    }
    if (m.subscribed.length === 0) throw new Error('the device offers none of its profile characteristics');
  }

  private lost(m: Managed): void {
    m.linkLost = undefined;
    for (const c of m.subscribed) c.removeAllListeners('data');
    m.subscribed = [];
    if (m.state === 'connected') {
      // Disconnecting on stop() is not a lost link.
      if (!this.stopped) this.options.logger.warn({ deviceId: m.deviceId }, 'BLE link lost; reconnecting');
      this.emit('disconnect', m.deviceId);
    }
    if (m.state !== 'connecting') this.backoff(m);
  }

  /** Exponential backoff with equal jitter: half the delay fixed, half random. */
  private backoff(m: Managed): void {
    if (this.stopped) return;
    m.state = 'backoff';
    m.backoffSince = Date.now();
    clearTimeout(m.timer);
    const base = this.options.backoffBaseMs ?? 1000;
    const cap = Math.min(this.options.backoffMaxMs ?? 60_000, base * 2 ** Math.min(m.failures, 16));
    const delay = cap / 2 + this.random() * (cap / 2);
    m.timer = setTimeout(() => {
      m.timer = undefined;
      this.queueConnect(m);
    }, delay);
  }

  private readRssi(): void {
    for (const m of this.devices.values()) {
      if (m.state !== 'connected') continue;
      this.timed(m.peripheral.updateRssiAsync(), 'rssi')
        .then((rssi) => this.emit('rssi', m.deviceId, rssi))
        .catch(() => undefined);
    }
  }

  private timed<T>(step: Promise<T>, name: string, m?: Managed): Promise<T> {
    const ms = this.options.gattTimeoutMs ?? 10_000;
    const promise = m?.linkLost ? Promise.race([step, m.linkLost]) : step;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no answer within ${ms} ms`)), ms);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  private emit<E extends keyof BleLinkEvents>(event: E, ...args: BleLinkEvents[E]): void {
    this.emitter.emit(event, ...args);
  }
}
