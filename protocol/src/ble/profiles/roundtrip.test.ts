/**
 * Every flag combination of every profile, by property: fast-check builds records with each
 * optional field present or absent and each value ordinary, special (null) or at its limits; the
 * simulator encoder writes the specification's layout and the decoder must give the record back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BleDateTime } from '../date-time.js';
import * as battery from './battery/index.js';
import * as bloodPressure from './blood-pressure/index.js';
import * as falls from './falls/index.js';
import * as healthThermometer from './health-thermometer/index.js';
import * as heartRate from './heart-rate/index.js';
import * as pulseOximeter from './pulse-oximeter/index.js';

const RUNS = { numRuns: 1000 };
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const orNull = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

/** Values an SFLOAT holds exactly: m or m/10 with |m| <= 2045. */
const sfloat = fc
  .tuple(fc.integer({ min: -2045, max: 2045 }), fc.boolean())
  .map(([m, tenth]) => (tenth ? m / 10 : m));
/** Values a FLOAT holds exactly at 0.01. */
const float = fc.integer({ min: -8_000_000, max: 8_000_000 }).map((m) => m / 100);
const dateTime: fc.Arbitrary<BleDateTime> = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => ({
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hours: d.getUTCHours(),
    minutes: d.getUTCMinutes(),
    seconds: d.getUTCSeconds(),
  }));

describe('encode -> decode over every flag combination', () => {
  it('Blood Pressure Measurement (BLS 3.1)', () => {
    const record = fc.record({
      unit: fc.constantFrom('mmHg' as const, 'kPa' as const),
      systolic: orNull(sfloat),
      diastolic: orNull(sfloat),
      meanArterial: orNull(sfloat),
      timestamp: optional(orNull(dateTime)),
      pulseRate: optional(orNull(sfloat)),
      userId: optional(orNull(fc.integer({ min: 0, max: 254 }))),
      measurementStatus: optional(
        fc.integer({ min: 0, max: 0x3f }).map(bloodPressure.decodeMeasurementStatus),
      ),
    });
    fc.assert(
      fc.property(record, (m) => {
        expect(bloodPressure.decode(bloodPressure.encode(m))).toEqual(m);
      }),
      RUNS,
    );
  });

  it('Temperature Measurement (HTS 3.1)', () => {
    const record = fc.record({
      unit: fc.constantFrom('celsius' as const, 'fahrenheit' as const),
      temperature: orNull(float),
      timestamp: optional(orNull(dateTime)),
      temperatureType: optional(orNull(fc.constantFrom(...healthThermometer.TEMPERATURE_TYPES))),
    });
    fc.assert(
      fc.property(record, (m) => {
        expect(healthThermometer.decode(healthThermometer.encode(m))).toEqual(m);
      }),
      RUNS,
    );
  });

  it('Heart Rate Measurement (HRS 3.1), 8- and 16-bit', () => {
    const record = fc.record({
      heartRate: fc.integer({ min: 0, max: 0xffff }),
      sensorContact: fc.constantFrom('notSupported' as const, 'notDetected' as const, 'detected' as const),
      energyExpended: optional(fc.integer({ min: 0, max: 0xffff })),
      rrIntervals: optional(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 9 })),
    });
    fc.assert(
      fc.property(record, fc.boolean(), (m, wide) => {
        const bytes = heartRate.encode(m, { uint16: wide || m.heartRate > 0xff });
        expect(heartRate.decode(bytes)).toEqual(m);
      }),
      RUNS,
    );
  });

  const plxStatus = fc
    .integer({ min: 0, max: 0xffff })
    .map((raw) => pulseOximeter.decodeMeasurementStatus(raw & 0xffe0));
  const plxDevice = fc.integer({ min: 0, max: 0xffff }).map(pulseOximeter.decodeDeviceStatus);
  const pair = fc.record({ spo2: orNull(sfloat), pulseRate: orNull(sfloat) });

  it('PLX Spot-check Measurement (PLXS 3.1)', () => {
    const record = fc.record({
      spo2: orNull(sfloat),
      pulseRate: orNull(sfloat),
      timestamp: optional(orNull(dateTime)),
      measurementStatus: optional(plxStatus),
      deviceStatus: optional(plxDevice),
      pulseAmplitudeIndex: optional(orNull(sfloat)),
      deviceClockNotSet: fc.boolean(),
    });
    fc.assert(
      fc.property(record, (m) => {
        expect(pulseOximeter.decodeSpotCheck(pulseOximeter.encodeSpotCheck(m))).toEqual(m);
      }),
      RUNS,
    );
  });

  it('PLX Continuous Measurement (PLXS 3.2)', () => {
    const record = fc.record({
      spo2: orNull(sfloat),
      pulseRate: orNull(sfloat),
      fast: optional(pair),
      slow: optional(pair),
      measurementStatus: optional(plxStatus),
      deviceStatus: optional(plxDevice),
      pulseAmplitudeIndex: optional(orNull(sfloat)),
    });
    fc.assert(
      fc.property(record, (m) => {
        expect(pulseOximeter.decodeContinuous(pulseOximeter.encodeContinuous(m))).toEqual(m);
      }),
      RUNS,
    );
  });

  it('Falls Event (PROTOCOL.md §3) and Battery Level (BAS 3.1)', () => {
    const types = Object.keys(falls.EVENT_TYPE_CODES) as falls.FallsEventType[];
    const event = fc
      .record({
        type: fc.constantFrom(...types),
        counter: fc.integer({ min: 0, max: 0xffff }),
        timestamp: orNull(fc.integer({ min: falls.EARLIEST_VALID_TIMESTAMP, max: 0xffffffff })),
        confidence: orNull(fc.integer({ min: 0, max: 100 })),
      })
      // §3.5: only a fall carries a confidence; the others send 0xFF.
      .map((e) => (e.type === 'fall' ? e : { ...e, confidence: null }));
    fc.assert(
      fc.property(event, (e) => {
        expect(falls.decode(falls.encode(e))).toEqual(e);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(orNull(fc.integer({ min: 0, max: 100 })), (level) => {
        expect(battery.decode(battery.encode({ level }))).toEqual({ level });
      }),
      RUNS,
    );
  });
});
