/** Encoders for the PLXS measurements (PLXS 3.1, 3.2), for the simulators: the layouts decode.ts reads. */
import { ByteWriter } from '../../bytes.js';
import { writeDateTime } from '../../date-time.js';
import { encodeSfloat } from '../../ieee11073.js';
import {
  CONT_FLAG_DEVICE_STATUS,
  CONT_FLAG_FAST,
  CONT_FLAG_MEASUREMENT_STATUS,
  CONT_FLAG_PULSE_AMPLITUDE,
  CONT_FLAG_SLOW,
  encodeDeviceStatusBits,
  encodeMeasurementStatusBits,
  SPOT_FLAG_CLOCK_NOT_SET,
  SPOT_FLAG_DEVICE_STATUS,
  SPOT_FLAG_MEASUREMENT_STATUS,
  SPOT_FLAG_PULSE_AMPLITUDE,
  SPOT_FLAG_TIMESTAMP,
  type PlxContinuous,
  type PlxDeviceStatus,
  type PlxMeasurementStatus,
  type PlxSpotCheck,
  type SpO2PulseRate,
} from './decode.js';

function pair(writer: ByteWriter, value: SpO2PulseRate): void {
  writer.u16(encodeSfloat(value.spo2)).u16(encodeSfloat(value.pulseRate));
}

function tail(
  writer: ByteWriter,
  m: {
    measurementStatus?: PlxMeasurementStatus;
    deviceStatus?: PlxDeviceStatus;
    pulseAmplitudeIndex?: number | null;
  },
): void {
  if (m.measurementStatus) writer.u16(encodeMeasurementStatusBits(m.measurementStatus));
  if (m.deviceStatus) {
    const raw = encodeDeviceStatusBits(m.deviceStatus);
    writer.u16(raw & 0xffff).u8(raw >>> 16);
  }
  if (m.pulseAmplitudeIndex !== undefined) writer.u16(encodeSfloat(m.pulseAmplitudeIndex));
}

export function encodeSpotCheck(m: PlxSpotCheck): Uint8Array {
  const flags =
    (m.timestamp !== undefined ? SPOT_FLAG_TIMESTAMP : 0) |
    (m.measurementStatus ? SPOT_FLAG_MEASUREMENT_STATUS : 0) |
    (m.deviceStatus ? SPOT_FLAG_DEVICE_STATUS : 0) |
    (m.pulseAmplitudeIndex !== undefined ? SPOT_FLAG_PULSE_AMPLITUDE : 0) |
    (m.deviceClockNotSet ? SPOT_FLAG_CLOCK_NOT_SET : 0);
  const writer = new ByteWriter().u8(flags);
  pair(writer, m);
  if (m.timestamp !== undefined) writeDateTime(writer, m.timestamp);
  tail(writer, m);
  return writer.toBytes();
}

export function encodeContinuous(m: PlxContinuous): Uint8Array {
  const flags =
    (m.fast ? CONT_FLAG_FAST : 0) |
    (m.slow ? CONT_FLAG_SLOW : 0) |
    (m.measurementStatus ? CONT_FLAG_MEASUREMENT_STATUS : 0) |
    (m.deviceStatus ? CONT_FLAG_DEVICE_STATUS : 0) |
    (m.pulseAmplitudeIndex !== undefined ? CONT_FLAG_PULSE_AMPLITUDE : 0);
  const writer = new ByteWriter().u8(flags);
  pair(writer, m);
  if (m.fast) pair(writer, m.fast);
  if (m.slow) pair(writer, m.slow);
  tail(writer, m);
  return writer.toBytes();
}
