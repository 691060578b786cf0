import { bloodPressure, falls, handlerFor } from '@wardline/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { demoFleet } from './demo-fleet.js';
import { defaultDeviceId, residentsFromDemoGateway, SimulatedHome } from './simulated-home.js';

const START = new Date('2025-03-01T00:00:00Z');

interface Seen {
  deviceId: string;
  service: string;
  characteristic: string;
  hex: string;
  at: number;
}

function record(home: SimulatedHome) {
  const seen: Seen[] = [];
  const connects: string[] = [];
  home.on('notification', (deviceId, service, characteristic, bytes) =>
    seen.push({ deviceId, service, characteristic, hex: Buffer.from(bytes).toString('hex'), at: Date.now() }),
  );
  home.on('connect', (id) => connects.push(id));
  return { seen, connects };
}

describe('simulated home', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(START);
  });
  afterEach(() => vi.useRealTimers());

  it('builds residents with a cuff and a falls sensor each, BLE-style ids, cycling scenarios', () => {
    const home = new SimulatedHome({ residents: 5 });
    expect(home.residents.map((r) => r.scenario.name)).toEqual([
      'normal',
      'hypertensive',
      'deteriorating',
      'fall',
      'normal',
    ]);
    expect(home.devices().slice(0, 2)).toEqual([
      {
        deviceId: 'c0:ff:ee:01:00:01',
        model: 'bp-cuff',
        residentIndex: 0,
        residentLabel: 'resident-01',
        scenario: 'normal',
      },
      {
        deviceId: 'c0:ff:ee:02:00:01',
        model: 'falls-sensor',
        residentIndex: 0,
        residentLabel: 'resident-01',
        scenario: 'normal',
      },
    ]);
    expect(defaultDeviceId('bp-cuff', 300)).toBe('c0:ff:ee:01:01:2c');
  });

  it('connects every device on start, each reporting its battery', () => {
    const home = new SimulatedHome({ residents: 2 });
    const { seen, connects } = record(home);
    home.start();
    expect(connects).toHaveLength(4);
    expect(home.connectedDevices()).toHaveLength(4);
    expect(seen.filter((s) => s.characteristic === '2a19')).toHaveLength(4);
    home.stop();
    expect(home.connectedDevices()).toEqual([]);
  });

  it('takes twice-daily readings every 5 s at time scale 8640, with real wall-clock time stamps', () => {
    const home = new SimulatedHome({ residents: 2, timeScale: 8640 });
    const { seen } = record(home);
    home.start();
    vi.advanceTimersByTime(20_000);
    home.stop();
    const readings = seen.filter((s) => s.characteristic === bloodPressure.BLOOD_PRESSURE_MEASUREMENT_UUID);
    // 12 h / 8640 = 5 s. Resident 1 reads at 0, 5, 10, 15, 20 s; resident 2, staggered, at 2.5, 7.5, ...
    expect(
      readings.filter((r) => r.deviceId === 'c0:ff:ee:01:00:01').map((r) => r.at - START.getTime()),
    ).toEqual([0, 5000, 10_000, 15_000, 20_000]);
    expect(
      readings.filter((r) => r.deviceId === 'c0:ff:ee:01:00:02').map((r) => r.at - START.getTime()),
    ).toEqual([2500, 7500, 12_500, 17_500]);
    for (const r of readings) {
      const m = bloodPressure.decode(Buffer.from(r.hex, 'hex'));
      const t = m.timestamp;
      expect(t && Date.UTC(t.year, t.month - 1, t.day, t.hours, t.minutes, t.seconds)).toBe(
        Math.floor(r.at / 1000) * 1000,
      );
    }
  });

  it.each([
    [
      'helped up',
      { fallAtMs: 60_000, helpAfterFallMs: 300_000, uprightAfterFallMs: 600_000 },
      ['fall', 'help_button', 'heartbeat', 'upright'],
    ],
    ['a long lie', { fallAtMs: 60_000, fallAftermath: 'long_lie' }, ['fall', 'no_movement', 'heartbeat']],
  ] as const)(
    'runs the fall scenario, %s: every event but a heartbeat sent three times',
    (_name, options, order) => {
      const home = new SimulatedHome({
        residents: [{ scenario: 'fall', scenarioOptions: options }],
        timeScale: 60, // fall at 1 s, then 5 min = 5 s and 10 min = 10 s (real time)
        heartbeatIntervalMs: 10_000,
      });
      const { seen } = record(home);
      home.start();
      vi.advanceTimersByTime(15_000);
      home.stop();
      const types = seen
        .filter((s) => s.characteristic === falls.FALLS_EVENT_UUID)
        .map((s) => falls.decode(Buffer.from(s.hex, 'hex')).type);
      expect(types).toEqual(order.flatMap((t) => (t === 'heartbeat' ? [t] : [t, t, t])));
    },
  );

  it('is deterministic from the seed', () => {
    const run = (seed: number) => {
      vi.setSystemTime(START);
      const home = new SimulatedHome({ residents: 4, seed, timeScale: 8640 });
      const { seen } = record(home);
      home.start();
      vi.advanceTimersByTime(30_000);
      home.stop();
      return seen.map((s) => `${s.deviceId} ${s.characteristic} ${s.hex}`);
    };
    const a = run(3);
    expect(run(3)).toEqual(a);
    expect(run(4)).not.toEqual(a);
  });

  it('emits only values the gateway has a handler for, and every one decodes', () => {
    const home = new SimulatedHome({ residents: 4, timeScale: 8640, heartbeatIntervalMs: 1000 });
    const { seen } = record(home);
    home.start();
    vi.advanceTimersByTime(60_000);
    home.stop();
    expect(new Set(seen.map((s) => s.characteristic))).toEqual(
      new Set(['2a35', '2a19', falls.FALLS_EVENT_UUID]),
    );
    for (const s of seen) {
      const handler = handlerFor(s.characteristic);
      expect(handler?.serviceUuid).toBe(s.service);
      expect(() => handler?.decode(Buffer.from(s.hex, 'hex'))).not.toThrow();
    }
  });

  it('builds a demo-fleet gateway with the device ids the server seeds', () => {
    const gateway = demoFleet()[0]?.gateways[0];
    if (!gateway) throw new Error('demo fleet has no gateway');
    const home = new SimulatedHome({ residents: residentsFromDemoGateway(gateway) });
    expect(home.devices().map((d) => d.deviceId)).toEqual(
      gateway.residents.flatMap((r) => r.devices.map((d) => d.id)),
    );
    expect(home.residents.map((r) => r.scenario.name)).toEqual(gateway.residents.map((r) => r.scenario));
  });
});
