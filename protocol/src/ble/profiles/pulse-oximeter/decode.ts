/**
 * Decoders for the Bluetooth SIG Pulse Oximeter Service 1.0 measurements (PLXS 3.1, 3.2; layouts
 * per org.bluetooth.characteristic.plx_spot_check_measurement / plx_continuous_measurement).
 *
 * PLX Spot-check Measurement (0x2A5E):
 *   Flags                     u8       bit 0 time stamp, bit 1 measurement status, bit 2 device
 *                                      and sensor status, bit 3 pulse amplitude index present,
 *                                      bit 4 device clock is not set, bits 5-7 reserved
 *   SpO2PR-Spot-Check         2 SFLOAT SpO2 (%), pulse rate (bpm)
 *   Time Stamp                7        if bit 0 (GATT Date Time)
 *   Measurement Status        u16      if bit 1
 *   Device and Sensor Status  u24      if bit 2
 *   Pulse Amplitude Index     SFLOAT   if bit 3 (%)
 *
 * PLX Continuous Measurement (0x2A5F):
 *   Flags                     u8       bit 0 SpO2PR-Fast, bit 1 SpO2PR-Slow, bit 2 measurement
 *                                      status, bit 3 device and sensor status, bit 4 pulse
 *                                      amplitude index present, bits 5-7 reserved
 *   SpO2PR-Normal             2 SFLOAT SpO2 (%), pulse rate (bpm)
 *   SpO2PR-Fast               2 SFLOAT if bit 0
 *   SpO2PR-Slow               2 SFLOAT if bit 1
 *   Measurement Status        u16      if bit 2
 *   Device and Sensor Status  u24      if bit 3
 *   Pulse Amplitude Index     SFLOAT   if bit 4
 */
import { ByteReader } from '../../bytes.js';
import { DATE_TIME_LENGTH, isValidDateTime, readDateTime, type BleDateTime } from '../../date-time.js';
import { DecodeError, DecodeErrorCode } from '../../errors.js';
import { decodeSfloat } from '../../ieee11073.js';

export interface SpO2PulseRate {
  /** %; null for a special value. */
  spo2: number | null;
  /** bpm; null for a special value. */
  pulseRate: number | null;
}

/** PLXS Measurement Status (u16): bits 0-4 reserved. */
export interface PlxMeasurementStatus {
  measurementOngoing: boolean; // bit 5
  earlyEstimatedData: boolean; // bit 6
  validatedData: boolean; // bit 7
  fullyQualifiedData: boolean; // bit 8
  dataFromMeasurementStorage: boolean; // bit 9
  dataForDemonstration: boolean; // bit 10
  dataForTesting: boolean; // bit 11
  calibrationOngoing: boolean; // bit 12
  measurementUnavailable: boolean; // bit 13
  questionableMeasurementDetected: boolean; // bit 14
  invalidMeasurementDetected: boolean; // bit 15
}

const MEASUREMENT_STATUS_BITS: readonly [keyof PlxMeasurementStatus, number][] = [
  ['measurementOngoing', 5],
  ['earlyEstimatedData', 6],
  ['validatedData', 7],
  ['fullyQualifiedData', 8],
  ['dataFromMeasurementStorage', 9],
  ['dataForDemonstration', 10],
  ['dataForTesting', 11],
  ['calibrationOngoing', 12],
  ['measurementUnavailable', 13],
  ['questionableMeasurementDetected', 14],
  ['invalidMeasurementDetected', 15],
];

/** PLXS Device and Sensor Status (u24): bits 16-23 reserved. */
export interface PlxDeviceStatus {
  extendedDisplayUpdateOngoing: boolean; // bit 0
  equipmentMalfunctionDetected: boolean; // bit 1
  signalProcessingIrregularityDetected: boolean; // bit 2
  inadequateSignalDetected: boolean; // bit 3
  poorSignalDetected: boolean; // bit 4
  lowPerfusionDetected: boolean; // bit 5
  erraticSignalDetected: boolean; // bit 6
  nonpulsatileSignalDetected: boolean; // bit 7
  questionablePulseDetected: boolean; // bit 8
  signalAnalysisOngoing: boolean; // bit 9
  sensorInterferenceDetected: boolean; // bit 10
  sensorUnconnectedToUser: boolean; // bit 11
  unknownSensorConnected: boolean; // bit 12
  sensorDisplaced: boolean; // bit 13
  sensorMalfunctioning: boolean; // bit 14
  sensorDisconnected: boolean; // bit 15
}

const DEVICE_STATUS_BITS: readonly (keyof PlxDeviceStatus)[] = [
  'extendedDisplayUpdateOngoing',
  'equipmentMalfunctionDetected',
  'signalProcessingIrregularityDetected',
  'inadequateSignalDetected',
  'poorSignalDetected',
  'lowPerfusionDetected',
  'erraticSignalDetected',
  'nonpulsatileSignalDetected',
  'questionablePulseDetected',
  'signalAnalysisOngoing',
  'sensorInterferenceDetected',
  'sensorUnconnectedToUser',
  'unknownSensorConnected',
  'sensorDisplaced',
  'sensorMalfunctioning',
  'sensorDisconnected',
];

export interface PlxSpotCheck extends SpO2PulseRate {
  /** Present iff flags bit 0; null if not known or not a real date. */
  timestamp?: BleDateTime | null;
  measurementStatus?: PlxMeasurementStatus;
  deviceStatus?: PlxDeviceStatus;
  /** %, present iff flags bit 3; null for a special value. */
  pulseAmplitudeIndex?: number | null;
  /** Flags bit 4: the time stamp is not a real time. */
  deviceClockNotSet: boolean;
}

export interface PlxContinuous extends SpO2PulseRate {
  fast?: SpO2PulseRate;
  slow?: SpO2PulseRate;
  measurementStatus?: PlxMeasurementStatus;
  deviceStatus?: PlxDeviceStatus;
  pulseAmplitudeIndex?: number | null;
}

export const SPOT_FLAG_TIMESTAMP = 0x01;
export const SPOT_FLAG_MEASUREMENT_STATUS = 0x02;
export const SPOT_FLAG_DEVICE_STATUS = 0x04;
export const SPOT_FLAG_PULSE_AMPLITUDE = 0x08;
export const SPOT_FLAG_CLOCK_NOT_SET = 0x10;
export const CONT_FLAG_FAST = 0x01;
export const CONT_FLAG_SLOW = 0x02;
export const CONT_FLAG_MEASUREMENT_STATUS = 0x04;
export const CONT_FLAG_DEVICE_STATUS = 0x08;
export const CONT_FLAG_PULSE_AMPLITUDE = 0x10;
export const FLAGS_RESERVED = 0xe0;

export function decodeMeasurementStatus(raw: number): PlxMeasurementStatus {
  const status = {} as PlxMeasurementStatus;
  for (const [name, bit] of MEASUREMENT_STATUS_BITS) status[name] = (raw & (1 << bit)) !== 0;
  return status;
}

export function decodeDeviceStatus(raw: number): PlxDeviceStatus {
  const status = {} as PlxDeviceStatus;
  DEVICE_STATUS_BITS.forEach((name, bit) => (status[name] = (raw & (1 << bit)) !== 0));
  return status;
}

export function spotCheckLength(flags: number): number {
  return (
    1 +
    4 +
    (flags & SPOT_FLAG_TIMESTAMP ? DATE_TIME_LENGTH : 0) +
    (flags & SPOT_FLAG_MEASUREMENT_STATUS ? 2 : 0) +
    (flags & SPOT_FLAG_DEVICE_STATUS ? 3 : 0) +
    (flags & SPOT_FLAG_PULSE_AMPLITUDE ? 2 : 0)
  );
}

export function continuousLength(flags: number): number {
  return (
    1 +
    4 +
    (flags & CONT_FLAG_FAST ? 4 : 0) +
    (flags & CONT_FLAG_SLOW ? 4 : 0) +
    (flags & CONT_FLAG_MEASUREMENT_STATUS ? 2 : 0) +
    (flags & CONT_FLAG_DEVICE_STATUS ? 3 : 0) +
    (flags & CONT_FLAG_PULSE_AMPLITUDE ? 2 : 0)
  );
}

function checkLayout(bytes: Uint8Array, name: string, length: (flags: number) => number): ByteReader {
  if (bytes.byteLength < 1) throw new DecodeError(DecodeErrorCode.truncated, `${name}: empty value`);
  const flags = bytes[0] as number;
  if (flags & FLAGS_RESERVED)
    throw new DecodeError(DecodeErrorCode.reservedFlags, `${name}: reserved flag bits set`);
  const expected = length(flags);
  if (bytes.byteLength !== expected) {
    throw new DecodeError(
      bytes.byteLength < expected ? DecodeErrorCode.truncated : DecodeErrorCode.inconsistentLength,
      `${name}: flags announce ${expected} bytes, got ${bytes.byteLength}`,
    );
  }
  const reader = new ByteReader(bytes);
  reader.u8('flags');
  return reader;
}

function readPair(reader: ByteReader, field: string): SpO2PulseRate {
  return {
    spo2: decodeSfloat(reader.u16(`${field} SpO2`)),
    pulseRate: decodeSfloat(reader.u16(`${field} pulse rate`)),
  };
}

function readU24(reader: ByteReader, field: string): number {
  return reader.u16(field) | (reader.u8(field) << 16);
}

export function decodeSpotCheck(bytes: Uint8Array): PlxSpotCheck {
  const reader = checkLayout(bytes, 'PLX spot-check measurement', spotCheckLength);
  const flags = bytes[0] as number;
  const result: PlxSpotCheck = {
    ...readPair(reader, 'spot-check'), // PLXS 3.1 SpO2PR-Spot-Check
    deviceClockNotSet: (flags & SPOT_FLAG_CLOCK_NOT_SET) !== 0, // flags bit 4
  };
  if (flags & SPOT_FLAG_TIMESTAMP) {
    const dateTime = readDateTime(reader); // flags bit 0
    result.timestamp = isValidDateTime(dateTime) ? dateTime : null;
  }
  if (flags & SPOT_FLAG_MEASUREMENT_STATUS) {
    result.measurementStatus = decodeMeasurementStatus(reader.u16('measurement status')); // bit 1
  }
  if (flags & SPOT_FLAG_DEVICE_STATUS) {
    result.deviceStatus = decodeDeviceStatus(readU24(reader, 'device and sensor status')); // bit 2
  }
  if (flags & SPOT_FLAG_PULSE_AMPLITUDE) {
    result.pulseAmplitudeIndex = decodeSfloat(reader.u16('pulse amplitude index')); // bit 3
  }
  return result;
}

export function decodeContinuous(bytes: Uint8Array): PlxContinuous {
  const reader = checkLayout(bytes, 'PLX continuous measurement', continuousLength);
  const flags = bytes[0] as number;
  const result: PlxContinuous = readPair(reader, 'normal'); // PLXS 3.2 SpO2PR-Normal
  if (flags & CONT_FLAG_FAST) result.fast = readPair(reader, 'fast'); // flags bit 0
  if (flags & CONT_FLAG_SLOW) result.slow = readPair(reader, 'slow'); // bit 1
  if (flags & CONT_FLAG_MEASUREMENT_STATUS) {
    result.measurementStatus = decodeMeasurementStatus(reader.u16('measurement status')); // bit 2
  }
  if (flags & CONT_FLAG_DEVICE_STATUS) {
    result.deviceStatus = decodeDeviceStatus(readU24(reader, 'device and sensor status')); // bit 3
  }
  if (flags & CONT_FLAG_PULSE_AMPLITUDE) {
    result.pulseAmplitudeIndex = decodeSfloat(reader.u16('pulse amplitude index')); // bit 4
  }
  return result;
}

export function encodeMeasurementStatusBits(status: PlxMeasurementStatus): number {
  let raw = 0;
  for (const [name, bit] of MEASUREMENT_STATUS_BITS) if (status[name]) raw |= 1 << bit;
  return raw;
}

export function encodeDeviceStatusBits(status: PlxDeviceStatus): number {
  let raw = 0;
  DEVICE_STATUS_BITS.forEach((name, bit) => {
    if (status[name]) raw |= 1 << bit;
  });
  return raw;
}
