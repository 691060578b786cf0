import type { Observation } from '../observation.js';
import type { DeviceStatus } from '../status.js';
import { ConversionProblemCode, type ConversionProblem } from './errors.js';
import { normalizeUuid, type BleUuid } from './uuids.js';

/** How a GATT characteristic delivers values to the gateway. */
export type CharacteristicProperty = 'read' | 'notify' | 'indicate' | 'write';

export interface CharacteristicSpec {
  uuid: BleUuid;
  name: string;
  properties: readonly CharacteristicProperty[];
  /** The gateway enables notifications/indications on it when it connects. */
  subscribe: boolean;
}

export interface ServiceSpec {
  uuid: BleUuid;
  name: string;
  characteristics: readonly CharacteristicSpec[];
}

/** Declarative advertisement match: any one matcher in a profile's list is enough. */
export interface DiscoveryMatcher {
  /** The advertisement lists this service UUID (complete or incomplete list). */
  serviceUuid?: BleUuid;
  /** The advertised local name starts with this (case-sensitive). */
  localNamePrefix?: string;
}

export interface DeviceProfile {
  /** Stable id, also the folder name under profiles/. */
  id: string;
  name: string;
  /** The specification this profile implements, with version. */
  specification: string;
  discovery: readonly DiscoveryMatcher[];
  services: readonly ServiceSpec[];
}

export interface Advertisement {
  serviceUuids: readonly string[];
  localName?: string;
}

export function matchesAdvertisement(profile: DeviceProfile, adv: Advertisement): boolean {
  const advertised = new Set(adv.serviceUuids.map(normalizeUuid));
  return profile.discovery.some((m) => {
    if (m.serviceUuid === undefined && m.localNamePrefix === undefined) return false;
    if (m.serviceUuid !== undefined && !advertised.has(normalizeUuid(m.serviceUuid))) return false;
    if (m.localNamePrefix !== undefined && !(adv.localName ?? '').startsWith(m.localNamePrefix)) return false;
    return true;
  });
}

/** What a profile needs to turn a decoded value into contract observations. */
export interface ObservationContext {
  deviceId: string;
  /** UTC ISO time the gateway received the value: used only when the device gives no valid time. */
  measuredAtFallback: string;
  /** Allocates the next per-gateway sequence number; called once per observation, in order. */
  nextSeq: () => number;
  /** Observation id factory (default crypto.randomUUID). */
  id?: () => string;
}

export interface ConversionResult {
  observations: Observation[];
  problems: ConversionProblem[];
}

/** Device status fields a characteristic can update (lastSeen/connected are the gateway's). */
export type DeviceStatusUpdate = Partial<Pick<DeviceStatus, 'battery' | 'rssi'>>;

export interface StatusResult {
  status: DeviceStatusUpdate;
  problems: ConversionProblem[];
}

/**
 * One row of the dispatch table. The gateway looks a notification up by characteristic UUID and
 * calls these in turn; it never parses bytes itself. Methods (not function properties) so that a
 * handler of a specific decoded type is assignable to `CharacteristicHandler` (unknown).
 */
export interface CharacteristicHandler<T = unknown> {
  /** DeviceProfile.id of the profile this characteristic belongs to. */
  profile: string;
  name: string;
  serviceUuid: BleUuid;
  uuid: BleUuid;
  /** Pure: throws DecodeError on malformed bytes. */
  decode(bytes: Uint8Array): T;
  toObservations?(decoded: T, context: ObservationContext): ConversionResult;
  toDeviceStatus?(decoded: T): StatusResult;
  /**
   * The device's own event counter, if the characteristic has one: lets the gateway notice
   * notifications lost over the air.
   */
  eventCounter?(decoded: T): { value: number; modulo: number } | null;
  /**
   * For characteristics whose devices repeat unacknowledged notifications: byte-identical values
   * from the same device within this window are one event.
   */
  repeatWindowMs?: number;
  /**
   * For streaming characteristics (continuous oximetry, heart rate ~1 Hz): at most one value per
   * device per this many ms becomes observations; the others still update device status.
   */
  sampleIntervalMs?: number;
}

export function newObservationId(context: ObservationContext): string {
  return context.id ? context.id() : globalThis.crypto.randomUUID();
}

/**
 * The measurement time of a reading: the device's own time stamp when it sent a usable one,
 * otherwise the gateway's receive time. `deviceTime` is undefined when the device sent no time
 * stamp at all, and null when it sent one that is unknown, invalid or from an unset clock; that
 * case is reported, because the reading's time is then only as good as the link's latency.
 */
export function measurementTime(
  deviceTime: string | null | undefined,
  context: ObservationContext,
  problems: ConversionProblem[],
  what: string,
): string {
  if (deviceTime === undefined) return context.measuredAtFallback;
  if (deviceTime === null) {
    problems.push({
      code: ConversionProblemCode.invalidTimestamp,
      detail: `${what}: time stamp unknown, invalid or device clock not set, gateway receive time used`,
    });
    return context.measuredAtFallback;
  }
  return deviceTime;
}
