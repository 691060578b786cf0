/**
 * IEEE 11073-20601 (Personal Health Devices, Optimized Exchange Protocol) medical number types,
 * as used by the Bluetooth SIG health profiles (BLS, HTS, PLXS, WSS: the GATT "SFLOAT"/"medfloat16"
 * and "FLOAT"/"medfloat32" formats).
 *
 *   SFLOAT-Type: 16 bits = 4-bit signed exponent (MSBs) + 12-bit signed mantissa, value = m × 10^e
 *   FLOAT-Type:  32 bits = 8-bit signed exponent (MSB)  + 24-bit signed mantissa, value = m × 10^e
 *
 * Both are two's complement. The standard reserves five exact bit patterns (exponent 0, mantissa
 * at the top/bottom of its range) as special values. None of them is a measurement, so all decode
 * to `null`, never to 0 or to a JavaScript NaN/Infinity that could leak into arithmetic or JSON:
 *
 *   special             SFLOAT   FLOAT
 *   NaN                 0x07FF   0x007FFFFF   (not a number: the device has no value)
 *   NRes                0x0800   0x00800000   (not at this resolution)
 *   +INFINITY           0x07FE   0x007FFFFE
 *   -INFINITY           0x0802   0x00800002
 *   reserved            0x0801   0x00800001   (reserved for future use)
 *
 * Decimal exactness: for a negative exponent the value is computed as m / 10^-e (both exact
 * integers, one correctly rounded division), so 0x04B5 with e = -1 is exactly the double nearest
 * 120.5, not 1205 × 0.1 = 120.50000000000001.
 */

export type SpecialValue = 'nan' | 'nres' | 'positiveInfinity' | 'negativeInfinity' | 'reserved';

export const SFLOAT_SPECIAL = {
  nan: 0x07ff,
  nres: 0x0800,
  positiveInfinity: 0x07fe,
  negativeInfinity: 0x0802,
  reserved: 0x0801,
} as const satisfies Record<SpecialValue, number>;

export const FLOAT_SPECIAL = {
  nan: 0x007fffff,
  nres: 0x00800000,
  positiveInfinity: 0x007ffffe,
  negativeInfinity: 0x00800002,
  reserved: 0x00800001,
} as const satisfies Record<SpecialValue, number>;

interface Format {
  name: string;
  mantissaBits: number;
  exponentBits: number;
  specials: Record<SpecialValue, number>;
}

const SFLOAT: Format = { name: 'SFLOAT', mantissaBits: 12, exponentBits: 4, specials: SFLOAT_SPECIAL };
const FLOAT: Format = { name: 'FLOAT', mantissaBits: 24, exponentBits: 8, specials: FLOAT_SPECIAL };

function signExtend(value: number, bits: number): number {
  const shift = 32 - bits;
  return (value << shift) >> shift;
}

function special(raw: number, format: Format): SpecialValue | null {
  for (const [name, pattern] of Object.entries(format.specials)) {
    if (raw === pattern) return name as SpecialValue;
  }
  return null;
}

function fromParts(mantissa: number, exponent: number): number {
  return exponent < 0 ? mantissa / 10 ** -exponent : mantissa * 10 ** exponent;
}

function checkRaw(raw: number, bits: number, format: Format): void {
  if (!Number.isInteger(raw) || raw < 0 || raw >= 2 ** bits) {
    throw new RangeError(`${format.name} raw value must be a ${bits}-bit unsigned integer`);
  }
}

function decode(raw: number, format: Format): number | null {
  const bits = format.mantissaBits + format.exponentBits;
  checkRaw(raw, bits, format);
  if (special(raw, format) !== null) return null;
  const mantissaMask = 2 ** format.mantissaBits - 1;
  const mantissa = signExtend(raw & mantissaMask, format.mantissaBits);
  const exponent = signExtend(Math.floor(raw / 2 ** format.mantissaBits), format.exponentBits);
  return fromParts(mantissa, exponent);
}

/** Which special value a raw SFLOAT is, or null for an ordinary number. */
export function sfloatSpecial(raw: number): SpecialValue | null {
  return special(raw, SFLOAT);
}

export function floatSpecial(raw: number): SpecialValue | null {
  return special(raw, FLOAT);
}

/** Decodes a raw 16-bit SFLOAT; special values (NaN, NRes, ±INF, reserved) decode to null. */
export function decodeSfloat(raw: number): number | null {
  return decode(raw, SFLOAT);
}

/** Decodes a raw 32-bit FLOAT; special values (NaN, NRes, ±INF, reserved) decode to null. */
export function decodeFloat(raw: number): number | null {
  return decode(raw, FLOAT);
}

export interface EncodeOptions {
  /** Force this exponent (the device's resolution, e.g. -1 for 0.1 units); rounds the mantissa. */
  exponent?: number;
}

function encode(value: number | null, format: Format, options: EncodeOptions): number {
  if (value === null || Number.isNaN(value)) return format.specials.nan;
  if (value === Infinity) return format.specials.positiveInfinity;
  if (value === -Infinity) return format.specials.negativeInfinity;

  const exponentMin = -(2 ** (format.exponentBits - 1));
  const exponentMax = 2 ** (format.exponentBits - 1) - 1;
  // Keep ordinary numbers clear of the special mantissas (±(2^(n-1) - 2) and beyond).
  const mantissaMax = 2 ** (format.mantissaBits - 1) - 3;
  const fits = (m: number) => Math.abs(m) <= mantissaMax;
  const mantissaAt = (e: number) => Math.round(e < 0 ? value * 10 ** -e : value / 10 ** e);
  const pack = (m: number, e: number) =>
    ((e & (2 ** format.exponentBits - 1)) * 2 ** format.mantissaBits +
      (m & (2 ** format.mantissaBits - 1))) >>>
    0;

  if (options.exponent !== undefined) {
    const e = options.exponent;
    if (!Number.isInteger(e) || e < exponentMin || e > exponentMax) {
      throw new RangeError(`${format.name} exponent ${e} is outside ${exponentMin}..${exponentMax}`);
    }
    const m = mantissaAt(e);
    if (!fits(m)) throw new RangeError(`${value} does not fit a ${format.name} with exponent ${e}`);
    return pack(m, e);
  }

  // Exact representation first, with the exponent nearest 0 (120 -> 120e0, 120.5 -> 1205e-1).
  const byDistance: number[] = [0];
  for (let d = 1; d <= Math.max(-exponentMin, exponentMax); d++) {
    if (-d >= exponentMin) byDistance.push(-d);
    if (d <= exponentMax) byDistance.push(d);
  }
  for (const e of byDistance) {
    const m = mantissaAt(e);
    if (fits(m) && fromParts(m, e) === value) return pack(m, e);
  }
  // Otherwise the finest resolution that fits, rounding the mantissa.
  for (let e = exponentMin; e <= exponentMax; e++) {
    const m = mantissaAt(e);
    if (fits(m)) return pack(m, e);
  }
  throw new RangeError(`${value} is too large for ${format.name}`);
}

/** Encodes a number as a raw SFLOAT; null and NaN encode to the NaN special value. */
export function encodeSfloat(value: number | null, options: EncodeOptions = {}): number {
  return encode(value, SFLOAT, options);
}

/** Encodes a number as a raw FLOAT; null and NaN encode to the NaN special value. */
export function encodeFloat(value: number | null, options: EncodeOptions = {}): number {
  return encode(value, FLOAT, options);
}
