/** Encoder for Temperature Measurement (HTS 3.1), for the simulators: the layout decode.ts reads. */
import { ByteWriter } from '../../bytes.js';
import { writeDateTime } from '../../date-time.js';
import { encodeFloat } from '../../ieee11073.js';
import {
  FLAG_FAHRENHEIT,
  FLAG_TEMPERATURE_TYPE,
  FLAG_TIMESTAMP,
  TEMPERATURE_TYPES,
  type TemperatureMeasurement,
} from './decode.js';

export function encode(m: TemperatureMeasurement, options: { exponent?: number } = {}): Uint8Array {
  const flags =
    (m.unit === 'fahrenheit' ? FLAG_FAHRENHEIT : 0) |
    (m.timestamp !== undefined ? FLAG_TIMESTAMP : 0) |
    (m.temperatureType !== undefined ? FLAG_TEMPERATURE_TYPE : 0);
  const writer = new ByteWriter()
    .u8(flags)
    .u32(encodeFloat(m.temperature, options.exponent === undefined ? {} : { exponent: options.exponent }));
  if (m.timestamp !== undefined) writeDateTime(writer, m.timestamp);
  if (m.temperatureType !== undefined) {
    writer.u8(m.temperatureType === null ? 0 : TEMPERATURE_TYPES.indexOf(m.temperatureType) + 1);
  }
  return writer.toBytes();
}
