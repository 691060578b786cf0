/**
 * A load generator that can outrun the system: the fleet's gateways spread over worker threads,
 * each gateway on its own raw TCP connection with its own credentials and a persistent session,
 * sending pre-encoded QoS 1 batches (see packets.ts) and counting PUBACKs. The coordinator hands
 * out readings (`take`, or a steady or flat-out rate), plays falls, drop-outs and reconnect
 * storms, and says what was sent and acknowledged, per gateway, so that a benchmark can check on
 * the server's side that no reading was lost or stored twice (`readingId(prefixes[g], seq)` for
 * seq 0..seq[g]-1 are the ids sent).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { FleetGateway, FleetPlan, FleetResident } from '../fleet/plan.js';
import { Rng, mixSeed } from '../prng.js';
import { idPrefix, readingId } from './packets.js';
import { noCounters } from './raw-gateway.js';
import type { WorkerInit, WorkerOrder, WorkerReply, WorkerStats } from './protocol.js';

export interface LoadGeneratorOptions {
  /** mqtt://host:port of the broker. */
  url: string;
  password: (gateway: FleetGateway) => string;
  /** Worker threads; default the machine's cores. */
  workers?: number;
  /** Routine batches awaiting PUBACK per connection; default 1, as the gateway. */
  window?: number;
  /** Readings per batch: a batch takes what is queued, at most a size cycling from min to max. Default 1..5. */
  batch?: { min?: number; max: number };
  /** Default 30 s, as the gateway. */
  keepaliveSeconds?: number;
  /** Retained online status on connect and an offline will, as the gateway. Default true. */
  announce?: boolean;
  /** Makes the run's reading ids; default random (ids unique across runs). */
  salt?: string;
  /** CONNECT handshakes under way at once per worker; default 100. */
  connectConcurrency?: number;
  reconnectMs?: number;
  /** Routine readings kept per device as templates (their values differ). Default 2. */
  templateVariants?: number;
}

export type GeneratorTotals = Omit<WorkerStats, 'seq' | 'ackedPerGateway'>;

export interface RunResult {
  /** Readings acknowledged by the broker per second over the measured stretch. */
  ackedPerSecond: number;
  messagesPerSecond: number;
  acked: number;
  seconds: number;
}

export interface GeneratorFall {
  id: string;
  deviceId: string;
  gateway: FleetGateway;
  resident: FleetResident;
  measuredAtMs: number;
}

interface WorkerHandle {
  worker: Worker;
  from: number;
  to: number;
  stats: WorkerStats;
}

const emptyStats = (): WorkerStats => ({ ...noCounters(), connected: 0, pending: 0 });

export class LoadGenerator {
  readonly #workers: WorkerHandle[] = [];
  readonly #waiting = new Map<number, (reply: Extract<WorkerReply, { type: 'done' }>) => void>();
  #reqId = 0;
  readonly salt: string;
  readonly #rng: Rng;
  readonly #fallen = new Set<number>();
  #closed = false;

  private constructor(
    readonly plan: FleetPlan,
    options: LoadGeneratorOptions,
  ) {
    this.salt = options.salt ?? randomBytes(8).toString('hex');
    this.#rng = new Rng(mixSeed(plan.options.seed, 0x10ad6e));
  }

  /** Starts the workers and connects every gateway (at most `connectConcurrency` handshakes per worker). */
  static async start(
    plan: FleetPlan,
    options: LoadGeneratorOptions,
  ): Promise<{ generator: LoadGenerator; connected: number; failed: number }> {
    const generator = new LoadGenerator(plan, options);
    await generator.#spawn(options);
    const replies = await generator.#all({ type: 'connect' });
    const connected = replies.reduce((n, r) => n + (r.connect?.connected ?? 0), 0);
    const failed = replies.reduce((n, r) => n + (r.connect?.failed ?? 0), 0);
    return { generator, connected, failed };
  }

  async #spawn(options: LoadGeneratorOptions): Promise<void> {
    const url = new URL(options.url);
    const gateways = this.plan.gateways;
    const count = Math.max(1, Math.min(options.workers ?? availableParallelism(), gateways.length));
    const batchMax = options.batch?.max ?? 5;
    const ready: Promise<void>[] = [];
    for (let w = 0; w < count; w++) {
      const from = Math.floor((w * gateways.length) / count);
      const to = Math.floor(((w + 1) * gateways.length) / count);
      const init: WorkerInit = {
        fleet: this.plan.options,
        from,
        to,
        passwords: gateways.slice(from, to).map((g) => options.password(g)),
        host: url.hostname,
        port: Number(url.port || 1883),
        salt: this.salt,
        keepaliveSeconds: options.keepaliveSeconds ?? 30,
        announce: options.announce ?? true,
        window: options.window ?? 1,
        batchMin: Math.min(batchMax, options.batch?.min ?? 1),
        batchMax,
        reconnectMs: options.reconnectMs ?? 2000,
        connectConcurrency: options.connectConcurrency ?? 100,
        templateVariants: options.templateVariants ?? 2,
      };
      // From source the worker is TypeScript and needs tsx's loader whether or not this process
      // has it; a production build has compiled it to JavaScript beside this file.
      const fromSource = import.meta.url.endsWith('.ts');
      const worker = new Worker(new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url), {
        workerData: init,
        ...(fromSource ? { execArgv: ['--import', 'tsx'] } : {}),
      });
      const handle: WorkerHandle = { worker, from, to, stats: emptyStats() };
      this.#workers.push(handle);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.once('error', reject);
          worker.on('message', (reply: WorkerReply) => {
            if (reply.type === 'ready') resolve();
            else if (reply.type === 'stats') handle.stats = reply.stats;
            else {
              if (reply.stats) handle.stats = reply.stats;
              this.#waiting.get(reply.reqId)?.(reply);
              this.#waiting.delete(reply.reqId);
            }
          });
        }),
      );
    }
    await Promise.all(ready);
  }

  /** An order with no answer awaited. */
  #post(handle: WorkerHandle, order: WorkerOrder): void {
    handle.worker.postMessage({ ...order, reqId: ++this.#reqId });
  }

  #send(handle: WorkerHandle, order: WorkerOrder): Promise<Extract<WorkerReply, { type: 'done' }>> {
    const reqId = ++this.#reqId;
    const answered = new Promise<Extract<WorkerReply, { type: 'done' }>>((resolve) =>
      this.#waiting.set(reqId, resolve),
    );
    handle.worker.postMessage({ ...order, reqId });
    return answered;
  }

  #all(order: WorkerOrder) {
    return Promise.all(this.#workers.map((h) => this.#send(h, order)));
  }

  /** Totals as last reported (every 100 ms). */
  get totals(): GeneratorTotals {
    const t: GeneratorTotals = emptyStats();
    for (const { stats } of this.#workers)
      for (const key of Object.keys(t) as (keyof GeneratorTotals)[]) t[key] += stats[key];
    return t;
  }

  /** Totals as of now (asks every worker). */
  async freshTotals(): Promise<GeneratorTotals> {
    await this.#all({ type: 'stats' });
    return this.totals;
  }

  /** Readings handed out by `take` so far (known at once, unlike the workers' totals). */
  handedOut = 0;

  /** Hands `count` readings to the gateways now, spread evenly; they are sent as windows allow. */
  take(count: number, atMs = Date.now()): void {
    this.handedOut += count;
    const total = this.plan.gateways.length;
    let given = 0;
    this.#workers.forEach((h, i) => {
      const share =
        i === this.#workers.length - 1 ? count - given : Math.floor((count * (h.to - h.from)) / total);
      given += share;
      if (share > 0) this.#post(h, { type: 'take', count: share, atMs });
    });
  }

  /** Readings per second handed out by the workers' own clocks; Infinity: flat out; 0: stop. */
  async setRate(perSecond: number): Promise<void> {
    const total = this.plan.gateways.length;
    await Promise.all(
      this.#workers.map((h) =>
        this.#send(h, {
          type: 'rate',
          perSecond: perSecond === Infinity ? Infinity : (perSecond * (h.to - h.from)) / total,
        }),
      ),
    );
  }

  /**
   * Runs at `readingsPerSecond` (Infinity: flat out) for warm-up then the measured stretch, and
   * returns the readings acknowledged per second over the measured stretch. Stops handing out
   * readings at the end (what is queued is still sent).
   */
  async run({
    readingsPerSecond,
    warmupMs = 2000,
    measureMs,
    onProgress,
  }: {
    readingsPerSecond: number;
    warmupMs?: number;
    measureMs: number;
    onProgress?: (t: GeneratorTotals) => void;
  }): Promise<RunResult> {
    await this.setRate(readingsPerSecond);
    const report = onProgress ? setInterval(() => onProgress(this.totals), 2000) : null;
    await sleep(warmupMs);
    const start = await this.freshTotals();
    const t0 = performance.now();
    await sleep(measureMs);
    const end = await this.freshTotals();
    const seconds = (performance.now() - t0) / 1000;
    if (report) clearInterval(report);
    await this.setRate(0);
    return {
      ackedPerSecond: (end.acked - start.acked) / seconds,
      messagesPerSecond: (end.messagesAcked - start.messagesAcked) / seconds,
      acked: end.acked - start.acked,
      seconds,
    };
  }

  /** Every gateway queues `perGateway` readings measured evenly from `fromMs` to `toMs` (an outage's worth). */
  async history(perGateway: number, fromMs: number, toMs: number): Promise<void> {
    await this.#all({ type: 'history', perGateway, fromMs, toMs });
  }

  /** A fall on a resident who has not fallen in this run, on the urgent lane at once. */
  async fall(atMs = Date.now()): Promise<GeneratorFall> {
    const residents = this.plan.residents.length;
    if (this.#fallen.size >= residents) this.#fallen.clear();
    let gateway: FleetGateway;
    let r: number;
    do {
      gateway = this.plan.gateways[this.#rng.int(0, this.plan.gateways.length - 1)]!;
      r = this.#rng.int(0, gateway.residents.length - 1);
    } while (this.#fallen.has(gateway.residents[r]!.index));
    const resident = gateway.residents[r]!;
    this.#fallen.add(resident.index);
    const handle = this.#workers.find((h) => gateway.index >= h.from && gateway.index < h.to)!;
    const reply = await this.#send(handle, { type: 'fall', gateway: gateway.index, resident: r, atMs });
    return { ...reply.fall!, gateway, resident, measuredAtMs: atMs };
  }

  /** Every gateway drops off the network without a goodbye; readings keep queueing. */
  async goOffline(): Promise<void> {
    await this.#all({ type: 'offline' });
  }

  /** Every gateway reconnects at once (a storm) and replays; resolves when all are connected. */
  async reconnect(): Promise<{ connected: number; failed: number }> {
    const replies = await this.#all({ type: 'online' });
    return {
      connected: replies.reduce((n, r) => n + (r.connect?.connected ?? 0), 0),
      failed: replies.reduce((n, r) => n + (r.connect?.failed ?? 0), 0),
    };
  }

  /** Resolves true once every reading taken has been acknowledged by the broker. */
  async drained(timeoutMs = 120_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = await this.freshTotals();
      if (t.pending === 0) return true;
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
  }

  /** Per gateway (plan order): readings sent (seq 0..seq-1) and acknowledged. */
  async perGateway(): Promise<{ seq: number[]; acked: number[] }> {
    const replies = await Promise.all(
      this.#workers.map((h) => this.#send(h, { type: 'stats', detail: true })),
    );
    return {
      seq: replies.flatMap((r) => r.stats?.seq ?? []),
      acked: replies.flatMap((r) => r.stats?.ackedPerGateway ?? []),
    };
  }

  /** The id the generator gave reading `seq` of gateway `gatewayIndex`. */
  idFor(gatewayIndex: number, seq: number): string {
    return readingId(idPrefix(this.salt, gatewayIndex), seq);
  }

  /** Every gateway sends DISCONNECT; the workers end. Returns the final per-gateway counts. */
  async close(): Promise<{ seq: number[]; acked: number[] }> {
    if (this.#closed) return { seq: [], acked: [] };
    this.#closed = true;
    const replies = await this.#all({ type: 'close' });
    await Promise.all(this.#workers.map((h) => h.worker.terminate()));
    return {
      seq: replies.flatMap((r) => r.stats?.seq ?? []),
      acked: replies.flatMap((r) => r.stats?.ackedPerGateway ?? []),
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
