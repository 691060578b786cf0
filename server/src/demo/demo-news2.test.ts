/**
 * The demo's ward as NEWS2 sees it: the simulated devices' readings (decoded as the gateway
 * decodes them) and the demo nurse's round observations, scored by the server's own NEWS2.
 */
import { demoFleet, DemoScript, type StaffRound } from '@wardline/firmware-sim';
import { handlerFor, type Observation } from '@wardline/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { news2, type News2Inputs } from '../alerts/news2.js';

const MINUTE = 60_000;

function runCareHome(realMs: number) {
  const gateway = demoFleet()[0]!.gateways[0]!;
  const observations: Observation[] = [];
  const rounds: StaffRound[] = [];
  const home = new DemoScript().home(gateway, { onStaffRound: (round) => rounds.push(round) });
  let seq = 1;
  home.on('notification', (deviceId, _service, characteristic, bytes) => {
    const handler = handlerFor(characteristic);
    if (!handler?.toObservations) return;
    const made = handler.toObservations(handler.decode(bytes), {
      deviceId,
      measuredAtFallback: new Date().toISOString(),
      nextSeq: () => seq++,
    });
    observations.push(...made.observations);
  });
  // NEWS2 as the bed would show it at each of a resident's rounds: every parameter's newest value.
  const scores = new Map<number, ReturnType<typeof news2>[]>();
  const onRound = (round: StaffRound) => {
    const number = Number(round.residentLabel.slice(-2));
    const suffix = `01:00:${number.toString(16).padStart(2, '0')}`;
    const newest = (prefix: string, kind: string) =>
      observations.filter((o) => o.deviceId === `${prefix}:${suffix}` && o.kind === kind).at(-1);
    const value = (o: Observation | undefined, key: string) =>
      (o?.values as Record<string, { value: number }> | undefined)?.[key]?.value;
    const bp = newest('d0:b1:00', 'blood_pressure');
    const spo2 = newest('d0:5a:00', 'spo2');
    const inputs: News2Inputs = {
      respirationRate: round.vitals.respirationRate,
      consciousness: round.vitals.consciousness,
      onOxygen: round.vitals.onOxygen,
    };
    const set = <K extends keyof News2Inputs>(key: K, v: News2Inputs[K] | undefined) => {
      if (v !== undefined) inputs[key] = v;
    };
    set('systolic', value(bp, 'systolic'));
    set('pulse', value(spo2, 'pulseRate') ?? value(bp, 'pulseRate'));
    set('spo2', value(spo2, 'spo2'));
    set('temperature', value(newest('d0:7e:00', 'body_temperature'), 'temperature'));
    scores.set(number, [...(scores.get(number) ?? []), news2(inputs, 1)]);
  };
  // Scored just after the round's devices have sent (same tick), so each round sees its own readings.
  home.start();
  let handled = 0;
  const step = 1000;
  for (let t = 0; t < realMs; t += step) {
    vi.advanceTimersByTime(step);
    while (handled < rounds.length) onRound(rounds[handled++]!);
  }
  home.stop();
  return scores;
}

describe("the demo's NEWS2", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-03-02T09:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('is complete for residents on rounds, and rises for the deteriorating one over a demo day', () => {
    // 26 real minutes at the default speed: 26 demo hours.
    const scores = runCareHome(26 * MINUTE);
    const room4 = scores.get(4)!; // deteriorating
    const room1 = scores.get(1)!; // normal
    console.log(`demo NEWS2, Room 4 at each round: ${room4.map((r) => r.score).join(' ')}`);
    expect(room4.length).toBeGreaterThanOrEqual(6);
    for (const result of [...room4, ...room1]) expect(result.missing).toEqual([]);
    expect(room4[0]!.score).toBeLessThanOrEqual(2);
    expect(room4.at(-1)!.score).toBeGreaterThanOrEqual(7);
    // It rises through the middle bands on the way, rather than jumping from low to high.
    expect(room4.some((r) => r.score >= 3 && r.score <= 6)).toBe(true);
    for (const result of room1) expect(result.score).toBeLessThanOrEqual(2);
    // Room 3 has no oximeter or thermometer: no rounds, so no complete NEWS2 from the demo.
    expect(scores.has(3)).toBe(false);
  });
});
