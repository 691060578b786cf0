import { DEVICE_ID_PATTERN, parseObservationBatch } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import { FleetReadings, planFleet } from './index.js';

describe('fleet plan', () => {
  it('builds the same fleet from the same seed, and a different one from another seed', () => {
    const a = planFleet({ gateways: 50, residentsPerGateway: 4, seed: 11 });
    const b = planFleet({ gateways: 50, residentsPerGateway: 4, seed: 11 });
    const c = planFleet({ gateways: 50, residentsPerGateway: 4, seed: 12 });
    expect(b.residents.map((r) => r.scenario)).toEqual(a.residents.map((r) => r.scenario));
    expect(c.residents.map((r) => r.scenario)).not.toEqual(a.residents.map((r) => r.scenario));
  });

  it('gives every gateway its own user and every device a unique valid id, wards no larger than asked', () => {
    const plan = planFleet({ gateways: 120, residentsPerGateway: 3, seed: 1, bedsPerWard: 30 });
    expect(new Set(plan.gateways.map((g) => g.username)).size).toBe(120);
    const ids = plan.residents.flatMap((r) => r.devices.map((d) => d.id));
    expect(new Set(ids).size).toBe(120 * 3 * 4);
    expect(ids.every((id) => new RegExp(DEVICE_ID_PATTERN).test(id))).toBe(true);
    for (const ward of plan.wards) {
      const beds = ward.gateways.flatMap((g) => g.residents.map((r) => r.number));
      expect(beds.length).toBeLessThanOrEqual(30);
      expect(new Set(beds).size).toBe(beds.length);
      expect(
        ward.gateways.every((g) => g.site === ward.site && g.username === `${g.site}.${g.gateway}`),
      ).toBe(true);
    }
  });
});

describe('fleet readings', () => {
  const plan = planFleet({ gateways: 10, residentsPerGateway: 4, seed: 5, deterioratingShare: 0.5 });

  it('produces contract-valid observations with ids and values repeatable from the seed', () => {
    const take = () => {
      const readings = new FleetReadings(plan);
      return plan.gateways.flatMap((g) =>
        Array.from({ length: 30 }, (_, i) => readings.routine(g, 1_700_000_000_000 + i * 1000)),
      );
    };
    const first = take();
    expect(take()).toEqual(first);
    const parsed = parseObservationBatch({
      v: 1,
      sentAt: new Date().toISOString(),
      observations: first.slice(0, 300),
    });
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value.results.every((r) => r.result.ok)).toBe(true);
    expect(new Set(first.map((o) => o.id)).size).toBe(first.length);
    expect(new Set(first.map((o) => o.kind))).toEqual(
      new Set(['blood_pressure', 'spo2', 'body_temperature']),
    );
  });

  it('never gives two readings of a large fleet the same id', () => {
    // 10,000 gateways x 60 readings: seeded-PRNG ids collided here (13 of them).
    const big = planFleet({ gateways: 10_000, residentsPerGateway: 1, seed: 4 });
    const readings = new FleetReadings(big);
    const ids = new Set<string>();
    for (const g of big.gateways)
      for (let i = 0; i < 60; i++) ids.add(readings.routine(g, 1_700_000_000_000).id);
    expect(ids.size).toBe(600_000);
  });

  it('numbers each gateway’s readings in order and lets deteriorating residents deteriorate', () => {
    const readings = new FleetReadings(plan, { deteriorationMs: 3_600_000 });
    const gateway = plan.gateways.find((g) => g.residents.some((r) => r.scenario === 'deteriorating'))!;
    const sick = gateway.residents.find((r) => r.scenario === 'deteriorating')!;
    const spo2At = (elapsed: number) => {
      for (;;) {
        const o = readings.routine(gateway, 1_700_000_000_000 + elapsed, elapsed);
        if (o.kind === 'spo2' && o.deviceId === sick.devices.find((d) => d.model === 'pulse-oximeter')!.id)
          return { spo2: (o.values as { spo2: { value: number } }).spo2.value, seq: o.seq };
      }
    };
    const early = spo2At(0);
    const late = spo2At(3_600_000);
    expect(late.seq).toBeGreaterThan(early.seq);
    expect(late.spo2).toBeLessThan(early.spo2 - 3);
    const fall = readings.fall(gateway, sick, 1_700_000_000_000);
    expect(fall).toMatchObject({
      kind: 'fall',
      deviceId: sick.devices.find((d) => d.model === 'falls-sensor')!.id,
    });
  });

  it('follows a fall with a seeded aftermath: helped up, got up or a long lie, as contract observations', () => {
    const readings = new FleetReadings(plan);
    const FALL_AT = 1_700_000_000_000;
    const plans = plan.residents.map((r) => readings.fallAftermath(r, FALL_AT));
    expect(plan.residents.map((r) => new FleetReadings(plan).fallAftermath(r, FALL_AT))).toEqual(plans);
    expect(new Set(plans.map((p) => p.aftermath))).toEqual(new Set(['helped_up', 'got_up', 'long_lie']));
    const shapes = { helped_up: 'help_request,upright', got_up: 'upright', long_lie: 'no_movement' };
    for (const p of plans) {
      expect(p.events.map((e) => e.kind).join(',')).toBe(shapes[p.aftermath]);
      for (const e of p.events) expect(e.atMs).toBeGreaterThan(FALL_AT);
    }

    const gateway = plan.gateways[0]!;
    const resident = gateway.residents[0]!;
    const sensor = resident.devices.find((d) => d.model === 'falls-sensor')!.id;
    const sent = [
      readings.fall(gateway, resident, FALL_AT),
      readings.upright(gateway, resident, FALL_AT + 60_000),
      readings.noMovement(gateway, resident, FALL_AT + 300_000),
      readings.followUp(gateway, resident, FALL_AT + 400_000, 'help_request'),
    ];
    expect(sent.map((o) => [o.kind, o.deviceId, o.values])).toEqual([
      ['fall', sensor, { confidence: { value: 92, unit: '%' } }],
      ['upright', sensor, {}],
      ['no_movement', sensor, {}],
      ['help_request', sensor, {}],
    ]);
    expect(sent.map((o) => o.seq)).toEqual([0, 1, 2, 3]);
    const parsed = parseObservationBatch(
      { v: 1, sentAt: new Date(FALL_AT + 400_000).toISOString(), observations: sent },
      { now: FALL_AT + 400_000 },
    );
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.value.results.every((r) => r.result.ok)).toBe(true);
  });
});
