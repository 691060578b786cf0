/**
 * Decoder for the Blood Pressure Measurement characteristic (0x2A35) of the Bluetooth SIG Blood
 * Pressure Service 1.0 (BLS 3.1; field layout per the GATT characteristic definition
 * org.bluetooth.characteristic.blood_pressure_measurement). Fields, in order, LSO first:
 *
 *   Flags                 u8       bit 0 units (0 mmHg, 1 kPa), bit 1 time stamp present,
 *                                  bit 2 pulse rate present, bit 3 user id present,
 *                                  bit 4 measurement status present, bits 5-7 reserved
 *   Systolic              SFLOAT   in the flagged unit
 *   Diastolic             SFLOAT
 *   Mean Arterial Pres.   SFLOAT
 *   Time Stamp            7 octets if bit 1 (GATT Date Time, see date-time.ts)
 *   Pulse Rate            SFLOAT   if bit 2, beats per minute
 *   User ID               u8       if bit 3, 0xFF = unknown user
 *   Measurement Status    u16      if bit 4
 *
 * The record keeps the device's unit; conversion to the contract's mmHg happens in
 * observations.ts. Optional fields are present on the record exactly when their flag is set.
 */
import { ByteReader } from '../../bytes.js';
import { DATE_TIME_LENGTH, isValidDateTime, readDateTime, type BleDateTime } from '../../date-time.js';
import { DecodeError, DecodeErrorCode } from '../../errors.js';
import { decodeSfloat } from '../../ieee11073.js';

export type PressureUnit = 'mmHg' | 'kPa';

export type PulseRateRange = 'within' | 'aboveUpperLimit' | 'belowLowerLimit';

/** BLS 3.1 Measurement Status field (u16). Bits 6-15 are reserved and ignored. */
export interface MeasurementStatus {
  /** bit 0: body movement during measurement */
  bodyMovement: boolean;
  /** bit 1: cuff too loose */
  cuffTooLoose: boolean;
  /** bit 2: irregular pulse detected */
  irregularPulse: boolean;
  /** bits 3-4: pulse rate range detection; null for the reserved value 3 */
  pulseRateRange: PulseRateRange | null;
  /** bit 5: improper measurement position */
  improperPosition: boolean;
}

export interface BloodPressureMeasurement {
  /** Unit of systolic, diastolic and mean arterial pressure, from flags bit 0. */
  unit: PressureUnit;
  /** null when the device sent an IEEE 11073 special value (NaN, NRes, ±INF, reserved). */
  systolic: number | null;
  diastolic: number | null;
  meanArterial: number | null;
  /** Present iff flags bit 1; null if the device sent "not known" or an impossible date. */
  timestamp?: BleDateTime | null;
  /** Present iff flags bit 2; beats per minute; null for a special value. */
  pulseRate?: number | null;
  /** Present iff flags bit 3; null for 0xFF (unknown user). */
  userId?: number | null;
  /** Present iff flags bit 4. */
  measurementStatus?: MeasurementStatus;
}

export const FLAG_UNITS_KPA = 0x01;
export const FLAG_TIMESTAMP = 0x02;
export const FLAG_PULSE_RATE = 0x04;
export const FLAG_USER_ID = 0x08;
export const FLAG_MEASUREMENT_STATUS = 0x10;
export const FLAGS_RESERVED = 0xe0;

export const UNKNOWN_USER = 0xff;

/** Flags + systolic + diastolic + MAP. */
export const MIN_LENGTH = 1 + 3 * 2;

/** The exact length the flags announce. */
export function expectedLength(flags: number): number {
  return (
    MIN_LENGTH +
    (flags & FLAG_TIMESTAMP ? DATE_TIME_LENGTH : 0) +
    (flags & FLAG_PULSE_RATE ? 2 : 0) +
    (flags & FLAG_USER_ID ? 1 : 0) +
    (flags & FLAG_MEASUREMENT_STATUS ? 2 : 0)
  );
}

const PULSE_RATE_RANGES: readonly (PulseRateRange | null)[] = [
  'within',
  'aboveUpperLimit',
  'belowLowerLimit',
  null,
];

export function decodeMeasurementStatus(raw: number): MeasurementStatus {
  return {
    bodyMovement: (raw & 0x0001) !== 0, // BLS 3.1 measurement status bit 0
    cuffTooLoose: (raw & 0x0002) !== 0, // bit 1
    irregularPulse: (raw & 0x0004) !== 0, // bit 2
    pulseRateRange: PULSE_RATE_RANGES[(raw >> 3) & 0x03] ?? null, // bits 3-4, value 3 reserved
    improperPosition: (raw & 0x0020) !== 0, // bit 5
  };
}

export function decode(bytes: Uint8Array): BloodPressureMeasurement {
  if (bytes.byteLength < 1) {
    throw new DecodeError(DecodeErrorCode.truncated, 'blood pressure measurement: empty value');
  }
  const flags = bytes[0] as number;
  // BLS 3.1 flags bits 5-7 are reserved for future use: a set bit may announce fields we cannot
  // locate, so nothing after the flags can be trusted.
  if (flags & FLAGS_RESERVED) {
    throw new DecodeError(
      DecodeErrorCode.reservedFlags,
      `blood pressure measurement: reserved flag bits set`,
    );
  }
  const expected = expectedLength(flags);
  if (bytes.byteLength < expected) {
    throw new DecodeError(
      DecodeErrorCode.truncated,
      `blood pressure measurement: flags announce ${expected} bytes, got ${bytes.byteLength}`,
    );
  }
  if (bytes.byteLength > expected) {
    throw new DecodeError(
      DecodeErrorCode.inconsistentLength,
      `blood pressure measurement: flags announce ${expected} bytes, got ${bytes.byteLength}`,
    );
  }

  const reader = new ByteReader(bytes);
  reader.u8('flags');
  const result: BloodPressureMeasurement = {
    unit: flags & FLAG_UNITS_KPA ? 'kPa' : 'mmHg', // BLS 3.1 flags bit 0
    systolic: decodeSfloat(reader.u16('systolic')),
    diastolic: decodeSfloat(reader.u16('diastolic')),
    meanArterial: decodeSfloat(reader.u16('mean arterial pressure')),
  };
  if (flags & FLAG_TIMESTAMP) {
    // BLS 3.1 flags bit 1: Time Stamp (GATT Date Time). Unknown/impossible dates become null.
    const dateTime = readDateTime(reader);
    result.timestamp = isValidDateTime(dateTime) ? dateTime : null;
  }
  if (flags & FLAG_PULSE_RATE) {
    result.pulseRate = decodeSfloat(reader.u16('pulse rate')); // BLS 3.1 flags bit 2
  }
  if (flags & FLAG_USER_ID) {
    const user = reader.u8('user id'); // BLS 3.1 flags bit 3; 0xFF = unknown user
    result.userId = user === UNKNOWN_USER ? null : user;
  }
  if (flags & FLAG_MEASUREMENT_STATUS) {
    result.measurementStatus = decodeMeasurementStatus(reader.u16('measurement status')); // flags bit 4
  }
  return result;
}
