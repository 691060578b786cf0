/** Encoder for Heart Rate Measurement (HRS 3.1), for the simulators: the layout decode.ts reads. */
import { ByteWriter } from '../../bytes.js';
import {
  FLAG_CONTACT_DETECTED,
  FLAG_CONTACT_SUPPORTED,
  FLAG_ENERGY_EXPENDED,
  FLAG_HEART_RATE_UINT16,
  FLAG_RR_INTERVALS,
  type HeartRateMeasurement,
} from './decode.js';

export function encode(m: HeartRateMeasurement, options: { uint16?: boolean } = {}): Uint8Array {
  const wide = options.uint16 ?? m.heartRate > 0xff;
  const flags =
    (wide ? FLAG_HEART_RATE_UINT16 : 0) |
    (m.sensorContact === 'notSupported' ? 0 : FLAG_CONTACT_SUPPORTED) |
    (m.sensorContact === 'detected' ? FLAG_CONTACT_DETECTED : 0) |
    (m.energyExpended !== undefined ? FLAG_ENERGY_EXPENDED : 0) |
    (m.rrIntervals !== undefined ? FLAG_RR_INTERVALS : 0);
  const writer = new ByteWriter().u8(flags);
  if (wide) writer.u16(m.heartRate);
  else writer.u8(m.heartRate);
  if (m.energyExpended !== undefined) writer.u16(m.energyExpended);
  for (const rr of m.rrIntervals ?? []) writer.u16(rr);
  return writer.toBytes();
}
