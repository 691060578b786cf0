/**
 * Test vectors for the Blood Pressure Measurement characteristic (BLS 3.1), written from the
 * field layout: flags u8, systolic/diastolic/MAP SFLOAT, then time stamp (7), pulse rate (SFLOAT),
 * user id (u8), measurement status (u16) as the flags announce. Hex is in octet order as sent.
 */
import { describe, expect, it } from 'vitest';
import { validateObservation } from '../../../validate.js';
import { fromHex, toHex } from '../../bytes.js';
import type { ObservationContext } from '../../profile.js';
import { decode, type BloodPressureMeasurement } from './decode.js';
import { encode } from './encode.js';
import { toObservations } from './observations.js';
import { decodeErrorCode } from '../vectors-testing.js';

// Fields (SFLOAT little-endian: 120 = 0x0078 -> "7800"; 16.0 kPa = 160e-1 = 0xF0A0 -> "a0f0").
const SYS_120_MMHG = '7800';
const DIA_80_MMHG = '5000';
const MAP_93_MMHG = '5d00';
const SYS_16_0_KPA = 'a0f0';
const DIA_10_7_KPA = '6bf0';
const MAP_12_4_KPA = '7cf0';
const TS_2025_03_01_08_30_15 = 'e9070301081e0f';
const PULSE_72_BPM = '4800';
const USER_3 = '03';
const STATUS_IRREGULAR_PULSE_ABOVE_RANGE = '0c00'; // bit 2 + bits 3-4 = 01
// Measurement Status (u16, LSO first), one condition each (BLS 3.1 bits 0-5).
const STATUS_BODY_MOVEMENT = '0100'; // bit 0
const STATUS_CUFF_TOO_LOOSE = '0200'; // bit 1
const STATUS_IRREGULAR_PULSE = '0400'; // bit 2
const STATUS_PULSE_ABOVE_RANGE = '0800'; // bits 3-4 = 01
const STATUS_PULSE_BELOW_RANGE = '1000'; // bits 3-4 = 10
const STATUS_IMPROPER_POSITION = '2000'; // bit 5
const STATUS_ALL_SIX = '2f00'; // bits 0-3 and 5: movement, loose, irregular, above range, position
const SFLOAT_NAN = 'ff07';
const SFLOAT_NRES = '0008';

// Whole characteristic values.
const BPM_MMHG_MINIMAL = `00${SYS_120_MMHG}${DIA_80_MMHG}${MAP_93_MMHG}`;
const BPM_MMHG_ALL_FIELDS = `1e${SYS_120_MMHG}${DIA_80_MMHG}${MAP_93_MMHG}${TS_2025_03_01_08_30_15}${PULSE_72_BPM}${USER_3}${STATUS_IRREGULAR_PULSE_ABOVE_RANGE}`;
const BPM_KPA_TIMESTAMP_PULSE = `07${SYS_16_0_KPA}${DIA_10_7_KPA}${MAP_12_4_KPA}${TS_2025_03_01_08_30_15}${PULSE_72_BPM}`;
const BPM_SYSTOLIC_NAN = `00${SFLOAT_NAN}${DIA_80_MMHG}${MAP_93_MMHG}`;
const BPM_DIASTOLIC_NRES = `00${SYS_120_MMHG}${SFLOAT_NRES}${MAP_93_MMHG}`;
/** flags 0x14: pulse rate and measurement status present. */
const bpmWithStatus = (status: string) =>
  `14${SYS_120_MMHG}${DIA_80_MMHG}${MAP_93_MMHG}${PULSE_72_BPM}${status}`;
/** Systolic NaN, pulse 72 and an irregular pulse: the pressure failed, the pulse did not. */
const BPM_SYSTOLIC_NAN_PULSE_IRREGULAR = `14${SFLOAT_NAN}${DIA_80_MMHG}${MAP_93_MMHG}${PULSE_72_BPM}${STATUS_IRREGULAR_PULSE}`;
const BPM_DIASTOLIC_NRES_PULSE_TIMESTAMP = `06${SYS_120_MMHG}${SFLOAT_NRES}${MAP_93_MMHG}${TS_2025_03_01_08_30_15}${PULSE_72_BPM}`;
const BPM_SYSTOLIC_NAN_PULSE_NAN = `04${SFLOAT_NAN}${DIA_80_MMHG}${MAP_93_MMHG}${SFLOAT_NAN}`;
const BPM_MAP_NAN_PULSE_NRES = `04${SYS_120_MMHG}${DIA_80_MMHG}${SFLOAT_NAN}${SFLOAT_NRES}`;
const BPM_UNKNOWN_USER = `08${SYS_120_MMHG}${DIA_80_MMHG}${MAP_93_MMHG}ff`;
const BPM_TIMESTAMP_NOT_KNOWN = `02${SYS_120_MMHG}${DIA_80_MMHG}${MAP_93_MMHG}00000000000000`;
const BPM_TIMESTAMP_30_FEBRUARY = `02${SYS_120_MMHG}${DIA_80_MMHG}${MAP_93_MMHG}e907021e081e0f`;
const BPM_RESERVED_FLAG_5 = `20${SYS_120_MMHG}${DIA_80_MMHG}${MAP_93_MMHG}`;
const BPM_TIMESTAMP_CUT_SHORT = `02${SYS_120_MMHG}${DIA_80_MMHG}${MAP_93_MMHG}e907`;
const BPM_ONE_OCTET_TOO_MANY = `${BPM_MMHG_MINIMAL}00`;
const BPM_COMPOUND_CUT_SHORT = `00${SYS_120_MMHG}${DIA_80_MMHG}`;
const EMPTY = '';
/** Not this device: a Wardline falls event (format 1, fall) sent to the BP decoder. */
const NOT_BPM_FALLS_EVENT = '01012a0097c5c26757';

const context = (overrides: Partial<ObservationContext> = {}): ObservationContext => {
  let seq = 41;
  return {
    deviceId: 'c0:ff:ee:01:00:01',
    measuredAtFallback: '2025-03-01T09:00:00.000Z',
    nextSeq: () => seq++,
    id: () => '6f1c2a9e-0b7d-4c55-8e3f-2d1a0c9b8e7f',
    ...overrides,
  };
};

const decodeError = (hex: string) => decodeErrorCode(decode, hex);

describe('Blood Pressure Measurement vectors', () => {
  it('minimal mmHg measurement', () => {
    const m = decode(fromHex(BPM_MMHG_MINIMAL));
    expect(m.unit).toBe('mmHg');
    expect(m.systolic).toBe(120); // mmHg
    expect(m.diastolic).toBe(80); // mmHg
    expect(m.meanArterial).toBe(93); // mmHg
    expect(m.timestamp).toBeUndefined();
    expect(m.pulseRate).toBeUndefined();
    expect(m.userId).toBeUndefined();
    expect(m.measurementStatus).toBeUndefined();
  });

  it('mmHg measurement with every optional field', () => {
    const m = decode(fromHex(BPM_MMHG_ALL_FIELDS));
    expect(m.unit).toBe('mmHg');
    expect(m.systolic).toBe(120); // mmHg
    expect(m.diastolic).toBe(80); // mmHg
    expect(m.meanArterial).toBe(93); // mmHg
    expect(m.timestamp).toEqual({ year: 2025, month: 3, day: 1, hours: 8, minutes: 30, seconds: 15 }); // UTC
    expect(m.pulseRate).toBe(72); // bpm
    expect(m.userId).toBe(3);
    expect(m.measurementStatus).toEqual({
      bodyMovement: false,
      cuffTooLoose: false,
      irregularPulse: true,
      pulseRateRange: 'aboveUpperLimit',
      improperPosition: false,
    });
  });

  it('kPa measurement keeps the device unit', () => {
    const m = decode(fromHex(BPM_KPA_TIMESTAMP_PULSE));
    expect(m.unit).toBe('kPa');
    expect(m.systolic).toBe(16); // kPa
    expect(m.diastolic).toBe(10.7); // kPa
    expect(m.meanArterial).toBe(12.4); // kPa
    expect(m.pulseRate).toBe(72); // bpm
  });

  it('special values decode to null, never 0', () => {
    expect(decode(fromHex(BPM_SYSTOLIC_NAN)).systolic).toBeNull();
    expect(decode(fromHex(BPM_DIASTOLIC_NRES)).diastolic).toBeNull();
    const m = decode(fromHex(BPM_MAP_NAN_PULSE_NRES));
    expect(m.meanArterial).toBeNull();
    expect(m.pulseRate).toBeNull();
    expect(decode(fromHex(BPM_UNKNOWN_USER)).userId).toBeNull();
  });

  it('a time stamp that is not known or not a real date decodes to null', () => {
    expect(decode(fromHex(BPM_TIMESTAMP_NOT_KNOWN)).timestamp).toBeNull();
    expect(decode(fromHex(BPM_TIMESTAMP_30_FEBRUARY)).timestamp).toBeNull();
  });

  it.each([
    ['empty value', EMPTY, 'TRUNCATED'],
    ['compound value cut short', BPM_COMPOUND_CUT_SHORT, 'TRUNCATED'],
    ['time stamp cut short', BPM_TIMESTAMP_CUT_SHORT, 'TRUNCATED'],
    ['one octet more than the flags announce', BPM_ONE_OCTET_TOO_MANY, 'INCONSISTENT_LENGTH'],
    ['reserved flag bit 5 set', BPM_RESERVED_FLAG_5, 'RESERVED_FLAGS'],
    ['reserved flag bit 6 set', `40${SYS_120_MMHG}${DIA_80_MMHG}${MAP_93_MMHG}`, 'RESERVED_FLAGS'],
    ['reserved flag bit 7 set', `80${SYS_120_MMHG}${DIA_80_MMHG}${MAP_93_MMHG}`, 'RESERVED_FLAGS'],
    ['not this device (a falls event)', NOT_BPM_FALLS_EVENT, 'INCONSISTENT_LENGTH'],
  ])('rejects %s with a coded error', (_name, hex, code) => {
    expect(decodeError(hex)).toBe(code);
  });

  it('decodes every combination of the five flags from the spec layout', () => {
    for (let flags = 0; flags < 32; flags++) {
      const kpa = (flags & 0x01) !== 0;
      const hex =
        flags.toString(16).padStart(2, '0') +
        (kpa ? SYS_16_0_KPA + DIA_10_7_KPA + MAP_12_4_KPA : SYS_120_MMHG + DIA_80_MMHG + MAP_93_MMHG) +
        (flags & 0x02 ? TS_2025_03_01_08_30_15 : '') +
        (flags & 0x04 ? PULSE_72_BPM : '') +
        (flags & 0x08 ? USER_3 : '') +
        (flags & 0x10 ? STATUS_IRREGULAR_PULSE_ABOVE_RANGE : '');
      const m = decode(fromHex(hex));
      expect(m.unit, `flags ${flags}`).toBe(kpa ? 'kPa' : 'mmHg');
      expect(m.systolic, `flags ${flags}`).toBe(kpa ? 16 : 120);
      expect(m.diastolic, `flags ${flags}`).toBe(kpa ? 10.7 : 80);
      expect(m.meanArterial, `flags ${flags}`).toBe(kpa ? 12.4 : 93);
      expect(m.timestamp === undefined, `flags ${flags}`).toBe(!(flags & 0x02));
      expect(m.pulseRate, `flags ${flags}`).toBe(flags & 0x04 ? 72 : undefined);
      expect(m.userId, `flags ${flags}`).toBe(flags & 0x08 ? 3 : undefined);
      expect(m.measurementStatus?.irregularPulse, `flags ${flags}`).toBe(flags & 0x10 ? true : undefined);
      // The simulator's encoder writes the same octets (kPa cuffs report 0.1 kPa: exponent -1).
      expect(toHex(encode(m, kpa ? { pressureExponent: -1 } : {})), `flags ${flags}`).toBe(hex);
    }
  });

  it('round-trips through the simulator encoder', () => {
    const readings: BloodPressureMeasurement[] = [
      { unit: 'mmHg', systolic: 187, diastolic: 112, meanArterial: 137 },
      {
        unit: 'mmHg',
        systolic: 120.5,
        diastolic: 79,
        meanArterial: null,
        timestamp: { year: 2026, month: 12, day: 31, hours: 23, minutes: 59, seconds: 59 },
        pulseRate: 131,
        userId: null,
        measurementStatus: {
          bodyMovement: true,
          cuffTooLoose: true,
          irregularPulse: false,
          pulseRateRange: 'belowLowerLimit',
          improperPosition: true,
        },
      },
      { unit: 'kPa', systolic: 21.3, diastolic: 13.1, meanArterial: 15.8, timestamp: null, pulseRate: null },
      { unit: 'mmHg', systolic: null, diastolic: null, meanArterial: null, userId: 254 },
    ];
    for (const reading of readings) expect(decode(encode(reading))).toEqual(reading);
  });
});

describe('Blood Pressure Measurement to observations', () => {
  it('mmHg reading: exact values, device time, contract-valid', () => {
    const { observations, problems } = toObservations(decode(fromHex(BPM_MMHG_ALL_FIELDS)), context());
    expect(problems).toEqual([]);
    expect(observations).toHaveLength(1);
    const [obs] = observations;
    expect(obs?.kind).toBe('blood_pressure');
    expect(obs?.deviceId).toBe('c0:ff:ee:01:00:01');
    expect(obs?.measuredAt).toBe('2025-03-01T08:30:15Z');
    expect(obs?.seq).toBe(41);
    expect(obs?.values).toEqual({
      systolic: { value: 120, unit: 'mmHg' },
      diastolic: { value: 80, unit: 'mmHg' },
      meanArterial: { value: 93, unit: 'mmHg' },
      pulseRate: { value: 72, unit: 'bpm' },
    });
    expect(validateObservation(obs).ok).toBe(true);
  });

  it('kPa reading is converted to mmHg once, with protocol kpaToMmHg', () => {
    const [obs] = toObservations(decode(fromHex(BPM_KPA_TIMESTAMP_PULSE)), context()).observations;
    expect(obs?.values).toEqual({
      systolic: { value: 120, unit: 'mmHg' }, // 16.0 kPa
      diastolic: { value: 80.3, unit: 'mmHg' }, // 10.7 kPa
      meanArterial: { value: 93, unit: 'mmHg' }, // 12.4 kPa
      pulseRate: { value: 72, unit: 'bpm' },
    });
    expect(validateObservation(obs).ok).toBe(true);
  });

  it('no time stamp: the gateway receive time is the measurement time', () => {
    const [obs] = toObservations(decode(fromHex(BPM_MMHG_MINIMAL)), context()).observations;
    expect(obs?.measuredAt).toBe('2025-03-01T09:00:00.000Z');
    expect(obs?.values).not.toHaveProperty('pulseRate');
  });

  it('an unusable time stamp is reported, and the receive time used', () => {
    for (const hex of [BPM_TIMESTAMP_NOT_KNOWN, BPM_TIMESTAMP_30_FEBRUARY]) {
      const { observations, problems } = toObservations(decode(fromHex(hex)), context());
      expect(observations[0]?.measuredAt).toBe('2025-03-01T09:00:00.000Z');
      expect(problems.map((p) => p.code)).toEqual(['INVALID_TIMESTAMP']);
    }
  });

  it.each([
    ['body movement', STATUS_BODY_MOVEMENT, ['body_movement']],
    ['cuff too loose', STATUS_CUFF_TOO_LOOSE, ['cuff_too_loose']],
    ['irregular pulse', STATUS_IRREGULAR_PULSE, ['irregular_pulse']],
    ['pulse rate above the range', STATUS_PULSE_ABOVE_RANGE, ['pulse_rate_high']],
    ['pulse rate below the range', STATUS_PULSE_BELOW_RANGE, ['pulse_rate_low']],
    ['improper measurement position', STATUS_IMPROPER_POSITION, ['improper_position']],
    [
      'every condition at once',
      STATUS_ALL_SIX,
      ['body_movement', 'cuff_too_loose', 'irregular_pulse', 'pulse_rate_high', 'improper_position'],
    ],
  ])('measurement status %s: the reading is kept, flagged', (_name, status, quality) => {
    const { observations, problems } = toObservations(decode(fromHex(bpmWithStatus(status))), context());
    expect(problems).toEqual([]);
    const [obs] = observations;
    expect(obs?.kind).toBe('blood_pressure');
    expect(obs?.quality).toEqual(quality);
    expect(obs?.values).toMatchObject({ systolic: { value: 120 }, diastolic: { value: 80 } });
    expect(validateObservation(obs).ok).toBe(true);
  });

  it('a measurement status with nothing set, or none sent, carries no quality field', () => {
    for (const hex of [bpmWithStatus('0000'), BPM_MMHG_MINIMAL]) {
      const [obs] = toObservations(decode(fromHex(hex)), context()).observations;
      expect(obs).not.toHaveProperty('quality');
    }
  });

  it('a missing pressure keeps the valid pulse, as a heart rate with the same flags and time', () => {
    const irregular = toObservations(decode(fromHex(BPM_SYSTOLIC_NAN_PULSE_IRREGULAR)), context());
    expect(irregular.problems.map((p) => p.code)).toEqual(['MISSING_VALUE']);
    expect(irregular.observations).toHaveLength(1);
    const [pulse] = irregular.observations;
    expect(pulse?.kind).toBe('heart_rate');
    expect(pulse?.values).toEqual({ heartRate: { value: 72, unit: 'bpm' } });
    expect(pulse?.quality).toEqual(['irregular_pulse']);
    expect(pulse?.seq).toBe(41);
    expect(validateObservation(pulse).ok).toBe(true);

    const [timed] = toObservations(
      decode(fromHex(BPM_DIASTOLIC_NRES_PULSE_TIMESTAMP)),
      context(),
    ).observations;
    expect(timed?.kind).toBe('heart_rate');
    expect(timed?.measuredAt).toBe('2025-03-01T08:30:15Z');
    expect(timed).not.toHaveProperty('quality');
  });

  it('a missing systolic or diastolic means no observation and a reported problem', () => {
    for (const hex of [BPM_SYSTOLIC_NAN, BPM_DIASTOLIC_NRES, BPM_SYSTOLIC_NAN_PULSE_NAN]) {
      const { observations, problems } = toObservations(decode(fromHex(hex)), context());
      expect(observations).toEqual([]);
      expect(problems.map((p) => p.code)).toEqual(['MISSING_VALUE']);
    }
  });

  it('a missing mean arterial pressure or pulse rate is omitted, not zero', () => {
    const [obs] = toObservations(decode(fromHex(BPM_MAP_NAN_PULSE_NRES)), context()).observations;
    expect(obs?.values).toEqual({
      systolic: { value: 120, unit: 'mmHg' },
      diastolic: { value: 80, unit: 'mmHg' },
    });
    expect(validateObservation(obs).ok).toBe(true);
  });

  it('uses crypto.randomUUID ids by default', () => {
    const [obs] = toObservations(decode(fromHex(BPM_MMHG_MINIMAL)), context({ id: undefined })).observations;
    expect(obs?.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
