/** Test vectors for Battery Level (BAS 3.1): one octet, 0-100 %, 101-255 reserved. */
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../bytes.js';
import { DecodeError } from '../../errors.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { toDeviceStatus } from './status.js';

const LEVEL_100 = '64';
const LEVEL_57 = '39';
const LEVEL_0 = '00'; // a flat battery is a real reading: 0 stays 0
const LEVEL_101_RESERVED = '65';
const LEVEL_255_RESERVED = 'ff';
const EMPTY = '';
const TWO_OCTETS = '6400';
/** Not this device: a Blood Pressure Measurement sent to the battery decoder. */
const NOT_BATTERY_BPM = '00780050005d00';

describe('Battery Level vectors', () => {
  it('decodes levels in percent', () => {
    expect(decode(fromHex(LEVEL_100)).level).toBe(100); // %
    expect(decode(fromHex(LEVEL_57)).level).toBe(57); // %
    expect(decode(fromHex(LEVEL_0)).level).toBe(0); // %
  });

  it('reserved values decode to null', () => {
    expect(decode(fromHex(LEVEL_101_RESERVED)).level).toBeNull();
    expect(decode(fromHex(LEVEL_255_RESERVED)).level).toBeNull();
  });

  it.each([
    ['empty value', EMPTY, 'TRUNCATED'],
    ['two octets', TWO_OCTETS, 'INCONSISTENT_LENGTH'],
    ['not this device (a blood pressure measurement)', NOT_BATTERY_BPM, 'INCONSISTENT_LENGTH'],
  ])('rejects %s with a coded error', (_name, hex, code) => {
    let caught: unknown;
    try {
      decode(fromHex(hex));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DecodeError);
    expect((caught as DecodeError).code).toBe(code);
  });

  it('round-trips through the simulator encoder', () => {
    for (const hex of [LEVEL_100, LEVEL_57, LEVEL_0, LEVEL_255_RESERVED]) {
      expect(toHex(encode(decode(fromHex(hex))))).toBe(hex);
    }
    for (let level = 0; level <= 100; level++) expect(decode(encode({ level }))).toEqual({ level });
  });

  it('becomes the device status battery, or a reported problem', () => {
    expect(toDeviceStatus(decode(fromHex(LEVEL_57)))).toEqual({
      status: { battery: { value: 57, unit: '%' } },
      problems: [],
    });
    const invalid = toDeviceStatus(decode(fromHex(LEVEL_101_RESERVED)));
    expect(invalid.status).toEqual({});
    expect(invalid.problems.map((p) => p.code)).toEqual(['INVALID_VALUE']);
  });
});
