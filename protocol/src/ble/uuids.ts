/**
 * Bluetooth UUIDs in the form noble (and this code base) uses as keys: lower-case hex without
 * dashes, 4 digits for a 16-bit SIG-assigned UUID ('2a35'), 32 digits for a 128-bit custom UUID.
 *
 * A 16-bit UUID is shorthand for 0000xxxx-0000-1000-8000-00805F9B34FB (the Bluetooth Base UUID,
 * Core Specification Vol 3 Part B §2.5.1), so a full-length UUID on that base is normalised to its
 * 4-digit form: both spellings then find the same table entry.
 */
export type BleUuid = string;

export const BLUETOOTH_BASE_UUID_SUFFIX = '00001000800000805f9b34fb';

/** A 16-bit SIG-assigned UUID (e.g. 0x2a35) in noble form: '2a35'. */
export function uuid16(value: number): BleUuid {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new RangeError(`16-bit UUID out of range: ${value}`);
  }
  return value.toString(16).padStart(4, '0');
}

/** Normalises any common spelling ('0x2A35', '2A35', dashed 128-bit, braces) to noble form. */
export function normalizeUuid(uuid: string): BleUuid {
  const hex = uuid.trim().toLowerCase().replace(/^0x/, '').replace(/[{}-]/g, '');
  if (!/^[0-9a-f]+$/.test(hex) || (hex.length !== 4 && hex.length !== 8 && hex.length !== 32)) {
    throw new Error(`not a Bluetooth UUID: ${uuid.slice(0, 64)}`);
  }
  if (hex.length === 32 && hex.startsWith('0000') && hex.endsWith(BLUETOOTH_BASE_UUID_SUFFIX)) {
    return hex.slice(4, 8);
  }
  if (hex.length === 8) {
    // 32-bit SIG UUIDs are rare; keep the short form only when it is really 16-bit.
    return hex.startsWith('0000') ? hex.slice(4) : `${hex}${BLUETOOTH_BASE_UUID_SUFFIX}`;
  }
  return hex;
}

/** The 128-bit form (noble style, no dashes) of any UUID. */
export function toLongUuid(uuid: string): BleUuid {
  const short = normalizeUuid(uuid);
  return short.length === 4 ? `0000${short}${BLUETOOTH_BASE_UUID_SUFFIX}` : short;
}

/** Canonical dashed spelling, for documents and logs. */
export function formatUuid(uuid: string): string {
  const long = toLongUuid(uuid);
  return `${long.slice(0, 8)}-${long.slice(8, 12)}-${long.slice(12, 16)}-${long.slice(16, 20)}-${long.slice(20)}`;
}

export function sameUuid(a: string, b: string): boolean {
  return normalizeUuid(a) === normalizeUuid(b);
}
