/**
 * Fault: the MQTT broker process restarts in the middle of a steady load, first gracefully
 * (SIGTERM), then killed outright (SIGKILL). The broker keeps sessions and queued messages in
 * its LevelDB data dir; the gateways (mqtt.js, clean: false) re-send every batch not yet
 * acknowledged, and the server's persistent session gets what was queued for it.
 *
 * Counted (see harness.ts for the exact definitions): readings taken by the gateways against
 * rows in the server's `observations` table (lost, duplicated, measured_at changed), the broker's
 * acknowledgements (every taken reading acknowledged), fall alerts in the `alerts` table
 * (missed, doubled), and the nurse's ward socket: the server never restarts here, so it must
 * push every reading exactly once. "Recovered" is the time from the broker's return until
 * every reading taken before that moment is in the database.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fallsEvery } from '@wardline/firmware-sim';
import { FaultHarness } from './harness.js';

const RATE = 200;
const DURATION_MS = 20_000;
const FAULT_AT_MS = 6_000;
const DOWN_MS = 3_000;

describe('fault: broker restart under load', () => {
  let h: FaultHarness;

  beforeAll(async () => {
    h = await FaultHarness.start({ name: 'broker-restart', gateways: 30, seed: 21 });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`loses, doubles and misses nothing across a ${signal} restart`, async () => {
      const phaseStart = Date.now();
      const load = h.runLoad(RATE, DURATION_MS, fallsEvery(1000, 500, DURATION_MS - 1000));
      await sleep(FAULT_AT_MS);
      const downAt = Date.now();
      await h.system.broker.stop(signal);
      await sleep(DOWN_MS);
      await h.system.startBroker();
      const backAt = Date.now();
      const backlog = [...h.taken.values()].filter((t) => t.takenAtMs <= backAt).map((t) => t.id);
      const recoveredMs = await h.waitStored(backlog, 60_000);
      await load;
      const drained = await h.settle();

      const t = h.tally(phaseStart);
      const socket = h.socketCheck(
        h.watcher,
        [...h.taken.values()].filter((r) => r.takenAtMs >= phaseStart).map((r) => r.id),
      );
      console.log(
        h.summary(
          `broker-restart (${signal})`,
          t,
          recoveredMs,
          `broker down ${((backAt - downAt) / 1000).toFixed(1)} s, socket missing ${socket.missing}, socket repeats ${socket.repeats}`,
        ),
      );
      h.expectIntact(t, {
        downAt,
        drained,
        recoveredMs,
        expectedTaken: Math.floor((DURATION_MS / 1000) * RATE) + t.falls,
        returning: 'broker',
      });
      expect(socket.missing, 'readings never pushed to the ward socket').toBe(0);
      expect(socket.repeats, 'readings pushed twice').toBe(0);
    }, 150_000);
  }
});
