/**
 * Reconnect storm: every gateway has been offline for an hour and has an hour of readings in
 * its outbox; all reconnect at once and replay (urgent first, then batches of 100). Measured:
 * time until all are connected again, the drain rate until every reading is on the nurse's
 * socket, falls landing during the drain timed to their alert, and the server's memory. The
 * fleet is the load generator (raw sockets, pre-encoded batches, worker threads).
 */
import type { GeneratorFall } from '@wardline/firmware-sim/loadgen';
import { setTimeout as sleep } from 'node:timers/promises';
import { scaled, startGeneratorStage, stopGeneratorStage, waitFor } from './load.js';
import { fmt, latencySummary, progress } from './report.js';

export async function measureReconnectStorm(gateways: number, readingsPerGatewayHour: number) {
  gateways = scaled(gateways, 20);
  const stage = await startGeneratorStage(
    'storm',
    { gateways, residentsPerGateway: 1, seed: 4, bedsPerWard: 200 },
    { batch: { min: 100, max: 100 } },
  );
  const { generator, system } = stage;
  const watcher = stage.watcher!;
  const serverSeededBytes = system.server.rssBytes();
  progress(`storm: ${fmt.int(gateways)} gateways go offline and queue an hour of readings each`);
  await generator.goOffline();
  const now = Date.now();
  await generator.history(readingsPerGatewayHour, now - 3_600_000, now);
  const backlog = (await generator.freshTotals()).pending;
  const started = performance.now();
  const reconnected = await generator.reconnect();
  const reconnectSeconds = (performance.now() - started) / 1000;
  progress(
    `storm: ${fmt.int(reconnected.connected)} reconnected in ${reconnectSeconds.toFixed(1)} s; draining ${fmt.int(backlog)} readings`,
  );

  const falls: GeneratorFall[] = [];
  let draining = true;
  const fallLoop = (async () => {
    while (draining) {
      await sleep(250);
      if (!draining) break;
      falls.push(await generator.fall());
    }
  })();
  const report = setInterval(
    () =>
      progress(`storm: ${fmt.int(watcher.seen.size)} of ${fmt.int(backlog)} replayed readings on the socket`),
    5000,
  );
  // The replayed hour is through once the socket has seen it all (falls keep arriving meanwhile).
  const drained = await waitFor(() => watcher.seen.size - falls.length >= backlog, 900_000);
  const drainSeconds = (performance.now() - started) / 1000;
  draining = false;
  clearInterval(report);
  await fallLoop;
  await generator.drained(60_000);
  const { taken, acked, drops } = await generator.freshTotals();
  await waitFor(() => watcher.seen.size >= taken, 60_000);
  await waitFor(() => watcher.alerted(falls), 30_000);
  const latencies = watcher.fallLatencies(falls);
  // Where a slow fall spent its time: until the server opened its alert, and from then to the socket.
  const slow = falls
    .map((f) => ({ f, alert: watcher.fallAlerts.get(f.deviceId) }))
    .filter(({ f, alert }) => !alert || alert.arrivedAtMs - f.measuredAtMs >= 1000)
    .map(({ f, alert }) =>
      alert
        ? `${((f.measuredAtMs - performance.timeOrigin - started) / 1000).toFixed(1)} s into the storm: ` +
          `opened after ${fmt.int(alert.openedAtMs - f.measuredAtMs)} ms, on the socket ${fmt.int(alert.arrivedAtMs - alert.openedAtMs)} ms later`
        : `${f.deviceId}: no alert`,
    );
  if (slow.length > 0) progress(`storm: falls over 1 s: ${slow.join('; ')}`);
  const serverDrainedBytes = system.server.rssBytes();
  const stored = system.storedReadings();
  if (stored !== taken)
    progress(
      `storm: ${fmt.int(taken)} taken, ${fmt.int(acked)} acknowledged by the broker, ${fmt.int(stored)} stored`,
    );
  await stopGeneratorStage(stage);
  return {
    gateways,
    backlog,
    drained,
    reconnectSeconds,
    drainSeconds,
    drainPerSecond: watcher.seen.size / drainSeconds,
    taken,
    stored,
    lost: taken - stored,
    acked,
    droppedConnections: drops,
    falls: falls.length,
    fallsMissed: falls.length - latencies.length,
    fallLatency: latencySummary(latencies),
    beds: stage.plan.residents.length,
    serverSeededBytes,
    serverDrainedBytes,
  };
}
