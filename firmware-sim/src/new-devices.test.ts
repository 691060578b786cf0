import { currentTime, healthThermometer, pulseOximeter } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import { SimulatedPulseOximeter } from './pulse-oximeter.js';
import { SimulatedThermometer } from './thermometer.js';

describe('simulated oximeter and thermometer', () => {
  it('oximeter: spot-checks as real PLXS bytes, kept while disconnected and flagged as stored', () => {
    const oximeter = new SimulatedPulseOximeter({ deviceId: 'c0:ff:ee:03:00:01' });
    const sent: Uint8Array[] = [];
    oximeter.on('notification', (_id, _s, _c, bytes) => sent.push(bytes));
    const taken = oximeter.spotCheck(95, 70);
    expect(sent).toHaveLength(0);
    oximeter.connect();
    const stored = sent.find((b) => b[0] !== 0x64 && b.length > 1)!;
    expect(Buffer.from(stored)).toEqual(taken.bytes);
    const decoded = pulseOximeter.decodeSpotCheck(stored);
    expect(decoded.spo2).toBe(95); // %
    expect(decoded.pulseRate).toBe(70); // bpm
    expect(decoded.measurementStatus?.dataFromMeasurementStorage).toBe(true);
  });

  it('thermometer: °F at 0.1 on the wire, with the temperature type as site', () => {
    const thermometer = new SimulatedThermometer({ deviceId: 'c0:ff:ee:04:00:01', unit: 'fahrenheit' });
    const taken = thermometer.measure(37);
    const decoded = healthThermometer.decode(taken.bytes);
    expect(decoded.unit).toBe('fahrenheit');
    expect(decoded.temperature).toBe(98.6); // °F
    expect(decoded.temperatureType).toBe('tympanum');
    expect(thermometer.expectedCelsius(taken)).toBe(37); // °C
  });

  it('a gateway setting Current Time corrects the device clock', () => {
    const thermometer = new SimulatedThermometer({
      deviceId: 'c0:ff:ee:04:00:02',
      clockErrorMs: -86_400_000,
    });
    expect(Date.now() - thermometer.measure(36.6).at.getTime()).toBeGreaterThan(86_000_000); // a day behind
    expect(thermometer.write(currentTime.CURRENT_TIME_UUID, Uint8Array.of(0, 0))).toBe(false); // refused
    const now = new Date();
    const value = currentTime.encode(currentTime.currentTimeFromDate(now));
    expect(thermometer.write(currentTime.CURRENT_TIME_UUID, value)).toBe(true);
    expect(thermometer.clockWrites).toBe(1);
    expect(Math.abs(thermometer.measure(36.6).at.getTime() - now.getTime())).toBeLessThan(2000);
  });
});
