/**
 * Test vectors for Temperature Measurement (HTS 3.1), written from the field layout: flags u8,
 * temperature FLOAT (IEEE 11073 32-bit, little-endian), then time stamp (7) and temperature type
 * (u8) as the flags announce. Hex is in octet order as sent.
 */
import { describe, expect, it } from 'vitest';
import { validateObservation } from '../../../validate.js';
import { fromHex, toHex } from '../../bytes.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { toObservations } from './observations.js';
import { decodeErrorCode, observationContext } from '../vectors-testing.js';

const TEMP_36_65_C = '510e00fe'; // 3665 x 10^-2
const TEMP_98_6_F = 'da0300ff'; // 986 x 10^-1
const TEMP_101_3_F = 'f50300ff'; // 1013 x 10^-1
const FLOAT_NAN = 'ffff7f00';
const FLOAT_NRES = '00008000';
const FLOAT_PLUS_INFINITY = 'feff7f00';
const TS_2025_03_01_08_30_15 = 'e9070301081e0f';
const TYPE_ARMPIT = '01';
const TYPE_TYMPANUM = '09';
const TYPE_RESERVED_10 = '0a';

const HTM_CELSIUS_MINIMAL = `00${TEMP_36_65_C}`;
const HTM_FAHRENHEIT_ALL_FIELDS = `07${TEMP_98_6_F}${TS_2025_03_01_08_30_15}${TYPE_ARMPIT}`;
const HTM_FAHRENHEIT_FEVER = `01${TEMP_101_3_F}`;
const HTM_CELSIUS_TYMPANUM = `04${TEMP_36_65_C}${TYPE_TYMPANUM}`;
const HTM_CELSIUS_TIMESTAMP = `02${TEMP_36_65_C}${TS_2025_03_01_08_30_15}`;
const HTM_NAN = `00${FLOAT_NAN}`;
const HTM_NRES = `00${FLOAT_NRES}`;
const HTM_PLUS_INFINITY = `00${FLOAT_PLUS_INFINITY}`;
const HTM_RESERVED_TYPE = `04${TEMP_36_65_C}${TYPE_RESERVED_10}`;
const HTM_TIMESTAMP_NOT_KNOWN = `02${TEMP_36_65_C}00000000000000`;
const HTM_RESERVED_FLAG_3 = `08${TEMP_36_65_C}`;
const HTM_TEMPERATURE_CUT_SHORT = '00510e00';
const HTM_TIMESTAMP_CUT_SHORT = `02${TEMP_36_65_C}e907`;
const HTM_ONE_OCTET_TOO_MANY = `${HTM_CELSIUS_MINIMAL}00`;
const EMPTY = '';
/** Not this device: a Blood Pressure Measurement sent to the thermometer decoder. */
const NOT_HTM_BLOOD_PRESSURE = '00780050005d00';

const context = () => observationContext('c0:ff:ee:03:00:01', 7, '6f1c2a9e-0b7d-4c55-8e3f-2d1a0c9b8e7f');

const decodeError = (hex: string) => decodeErrorCode(decode, hex);

describe('Temperature Measurement vectors', () => {
  it('minimal Celsius measurement, exact to the device resolution', () => {
    const m = decode(fromHex(HTM_CELSIUS_MINIMAL));
    expect(m.unit).toBe('celsius');
    expect(m.temperature).toBe(36.65); // °C
    expect(m.timestamp).toBeUndefined();
    expect(m.temperatureType).toBeUndefined();
  });

  it('Fahrenheit measurement with time stamp and temperature type', () => {
    const m = decode(fromHex(HTM_FAHRENHEIT_ALL_FIELDS));
    expect(m.unit).toBe('fahrenheit');
    expect(m.temperature).toBe(98.6); // °F
    expect(m.timestamp).toEqual({ year: 2025, month: 3, day: 1, hours: 8, minutes: 30, seconds: 15 }); // UTC
    expect(m.temperatureType).toBe('armpit');
  });

  it('temperature type 9 is the tympanum; a time stamp alone', () => {
    expect(decode(fromHex(HTM_CELSIUS_TYMPANUM)).temperatureType).toBe('tympanum');
    expect(decode(fromHex(HTM_CELSIUS_TIMESTAMP)).timestamp?.year).toBe(2025);
  });

  it('special values decode to null, never 0', () => {
    expect(decode(fromHex(HTM_NAN)).temperature).toBeNull();
    expect(decode(fromHex(HTM_NRES)).temperature).toBeNull();
    expect(decode(fromHex(HTM_PLUS_INFINITY)).temperature).toBeNull();
  });

  it('a reserved temperature type or an unknown time stamp decode to null', () => {
    expect(decode(fromHex(HTM_RESERVED_TYPE)).temperatureType).toBeNull();
    expect(decode(fromHex(HTM_TIMESTAMP_NOT_KNOWN)).timestamp).toBeNull();
  });

  it.each([
    ['empty value', EMPTY, 'TRUNCATED'],
    ['temperature cut short', HTM_TEMPERATURE_CUT_SHORT, 'TRUNCATED'],
    ['time stamp cut short', HTM_TIMESTAMP_CUT_SHORT, 'TRUNCATED'],
    ['one octet more than the flags announce', HTM_ONE_OCTET_TOO_MANY, 'INCONSISTENT_LENGTH'],
    ['a reserved flag bit', HTM_RESERVED_FLAG_3, 'RESERVED_FLAGS'],
    ['not this device (a blood pressure measurement)', NOT_HTM_BLOOD_PRESSURE, 'INCONSISTENT_LENGTH'],
  ])('rejects %s with a coded error', (_name, hex, code) => {
    expect(decodeError(hex)).toBe(code);
  });

  it('round-trips through the simulator encoder', () => {
    for (const hex of [HTM_CELSIUS_MINIMAL, HTM_FAHRENHEIT_ALL_FIELDS, HTM_CELSIUS_TYMPANUM, HTM_NAN]) {
      expect(toHex(encode(decode(fromHex(hex))))).toBe(hex);
    }
  });

  it('becomes a contract observation in °C with the site and the device time', () => {
    const { observations, problems } = toObservations(decode(fromHex(HTM_FAHRENHEIT_ALL_FIELDS)), context());
    expect(problems).toEqual([]);
    const [o] = observations;
    expect(o?.measuredAt).toBe('2025-03-01T08:30:15Z');
    expect(o?.values).toEqual({ temperature: { value: 37, unit: '°C' }, site: 'armpit' }); // 98.6 °F
    expect(validateObservation(o).ok).toBe(true);
  });

  it('converts a Fahrenheit fever to Celsius at 0.01 °C', () => {
    const [o] = toObservations(decode(fromHex(HTM_FAHRENHEIT_FEVER)), context()).observations;
    expect(o?.values).toEqual({ temperature: { value: 38.5, unit: '°C' } }); // 101.3 °F
    expect(o?.measuredAt).toBe('2025-03-01T09:00:00.000Z'); // no time stamp: gateway time
  });

  it('a special value makes no observation, and says so', () => {
    const result = toObservations(decode(fromHex(HTM_NAN)), context());
    expect(result.observations).toEqual([]);
    expect(result.problems.map((p) => p.code)).toEqual(['MISSING_VALUE']);
    const unknownTime = toObservations(decode(fromHex(HTM_TIMESTAMP_NOT_KNOWN)), context());
    expect(unknownTime.problems.map((p) => p.code)).toEqual(['INVALID_TIMESTAMP']);
    expect(unknownTime.observations).toHaveLength(1);
  });
});
