/**
 * Decoder for the Battery Level characteristic (0x2A19) of the Bluetooth SIG Battery Service 1.0
 * (BAS 3.1): one octet, uint8, percentage of full charge 0-100; 101-255 are reserved, so they
 * decode to null (not a level, and never 0).
 */
import { DecodeError, DecodeErrorCode } from '../../errors.js';

export interface BatteryLevel {
  /** Percent of full charge, 0-100; null for a reserved value (101-255). */
  level: number | null;
}

export const BATTERY_LEVEL_LENGTH = 1;
export const BATTERY_LEVEL_MAX = 100;

export function decode(bytes: Uint8Array): BatteryLevel {
  if (bytes.byteLength < BATTERY_LEVEL_LENGTH) {
    throw new DecodeError(DecodeErrorCode.truncated, 'battery level: empty value');
  }
  if (bytes.byteLength > BATTERY_LEVEL_LENGTH) {
    throw new DecodeError(
      DecodeErrorCode.inconsistentLength,
      `battery level: 1 byte expected, got ${bytes.byteLength}`,
    );
  }
  const raw = bytes[0] as number;
  return { level: raw <= BATTERY_LEVEL_MAX ? raw : null }; // BAS 3.1: 101-255 reserved
}
