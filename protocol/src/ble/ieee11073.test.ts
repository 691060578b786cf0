import { describe, expect, it } from 'vitest';
import {
  decodeFloat,
  decodeSfloat,
  encodeFloat,
  encodeSfloat,
  floatSpecial,
  FLOAT_SPECIAL,
  sfloatSpecial,
  SFLOAT_SPECIAL,
} from './ieee11073.js';

// Raw values as the 16/32-bit integers read little-endian from the wire. Examples after the
// HL7 Personal Health Device IG table "Mder FLOATs and SFLOATs" and IEEE 11073-20601.
const SFLOAT_2 = 0x0002;
const SFLOAT_2_0 = 0xf014; // exponent -1, mantissa 20
const SFLOAT_2_00 = 0xe0c8; // exponent -2, mantissa 200
const SFLOAT_20 = 0x1002; // exponent 1, mantissa 2
const SFLOAT_200 = 0x2002;
const SFLOAT_1234 = 0x04d2;
const SFLOAT_MINUS_1234 = 0x0b2e; // mantissa 0xB2E two's complement
const SFLOAT_120_5 = 0xf4b5; // 1205 x 10^-1
const SFLOAT_MINUS_1 = 0x0fff; // exponent 0, mantissa -1 (not a special value)
const SFLOAT_20470 = 0x17ff; // exponent 1, mantissa 2047: special patterns are exponent 0 only
const SFLOAT_TINY = 0x8001; // exponent -8, mantissa 1
const SFLOAT_HUGE = 0x77fd; // exponent 7, mantissa 2045

const FLOAT_2 = 0x00000002;
const FLOAT_2_0 = 0xff000014;
const FLOAT_2_00 = 0xfe0000c8;
const FLOAT_20 = 0x01000002;
const FLOAT_MINUS_1234 = 0x00fffb2e;
const FLOAT_36_65 = 0xfe000e51; // 3665 x 10^-2

describe('SFLOAT decode', () => {
  it.each([
    ['2', SFLOAT_2, 2],
    ['2.0', SFLOAT_2_0, 2],
    ['2.00', SFLOAT_2_00, 2],
    ['20', SFLOAT_20, 20],
    ['200', SFLOAT_200, 200],
    ['1234', SFLOAT_1234, 1234],
    ['-1234', SFLOAT_MINUS_1234, -1234],
    ['120.5 exactly', SFLOAT_120_5, 120.5],
    ['-1', SFLOAT_MINUS_1, -1],
    ['2047e1 (exponent not 0, not special)', SFLOAT_20470, 20470],
    ['1e-8', SFLOAT_TINY, 1e-8],
    ['2045e7', SFLOAT_HUGE, 2.045e10],
  ])('%s', (_name, raw, value) => {
    expect(decodeSfloat(raw)).toBe(value);
  });

  it.each(Object.entries(SFLOAT_SPECIAL))('special value %s decodes to null, never 0', (name, raw) => {
    expect(decodeSfloat(raw)).toBeNull();
    expect(sfloatSpecial(raw)).toBe(name);
  });

  it('has the specified special bit patterns', () => {
    expect(SFLOAT_SPECIAL).toEqual({
      nan: 0x07ff,
      nres: 0x0800,
      positiveInfinity: 0x07fe,
      negativeInfinity: 0x0802,
      reserved: 0x0801,
    });
  });

  it('rejects values that are not 16-bit unsigned integers', () => {
    expect(() => decodeSfloat(0x10000)).toThrow(RangeError);
    expect(() => decodeSfloat(-1)).toThrow(RangeError);
    expect(() => decodeSfloat(1.5)).toThrow(RangeError);
  });
});

describe('FLOAT decode', () => {
  it.each([
    ['2', FLOAT_2, 2],
    ['2.0', FLOAT_2_0, 2],
    ['2.00', FLOAT_2_00, 2],
    ['20', FLOAT_20, 20],
    ['-1234', FLOAT_MINUS_1234, -1234],
    ['36.65 exactly', FLOAT_36_65, 36.65],
  ])('%s', (_name, raw, value) => {
    expect(decodeFloat(raw)).toBe(value);
  });

  it.each(Object.entries(FLOAT_SPECIAL))('special value %s decodes to null, never 0', (name, raw) => {
    expect(decodeFloat(raw)).toBeNull();
    expect(floatSpecial(raw)).toBe(name);
  });

  it('has the specified special bit patterns', () => {
    expect(FLOAT_SPECIAL).toEqual({
      nan: 0x007fffff,
      nres: 0x00800000,
      positiveInfinity: 0x007ffffe,
      negativeInfinity: 0x00800002,
      reserved: 0x00800001,
    });
  });
});

describe('SFLOAT encode', () => {
  it.each([
    [120, 0x0078],
    [120.5, SFLOAT_120_5],
    [36.6, 0xf16e],
    [0, 0x0000],
    [-1234, SFLOAT_MINUS_1234],
    [30000, 0x212c], // 300 x 10^2: no exact form with a smaller exponent fits 12 bits
  ])('%d', (value, raw) => {
    expect(encodeSfloat(value)).toBe(raw);
  });

  it('encodes missing values as the special values', () => {
    expect(encodeSfloat(null)).toBe(SFLOAT_SPECIAL.nan);
    expect(encodeSfloat(Number.NaN)).toBe(SFLOAT_SPECIAL.nan);
    expect(encodeSfloat(Infinity)).toBe(SFLOAT_SPECIAL.positiveInfinity);
    expect(encodeSfloat(-Infinity)).toBe(SFLOAT_SPECIAL.negativeInfinity);
  });

  it('honours a forced exponent (device resolution)', () => {
    expect(encodeSfloat(16, { exponent: -1 })).toBe(0xf0a0);
    expect(() => encodeSfloat(300, { exponent: -1 })).toThrow(RangeError);
  });

  it('never produces a special pattern for an ordinary number', () => {
    for (const value of [2046, 2047, -2046, -2047, -2048]) {
      const raw = encodeSfloat(value);
      expect(sfloatSpecial(raw)).toBeNull();
    }
  });

  it('refuses numbers too large for the format', () => {
    expect(() => encodeSfloat(1e20)).toThrow(RangeError);
  });

  it('round-trips every integer and every tenth it can represent exactly', () => {
    for (let m = -2045; m <= 2045; m++) {
      expect(decodeSfloat(encodeSfloat(m))).toBe(m);
      expect(decodeSfloat(encodeSfloat(m / 10))).toBe(m / 10);
      expect(decodeSfloat(encodeSfloat(m / 100))).toBe(m / 100);
    }
  });
});

describe('FLOAT encode', () => {
  it('round-trips clinical values exactly', () => {
    for (const value of [36.65, 37, 98.6, -40.25, 0, 8_388_605, 0.001]) {
      expect(decodeFloat(encodeFloat(value))).toBe(value);
    }
  });

  it('encodes missing values as the special values', () => {
    expect(encodeFloat(null)).toBe(FLOAT_SPECIAL.nan);
    expect(encodeFloat(Infinity)).toBe(FLOAT_SPECIAL.positiveInfinity);
    expect(encodeFloat(-Infinity)).toBe(FLOAT_SPECIAL.negativeInfinity);
  });

  it('encodes the reference vectors', () => {
    expect(encodeFloat(-1234)).toBe(FLOAT_MINUS_1234);
    expect(encodeFloat(2, { exponent: -1 })).toBe(FLOAT_2_0);
    expect(encodeFloat(36.65)).toBe(FLOAT_36_65);
  });
});
