import { falls, handlerFor, type Observation } from '@wardline/protocol';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { demoFleet, onNews2Rounds, type DemoGateway } from './demo-fleet.js';
import { DEFAULT_DEMO_RHYTHM, demoTimeOfDay, HOUR } from './demo-rhythm.js';
import { DEFAULT_DEMO_SPEED, DemoScript, demoSpeedFromEnv } from './demo-script.js';
import type { SimulatedHome, StaffRound } from './simulated-home.js';

const START = new Date('2026-03-02T09:00:00Z').getTime();
const MINUTE = 60_000;

/** Every observation the home's devices send, as the gateway would make them. */
function observe(home: SimulatedHome) {
  const seen: Observation[] = [];
  let seq = 1;
  home.on('notification', (deviceId, _service, characteristic, bytes) => {
    const handler = handlerFor(characteristic);
    const decoded = handler?.decode(bytes);
    const made =
      decoded === undefined
        ? undefined
        : handler?.toObservations?.(decoded, {
            deviceId,
            measuredAtFallback: new Date().toISOString(),
            nextSeq: () => seq++,
          });
    seen.push(...(made?.observations ?? []));
  });
  return seen;
}

function fallsSeen(home: SimulatedHome) {
  const types: string[] = [];
  home.on('notification', (_id, _s, characteristic, bytes) => {
    if (characteristic === falls.FALLS_EVENT_UUID) types.push(falls.decode(bytes).type);
  });
  return types;
}

const gateway = (site: string, name: string): DemoGateway =>
  demoFleet()
    .flatMap((w) => w.gateways)
    .find((g) => g.site === site && g.gateway === name)!;

describe('the demo script', () => {
  let dir: string;
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(START);
    dir = mkdtempSync(join(tmpdir(), 'demo-script-'));
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives some residents every NEWS2 device input (blood pressure, pulse, SpO2, temperature) and staff rounds', () => {
    const residents = demoFleet().flatMap((w) => w.gateways.flatMap((g) => g.residents));
    const complete = residents.filter(onNews2Rounds);
    // Some, not all: the others' NEWS2 stays partial, as on a real ward.
    expect(complete.length).toBeGreaterThanOrEqual(6);
    expect(complete.length).toBeLessThan(residents.length);
    for (const r of residents.filter((x) => x.scenario === 'deteriorating'))
      expect(onNews2Rounds(r)).toBe(true);

    const script = new DemoScript();
    const rounds: StaffRound[] = [];
    const home = script.home(gateway('larkspur', 'gw-01'), { onStaffRound: (r) => rounds.push(r) });
    const seen = observe(home);
    home.start();
    vi.advanceTimersByTime(2 * MINUTE);
    home.stop();

    const byDevice = (prefix: string) => seen.filter((o) => o.deviceId.startsWith(prefix));
    // Room 4 (deteriorating) reads in the morning round: cuff, oximeter, thermometer.
    const room4 = '01:00:04';
    expect(byDevice(`d0:b1:00:${room4}`)[0]?.values).toMatchObject({ systolic: {}, pulseRate: {} });
    expect(byDevice(`d0:5a:00:${room4}`)[0]).toMatchObject({
      kind: 'spo2',
      values: { spo2: {}, pulseRate: {} },
    });
    expect(byDevice(`d0:7e:00:${room4}`)[0]).toMatchObject({ kind: 'body_temperature' });
    // Staff observations (respiration rate, consciousness, oxygen) only for residents on rounds.
    const onRounds = gateway('larkspur', 'gw-01')
      .residents.filter(onNews2Rounds)
      .map((r) => r.number);
    expect([...new Set(rounds.map((r) => Number(r.residentLabel.slice(-2))))].sort((a, b) => a - b)).toEqual(
      onRounds,
    );
    expect(rounds[0]!.vitals).toMatchObject({ consciousness: 'A', onOxygen: false });
    // Room 3 has a cuff only: no oximeter or thermometer readings.
    expect(byDevice('d0:5a:00:01:00:03')).toEqual([]);
  });

  it('reads cuffs morning and evening at the default speed, two readings a minute apart, time stamps real', () => {
    expect(demoSpeedFromEnv(undefined)).toBe(DEFAULT_DEMO_SPEED);
    expect(DEFAULT_DEMO_SPEED).toBe(60);
    const script = new DemoScript();
    const home = script.home(gateway('larkspur', 'gw-01'));
    const seen = observe(home);
    home.start();
    vi.advanceTimersByTime(30 * MINUTE); // 30 demo hours
    home.stop();

    const cuff = seen.filter((o) => o.deviceId === 'd0:b1:00:01:00:01' && o.kind === 'blood_pressure');
    const at = cuff.map((o) => Date.parse(o.measuredAt));
    // Every time stamp is real time (never ahead of the clock it was read by).
    for (const t of at) expect(t).toBeLessThanOrEqual(Date.now());
    const sessions: number[][] = [];
    for (const t of at) {
      const last = sessions.at(-1);
      if (last && t - last[0]! <= 2 * MINUTE) last.push(t);
      else sessions.push([t]);
    }
    // 08:00 and 20:00 of demo day 1, 08:00 of day 2: each a pair, the second a minute after the first.
    expect(sessions.map((s) => s.length)).toEqual([2, 2, 2]);
    for (const [first, second] of sessions) expect(second! - first!).toBe(MINUTE);
    const demoHour = (t: number) =>
      demoTimeOfDay((t - START) * DEFAULT_DEMO_SPEED, DEFAULT_DEMO_RHYTHM) / HOUR;
    expect(sessions.map(([first]) => demoHour(first!))).toEqual([8, 20, 8]);
    // Twelve demo hours are twelve real minutes apart.
    expect(sessions[1]![0]! - sessions[0]![0]!).toBe(12 * MINUTE);
  });

  it('does not replay a fall that has already happened when the demo restarts, and continues its clock', () => {
    const path = join(dir, 'demo-state.json');
    const fallHome = gateway('vw-north', 'home-05');
    const run = (realMs: number) => {
      const script = new DemoScript({ path });
      const home = script.home(fallHome);
      const types = fallsSeen(home);
      const from = script.scenarioMs();
      home.start();
      vi.advanceTimersByTime(realMs);
      home.stop();
      script.save();
      return {
        from,
        falls: types.filter((t) => t === 'fall').length,
        help: types.filter((t) => t === 'help_button').length,
      };
    };

    // Stopped 5 demo minutes in, before the fall (10 demo minutes): it still happens, once.
    const first = run(5_000);
    expect(first).toMatchObject({ from: 0, falls: 0 });
    const second = run(20_000);
    expect(second.from).toBe(5 * MINUTE);
    expect(second.falls).toBeGreaterThan(0); // the device repeats an urgent event
    expect(second.help).toBeGreaterThan(0);
    // Restarted after it: the clock goes on from 25 demo minutes, and nobody falls again.
    const third = run(10 * MINUTE);
    expect(third.from).toBe(25 * MINUTE);
    expect(third).toMatchObject({ falls: 0, help: 0 });
    expect((statSync(path).mode & 0o777).toString(8)).toBe('600');
  });

  it('refuses a demo speed that is not a positive number', () => {
    expect(demoSpeedFromEnv('120')).toBe(120);
    expect(() => demoSpeedFromEnv('0')).toThrow(RangeError);
    expect(() => demoSpeedFromEnv('fast')).toThrow(RangeError);
  });
});
