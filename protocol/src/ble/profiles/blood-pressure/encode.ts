/**
 * Encoder for the Blood Pressure Measurement characteristic (BLS 3.1), for the simulators and
 * test vectors. It writes exactly the layout decode.ts reads: an optional field is written, and
 * its flag set, exactly when the record has it (null writes the field's "unknown" form).
 */
import { ByteWriter } from '../../bytes.js';
import { writeDateTime } from '../../date-time.js';
import { encodeSfloat, type EncodeOptions } from '../../ieee11073.js';
import {
  FLAG_MEASUREMENT_STATUS,
  FLAG_PULSE_RATE,
  FLAG_TIMESTAMP,
  FLAG_UNITS_KPA,
  FLAG_USER_ID,
  UNKNOWN_USER,
  type BloodPressureMeasurement,
  type MeasurementStatus,
} from './decode.js';

export function encodeMeasurementStatus(status: MeasurementStatus): number {
  const range =
    status.pulseRateRange === 'within'
      ? 0
      : status.pulseRateRange === 'aboveUpperLimit'
        ? 1
        : status.pulseRateRange === 'belowLowerLimit'
          ? 2
          : 3;
  return (
    (status.bodyMovement ? 0x0001 : 0) |
    (status.cuffTooLoose ? 0x0002 : 0) |
    (status.irregularPulse ? 0x0004 : 0) |
    (range << 3) |
    (status.improperPosition ? 0x0020 : 0)
  );
}

export interface BloodPressureEncodeOptions {
  /** SFLOAT exponent for the pressures (a kPa cuff typically reports 0.1 kPa: -1). */
  pressureExponent?: number;
}

export function encode(
  measurement: BloodPressureMeasurement,
  options: BloodPressureEncodeOptions = {},
): Uint8Array {
  const m = measurement;
  const pressure: EncodeOptions =
    options.pressureExponent === undefined ? {} : { exponent: options.pressureExponent };
  const flags =
    (m.unit === 'kPa' ? FLAG_UNITS_KPA : 0) |
    (m.timestamp !== undefined ? FLAG_TIMESTAMP : 0) |
    (m.pulseRate !== undefined ? FLAG_PULSE_RATE : 0) |
    (m.userId !== undefined ? FLAG_USER_ID : 0) |
    (m.measurementStatus !== undefined ? FLAG_MEASUREMENT_STATUS : 0);
  const writer = new ByteWriter()
    .u8(flags)
    .u16(encodeSfloat(m.systolic, pressure))
    .u16(encodeSfloat(m.diastolic, pressure))
    .u16(encodeSfloat(m.meanArterial, pressure));
  if (m.timestamp !== undefined) writeDateTime(writer, m.timestamp);
  if (m.pulseRate !== undefined) writer.u16(encodeSfloat(m.pulseRate));
  if (m.userId !== undefined) writer.u8(m.userId ?? UNKNOWN_USER);
  if (m.measurementStatus !== undefined) writer.u16(encodeMeasurementStatus(m.measurementStatus));
  return writer.toBytes();
}
