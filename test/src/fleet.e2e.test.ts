import { FleetRunner, planFleet } from '@wardline/firmware-sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitUntil } from './support.js';
import { WardlineSystem } from './system/system.js';
import type { WardWatcher } from './system/ward-watcher.js';

describe('fleet simulator against the whole system', () => {
  const plan = planFleet({ gateways: 30, residentsPerGateway: 2, seed: 7, bedsPerWard: 20 });
  let system: WardlineSystem;
  let fleet: FleetRunner;
  let watcher: WardWatcher;

  beforeAll(async () => {
    system = await WardlineSystem.start({ plan, dir: tempDir('fleet') });
    watcher = await system.watchWards();
    fleet = new FleetRunner(plan, { url: system.brokerUrl, password: system.gatewayPassword });
  }, 120_000);

  afterAll(async () => {
    watcher?.close();
    await fleet?.closeAll();
    await system?.stop();
  });

  it('connects every gateway with its own credentials and delivers every reading once, falls as alerts', async () => {
    const progress = await fleet.connectAll(50);
    expect(progress).toEqual({ connected: 30, failed: 0, total: 30 });
    const falls: string[] = [];
    await fleet.runLoad({
      readingsPerSecond: 400,
      durationMs: 3000,
      script: [
        { atMs: 500, type: 'fall' },
        { atMs: 800, type: 'dropout', gateways: 5, forMs: 1000 },
        { atMs: 1500, type: 'fall' },
      ],
      onFall: (fall) => falls.push(fall.deviceId),
    });
    expect(await fleet.drained(30_000)).toBe(true);
    const taken = fleet.taken;
    expect(taken).toBe(1200 + 2);
    await waitUntil(() => watcher.seen.size === taken, `all ${taken} readings on the ward socket`, 30_000);
    expect(watcher.repeats).toBe(0);
    expect(falls).toHaveLength(2);
    await waitUntil(() => falls.every((id) => watcher.fallAlerts.has(id)), 'both fall alerts', 10_000);
  }, 90_000);
});
