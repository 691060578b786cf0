/**
 * The simulators' flagged readings, as the real characteristic bytes, pass through the gateway with
 * their quality flags: nothing the device said about a reading is lost on the way to the server.
 */
import { bloodPressure, pulseOximeter, dateTimeFromDate, validateObservation } from '@wardline/protocol';
import { SimulatedBpCuff, SimulatedPulseOximeter } from '@wardline/firmware-sim';
import { beforeEach, describe, expect, it } from 'vitest';
import { DeviceRegistry } from './devices.js';
import { Dispatcher } from './dispatch.js';
import { silentLogger } from './logger.js';
import { MemoryOutbox } from './queue.js';
import { MemorySequence } from './sequence.js';

const NOW = Date.parse('2025-03-01T09:00:00Z');
const TAKEN = new Date(NOW - 60_000);
const CUFF = 'c0:ff:ee:01:00:01';
const OXIMETER = 'c0:ff:ee:05:00:01';
const VITALS = { systolic: 121, diastolic: 79, meanArterial: 93, pulseRate: 88 };

let outbox: MemoryOutbox;
let dispatcher: Dispatcher;

beforeEach(() => {
  outbox = new MemoryOutbox();
  dispatcher = new Dispatcher({
    outbox,
    sequence: new MemorySequence(),
    devices: new DeviceRegistry(() => NOW),
    logger: silentLogger,
    now: () => NOW,
  });
});

function queued() {
  const observations = outbox.peekBatch(10);
  for (const o of observations) expect(validateObservation(o, { now: NOW }).ok).toBe(true);
  return observations;
}

describe('reading quality through the gateway', () => {
  it("a loose cuff's reading with an irregular pulse is queued, flagged", () => {
    const cuff = new SimulatedBpCuff({ deviceId: CUFF });
    const { bytes } = cuff.measure(VITALS, TAKEN, { cuffTooLoose: true, irregularPulse: true });
    dispatcher.handle(
      CUFF,
      bloodPressure.BLOOD_PRESSURE_SERVICE_UUID,
      bloodPressure.BLOOD_PRESSURE_MEASUREMENT_UUID,
      bytes,
    );
    const [o] = queued();
    expect(o?.kind).toBe('blood_pressure');
    expect(o?.quality).toEqual(['cuff_too_loose', 'irregular_pulse']);
  });

  it("an oximeter's low-perfusion and questionable spot-checks are queued, flagged", () => {
    const oximeter = new SimulatedPulseOximeter({ deviceId: OXIMETER });
    oximeter.connect();
    const send = (bytes: Uint8Array) =>
      dispatcher.handle(
        OXIMETER,
        pulseOximeter.PULSE_OXIMETER_SERVICE_UUID,
        pulseOximeter.PLX_SPOT_CHECK_UUID,
        bytes,
      );
    send(oximeter.spotCheck(91, 64, TAKEN, { device: { lowPerfusionDetected: true } }).bytes);
    send(oximeter.spotCheck(95, 66, TAKEN, { questionable: true }).bytes);
    send(oximeter.spotCheck(96, 67, TAKEN).bytes);
    expect(queued().map((o) => [o.values, o.quality])).toEqual([
      [{ spo2: { value: 91, unit: '%' }, pulseRate: { value: 64, unit: 'bpm' } }, ['low_perfusion']],
      [
        { spo2: { value: 95, unit: '%' }, pulseRate: { value: 66, unit: 'bpm' } },
        ['measurement_questionable'],
      ],
      [{ spo2: { value: 96, unit: '%' }, pulseRate: { value: 67, unit: 'bpm' } }, undefined],
    ]);
  });

  it('a cuff that could not read the pressure still gives its pulse, as a heart rate', () => {
    const bytes = bloodPressure.encode({
      unit: 'mmHg',
      systolic: null,
      diastolic: 79,
      meanArterial: null,
      timestamp: dateTimeFromDate(TAKEN),
      pulseRate: 88,
      measurementStatus: bloodPressure.decodeMeasurementStatus(0x0004), // irregular pulse
    });
    const outcome = dispatcher.handle(
      CUFF,
      bloodPressure.BLOOD_PRESSURE_SERVICE_UUID,
      bloodPressure.BLOOD_PRESSURE_MEASUREMENT_UUID,
      bytes,
    );
    expect(outcome.problems.map((p) => p.code)).toEqual(['MISSING_VALUE']);
    const [o] = queued();
    expect(o?.kind).toBe('heart_rate');
    expect(o?.values).toEqual({ heartRate: { value: 88, unit: 'bpm' } });
    expect(o?.quality).toEqual(['irregular_pulse']);
    expect(o?.measuredAt).toBe('2025-03-01T08:59:00Z');
  });
});
