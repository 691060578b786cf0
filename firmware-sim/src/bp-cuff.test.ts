import { bloodPressure, kpaToMmHg, toHex } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import { SimulatedBpCuff } from './bp-cuff.js';

const VITALS = { systolic: 142, diastolic: 91, meanArterial: 108, pulseRate: 77 };
const AT = new Date('2025-03-01T08:30:15.750Z');

function capture(cuff: SimulatedBpCuff) {
  const values: { service: string; characteristic: string; bytes: Uint8Array }[] = [];
  cuff.on('notification', (_id, service, characteristic, bytes) =>
    values.push({ service, characteristic, bytes }),
  );
  return values;
}

describe('simulated blood pressure cuff', () => {
  it('indicates a 0x2A35 value in mmHg with time stamp and pulse rate by default', () => {
    const cuff = new SimulatedBpCuff({ deviceId: 'c0:ff:ee:01:00:01' });
    const values = capture(cuff);
    cuff.connect();
    const { bytes } = cuff.measure(VITALS, AT);
    const indication = values.find((v) => v.characteristic === '2a35');
    expect(indication?.service).toBe('1810');
    expect(toHex(bytes)).toBe(toHex(indication?.bytes ?? new Uint8Array()));
    expect(bytes[0]).toBe(0x06); // flags: mmHg, time stamp, pulse rate
    const m = bloodPressure.decode(bytes);
    expect(m.unit).toBe('mmHg');
    expect(m.systolic).toBe(142);
    expect(m.diastolic).toBe(91);
    expect(m.meanArterial).toBe(108);
    expect(m.pulseRate).toBe(77);
    expect(m.timestamp).toEqual({ year: 2025, month: 3, day: 1, hours: 8, minutes: 30, seconds: 15 });
  });

  it('can report in kPa at 0.1 kPa resolution, which the gateway converts back to mmHg', () => {
    const cuff = new SimulatedBpCuff({ deviceId: 'c0:ff:ee:01:00:02', units: 'kPa' });
    cuff.connect();
    const { bytes, measurement } = cuff.measure(VITALS, AT);
    expect(bytes[0]).toBe(0x07);
    const m = bloodPressure.decode(bytes);
    expect(m).toEqual(measurement);
    expect(m.systolic).toBe(18.9); // kPa
    expect(kpaToMmHg(m.systolic ?? 0)).toBe(141.8); // mmHg: the kPa device's own resolution
  });

  it('sends only the optional fields it is configured for', () => {
    const bare = new SimulatedBpCuff({ deviceId: 'a', timestamp: false, pulseRate: false });
    expect(bare.measure(VITALS, AT).bytes[0]).toBe(0x00);
    const full = new SimulatedBpCuff({ deviceId: 'b', userId: 2, measurementStatus: true });
    const m = bloodPressure.decode(full.measure({ ...VITALS, pulseRate: 120 }, AT).bytes);
    expect(m.userId).toBe(2);
    expect(m.measurementStatus?.pulseRateRange).toBe('aboveUpperLimit');
  });

  it('keeps readings taken while disconnected and sends them, oldest first, on reconnection', () => {
    const cuff = new SimulatedBpCuff({ deviceId: 'c0:ff:ee:01:00:03', memory: 2 });
    const values = capture(cuff);
    cuff.measure({ ...VITALS, systolic: 130 }, AT);
    cuff.measure({ ...VITALS, systolic: 131 }, AT);
    cuff.measure({ ...VITALS, systolic: 132 }, AT);
    expect(values).toEqual([]);
    cuff.connect();
    const readings = values
      .filter((v) => v.characteristic === '2a35')
      .map((v) => bloodPressure.decode(v.bytes));
    expect(readings.map((r) => r.systolic)).toEqual([131, 132]); // memory of 2: the oldest went
  });

  it('reports its battery on connection and when it changes', () => {
    const cuff = new SimulatedBpCuff({ deviceId: 'c0:ff:ee:01:00:04', battery: 80 });
    const values = capture(cuff);
    cuff.connect();
    cuff.setBattery(79);
    cuff.setBattery(79);
    expect(values.filter((v) => v.characteristic === '2a19').map((v) => v.bytes[0])).toEqual([80, 79]);
  });
});
