/**
 * The load generator's pre-encoded packets on raw sockets are real gateway traffic: the real
 * broker (own credentials per gateway, persistent sessions) and the real server take every
 * reading, store each once, push each once, and a fall on the urgent lane becomes an alert, also
 * after every gateway dropped off and reconnected with readings in flight and queued.
 */
import { planFleet } from '@wardline/firmware-sim';
import { LoadGenerator } from '@wardline/firmware-sim/loadgen';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitUntil } from './support.js';
import { WardlineSystem } from './system/system.js';
import type { WardWatcher } from './system/ward-watcher.js';

describe('load generator against the whole system', () => {
  const plan = planFleet({ gateways: 50, residentsPerGateway: 2, seed: 21, bedsPerWard: 40 });
  let system: WardlineSystem;
  let watcher: WardWatcher;
  let generator: LoadGenerator | undefined;

  beforeAll(async () => {
    system = await WardlineSystem.start({ plan, dir: tempDir('loadgen') });
    watcher = await system.watchWards();
  }, 60_000);

  afterAll(async () => {
    await generator?.close();
    watcher?.close();
    await system?.stop();
  });

  it('delivers every reading from 50 raw-socket gateways once, through a drop-out, and a fall as an alert', async () => {
    const started = await LoadGenerator.start(plan, {
      url: system.brokerUrl,
      password: system.gatewayPassword,
      workers: 2,
      batch: { min: 1, max: 5 },
    });
    generator = started.generator;
    expect(started).toMatchObject({ connected: 50, failed: 0 });

    generator.take(300);
    const fall = await generator.fall();
    expect(await generator.drained(10_000)).toBe(true);
    // Every gateway drops off without a goodbye while holding readings, then all reconnect at once.
    generator.take(100);
    await generator.goOffline();
    generator.take(100);
    const back = await generator.reconnect();
    expect(back).toEqual({ connected: 50, failed: 0 });
    expect(await generator.drained(10_000)).toBe(true);

    const totals = await generator.freshTotals();
    expect(totals).toMatchObject({ taken: 501, acked: 501, pending: 0 });
    // Batches in flight when the gateways dropped went again, DUP, on the new connections.
    expect(totals.resent).toBeGreaterThan(0);
    const sent = 501;
    await waitUntil(() => watcher.seen.size >= sent, `all ${sent} readings on the ward socket`, 15_000);
    expect(watcher.seen.size).toBe(sent);
    expect(watcher.repeats).toBe(0);

    const { seq } = await generator.perGateway();
    const expected = new Set(
      seq.flatMap((n, g) => Array.from({ length: n }, (_, s) => generator!.idFor(g, s))),
    );
    expect(expected.size).toBe(sent);
    const stored = system.query<{ id: string; seq: number; gateway_id: string }>(
      'SELECT id, seq, gateway_id FROM observations',
    );
    expect(stored).toHaveLength(sent);
    expect(new Set(stored.map((r) => r.id))).toEqual(expected);

    await waitUntil(() => watcher.alerted([fall]), 'the fall alert', 10_000);
    expect(
      system.query('SELECT id FROM observations WHERE id = ? AND kind = ?', fall.id, 'fall'),
    ).toHaveLength(1);
  }, 60_000);
});
