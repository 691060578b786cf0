/**
 * A load-generator worker thread: owns a contiguous share of the fleet's gateways, each on its own
 * raw TCP connection, and takes orders from the coordinator (LoadGenerator) over its port.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { planFleet } from '../fleet/plan.js';
import { FleetReadings } from '../fleet/readings.js';
import { GatewayPackets } from './packets.js';
import { noCounters, RawGateway, type Counters } from './raw-gateway.js';
import type { WorkerInit, WorkerReply, WorkerRequest, WorkerStats } from './protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const plan = planFleet(init.fleet);
const readings = new FleetReadings(plan);
const counters: Counters = noCounters();
const gateways: RawGateway[] = [];
for (let g = init.from; g < init.to; g++) {
  const gateway = plan.gateways[g]!;
  gateways.push(
    new RawGateway(
      new GatewayPackets(gateway, readings, init.salt, init.templateVariants),
      // The init carries every gateway's connection settings (WorkerInit extends them).
      { ...init, password: init.passwords[g - init.from]! },
      counters,
    ),
  );
}

let cursor = 0;
/** Readings per second handed out by this worker's own clock (rate mode); 0 when off. */
let rate = 0;
let rateStart = 0;
let rateIssued = 0;
let rateTimer: NodeJS.Timeout | null = null;

function stats(detail: boolean): WorkerStats {
  let connected = 0;
  let pending = 0;
  for (const g of gateways) {
    if (g.connected) connected++;
    pending += g.pending;
  }
  return {
    ...counters,
    connected,
    pending,
    ...(detail ? { seq: gateways.map((g) => g.seq), ackedPerGateway: gateways.map((g) => g.acked) } : {}),
  };
}

function reply(message: WorkerReply): void {
  port.postMessage(message);
}

/** Spreads `count` readings over the gateways in turn, measured at `atMs`. */
function take(count: number, atMs: number): void {
  const n = gateways.length;
  const each = Math.floor(count / n);
  let rest = count - each * n;
  if (each > 0)
    for (const g of gateways) {
      g.take(each, atMs);
      g.pump();
    }
  while (rest-- > 0) {
    const g = gateways[cursor]!;
    g.take(1, atMs);
    g.pump();
    cursor = cursor + 1 === n ? 0 : cursor + 1;
  }
}

function setRate(perSecond: number): void {
  for (const g of gateways) g.unlimited = perSecond === Infinity;
  if (rateTimer) clearInterval(rateTimer);
  rateTimer = null;
  rate = perSecond;
  if (perSecond === Infinity) {
    for (const g of gateways) g.pump();
    return;
  }
  if (perSecond <= 0) return;
  rateStart = performance.now();
  rateIssued = 0;
  rateTimer = setInterval(() => {
    const due = Math.floor(((performance.now() - rateStart) / 1000) * rate);
    if (due > rateIssued) take(due - rateIssued, Date.now());
    rateIssued = due;
  }, 5);
}

async function connectAll(concurrency: number): Promise<{ connected: number; failed: number }> {
  let next = 0;
  let connected = 0;
  let failed = 0;
  const worker = async () => {
    while (next < gateways.length) {
      const g = gateways[next++]!;
      if (await g.connect()) connected++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, gateways.length) }, worker));
  return { connected, failed };
}

const keepAlive = setInterval(() => {
  const now = performance.now();
  for (const g of gateways) g.keepAlive(now);
}, 1000);

const ticker = setInterval(() => reply({ type: 'stats', stats: stats(false) }), 100);

port.on('message', (request: WorkerRequest) => {
  const answer = (body: Omit<Extract<WorkerReply, { type: 'done' }>, 'type' | 'reqId'> = {}) =>
    reply({ type: 'done', reqId: request.reqId, ...body });
  switch (request.type) {
    case 'connect':
      void connectAll(init.connectConcurrency).then((r) => answer({ connect: r }));
      return;
    case 'take':
      take(request.count, request.atMs);
      return;
    case 'rate':
      setRate(request.perSecond);
      return answer();
    case 'history': {
      const step = (request.toMs - request.fromMs) / Math.max(1, request.perGateway);
      for (const g of gateways) g.take(request.perGateway, request.fromMs + step / 2, step);
      for (const g of gateways) g.pump();
      return answer();
    }
    case 'fall': {
      const g = gateways[request.gateway - init.from]!;
      const resident = g.packets.gateway.residents[request.resident]!;
      return answer({ fall: g.fall(resident, request.atMs) });
    }
    case 'offline':
      for (const g of gateways) g.goOffline();
      return answer();
    case 'online':
      // All at once, as a storm: every gateway's connection attempt starts now.
      void Promise.all(gateways.map((g) => g.connect(1_000_000))).then((oks) =>
        answer({ connect: { connected: oks.filter(Boolean).length, failed: oks.filter((o) => !o).length } }),
      );
      return;
    case 'stats':
      return answer({ stats: stats(request.detail === true) });
    case 'close':
      setRate(0);
      clearInterval(keepAlive);
      clearInterval(ticker);
      void Promise.all(gateways.map((g) => g.close())).then(() => {
        answer({ stats: stats(true) });
        port.close();
      });
      return;
  }
});

reply({ type: 'ready' });
