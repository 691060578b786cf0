/**
 * Test vectors for the PLXS measurements (PLX Spot-check Measurement, PLXS 3.1; PLX Continuous
 * Measurement, PLXS 3.2), written from the field layouts in decode.ts. Hex in octet order as sent.
 */
import { describe, expect, it } from 'vitest';
import { validateObservation } from '../../../validate.js';
import { fromHex, toHex } from '../../bytes.js';
import { decodeContinuous, decodeSpotCheck } from './decode.js';
import { encodeContinuous, encodeSpotCheck } from './encode.js';
import { continuousToObservations, spotCheckToObservations } from './observations.js';
import { decodeErrorCode, observationContext } from '../vectors-testing.js';

const SPO2_97 = '6100';
const PR_72 = '4800';
const SPO2_98 = '6200';
const PR_73 = '4900';
const SPO2_96 = '6000';
const PR_71 = '4700';
const PAI_2_5 = '19f0'; // 25 x 10^-1 %
const SFLOAT_NAN = 'ff07';
const SFLOAT_NRES = '0008';
const TS_2025_03_01_08_30_15 = 'e9070301081e0f';
const MS_VALIDATED = '8000'; // bit 7
const MS_QUESTIONABLE = '0040'; // bit 14
const DS_LOW_PERFUSION = '200000'; // bit 5
const DS_SENSOR_DISCONNECTED = '008000'; // bit 15
const DS_SIGNAL_IRREGULARITY = '040000'; // bit 2
const DS_INADEQUATE_SIGNAL = '080000'; // bit 3
const DS_POOR_SIGNAL = '100000'; // bit 4
const DS_ERRATIC_SIGNAL = '400000'; // bit 6
const DS_NONPULSATILE = '800000'; // bit 7
const DS_QUESTIONABLE_PULSE = '000100'; // bit 8
const DS_SENSOR_INTERFERENCE = '000400'; // bit 10
const DS_SENSOR_UNCONNECTED = '000800'; // bit 11
const DS_SENSOR_DISPLACED = '002000'; // bit 13
const DS_LOW_PERFUSION_AND_DISPLACED = '202000'; // bits 5 and 13
const MS_INVALID = '0080'; // bit 15
const MS_FOR_DEMONSTRATION = '0004'; // bit 10

const SPOT_MINIMAL = `00${SPO2_97}${PR_72}`;
const SPOT_ALL_FIELDS = `0f${SPO2_97}${PR_72}${TS_2025_03_01_08_30_15}${MS_VALIDATED}${DS_LOW_PERFUSION}${PAI_2_5}`;
const SPOT_CLOCK_NOT_SET = `11${SPO2_97}${PR_72}${TS_2025_03_01_08_30_15}`;
const SPOT_SPO2_NAN = `00${SFLOAT_NAN}${PR_72}`;
const SPOT_PULSE_NRES = `00${SPO2_97}${SFLOAT_NRES}`;
const SPOT_QUESTIONABLE = `02${SPO2_97}${PR_72}${MS_QUESTIONABLE}`;
const SPOT_SENSOR_DISCONNECTED = `04${SPO2_97}${PR_72}${DS_SENSOR_DISCONNECTED}`;
/** flags 0x04: device and sensor status present. */
const spotWithDeviceStatus = (status: string) => `04${SPO2_97}${PR_72}${status}`;
/** flags 0x02: measurement status present. */
const spotWithMeasurementStatus = (status: string) => `02${SPO2_97}${PR_72}${status}`;
/** flags 0x0c: device status then pulse amplitude index (a weak 0.2 %). */
const SPOT_LOW_PERFUSION_PAI = `0c${SPO2_97}${PR_72}${DS_LOW_PERFUSION}0200`;
const SPOT_RESERVED_FLAG_5 = `20${SPO2_97}${PR_72}`;
const SPOT_PULSE_CUT_SHORT = `00${SPO2_97}48`;
const SPOT_TIMESTAMP_CUT_SHORT = `01${SPO2_97}${PR_72}e907`;
const SPOT_ONE_OCTET_TOO_MANY = `${SPOT_MINIMAL}00`;
const CONT_MINIMAL = `00${SPO2_97}${PR_72}`;
const CONT_ALL_FIELDS = `1f${SPO2_97}${PR_72}${SPO2_98}${PR_73}${SPO2_96}${PR_71}${MS_VALIDATED}${DS_LOW_PERFUSION}${PAI_2_5}`;
const CONT_PAI_CUT_SHORT = `10${SPO2_97}${PR_72}19`;
const CONT_RESERVED_FLAGS = `e0${SPO2_97}${PR_72}`;
const EMPTY = '';
/** Not this device: a Blood Pressure Measurement, and a Heart Rate Measurement. */
const NOT_PLX_BLOOD_PRESSURE = '00780050005d00';
const NOT_PLX_HEART_RATE = '0048';

const context = () => observationContext('c0:ff:ee:05:00:01', 11, '6f1c2a9e-0b7d-4c55-8e3f-2d1a0c9b8e7f');

const decodeError = decodeErrorCode;

describe('PLX Spot-check Measurement vectors', () => {
  it('minimal spot-check', () => {
    const m = decodeSpotCheck(fromHex(SPOT_MINIMAL));
    expect(m.spo2).toBe(97); // %
    expect(m.pulseRate).toBe(72); // bpm
    expect(m.timestamp).toBeUndefined();
    expect(m.measurementStatus).toBeUndefined();
    expect(m.deviceStatus).toBeUndefined();
    expect(m.pulseAmplitudeIndex).toBeUndefined();
    expect(m.deviceClockNotSet).toBe(false);
  });

  it('every optional field', () => {
    const m = decodeSpotCheck(fromHex(SPOT_ALL_FIELDS));
    expect(m.spo2).toBe(97); // %
    expect(m.pulseRate).toBe(72); // bpm
    expect(m.timestamp).toEqual({ year: 2025, month: 3, day: 1, hours: 8, minutes: 30, seconds: 15 }); // UTC
    expect(m.measurementStatus?.validatedData).toBe(true);
    expect(m.measurementStatus?.invalidMeasurementDetected).toBe(false);
    expect(m.deviceStatus?.lowPerfusionDetected).toBe(true);
    expect(m.deviceStatus?.sensorDisconnected).toBe(false);
    expect(m.pulseAmplitudeIndex).toBe(2.5); // %
  });

  it('device clock not set (flags bit 4)', () => {
    expect(decodeSpotCheck(fromHex(SPOT_CLOCK_NOT_SET)).deviceClockNotSet).toBe(true);
  });

  it('special values decode to null, never 0', () => {
    expect(decodeSpotCheck(fromHex(SPOT_SPO2_NAN)).spo2).toBeNull();
    expect(decodeSpotCheck(fromHex(SPOT_PULSE_NRES)).pulseRate).toBeNull();
  });

  it.each([
    ['empty value', EMPTY, 'TRUNCATED'],
    ['pulse rate cut short', SPOT_PULSE_CUT_SHORT, 'TRUNCATED'],
    ['time stamp cut short', SPOT_TIMESTAMP_CUT_SHORT, 'TRUNCATED'],
    ['one octet more than the flags announce', SPOT_ONE_OCTET_TOO_MANY, 'INCONSISTENT_LENGTH'],
    ['a reserved flag bit', SPOT_RESERVED_FLAG_5, 'RESERVED_FLAGS'],
    ['not this device (a blood pressure measurement)', NOT_PLX_BLOOD_PRESSURE, 'INCONSISTENT_LENGTH'],
  ])('rejects %s with a coded error', (_name, hex, code) => {
    expect(decodeError(decodeSpotCheck, hex)).toBe(code);
  });

  it('round-trips through the simulator encoder', () => {
    for (const hex of [SPOT_MINIMAL, SPOT_ALL_FIELDS, SPOT_CLOCK_NOT_SET, SPOT_SPO2_NAN, SPOT_QUESTIONABLE]) {
      expect(toHex(encodeSpotCheck(decodeSpotCheck(fromHex(hex))))).toBe(hex);
    }
  });

  it('becomes a contract observation with the device time', () => {
    const { observations, problems } = spotCheckToObservations(
      decodeSpotCheck(fromHex(SPOT_ALL_FIELDS)),
      context(),
    );
    expect(problems).toEqual([]);
    const [o] = observations;
    expect(o?.kind).toBe('spo2');
    expect(o?.measuredAt).toBe('2025-03-01T08:30:15Z');
    expect(o?.values).toEqual({ spo2: { value: 97, unit: '%' }, pulseRate: { value: 72, unit: 'bpm' } });
    expect(o?.quality).toEqual(['low_perfusion']); // device and sensor status bit 5
    expect(validateObservation(o).ok).toBe(true);
  });

  it('a clock that is not set: the gateway time, reported', () => {
    const result = spotCheckToObservations(decodeSpotCheck(fromHex(SPOT_CLOCK_NOT_SET)), context());
    expect(result.observations[0]?.measuredAt).toBe('2025-03-01T09:00:00.000Z');
    expect(result.problems.map((p) => p.code)).toEqual(['INVALID_TIMESTAMP']);
  });

  it.each([
    ['measurement questionable (measurement status bit 14)', SPOT_QUESTIONABLE, ['measurement_questionable']],
    [
      'signal processing irregularity',
      spotWithDeviceStatus(DS_SIGNAL_IRREGULARITY),
      ['measurement_questionable'],
    ],
    ['questionable pulse', spotWithDeviceStatus(DS_QUESTIONABLE_PULSE), ['measurement_questionable']],
    ['low perfusion', spotWithDeviceStatus(DS_LOW_PERFUSION), ['low_perfusion']],
    ['low perfusion with a pulse amplitude index', SPOT_LOW_PERFUSION_PAI, ['low_perfusion']],
    ['erratic signal', spotWithDeviceStatus(DS_ERRATIC_SIGNAL), ['erratic_signal']],
    ['sensor interference', spotWithDeviceStatus(DS_SENSOR_INTERFERENCE), ['erratic_signal']],
    ['inadequate signal', spotWithDeviceStatus(DS_INADEQUATE_SIGNAL), ['signal_weak']],
    ['poor signal', spotWithDeviceStatus(DS_POOR_SIGNAL), ['signal_weak']],
    ['non-pulsatile signal', spotWithDeviceStatus(DS_NONPULSATILE), ['signal_weak']],
    ['sensor displaced', spotWithDeviceStatus(DS_SENSOR_DISPLACED), ['sensor_displaced']],
    [
      'low perfusion and a displaced sensor',
      spotWithDeviceStatus(DS_LOW_PERFUSION_AND_DISPLACED),
      ['low_perfusion', 'sensor_displaced'],
    ],
  ])('%s: the reading is kept, flagged', (_name, hex, quality) => {
    const { observations, problems } = spotCheckToObservations(decodeSpotCheck(fromHex(hex)), context());
    expect(problems).toEqual([]);
    const [o] = observations;
    expect(o?.values).toEqual({ spo2: { value: 97, unit: '%' }, pulseRate: { value: 72, unit: 'bpm' } });
    expect(o?.quality).toEqual(quality);
    expect(validateObservation(o).ok).toBe(true);
  });

  it('a continuous sample is flagged by the same rule', () => {
    const [o] = continuousToObservations(
      decodeContinuous(fromHex(`0c${SPO2_97}${PR_72}${MS_QUESTIONABLE}${DS_ERRATIC_SIGNAL}`)),
      context(),
    ).observations;
    expect(o?.quality).toEqual(['measurement_questionable', 'erratic_signal']);
  });

  it('no SpO2, or a measurement the device says is not a reading of a person: no observation, reported', () => {
    for (const [hex, code] of [
      [SPOT_SPO2_NAN, 'MISSING_VALUE'],
      [SPOT_SENSOR_DISCONNECTED, 'INVALID_VALUE'],
      [spotWithDeviceStatus(DS_SENSOR_UNCONNECTED), 'INVALID_VALUE'],
      [spotWithMeasurementStatus(MS_INVALID), 'INVALID_VALUE'],
      [spotWithMeasurementStatus(MS_FOR_DEMONSTRATION), 'INVALID_VALUE'],
    ] as const) {
      const result = spotCheckToObservations(decodeSpotCheck(fromHex(hex)), context());
      expect(result.observations).toEqual([]);
      expect(result.problems.map((p) => p.code)).toEqual([code]);
    }
    const noPulse = spotCheckToObservations(decodeSpotCheck(fromHex(SPOT_PULSE_NRES)), context());
    expect(noPulse.observations[0]?.values).toEqual({ spo2: { value: 97, unit: '%' } });
  });
});

describe('PLX Continuous Measurement vectors', () => {
  it('minimal continuous measurement', () => {
    const m = decodeContinuous(fromHex(CONT_MINIMAL));
    expect(m.spo2).toBe(97); // %
    expect(m.pulseRate).toBe(72); // bpm
    expect(m.fast).toBeUndefined();
    expect(m.slow).toBeUndefined();
  });

  it('every optional field', () => {
    const m = decodeContinuous(fromHex(CONT_ALL_FIELDS));
    expect(m.fast).toEqual({ spo2: 98, pulseRate: 73 }); // %, bpm
    expect(m.slow).toEqual({ spo2: 96, pulseRate: 71 }); // %, bpm
    expect(m.measurementStatus?.validatedData).toBe(true);
    expect(m.deviceStatus?.lowPerfusionDetected).toBe(true);
    expect(m.pulseAmplitudeIndex).toBe(2.5); // %
  });

  it.each([
    ['empty value', EMPTY, 'TRUNCATED'],
    ['pulse amplitude index cut short', CONT_PAI_CUT_SHORT, 'TRUNCATED'],
    ['reserved flag bits', CONT_RESERVED_FLAGS, 'RESERVED_FLAGS'],
    ['not this device (a heart rate measurement)', NOT_PLX_HEART_RATE, 'TRUNCATED'],
  ])('rejects %s with a coded error', (_name, hex, code) => {
    expect(decodeError(decodeContinuous, hex)).toBe(code);
  });

  it('round-trips through the simulator encoder', () => {
    for (const hex of [CONT_MINIMAL, CONT_ALL_FIELDS]) {
      expect(toHex(encodeContinuous(decodeContinuous(fromHex(hex))))).toBe(hex);
    }
  });

  it('becomes a contract observation from SpO2PR-Normal at the gateway time', () => {
    const [o] = continuousToObservations(decodeContinuous(fromHex(CONT_ALL_FIELDS)), context()).observations;
    expect(o?.values).toEqual({ spo2: { value: 97, unit: '%' }, pulseRate: { value: 72, unit: 'bpm' } });
    expect(o?.measuredAt).toBe('2025-03-01T09:00:00.000Z');
    expect(validateObservation(o).ok).toBe(true);
  });
});
