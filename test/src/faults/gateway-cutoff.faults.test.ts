/**
 * Fault: one gateway loses its network for an hour of simulated time while the rest of the
 * fleet keeps a steady load. While cut off it takes an hour's worth of readings measured at
 * their own past times, and a fall half-way through the hour; it then reconnects and replays
 * its outbox (fall first, then the history in order, then what the steady load queued on it).
 *
 * Counted (see harness.ts for the exact definitions): readings taken against rows in the
 * `observations` table (lost, duplicated) and, for the cut-off gateway, measured_at in the
 * database equal to the measurement time the reading was taken with (not the time it
 * arrived); fall alerts (the fall during the outage and the live ones on other gateways:
 * missed, doubled); and the ward socket, since the server stays up: every reading, replayed
 * or live, pushed exactly once. "Recovered" is the time from the reconnect until every
 * reading the gateway took while cut off is in the database.
 */
import type { FleetGatewayClient, FleetResident } from '@wardline/firmware-sim';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultHarness } from './harness.js';

const RATE = 200;
const DURATION_MS = 16_000;
const CUT_AT_MS = 3_000;
const CUT_FOR_MS = 6_000;
const HOUR_MS = 3_600_000;
/** One reading every 6 s of the missing hour. */
const HISTORY = 600;

describe('fault: one gateway cut off for an hour', () => {
  let h: FaultHarness;

  beforeAll(async () => {
    h = await FaultHarness.start({ name: 'gateway-cutoff', gateways: 30, seed: 51 });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
  });

  /** A fall on a connected gateway's resident who has not fallen, never on `exclude`. */
  function liveFall(exclude: FleetGatewayClient, fallen: Set<number>): void {
    const client = h.fleet.clients.find(
      (c) => c !== exclude && c.connected && c.gateway.residents.some((r) => !fallen.has(r.index)),
    );
    if (!client) throw new Error('no resident left to fall');
    const resident = client.gateway.residents.find((r) => !fallen.has(r.index))!;
    takeFall(client, resident, Date.now(), fallen);
  }

  function takeFall(
    client: FleetGatewayClient,
    resident: FleetResident,
    atMs: number,
    fallen: Set<number>,
  ): string {
    fallen.add(resident.index);
    const observation = h.fleet.readings.fall(client.gateway, resident, atMs);
    client.take(observation);
    const sensor = resident.devices.find((d) => d.model === 'falls-sensor')!;
    h.falls.set(sensor.id, { id: observation.id, takenAtMs: Date.now() });
    return sensor.id;
  }

  it('replays the hour exactly once with its measurement times and raises the fall once', async () => {
    const cut = h.fleet.clients[7]!;
    const fallen = new Set<number>();
    const load = h.runLoad(RATE, DURATION_MS, []);
    const falls = setInterval(() => liveFall(cut, fallen), 1000);
    try {
      await sleep(CUT_AT_MS);
      await cut.goOffline();
      const cutAt = Date.now();
      h.fleet.takeHistory(cut, cutAt - HOUR_MS, cutAt, HISTORY);
      const fallSensor = takeFall(cut, cut.gateway.residents[0]!, cutAt - HOUR_MS / 2, fallen);
      await sleep(CUT_FOR_MS);
      const whileCut = [...h.taken.values()].filter(
        (t) => t.gateway === cut.gateway.username && t.takenAtMs >= cutAt,
      );
      expect(cut.pending, 'the cut-off gateway queued its readings').toBeGreaterThanOrEqual(HISTORY + 1);
      await cut.connect();
      const backAt = Date.now();
      const replay = whileCut.map((t) => t.id);
      const recoveredMs = await h.waitStored(replay, 60_000);
      await load;
      clearInterval(falls);
      const drained = await h.settle();

      const t = h.tally();
      const rows = new Map(h.rows().map((r) => [r.id, r]));
      const history = whileCut.filter((r) => Date.parse(r.measuredAt) < cutAt - 1000);
      const historyStored = history.filter((r) => rows.has(r.id));
      const historyTimesKept = historyStored.filter(
        (r) => Date.parse(rows.get(r.id)!.measured_at) === Date.parse(r.measuredAt),
      );
      const [fallAlert] = h.query<{ trigger_measured_at: string; occurrences: number }>(
        `SELECT trigger_measured_at, occurrences FROM alerts WHERE condition = 'fall' AND device_id = '${fallSensor}'`,
      );
      const socket = h.socketCheck(h.watcher, h.taken.keys());
      console.log(
        h.summary(
          'gateway-cutoff',
          t,
          recoveredMs,
          `${history.length} readings from the missing hour, ${historyTimesKept.length} stored with their ` +
            `measurement time, outage fall alert ${fallAlert ? 'raised' : 'missing'}, ` +
            `socket missing ${socket.missing}, repeats ${socket.repeats}`,
        ),
      );
      expect(t.lost.length, h.describeLost(t.lost, backAt)).toBe(0);
      expect(drained, 'every reading acknowledged by the broker').toBe(true);
      expect(recoveredMs, 'the replay stored within a minute of the reconnect').not.toBeNull();
      expect(t.taken).toBe(Math.floor((DURATION_MS / 1000) * RATE) + HISTORY + t.falls);
      expect(t.duplicated, 'readings duplicated').toBe(0);
      expect(t.stored).toBe(t.taken);
      expect(history).toHaveLength(HISTORY + 1);
      expect(historyStored).toHaveLength(history.length);
      expect(historyTimesKept).toHaveLength(history.length);
      expect(t.timeMismatches, 'measured_at changed').toBe(0);
      expect(t.falls).toBeGreaterThanOrEqual(10);
      expect(t.missed, 'fall alerts missed').toEqual([]);
      expect(t.doubled, 'fall alerts doubled').toBe(0);
      expect(t.fallAlerts).toBe(t.falls);
      expect(fallAlert, 'the fall during the outage raised an alert').toBeDefined();
      expect(fallAlert!.occurrences).toBe(1);
      expect(Date.parse(fallAlert!.trigger_measured_at)).toBe(cutAt - HOUR_MS / 2);
      expect(socket.missing, 'readings never pushed to the ward socket').toBe(0);
      expect(socket.repeats, 'readings pushed twice').toBe(0);
    } finally {
      clearInterval(falls);
    }
  }, 150_000);
});
