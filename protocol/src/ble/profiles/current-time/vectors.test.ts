/** Test vectors for Current Time (CTS 3.1) and the Device Information strings (DIS 3.1-3.6). */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes.js';
import { DecodeError } from '../../errors.js';
import { decodeString } from '../device-information/index.js';
import { currentTimeFromDate, decode, encode } from './index.js';

// 2025-03-01 (a Saturday) 08:30:15.500 UTC, from an external reference.
const CT_2025_03_01_08_30_15_5 = 'e9070301081e0f068002';
const CT_CUT_SHORT = 'e9070301081e0f06';
const MANUFACTURER_WARDLINE_PADDED = '576172646c696e650000';
const NOT_UTF8 = 'c328';
const CONTROL_CHARACTER = '41074200';

describe('Current Time vectors', () => {
  it('encodes the gateway clock as UTC, day of week and 1/256 s', () => {
    const value = currentTimeFromDate(new Date('2025-03-01T08:30:15.500Z'));
    expect(toHex(encode(value))).toBe(CT_2025_03_01_08_30_15_5);
    expect(value.dayOfWeek).toBe(6); // Saturday
    expect(value.fractions256).toBe(128); // 0.5 s
  });

  it('decodes, and refuses a wrong length with a coded error', () => {
    expect(decode(fromHex(CT_2025_03_01_08_30_15_5)).dateTime).toEqual({
      year: 2025,
      month: 3,
      day: 1,
      hours: 8,
      minutes: 30,
      seconds: 15,
    });
    expect(() => decode(fromHex(CT_CUT_SHORT))).toThrow(DecodeError);
  });
});

describe('Device Information strings', () => {
  it('reads UTF-8 and drops NUL padding', () => {
    expect(decodeString(fromHex(MANUFACTURER_WARDLINE_PADDED))).toBe('Wardline');
  });

  it.each([
    ['not UTF-8', NOT_UTF8],
    ['a control character', CONTROL_CHARACTER],
  ])('refuses %s with a coded error', (_name, hex) => {
    expect(() => decodeString(fromHex(hex))).toThrow(DecodeError);
  });
});
