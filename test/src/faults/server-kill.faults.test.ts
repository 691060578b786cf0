/**
 * Fault: the server process is killed with SIGKILL in the middle of a steady load (no shutdown
 * hook runs, SQLite is left mid-WAL) and started again a few seconds later. Its MQTT session is
 * persistent, so the broker queues the gateways' readings for it meanwhile and re-delivers
 * whatever it delivered but never got a PUBACK for.
 *
 * Counted (see harness.ts for the exact definitions): readings taken by the gateways against
 * rows in the `observations` table (lost, duplicated, measured_at changed), the broker's
 * acknowledgements, and fall alerts in the `alerts` table (missed, doubled: a re-delivered fall
 * must not count as a second occurrence).
 *
 * The ward socket is a secondary check with these definitions:
 * - duplicated at the socket: any reading pushed more than once to the nurse who stayed
 *   connected throughout (her socket reconnects by itself) or to a nurse who joined after the
 *   restart; a re-delivered reading the server already had must not be pushed again;
 * - lost at the socket: a reading the server stored after a second nurse had joined (after the
 *   restart) that did not reach her, or one stored more than REJOIN_MS after that that did not
 *   reach the first nurse (her socket reconnects with socket.io's backoff, capped at 5 s).
 *   Readings stored before the kill whose push died with the process, and readings stored
 *   after the restart before a nurse's socket had rejoined, are not counted: nobody was
 *   listening, and the dashboard reloads the ward when it reconnects.
 * "Recovered" is the time from the server's return (healthy) until every reading taken before
 * that moment is in the database.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WardWatcher } from '../system/ward-watcher.js';
import { fallsEvery } from '@wardline/firmware-sim';
import { FaultHarness } from './harness.js';

const RATE = 200;
const DURATION_MS = 32_000;
/** socket.io's reconnection backoff is capped at 5 s; then the rejoin. */
const REJOIN_MS = 8_000;
const FAULT_AT_MS = 6_000;
const DOWN_MS = 3_000;

describe('fault: server kill -9 under load', () => {
  let h: FaultHarness;
  let lateWatcher: WardWatcher | undefined;

  beforeAll(async () => {
    h = await FaultHarness.start({ name: 'server-kill', gateways: 30, seed: 31 });
  }, 120_000);

  afterAll(async () => {
    lateWatcher?.close();
    await h?.close();
  });

  it('loses, doubles and misses nothing when the server is killed and restarted', async () => {
    const load = h.runLoad(RATE, DURATION_MS, fallsEvery(1000, 500, DURATION_MS - 1000));
    await sleep(FAULT_AT_MS);
    const downAt = Date.now();
    await h.system.server.stop('SIGKILL');
    await sleep(DOWN_MS);
    await h.system.startServer();
    const backAt = Date.now();
    const backlog = [...h.taken.values()].filter((t) => t.takenAtMs <= backAt).map((t) => t.id);
    let joinedAt = Infinity;
    const [recoveredMs, watcher] = await Promise.all([
      h.waitStored(backlog, 60_000),
      h.system.watchWards().then((w) => {
        joinedAt = Date.now();
        return w;
      }),
    ]);
    lateWatcher = watcher;
    await load;
    const drained = await h.settle();

    const t = h.tally();
    const rows = h.rows();
    const storedAfterJoin = rows.filter((r) => Date.parse(r.received_at) > joinedAt).map((r) => r.id);
    const late = h.socketCheck(watcher, storedAfterJoin);
    const storedAfterRejoin = rows
      .filter((r) => Date.parse(r.received_at) > joinedAt + REJOIN_MS)
      .map((r) => r.id);
    const early = h.socketCheck(h.watcher, storedAfterRejoin);
    const notPushed = rows.filter((r) => !h.watcher.seen.has(r.id) && !watcher.seen.has(r.id)).length;
    console.log(
      h.summary(
        'server-kill',
        t,
        recoveredMs,
        `server down ${((backAt - downAt) / 1000).toFixed(1)} s, socket: ${late.missing} of ` +
          `${storedAfterJoin.length} stored after the restart missing (${early.missing} of ${storedAfterRejoin.length} for the nurse who stayed), repeats ${early.repeats + late.repeats}, ` +
          `${notPushed} stored readings never pushed (push lost with the process or before the socket rejoined)`,
      ),
    );
    h.expectIntact(t, {
      downAt,
      drained,
      recoveredMs,
      expectedTaken: Math.floor((DURATION_MS / 1000) * RATE) + t.falls,
      returning: 'server',
    });
    expect(storedAfterJoin.length, 'readings stored after the restart').toBeGreaterThan(500);
    expect(late.missing, 'readings stored after the restart never pushed').toBe(0);
    expect(storedAfterRejoin.length).toBeGreaterThan(200);
    expect(early.missing, 'readings stored after the restart never pushed to the reconnected nurse').toBe(0);
    expect(early.repeats + late.repeats, 'readings pushed twice').toBe(0);
  }, 170_000);
});
