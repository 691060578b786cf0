/** Encoder for Battery Level (BAS 3.1), for the simulators: null writes 0xFF (reserved). */
import type { BatteryLevel } from './decode.js';

export function encode(value: BatteryLevel): Uint8Array {
  const level = value.level;
  if (level === null) return Uint8Array.of(0xff);
  if (!Number.isInteger(level) || level < 0 || level > 100)
    throw new RangeError(`battery level ${level} not in 0..100`);
  return Uint8Array.of(level);
}
