/**
 * Decoder for the Temperature Measurement characteristic (0x2A1C) of the Bluetooth SIG Health
 * Thermometer Service 1.0 (HTS 3.1; layout per org.bluetooth.characteristic.temperature_measurement):
 *
 *   Flags               u8       bit 0 units (0 Celsius, 1 Fahrenheit), bit 1 time stamp present,
 *                                bit 2 temperature type present, bits 3-7 reserved
 *   Temperature         FLOAT    IEEE 11073 32-bit, in the flagged unit
 *   Time Stamp          7        if bit 1 (GATT Date Time)
 *   Temperature Type    u8       if bit 2 (HTS 3.2 values, below)
 *
 * The record keeps the device's unit; conversion to °C happens in observations.ts.
 */
import { ByteReader } from '../../bytes.js';
import { DATE_TIME_LENGTH, isValidDateTime, readDateTime, type BleDateTime } from '../../date-time.js';
import { DecodeError, DecodeErrorCode } from '../../errors.js';
import { decodeFloat } from '../../ieee11073.js';

export type TemperatureUnit = 'celsius' | 'fahrenheit';

/** HTS 3.2 Temperature Type values 1-9 (0 and 10-255 reserved), named as the contract's sites. */
export const TEMPERATURE_TYPES = [
  'armpit',
  'body',
  'ear',
  'finger',
  'gastrointestinal',
  'mouth',
  'rectum',
  'toe',
  'tympanum',
] as const;
export type TemperatureType = (typeof TEMPERATURE_TYPES)[number];

export interface TemperatureMeasurement {
  unit: TemperatureUnit;
  /** null for an IEEE 11073 special value. */
  temperature: number | null;
  /** Present iff flags bit 1; null if not known or not a real date. */
  timestamp?: BleDateTime | null;
  /** Present iff flags bit 2; null for a reserved value. */
  temperatureType?: TemperatureType | null;
}

export const FLAG_FAHRENHEIT = 0x01;
export const FLAG_TIMESTAMP = 0x02;
export const FLAG_TEMPERATURE_TYPE = 0x04;
export const FLAGS_RESERVED = 0xf8;

export const MIN_LENGTH = 1 + 4;

export function expectedLength(flags: number): number {
  return (
    MIN_LENGTH + (flags & FLAG_TIMESTAMP ? DATE_TIME_LENGTH : 0) + (flags & FLAG_TEMPERATURE_TYPE ? 1 : 0)
  );
}

export function temperatureTypeFromCode(code: number): TemperatureType | null {
  return TEMPERATURE_TYPES[code - 1] ?? null; // HTS 3.2: 1 armpit ... 9 tympanum
}

export function decode(bytes: Uint8Array): TemperatureMeasurement {
  if (bytes.byteLength < 1)
    throw new DecodeError(DecodeErrorCode.truncated, 'temperature measurement: empty value');
  const flags = bytes[0] as number;
  if (flags & FLAGS_RESERVED) {
    throw new DecodeError(DecodeErrorCode.reservedFlags, 'temperature measurement: reserved flag bits set');
  }
  const expected = expectedLength(flags);
  if (bytes.byteLength !== expected) {
    throw new DecodeError(
      bytes.byteLength < expected ? DecodeErrorCode.truncated : DecodeErrorCode.inconsistentLength,
      `temperature measurement: flags announce ${expected} bytes, got ${bytes.byteLength}`,
    );
  }
  const reader = new ByteReader(bytes);
  reader.u8('flags');
  const result: TemperatureMeasurement = {
    unit: flags & FLAG_FAHRENHEIT ? 'fahrenheit' : 'celsius', // HTS 3.1 flags bit 0
    temperature: decodeFloat(reader.u32('temperature')),
  };
  if (flags & FLAG_TIMESTAMP) {
    const dateTime = readDateTime(reader); // HTS 3.1 flags bit 1
    result.timestamp = isValidDateTime(dateTime) ? dateTime : null;
  }
  if (flags & FLAG_TEMPERATURE_TYPE) {
    result.temperatureType = temperatureTypeFromCode(reader.u8('temperature type')); // flags bit 2
  }
  return result;
}
