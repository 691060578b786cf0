/**
 * A small hub is enough: one real gateway process (noble on the simulated radio, 8 devices, the
 * SQLite outbox, a real broker process) replaying an outage's backlog and then reading its
 * devices stays within a set multiple of an idle node process's RSS, both launched the same way
 * and measured in this test. What it guards: the hub's node flags and malloc setting (a default
 * young generation keeps a replay burst's 32 MiB), mqtt's packet-id cache, the simulator loaded
 * only when wanted. Full figures: `npm run bench -- hub`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUB_ENV, HUB_NODE_FLAGS } from './hub-flags.js';
import {
  fillBacklog,
  launchFor,
  startBrokerProcess,
  startHub,
  startIdleNode,
  tempDir,
  type Baseline,
  type Broker,
} from './testing/hub-run.js';

/**
 * Measured 1.43-1.47 (steady and peak) on the development machine and 1.61 on a fresh CI clone,
 * against an idle `node --import tsx`; 2.04 without the hub's node flags and malloc setting, which
 * this must catch. The bounds sit between.
 */
const MAX_STEADY_RATIO = 1.8;
const MAX_PEAK_RATIO = 1.85;
const BACKLOG = 3000;

describe('one gateway process on a small hub', () => {
  const dir = tempDir('hub-test');
  const launch = launchFor();
  let broker: Broker;
  let idle: Baseline;
  beforeAll(async () => {
    [broker, idle] = await Promise.all([
      startBrokerProcess(dir.path, launch),
      startIdleNode(['--import', 'tsx']),
    ]);
  });
  afterAll(async () => {
    await broker?.stop();
    await idle?.stop();
    dir.remove();
  });

  it('replays a backlog and reads 8 devices within a multiple of an idle node process', async () => {
    const outboxPath = join(dir.path, 'outbox.db');
    fillBacklog(outboxPath, BACKLOG);
    const hub = await startHub({ brokerPort: broker.port, outboxPath, launch, heartbeatSeconds: 1 });
    try {
      let health = await hub.health();
      for (let i = 0; health.outbox.pending > 0 && i < 200; i++) {
        await sleep(100);
        health = await hub.health();
      }
      const steady: number[] = [];
      for (let i = 0; i < 6; i++) {
        await sleep(300);
        steady.push(hub.sample().rssKiB);
      }
      const { peakKiB } = hub.sample();
      health = await hub.health();
      const idleKiB = idle.sample().rssKiB;
      const steadyKiB = steady.sort((a, b) => a - b)[steady.length >> 1]!;
      const ratios = { steady: steadyKiB / idleKiB, peak: peakKiB / idleKiB };
      console.log(
        `hub RSS steady ${(steadyKiB / 1024).toFixed(1)} MiB, peak ${(peakKiB / 1024).toFixed(1)} MiB; ` +
          `idle node ${(idleKiB / 1024).toFixed(1)} MiB; ratios ${ratios.steady.toFixed(2)} / ${ratios.peak.toFixed(2)}`,
      );
      // It did a hub's work while measured: the whole backlog delivered, all 8 devices connected.
      expect(health.outbox).toMatchObject({ pending: 0 });
      expect(health.outbox.acked).toBeGreaterThanOrEqual(BACKLOG);
      expect(health.devices.filter((d) => d.connected)).toHaveLength(8);
      expect(ratios.steady).toBeLessThan(MAX_STEADY_RATIO);
      expect(ratios.peak).toBeLessThan(MAX_PEAK_RATIO);
    } finally {
      await hub.stop();
    }
  });

  it('npm start -w @wardline/gateway passes the hub flags to a real node process, no tsx wrapper', () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    const env = Object.entries(HUB_ENV).map(([name, value]) => `${name}=${value} `);
    expect(manifest.scripts.start).toBe(
      `${env.join('')}node ${HUB_NODE_FLAGS.join(' ')} --import tsx src/main.ts --simulate`,
    );
  });
});
