/**
 * Decoder for the Heart Rate Measurement characteristic (0x2A37) of the Bluetooth SIG Heart Rate
 * Service 1.0 (HRS 3.1; layout per org.bluetooth.characteristic.heart_rate_measurement):
 *
 *   Flags               u8        bit 0 value format (0 uint8, 1 uint16), bits 1-2 sensor contact
 *                                 (bit 2 supported, bit 1 detected), bit 3 energy expended present,
 *                                 bit 4 RR-intervals present, bits 5-7 reserved
 *   Heart Rate          u8|u16    beats per minute
 *   Energy Expended     u16       if bit 3, kilojoules
 *   RR-Interval         u16 ...   if bit 4, one or more, each in 1/1024 s; fills the rest
 *
 * No IEEE 11073 types here: HRS values are plain integers, so there is no special value.
 */
import { ByteReader } from '../../bytes.js';
import { DecodeError, DecodeErrorCode } from '../../errors.js';

export type SensorContact = 'notSupported' | 'notDetected' | 'detected';

export interface HeartRateMeasurement {
  /** Beats per minute. */
  heartRate: number;
  /** HRS 3.1 flags bits 1-2. */
  sensorContact: SensorContact;
  /** Present iff flags bit 3; kilojoules since the last reset. */
  energyExpended?: number;
  /** Present iff flags bit 4; in units of 1/1024 s, as sent. */
  rrIntervals?: number[];
}

export const FLAG_HEART_RATE_UINT16 = 0x01;
export const FLAG_CONTACT_DETECTED = 0x02;
export const FLAG_CONTACT_SUPPORTED = 0x04;
export const FLAG_ENERGY_EXPENDED = 0x08;
export const FLAG_RR_INTERVALS = 0x10;
export const FLAGS_RESERVED = 0xe0;

/** 1/1024 s -> ms, exactly (1000/1024 is a binary fraction). */
export function rrToMilliseconds(raw: number): number {
  return (raw * 1000) / 1024;
}

export function decode(bytes: Uint8Array): HeartRateMeasurement {
  if (bytes.byteLength < 1)
    throw new DecodeError(DecodeErrorCode.truncated, 'heart rate measurement: empty value');
  const flags = bytes[0] as number;
  if (flags & FLAGS_RESERVED) {
    throw new DecodeError(DecodeErrorCode.reservedFlags, 'heart rate measurement: reserved flag bits set');
  }
  const fixed = 1 + (flags & FLAG_HEART_RATE_UINT16 ? 2 : 1) + (flags & FLAG_ENERGY_EXPENDED ? 2 : 0);
  const minimum = fixed + (flags & FLAG_RR_INTERVALS ? 2 : 0);
  if (bytes.byteLength < minimum) {
    throw new DecodeError(
      DecodeErrorCode.truncated,
      `heart rate measurement: flags announce at least ${minimum} bytes, got ${bytes.byteLength}`,
    );
  }
  const rest = bytes.byteLength - fixed;
  if (flags & FLAG_RR_INTERVALS ? rest % 2 !== 0 : rest !== 0) {
    throw new DecodeError(
      DecodeErrorCode.inconsistentLength,
      `heart rate measurement: ${rest} byte(s) after the fixed fields do not match the flags`,
    );
  }
  const reader = new ByteReader(bytes);
  reader.u8('flags');
  const result: HeartRateMeasurement = {
    heartRate: flags & FLAG_HEART_RATE_UINT16 ? reader.u16('heart rate') : reader.u8('heart rate'), // bit 0
    sensorContact: !(flags & FLAG_CONTACT_SUPPORTED) // HRS 3.1 bits 1-2
      ? 'notSupported'
      : flags & FLAG_CONTACT_DETECTED
        ? 'detected'
        : 'notDetected',
  };
  if (flags & FLAG_ENERGY_EXPENDED) result.energyExpended = reader.u16('energy expended'); // bit 3
  if (flags & FLAG_RR_INTERVALS) {
    const rr: number[] = []; // bit 4
    while (reader.remaining > 0) rr.push(reader.u16('rr interval'));
    result.rrIntervals = rr;
  }
  return result;
}
