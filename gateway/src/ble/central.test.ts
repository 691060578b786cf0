/**
 * The central on noble's real objects: firmware-sim devices behind a SimulatedBinding, given to
 * noble's with-bindings, so every Peripheral and Characteristic here is noble's own.
 */
import {
  SimulatedBinding,
  SimulatedBpCuff,
  SimulatedFallsSensor,
  SimulatedPulseOximeter,
} from '@wardline/firmware-sim';
import { bloodPressure, battery, type BleLinkEvents } from '@wardline/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { NoAdapterError, NobleCentral } from './central.js';
import { nobleWithBinding } from './noble.js';

const CUFF = 'aa:00:00:00:00:01';
const SENSOR = 'aa:00:00:00:00:02';
const OXIMETER = 'aa:00:00:00:00:03';

const running: { central: NobleCentral; binding: SimulatedBinding }[] = [];
afterEach(async () => {
  for (const { central, binding } of running.splice(0)) {
    await central.stop();
    binding.stop();
  }
});

function setUp(
  devices: ConstructorParameters<typeof SimulatedBinding>[0],
  allow?: { addresses: string[]; services: string[] },
) {
  const binding = new SimulatedBinding(devices, { advertiseIntervalMs: 20 });
  const central = new NobleCentral({
    noble: nobleWithBinding(binding),
    logger: silentLogger,
    backoffBaseMs: 20,
    backoffMaxMs: 200,
    gattTimeoutMs: 2000,
    ...(allow ? { allow } : {}),
  });
  running.push({ central, binding });
  const events: { event: keyof BleLinkEvents; args: unknown[] }[] = [];
  for (const event of ['connect', 'disconnect', 'notification', 'rssi'] as const) {
    central.on(event, (...args: unknown[]) => events.push({ event, args }));
  }
  return { binding, central, events };
}

async function until<T>(probe: () => T, what: string, ms = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('BLE central through noble', () => {
  it('connects, sets the device clock to UTC, subscribes, reads the battery and relays indications', async () => {
    const cuff = new SimulatedBpCuff({ deviceId: CUFF, battery: 77, clockErrorMs: 3_600_000 });
    const { central, events } = setUp([cuff]);
    await central.start();
    await until(() => events.find((e) => e.event === 'connect'), 'connect');
    expect(cuff.clockWrites).toBe(1);
    const level = await until(
      () => events.find((e) => e.event === 'notification' && e.args[2] === battery.BATTERY_LEVEL_UUID),
      'battery',
    );
    expect(battery.decode(level.args[3] as Uint8Array).level).toBe(77); // %

    const taken = cuff.measure({ systolic: 128, diastolic: 84, meanArterial: 99, pulseRate: 66 });
    expect(Math.abs(taken.at.getTime() - Date.now())).toBeLessThan(2000); // the clock was corrected
    const indication = await until(
      () =>
        events.find(
          (e) => e.event === 'notification' && e.args[2] === bloodPressure.BLOOD_PRESSURE_MEASUREMENT_UUID,
        ),
      'measurement',
    );
    expect(indication.args.slice(0, 2)).toEqual([CUFF, bloodPressure.BLOOD_PRESSURE_SERVICE_UUID]);
    expect(Buffer.from(indication.args[3] as Uint8Array)).toEqual(taken.bytes);
    expect(central.connectedDevices()).toEqual([CUFF]);
    expect(events.some((e) => e.event === 'rssi' && e.args[0] === CUFF)).toBe(true);
  });

  it('handles several devices at once, and only allow-listed ones', async () => {
    const cuff = new SimulatedBpCuff({ deviceId: CUFF });
    const sensor = new SimulatedFallsSensor({ deviceId: SENSOR });
    const oximeter = new SimulatedPulseOximeter({ deviceId: OXIMETER });
    const { central } = setUp([cuff, sensor, oximeter], { addresses: [CUFF], services: ['1822'] });
    await central.start();
    await until(() => central.connectedDevices().length === 2, 'two devices');
    await new Promise((r) => setTimeout(r, 150));
    expect(central.connectedDevices().sort()).toEqual([CUFF, OXIMETER]);
    expect(sensor.connected).toBe(false);
  });

  it('reconnects with backoff after the device leaves range mid-measurement; the kept reading arrives', async () => {
    const cuff = new SimulatedBpCuff({ deviceId: CUFF });
    const { binding, central, events } = setUp([cuff]);
    await central.start();
    await until(() => central.connectedDevices().length === 1, 'connect');
    binding.outOfRange(CUFF);
    await until(() => events.find((e) => e.event === 'disconnect'), 'disconnect');
    const taken = cuff.measure({ systolic: 141, diastolic: 90, meanArterial: 107, pulseRate: 80 }); // kept
    await new Promise((r) => setTimeout(r, 300)); // several failed attempts while away
    expect(central.deviceStates()[0]?.failures).toBeGreaterThan(0);
    binding.backInRange(CUFF);
    const delivered = await until(
      () =>
        events.find(
          (e) => e.event === 'notification' && Buffer.from(e.args[3] as Uint8Array).equals(taken.bytes),
        ),
      'the reading kept while away',
    );
    expect(delivered.args[0]).toBe(CUFF);
    // The kept reading is indicated as soon as its characteristic is subscribed, which can be before the
    // remaining subscriptions finish and the connection is announced.
    await until(() => events.filter((e) => e.event === 'connect').length === 2, 'the second connect');
    expect(events.filter((e) => e.event === 'connect')).toHaveLength(2);
  });

  it('a device advertising again is reconnected without sitting out a long backoff', async () => {
    const cuff = new SimulatedBpCuff({ deviceId: CUFF });
    const binding = new SimulatedBinding([cuff], { advertiseIntervalMs: 20 });
    const central = new NobleCentral({
      noble: nobleWithBinding(binding),
      logger: silentLogger,
      backoffBaseMs: 60_000,
      random: () => 1,
    });
    running.push({ central, binding });
    await central.start();
    await until(() => central.connectedDevices().length === 1, 'connect');
    binding.outOfRange(CUFF);
    await until(() => central.connectedDevices().length === 0, 'the drop');
    await new Promise((r) => setTimeout(r, 1100));
    binding.backInRange(CUFF);
    await until(
      () => central.connectedDevices().length === 1,
      'reconnection well before the 60 s backoff',
      2000,
    );
  });

  it('says clearly when there is no Bluetooth adapter', async () => {
    const binding = new SimulatedBinding([], { adapter: false });
    const central = new NobleCentral({ noble: nobleWithBinding(binding), logger: silentLogger });
    await expect(central.start()).rejects.toThrow(NoAdapterError);
    await expect(central.start()).rejects.toThrow(/unsupported/);
  });
});
