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
 * The hub's node flags and malloc setting against none, in the same test on the same node: their
 * point is the replay burst (a default young generation keeps 32 MiB of it). Measured on Node 22:
 * peak 1.43-1.47 times an idle `node --import tsx` with them, 2.04 without; Node 24 loads more
 * (1.71-1.91 with them); with the flags the peak was 0.76-0.79 of the peak without. The flags must cut the peak by a tenth at least, and the gateway must stay
 * within a budget of 2.2 times idle node whatever the line.
 */
const MAX_PEAK_WITH_FLAGS_VS_WITHOUT = 0.9;
const MAX_STEADY_RATIO = 2.2;
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

  /** One gateway replaying a backlog then reading its 8 devices; its RSS once settled, and peak. */
  async function replay(
    name: string,
    flags?: { nodeFlags: string[]; hubEnv: Record<string, string> },
    backlog = BACKLOG,
  ) {
    const outboxPath = join(dir.path, `${name}.db`);
    fillBacklog(outboxPath, backlog);
    const hub = await startHub({
      brokerPort: broker.port,
      outboxPath,
      launch,
      heartbeatSeconds: 1,
      ...flags,
    });
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
      // It did a hub's work while measured: the whole backlog delivered, all 8 devices connected.
      expect(health.outbox).toMatchObject({ pending: 0 });
      expect(health.outbox.acked).toBeGreaterThanOrEqual(backlog);
      expect(health.devices.filter((d) => d.connected)).toHaveLength(8);
      return { steadyKiB: steady.sort((a, b) => a - b)[steady.length >> 1]!, peakKiB };
    } finally {
      await hub.stop();
    }
  }

  it('replays a backlog and reads 8 devices in less memory with the hub flags, within a budget', async () => {
    // On a fresh machine the first gateway launched pays for tsx compiling every module (12 MiB
    // more at its peak, measured on Node 24); a production hub runs compiled JavaScript, so one
    // unmeasured run fills tsx's cache before the two that are compared.
    await replay('warm-up', undefined, 10);
    const hub = await replay('hub');
    const plain = await replay('plain', { nodeFlags: [], hubEnv: {} });
    const idleKiB = idle.sample().rssKiB;
    const mib = (kib: number) => (kib / 1024).toFixed(1);
    console.log(
      `hub RSS steady ${mib(hub.steadyKiB)} MiB, peak ${mib(hub.peakKiB)} MiB; without the hub flags ` +
        `${mib(plain.steadyKiB)} / ${mib(plain.peakKiB)} MiB; idle node ${mib(idleKiB)} MiB`,
    );
    expect(hub.peakKiB / plain.peakKiB).toBeLessThan(MAX_PEAK_WITH_FLAGS_VS_WITHOUT);
    expect(hub.steadyKiB / idleKiB).toBeLessThan(MAX_STEADY_RATIO);
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
