/**
 * Drives a fleet over MQTT: connects every gateway (each with its own connection and
 * credentials), feeds them readings at a steady rate, and plays a script of events (falls,
 * drop-outs, reconnect storms) at fixed times. Which gateway takes which reading, and when
 * each scripted event lands, follow from the seed.
 */
import type { Observation } from '@wardline/protocol';
import { setTimeout as sleep } from 'node:timers/promises';
import { Rng, mixSeed } from '../prng.js';
import { FleetGatewayClient, type FleetConnectionOptions } from './gateway-client.js';
import type { FleetGateway, FleetPlan, FleetResident } from './plan.js';
import { FleetReadings } from './readings.js';

export type FleetEvent =
  /** A fall on a resident of a random connected gateway. */
  | { atMs: number; type: 'fall' }
  /** `gateways` random gateways drop off the network for `forMs`, then reconnect and replay. */
  | { atMs: number; type: 'dropout'; gateways: number; forMs: number }
  /** Every gateway in `gateways` (default all) drops at once and reconnects at once after `forMs`. */
  | { atMs: number; type: 'reconnect-storm'; forMs: number; gateways?: number };

/** A script of a fall every `everyMs` from `fromMs` to `toMs` (exclusive) of the load's clock. */
export function fallsEvery(everyMs: number, fromMs: number, toMs: number): FleetEvent[] {
  const events: FleetEvent[] = [];
  for (let at = fromMs; at < toMs; at += everyMs) events.push({ atMs: at, type: 'fall' });
  return events;
}

export interface FallRecord {
  id: string;
  /** The falls sensor that reported it. */
  deviceId: string;
  gateway: FleetGateway;
  resident: FleetResident;
  measuredAtMs: number;
}

export interface LoadOptions {
  readingsPerSecond: number;
  durationMs: number;
  /** How often readings are handed out; default 50 ms. */
  tickMs?: number;
  script?: readonly FleetEvent[];
  signal?: AbortSignal;
  /** Called for each scripted fall as it is taken. */
  onFall?: (fall: FallRecord) => void;
  /** Progress, about once a second. */
  onProgress?: (elapsedMs: number) => void;
}

export interface ConnectProgress {
  connected: number;
  failed: number;
  total: number;
}

export class FleetRunner {
  readonly clients: FleetGatewayClient[];
  readonly readings: FleetReadings;
  readonly #rng: Rng;
  readonly #fallen = new Set<number>();
  #cursor = 0;

  constructor(
    readonly plan: FleetPlan,
    options: FleetConnectionOptions,
    readings?: FleetReadings,
  ) {
    this.clients = plan.gateways.map((g) => new FleetGatewayClient(g, options));
    this.readings = readings ?? new FleetReadings(plan);
    this.#rng = new Rng(mixSeed(plan.options.seed, 0x10ad));
  }

  /** Connects the gateways with at most `concurrency` handshakes under way at once. */
  async connectAll(
    concurrency = 200,
    onProgress?: (p: ConnectProgress) => void,
    clients: readonly FleetGatewayClient[] = this.clients,
  ): Promise<ConnectProgress> {
    const progress: ConnectProgress = { connected: 0, failed: 0, total: clients.length };
    let next = 0;
    let lastReport = 0;
    const worker = async () => {
      while (next < clients.length) {
        const client = clients[next++]!;
        try {
          await client.connect();
          progress.connected++;
        } catch {
          progress.failed++;
          await client.close(true);
        }
        if (onProgress && Date.now() - lastReport >= 1000) {
          lastReport = Date.now();
          onProgress({ ...progress });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker));
    onProgress?.({ ...progress });
    return progress;
  }

  get taken(): number {
    return this.clients.reduce((n, c) => n + c.taken, 0);
  }

  get acked(): number {
    return this.clients.reduce((n, c) => n + c.acked, 0);
  }

  get connectedCount(): number {
    return this.clients.reduce((n, c) => n + (c.connected ? 1 : 0), 0);
  }

  /** The next routine reading, from the gateways in turn (offline ones too: their outboxes fill). */
  takeRoutine(atMs = Date.now(), elapsedMs = 0): Observation {
    const client = this.clients[this.#cursor++ % this.clients.length]!;
    const observation = this.readings.routine(client.gateway, atMs, elapsedMs);
    client.take(observation);
    return observation;
  }

  /** A fall for a resident who has not fallen in this run, on a connected gateway where possible. */
  takeFall(atMs = Date.now()): FallRecord {
    const residents = this.plan.residents.length;
    if (this.#fallen.size >= residents) this.#fallen.clear();
    let client: FleetGatewayClient;
    let resident: FleetResident;
    for (let attempt = 0; ; attempt++) {
      client = this.clients[this.#rng.int(0, this.clients.length - 1)]!;
      resident = client.gateway.residents[this.#rng.int(0, client.gateway.residents.length - 1)]!;
      if (this.#fallen.has(resident.index)) continue;
      if (client.connected || attempt > 50) break;
    }
    this.#fallen.add(resident.index);
    const observation = this.readings.fall(client.gateway, resident, atMs);
    client.take(observation);
    return {
      id: observation.id,
      deviceId: observation.deviceId,
      gateway: client.gateway,
      resident,
      measuredAtMs: atMs,
    };
  }

  /** A past stretch of a gateway's readings (an outage's worth), measured at their own times. */
  takeHistory(client: FleetGatewayClient, fromMs: number, toMs: number, count: number): void {
    for (let i = 0; i < count; i++) {
      const at = Math.round(fromMs + ((toMs - fromMs) * (i + 0.5)) / count);
      client.take(this.readings.routine(client.gateway, at, at - fromMs));
    }
  }

  /** Random distinct gateways, from the seed. */
  pick(count: number): FleetGatewayClient[] {
    const chosen = new Set<number>();
    const n = Math.min(count, this.clients.length);
    while (chosen.size < n) chosen.add(this.#rng.int(0, this.clients.length - 1));
    return [...chosen].map((i) => this.clients[i]!);
  }

  /** Readings at a steady rate with the script's events at their times. */
  async runLoad(options: LoadOptions): Promise<void> {
    const tickMs = options.tickMs ?? 50;
    const script = [...(options.script ?? [])].sort((a, b) => a.atMs - b.atMs);
    const pendingWork: Promise<unknown>[] = [];
    const start = performance.now();
    let issued = 0;
    let lastProgress = 0;
    let nextEvent = 0;
    for (;;) {
      if (options.signal?.aborted) break;
      const elapsed = performance.now() - start;
      if (elapsed >= options.durationMs) break;
      const due = Math.floor((elapsed / 1000) * options.readingsPerSecond);
      for (; issued < due; issued++) this.takeRoutine(Date.now(), elapsed);
      while (nextEvent < script.length && script[nextEvent]!.atMs <= elapsed) {
        pendingWork.push(this.#play(script[nextEvent++]!, options));
      }
      if (options.onProgress && elapsed - lastProgress >= 1000) {
        lastProgress = elapsed;
        options.onProgress(elapsed);
      }
      await sleep(tickMs);
    }
    // The last partial tick: the run takes exactly rate x duration readings.
    const total = Math.floor((options.durationMs / 1000) * options.readingsPerSecond);
    if (!options.signal?.aborted)
      for (; issued < total; issued++) this.takeRoutine(Date.now(), options.durationMs);
    await Promise.all(pendingWork);
  }

  async #play(event: FleetEvent, options: LoadOptions): Promise<void> {
    switch (event.type) {
      case 'fall':
        options.onFall?.(this.takeFall());
        return;
      case 'dropout': {
        const clients = this.pick(event.gateways);
        await Promise.all(clients.map((c) => c.goOffline()));
        await sleep(event.forMs);
        await this.connectAll(200, undefined, clients);
        return;
      }
      case 'reconnect-storm': {
        const clients = event.gateways === undefined ? this.clients : this.pick(event.gateways);
        await Promise.all(clients.map((c) => c.goOffline()));
        await sleep(event.forMs);
        await Promise.all(clients.map((c) => c.connect().catch(() => undefined)));
        return;
      }
    }
  }

  /** Resolves once every reading taken has been acknowledged by the broker. */
  async drained(timeoutMs = 120_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.clients.every((c) => c.pending === 0)) return true;
      await sleep(50);
    }
    return false;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close(true)));
  }
}
