/**
 * Shared rig for the fault-injection suite: the whole back end as real processes
 * (WardlineSystem), a simulated fleet under steady load, a nurse's ward socket, and a ledger of
 * every reading the fleet took. After a fault the ledger is compared with what the server's
 * database holds (the primary count), with the broker's acknowledgements, and with what the
 * ward socket received (a secondary "pushed at most once" check).
 *
 * Definitions used by every fault test:
 * - lost: a reading taken by a gateway that is not in the `observations` table once the fleet
 *   has drained (every taken reading acknowledged by the broker) and the server caught up;
 * - duplicated: a row in `observations` beyond one per (device, gateway sequence number), or a
 *   row whose id no gateway ever took (counted apart: a row whose measured_at is not the
 *   measurement time the reading was taken with);
 * - missed alert: a scripted fall whose falls sensor has no `fall` alert;
 * - doubled alert: a fall with more than one `fall` alert row, or an alert counting more than one
 *   occurrence (the same fall processed twice), or a `fall` alert on a sensor that never fell.
 */
import {
  FleetRunner,
  planFleet,
  type FallRecord,
  type FleetEvent,
  type FleetGateway,
  type FleetPlan,
} from '@wardline/firmware-sim';
import type { Observation } from '@wardline/protocol';
import { expect } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../support.js';
import { WardlineSystem } from '../system/system.js';
import type { WardWatcher } from '../system/ward-watcher.js';

export interface TakenReading {
  id: string;
  deviceId: string;
  kind: string;
  measuredAt: string;
  seq: number;
  gateway: string;
  /** Wall-clock time the gateway took it (ms since epoch). */
  takenAtMs: number;
}

export interface StoredRow {
  id: string;
  device_id: string;
  kind: string;
  measured_at: string;
  received_at: string;
  seq: number;
}

export interface Tally {
  taken: number;
  acked: number;
  stored: number;
  lost: string[];
  duplicated: number;
  /** Rows whose measured_at is not the taken reading's measuredAt. */
  timeMismatches: number;
  falls: number;
  fallAlerts: number;
  missed: string[];
  doubled: number;
}

export interface HarnessOptions {
  name: string;
  gateways?: number;
  residentsPerGateway?: number;
  seed?: number;
  serverEnv?: Record<string, string>;
  /**
   * Gateways registered like the fleet's (broker credentials, residents and devices on the
   * server) but neither driven by the fleet nor counted: a hostile gateway's own identity. They
   * come last in the plan; with the default sizes each is a site of its own.
   */
  outsiders?: number;
}

/**
 * WardlineSystem picks free ports before its processes bind them; with other test files
 * opening connections meanwhile, an outgoing connection's ephemeral port can take one first.
 * That is the rig's race, not a fault under test: try again with new ports.
 */
async function startSystem(plan: FleetPlan, options: HarnessOptions): Promise<WardlineSystem> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await WardlineSystem.start({
        plan,
        dir: tempDir(`fault-${options.name}`),
        ...(options.serverEnv ? { serverEnv: options.serverEnv } : {}),
        // The processes' logs (broker.log, server.log in the temp dir) for a post-mortem.
        ...(process.env.WARDLINE_FAULT_LOG_LEVEL ? { logLevel: process.env.WARDLINE_FAULT_LOG_LEVEL } : {}),
      });
    } catch (err) {
      if (attempt >= 3 || !String((err as Error).message).includes('EADDRINUSE')) throw err;
    }
  }
}

/** The first `count` gateways of a plan, for the fleet to drive. */
function drivenPart(plan: FleetPlan, count: number): FleetPlan {
  const gateways = plan.gateways.slice(0, count);
  return { ...plan, gateways, residents: gateways.flatMap((g) => g.residents) };
}

export class FaultHarness {
  readonly taken = new Map<string, TakenReading>();
  readonly ackCounts = new Map<string, number>();
  /** Scripted falls: falls-sensor id -> the fall observation's id and when it was taken. */
  readonly falls = new Map<string, { id: string; takenAtMs: number }>();
  watcher!: WardWatcher;
  fleet!: FleetRunner;

  /** Devices of the outsider gateways: their rows and alerts are not the fleet's to count. */
  readonly #outsiderDevices: string[];
  /** SQL condition on `device_id`, bound to the outsiders' device ids as a JSON array. */
  readonly #notOutsider = 'device_id NOT IN (SELECT value FROM json_each(?))';

  private constructor(
    readonly plan: FleetPlan,
    readonly system: WardlineSystem,
    readonly outsiders: readonly FleetGateway[],
  ) {
    this.#outsiderDevices = outsiders.flatMap((g) => g.residents.flatMap((r) => r.devices.map((d) => d.id)));
  }

  static async start(options: HarnessOptions): Promise<FaultHarness> {
    const gateways = options.gateways ?? 30;
    const registered = planFleet({
      gateways: gateways + (options.outsiders ?? 0),
      residentsPerGateway: options.residentsPerGateway ?? 2,
      seed: options.seed ?? 11,
      bedsPerWard: 20,
    });
    const system = await startSystem(registered, options);
    const harness = new FaultHarness(
      drivenPart(registered, gateways),
      system,
      registered.gateways.slice(gateways),
    );
    try {
      await harness.#connect();
    } catch (err) {
      await harness.close();
      throw err;
    }
    return harness;
  }

  async #connect(): Promise<void> {
    const { system } = this;
    this.watcher = await system.watchWards();
    this.fleet = new FleetRunner(this.plan, {
      url: system.brokerUrl,
      password: system.gatewayPassword,
      onAcked: (_gateway, observations) => {
        for (const o of observations) this.ackCounts.set(o.id, (this.ackCounts.get(o.id) ?? 0) + 1);
      },
    });
    // Every reading handed to a gateway (routine, scripted, replayed history) goes in the ledger.
    for (const client of this.fleet.clients) {
      const take = client.take.bind(client);
      client.take = (o: Observation) => {
        this.record(o, client.gateway.username);
        take(o);
      };
    }
    const progress = await this.fleet.connectAll(20);
    if (progress.failed > 0) throw new Error(`${progress.failed} gateways failed to connect`);
  }

  record(o: Observation, gateway: string): void {
    if (this.taken.has(o.id)) throw new Error(`the simulator reused observation id ${o.id}`);
    this.taken.set(o.id, {
      id: o.id,
      deviceId: o.deviceId,
      kind: o.kind,
      measuredAt: o.measuredAt,
      seq: o.seq,
      gateway,
      takenAtMs: Date.now(),
    });
  }

  onFall = (fall: FallRecord): void => {
    if (this.falls.has(fall.deviceId)) throw new Error(`resident ${fall.resident.index} fell twice`);
    this.falls.set(fall.deviceId, { id: fall.id, takenAtMs: Date.now() });
  };

  /** Steady load with the given script; falls are recorded. */
  runLoad(readingsPerSecond: number, durationMs: number, script: readonly FleetEvent[]): Promise<void> {
    return this.fleet.runLoad({ readingsPerSecond, durationMs, script, onFall: this.onFall });
  }

  query<T>(sql: string): T[] {
    return this.system.query<T>(sql);
  }

  storedIds(): Set<string> {
    return new Set(
      this.system
        .query<{ id: string }>(
          `SELECT id FROM observations WHERE ${this.#notOutsider}`,
          JSON.stringify(this.#outsiderDevices),
        )
        .map((r) => r.id),
    );
  }

  /** Milliseconds until every reading in `ids` is in the database, or null if they never all arrive. */
  async waitStored(ids: readonly string[], timeoutMs: number): Promise<number | null> {
    const started = Date.now();
    while (Date.now() - started < timeoutMs) {
      const stored = this.storedIds();
      if (ids.every((id) => stored.has(id))) return Date.now() - started;
      await sleep(250);
    }
    return null;
  }

  /** Waits until the fleet drained and the server stored everything taken (or the time is up). */
  async settle(timeoutMs = 90_000): Promise<boolean> {
    const drained = await this.fleet.drained(timeoutMs);
    // Whatever is still missing after this is reported as lost by tally().
    await this.waitStored([...this.taken.keys()], drained ? timeoutMs : 5000);
    // Anything still in flight (re-deliveries that must be recognised as duplicates).
    await sleep(1000);
    return drained;
  }

  /** Where the lost readings came from, for the failure message. */
  /**
   * The checks every fault shares: nothing lost, duplicated, re-timed or acknowledged twice, the
   * backlog stored in time, every fall alerted exactly once.
   */
  expectIntact(
    t: Tally,
    run: {
      downAt: number;
      drained: boolean;
      recoveredMs: number | null;
      expectedTaken: number;
      returning: string;
    },
  ): void {
    expect(t.lost.length, this.describeLost(t.lost, run.downAt)).toBe(0);
    expect(run.drained, 'every reading acknowledged by the broker').toBe(true);
    expect(
      run.recoveredMs,
      `the backlog stored within a minute of the ${run.returning} returning`,
    ).not.toBeNull();
    expect(t.taken).toBe(run.expectedTaken);
    expect(t.duplicated, 'readings duplicated').toBe(0);
    expect(t.timeMismatches, 'measured_at changed').toBe(0);
    expect(t.stored).toBe(t.taken);
    expect(t.falls).toBeGreaterThanOrEqual(15);
    expect(t.missed, 'fall alerts missed').toEqual([]);
    expect(t.doubled, 'fall alerts doubled').toBe(0);
    expect(t.fallAlerts).toBe(t.falls);
    expect(this.multiplyAcked, 'readings acknowledged twice').toBe(0);
  }

  describeLost(lost: readonly string[], referenceMs: number): string {
    if (lost.length === 0) return 'none';
    const byGateway = new Map<string, number>();
    let acked = 0;
    let minAt = Infinity;
    let maxAt = -Infinity;
    for (const id of lost) {
      const t = this.taken.get(id)!;
      if ((this.ackCounts.get(id) ?? 0) > 0) acked++;
      minAt = Math.min(minAt, t.takenAtMs);
      maxAt = Math.max(maxAt, t.takenAtMs);
      byGateway.set(t.gateway, (byGateway.get(t.gateway) ?? 0) + 1);
    }
    return (
      `${lost.length} lost (${acked} acknowledged by the broker) from ${byGateway.size} gateways, ` +
      `taken ${((minAt - referenceMs) / 1000).toFixed(1)} s to ${((maxAt - referenceMs) / 1000).toFixed(1)} s ` +
      `after the fault; e.g. ${[...byGateway]
        .slice(0, 5)
        .map(([g, n]) => `${g}: ${n}`)
        .join(', ')}`
    );
  }

  /** The fleet's rows in `observations` (not the outsiders'). */
  rows(): StoredRow[] {
    return this.system.query<StoredRow>(
      `SELECT id, device_id, kind, measured_at, received_at, seq FROM observations WHERE ${this.#notOutsider}`,
      JSON.stringify(this.#outsiderDevices),
    );
  }

  /** The counts, over the readings and falls taken since `sinceMs` (default: all of them). */
  tally(sinceMs = 0): Tally {
    const alerts = this.query<FallAlertRow>(
      "SELECT device_id, count(*) AS n, sum(occurrences) AS occurrences FROM alerts WHERE condition = 'fall' GROUP BY device_id",
    );
    return tallyOf({
      taken: this.taken,
      falls: this.falls,
      ackCounts: this.ackCounts,
      rows: this.rows(),
      alerts,
      outsiderDevices: this.#outsiderDevices,
      sinceMs,
    });
  }

  /** Taken readings the broker acknowledged more than once (a gateway sent it twice and both counted). */
  get multiplyAcked(): number {
    return [...this.ackCounts.values()].filter((n) => n > 1).length;
  }

  summary(fault: string, t: Tally, recoveredMs: number | null, extra = ''): string {
    return (
      `fault ${fault}: taken ${t.taken}, stored ${t.stored}, lost ${t.lost.length}, duplicated ${t.duplicated}, ` +
      `falls ${t.falls}, fall alerts ${t.fallAlerts}, missed ${t.missed.length}, doubled ${t.doubled}, ` +
      `${recoveredMs === null ? 'not recovered' : `recovered in ${(recoveredMs / 1000).toFixed(1)} s`}${extra ? `, ${extra}` : ''}`
    );
  }

  /** Readings in `ids` the socket never received, and how many it received more than once. */
  socketCheck(watcher: WardWatcher, ids: Iterable<string>): { missing: number; repeats: number } {
    let missing = 0;
    for (const id of ids) if (!watcher.seen.has(id)) missing++;
    return { missing, repeats: watcher.repeats };
  }

  async close(): Promise<void> {
    this.watcher?.close();
    await this.fleet?.closeAll();
    await this.system.stop();
  }
}

/** Fall alerts per falls sensor, as `SELECT device_id, count(*) AS n, sum(occurrences) ...` gives them. */
export interface FallAlertRow {
  device_id: string | null;
  n: number;
  occurrences: number;
}

/**
 * The counts defined at the top of this file, from what the gateways took and what the database
 * holds, over the readings and falls taken since `sinceMs`; whichever engine the rows came from.
 */
export function tallyOf(input: {
  taken: ReadonlyMap<string, TakenReading>;
  falls: ReadonlyMap<string, { id: string; takenAtMs: number }>;
  ackCounts: ReadonlyMap<string, number>;
  rows: readonly StoredRow[];
  alerts: readonly FallAlertRow[];
  outsiderDevices?: readonly string[];
  sinceMs?: number;
}): Tally {
  const sinceMs = input.sinceMs ?? 0;
  const taken = new Map([...input.taken].filter(([, t]) => t.takenAtMs >= sinceMs));
  const falls = new Map([...input.falls].filter(([, f]) => f.takenAtMs >= sinceMs));
  const earlier = new Set([...input.taken.keys()].filter((id) => !taken.has(id)));
  const earlierSensors = new Set([...input.falls.keys()].filter((id) => !falls.has(id)));
  const rows = input.rows.filter((r) => !earlier.has(r.id));
  const byId = new Map(rows.map((r) => [r.id, r]));
  const lost = [...taken.keys()].filter((id) => !byId.has(id));
  const distinct = new Set(rows.map((r) => `${r.device_id}|${r.seq}`));
  const unknown = rows.filter((r) => !taken.has(r.id)).length;
  let timeMismatches = 0;
  for (const r of rows) {
    const t = taken.get(r.id);
    if (t && Date.parse(t.measuredAt) !== Date.parse(r.measured_at)) timeMismatches++;
  }
  const outsiders = new Set(input.outsiderDevices ?? []);
  const alerts = input.alerts.filter(
    (a) => !a.device_id || (!earlierSensors.has(a.device_id) && !outsiders.has(a.device_id)),
  );
  const alertBySensor = new Map(alerts.map((a) => [a.device_id ?? '', a]));
  const missed = [...falls.keys()].filter((id) => !alertBySensor.has(id));
  let doubled = 0;
  let fallAlerts = 0;
  for (const a of alerts) {
    fallAlerts += a.n;
    if (!a.device_id || !falls.has(a.device_id)) doubled += a.n;
    else doubled += Math.max(a.n, a.occurrences) - 1;
  }
  return {
    taken: taken.size,
    acked: [...taken.keys()].reduce((n, id) => n + (input.ackCounts.get(id) ?? 0), 0),
    stored: rows.length,
    lost,
    duplicated: rows.length - distinct.size + unknown,
    timeMismatches,
    falls: falls.size,
    fallAlerts,
    missed,
    doubled,
  };
}
