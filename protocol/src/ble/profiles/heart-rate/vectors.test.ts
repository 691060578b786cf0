/**
 * Test vectors for Heart Rate Measurement (HRS 3.1), written from the field layout: flags u8,
 * heart rate u8 or u16, energy expended u16 and RR-intervals u16 (1/1024 s) as the flags announce.
 */
import { describe, expect, it } from 'vitest';
import { validateObservation } from '../../../validate.js';
import { fromHex, toHex } from '../../bytes.js';
import { decode } from './decode.js';
import { encode } from './encode.js';
import { toObservations } from './observations.js';
import { decodeErrorCode, observationContext } from '../vectors-testing.js';

const HR_72_U8 = '48';
const HR_72_U16 = '4800';
const HR_182_U16 = 'b600';
const EE_1000_KJ = 'e803';
const RR_1024 = '0004'; // 1024/1024 s = 1000 ms
const RR_800 = '2003'; // 800/1024 s = 781.25 ms

const HRM_U8_NO_CONTACT_FEATURE = `00${HR_72_U8}`;
const HRM_U16 = `01${HR_182_U16}`;
const HRM_CONTACT_DETECTED = `06${HR_72_U8}`;
const HRM_CONTACT_NOT_DETECTED = `04${HR_72_U8}`;
const HRM_ENERGY = `08${HR_72_U8}${EE_1000_KJ}`;
const HRM_RR_TWO = `10${HR_72_U8}${RR_1024}${RR_800}`;
const HRM_ALL_FIELDS = `1f${HR_72_U16}${EE_1000_KJ}${RR_1024}`;
const HRM_RR_FLAG_WITHOUT_RR = `10${HR_72_U8}`;
const HRM_RR_ODD_LENGTH = `10${HR_72_U8}${RR_1024}20`;
const HRM_ONE_OCTET_TOO_MANY = `00${HR_72_U8}00`;
const HRM_U16_CUT_SHORT = `01${HR_72_U8}`;
const HRM_ENERGY_CUT_SHORT = `08${HR_72_U8}e8`;
const HRM_RESERVED_FLAG_5 = `20${HR_72_U8}`;
const EMPTY = '';
/** Not this device: a Blood Pressure Measurement sent to the heart rate decoder. */
const NOT_HRM_BLOOD_PRESSURE = '00780050005d00';

const context = () => observationContext('c0:ff:ee:04:00:01', 3, '6f1c2a9e-0b7d-4c55-8e3f-2d1a0c9b8e7f');

const decodeError = (hex: string) => decodeErrorCode(decode, hex);

describe('Heart Rate Measurement vectors', () => {
  it('8-bit heart rate, contact detection not supported', () => {
    const m = decode(fromHex(HRM_U8_NO_CONTACT_FEATURE));
    expect(m.heartRate).toBe(72); // bpm
    expect(m.sensorContact).toBe('notSupported');
    expect(m.energyExpended).toBeUndefined();
    expect(m.rrIntervals).toBeUndefined();
  });

  it('16-bit heart rate', () => {
    expect(decode(fromHex(HRM_U16)).heartRate).toBe(182); // bpm
  });

  it('sensor contact bits', () => {
    expect(decode(fromHex(HRM_CONTACT_DETECTED)).sensorContact).toBe('detected');
    expect(decode(fromHex(HRM_CONTACT_NOT_DETECTED)).sensorContact).toBe('notDetected');
  });

  it('energy expended and RR-intervals', () => {
    expect(decode(fromHex(HRM_ENERGY)).energyExpended).toBe(1000); // kJ
    expect(decode(fromHex(HRM_RR_TWO)).rrIntervals).toEqual([1024, 800]); // 1/1024 s
  });

  it('every field at once', () => {
    const m = decode(fromHex(HRM_ALL_FIELDS));
    expect(m.heartRate).toBe(72); // bpm, 16-bit
    expect(m.sensorContact).toBe('detected');
    expect(m.energyExpended).toBe(1000); // kJ
    expect(m.rrIntervals).toEqual([1024]); // 1/1024 s
  });

  it.each([
    ['empty value', EMPTY, 'TRUNCATED'],
    ['RR flag without an RR-interval', HRM_RR_FLAG_WITHOUT_RR, 'TRUNCATED'],
    ['half an RR-interval', HRM_RR_ODD_LENGTH, 'INCONSISTENT_LENGTH'],
    ['one octet more than the flags announce', HRM_ONE_OCTET_TOO_MANY, 'INCONSISTENT_LENGTH'],
    ['16-bit heart rate cut short', HRM_U16_CUT_SHORT, 'TRUNCATED'],
    ['energy expended cut short', HRM_ENERGY_CUT_SHORT, 'TRUNCATED'],
    ['a reserved flag bit', HRM_RESERVED_FLAG_5, 'RESERVED_FLAGS'],
    ['not this device (a blood pressure measurement)', NOT_HRM_BLOOD_PRESSURE, 'INCONSISTENT_LENGTH'],
  ])('rejects %s with a coded error', (_name, hex, code) => {
    expect(decodeError(hex)).toBe(code);
  });

  it('round-trips through the simulator encoder', () => {
    for (const hex of [HRM_U8_NO_CONTACT_FEATURE, HRM_CONTACT_DETECTED, HRM_ENERGY, HRM_RR_TWO]) {
      expect(toHex(encode(decode(fromHex(hex))))).toBe(hex);
    }
    expect(toHex(encode(decode(fromHex(HRM_ALL_FIELDS)), { uint16: true }))).toBe(HRM_ALL_FIELDS);
  });

  it('becomes a contract observation, RR-intervals in exact ms', () => {
    const { observations, problems } = toObservations(decode(fromHex(HRM_RR_TWO)), context());
    expect(problems).toEqual([]);
    const [o] = observations;
    expect(o?.values).toEqual({
      heartRate: { value: 72, unit: 'bpm' },
      rrIntervals: { value: [1000, 781.25], unit: 'ms' },
    });
    expect(o?.measuredAt).toBe('2025-03-01T09:00:00.000Z'); // HRS has no time stamp
    expect(validateObservation(o).ok).toBe(true);
  });

  it('no skin contact: no observation, and says so', () => {
    const result = toObservations(decode(fromHex(HRM_CONTACT_NOT_DETECTED)), context());
    expect(result.observations).toEqual([]);
    expect(result.problems.map((p) => p.code)).toEqual(['MISSING_VALUE']);
  });
});
