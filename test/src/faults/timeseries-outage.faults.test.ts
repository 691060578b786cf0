/**
 * Fault: the time-series engine goes away for a minute under steady load. The server runs with
 * the InfluxDB adapter (WARDLINE_INFLUX_*) writing to VictoriaMetrics's /api/v2/write; the
 * engine is stopped by its PID and started again on the same port and data dir. Readings keep
 * being stored in SQLite and acknowledged, the points wait in the server's durable spool, and
 * when the engine returns the spool drains. WARDLINE_OUTAGE_SECONDS shortens the outage for a
 * quick local run (default 60).
 *
 * Counted (see harness.ts for the exact definitions): readings taken by the gateways against
 * rows in the `observations` table (lost, duplicated, measured_at changed), fall alerts
 * (missed, doubled), the ward socket (the server never restarts here, so every reading is
 * pushed exactly once), and, in the engine, one `<kind>_seq` sample per reading: every
 * taken reading's (kind, device, seq) at its measurement time, exactly once, and no sample
 * that no gateway took. The server's own count of points written must equal the readings
 * stored (a point written twice would count twice). "Recovered" is the time from the engine's
 * return until the server's spool is empty.
 */
import type { Health } from '@wardline/protocol';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exportVictoriaMetrics,
  startVictoriaMetrics,
  type RunningEngine,
} from '../../../server/src/testing-engines.js';
import { fallsEvery } from '@wardline/firmware-sim';
import { FaultHarness } from './harness.js';

const OUTAGE_MS = Number(process.env.WARDLINE_OUTAGE_SECONDS ?? 60) * 1000;
const RATE = 100;
const FAULT_AT_MS = 5_000;
const DURATION_MS = FAULT_AT_MS + OUTAGE_MS + 8_000;
/** Falls go to distinct residents (100 of them): at most 60 in the run, at least a second apart. */
const FALL_EVERY_MS = Math.max(1000, Math.ceil(DURATION_MS / 60));

describe('fault: time-series engine outage under load', () => {
  let vm: RunningEngine;
  let h: FaultHarness;

  beforeAll(async () => {
    vm = await startVictoriaMetrics();
    h = await FaultHarness.start({
      name: 'timeseries-outage',
      gateways: 25,
      residentsPerGateway: 4,
      seed: 41,
      serverEnv: {
        WARDLINE_INFLUX_URL: vm.url,
        WARDLINE_INFLUX_BUCKET: 'wardline',
        WARDLINE_INFLUX_ORG: 'wardline',
        WARDLINE_INFLUX_TOKEN: '',
        WARDLINE_INFLUX_TIMEOUT_MS: '2000',
      },
    });
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    await vm?.destroy();
  });

  const health = async (): Promise<Health> => {
    const res = await fetch(`${h.system.httpUrl}/api/health`);
    return (await res.json()) as Health;
  };

  /** Every `<kind>_seq` sample in the engine, as `kind|device|seq|ms` -> how many times. */
  async function enginePoints(): Promise<Map<string, number>> {
    const series = await exportVictoriaMetrics(vm.url, '{__name__=~".+_seq"}');
    const points = new Map<string, number>();
    for (const s of series) {
      const kind = s.metric.__name__!.replace(/_seq$/, '');
      s.timestamps.forEach((ms, i) => {
        const key = `${kind}|${s.metric.device}|${s.values[i]}|${ms}`;
        points.set(key, (points.get(key) ?? 0) + 1);
      });
    }
    return points;
  }

  const pointKey = (r: { kind: string; deviceId: string; seq: number; measuredAt: string }) =>
    `${r.kind}|${r.deviceId}|${r.seq}|${Date.parse(r.measuredAt)}`;

  it(
    'keeps every reading through the outage and writes each to the engine exactly once',
    async () => {
      const load = h.runLoad(RATE, DURATION_MS, fallsEvery(FALL_EVERY_MS, 500, DURATION_MS - 1000));
      await sleep(FAULT_AT_MS);
      const writtenBefore = (await health()).timeSeries.written;
      await vm.stop();
      const downAt = Date.now();
      // While the engine is down readings are still stored, pushed and alerted on.
      let sawRetrying = false;
      while (Date.now() - downAt < OUTAGE_MS) {
        const body = await health();
        if (body.timeSeries.state === 'retrying' || body.timeSeries.state === 'full') sawRetrying = true;
        await sleep(1000);
      }
      const storedDuringOutage = h.rows().filter((r) => Date.parse(r.received_at) > downAt + 3000).length;
      const spooledAtReturn = (await health()).timeSeries.spooled;
      await vm.start();
      const backAt = Date.now();
      let recoveredMs: number | null = null;
      while (Date.now() - backAt < 90_000) {
        if ((await health()).timeSeries.spooled === 0) {
          recoveredMs = Date.now() - backAt;
          break;
        }
        await sleep(250);
      }
      await load;
      const drained = await h.settle();
      const taken = [...h.taken.values()];
      const expected = new Set(taken.map(pointKey));
      let points = new Map<string, number>();
      for (const started = Date.now(); Date.now() - started < 60_000; await sleep(1000)) {
        points = await enginePoints();
        if ((await health()).timeSeries.spooled === 0 && [...expected].every((k) => points.has(k))) break;
      }
      const final = await health();

      const t = h.tally();
      const socket = h.socketCheck(
        h.watcher,
        taken.map((r) => r.id),
      );
      const engineLost = [...expected].filter((k) => !points.has(k)).length;
      const engineDuplicated = [...points.values()].reduce((n, c) => n + c - 1, 0);
      const engineUnknown = [...points.keys()].filter((k) => !expected.has(k)).length;
      console.log(
        h.summary(
          'timeseries-outage',
          t,
          recoveredMs,
          `engine down ${((backAt - downAt) / 1000).toFixed(0)} s, ${spooledAtReturn} points spooled at its return, ` +
            `engine: ${points.size} points, lost ${engineLost}, duplicated ${engineDuplicated + engineUnknown}, ` +
            `server wrote ${final.timeSeries.written}, socket missing ${socket.missing}, repeats ${socket.repeats}`,
        ),
      );
      expect(t.lost.length, h.describeLost(t.lost, downAt)).toBe(0);
      expect(drained, 'every reading acknowledged by the broker').toBe(true);
      expect(t.taken).toBe(Math.floor((DURATION_MS / 1000) * RATE) + t.falls);
      expect(t.duplicated, 'readings duplicated').toBe(0);
      expect(t.timeMismatches, 'measured_at changed').toBe(0);
      expect(t.stored).toBe(t.taken);
      expect(t.missed, 'fall alerts missed').toEqual([]);
      expect(t.doubled, 'fall alerts doubled').toBe(0);
      expect(t.fallAlerts).toBe(t.falls);
      expect(socket.missing, 'readings never pushed to the ward socket').toBe(0);
      expect(socket.repeats, 'readings pushed twice').toBe(0);
      // The outage was real and ingest carried on through it.
      expect(writtenBefore).toBeGreaterThan(0);
      expect(sawRetrying, 'health showed the engine failing').toBe(true);
      expect(storedDuringOutage).toBeGreaterThan(((OUTAGE_MS - 5000) / 1000) * RATE * 0.5);
      expect(spooledAtReturn).toBeGreaterThan(0);
      // The engine: each reading once, nothing else.
      expect(recoveredMs, 'the spool drained into the engine within 90 s').not.toBeNull();
      expect(engineLost, 'readings missing from the engine').toBe(0);
      expect(engineDuplicated, 'readings written to the engine twice').toBe(0);
      expect(engineUnknown, 'engine points no gateway took').toBe(0);
      expect(points.size).toBe(t.taken);
      expect(final.timeSeries).toMatchObject({ state: 'ok', spooled: 0, written: t.stored });
    },
    240_000 + OUTAGE_MS,
  );
});
