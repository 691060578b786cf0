/**
 * The production ingest path, in process, on a file database seeded with a simulated fleet: what
 * the ingest-stages bench and the ingest-cost test measure. One message group goes through
 * `handleGroup` (decode, validate, route, store, alert rules and NEWS2 history in the same
 * transaction), then the group through the realtime hub's broadcastGroup (one socket.io event per
 * ward) and each outcome's alert publish, as the MQTT subscriber does after commit.
 */
import { FleetReadings, planFleet, type FleetPlan } from '@wardline/firmware-sim/fleet';
import { Channel, gatewayTopic, type Observation } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildApp } from '../app.js';
import { createContext, type ServerContext } from '../context.js';
import { openDatabase, type Db } from '../db/database.js';
import { sqliteDatabase } from '../db/engines/sqlite/index.js';
import { seedDemo } from '../demo/seed.js';
import { attachRealtime, type RealtimeHub } from '../realtime/hub.js';
import { testIngestDependencies } from '../testing.js';
import { scoreAfterStore } from './after-store.js';
import { createIngest, type IngestDependencies, type IngestOutcome } from './ingest.js';

export interface FleetMessage {
  topic: string;
  payload: Buffer;
  observations: Observation[];
}

export interface CostFleetOptions {
  gateways: number;
  residentsPerGateway: number;
  /** Rounds of one message per gateway; each message holds 1-5 readings (live-like small batches). */
  rounds: number;
  /** Every how many messages a fall goes on the urgent lane. Default 97. */
  fallEvery?: number;
}

/**
 * Groups of messages as the subscriber's group commit forms them (at most `maxGroup` per group),
 * from the firmware-sim fleet: cuffs, oximeters and thermometers taking turns, and falls.
 */
export function fleetGroups(plan: FleetPlan, options: CostFleetOptions, maxGroup = 200): FleetMessage[][] {
  const readings = new FleetReadings(plan);
  const fallEvery = options.fallEvery ?? 97;
  const nowMs = Date.now();
  const total = options.rounds * plan.gateways.length;
  // Measured over the last 20 minutes, in order, so every reading is fresh for NEWS2.
  const stepMs = Math.max(1, Math.floor((20 * 60_000) / (total * 5)));
  let t = nowMs - 20 * 60_000;
  let n = 0;
  const messages: FleetMessage[] = [];
  for (let r = 0; r < options.rounds; r++) {
    for (const gateway of plan.gateways) {
      const address = { site: gateway.site, gateway: gateway.gateway };
      const fall = ++n % fallEvery === 0;
      const count = fall ? 1 : 1 + ((r + gateway.index) % 5);
      const observations: Observation[] = [];
      for (let i = 0; i < count; i++) {
        t += stepMs;
        observations.push(
          fall
            ? readings.fall(gateway, gateway.residents[r % gateway.residents.length]!, t)
            : readings.routine(gateway, t, t - nowMs + 2 * 3_600_000),
        );
      }
      const batch = { v: 1, sentAt: new Date(t).toISOString(), observations };
      messages.push({
        topic: gatewayTopic(address, fall ? Channel.urgent : Channel.observations),
        payload: Buffer.from(JSON.stringify(batch)),
        observations,
      });
    }
  }
  const groups: FleetMessage[][] = [];
  for (let i = 0; i < messages.length; i += maxGroup) groups.push(messages.slice(i, i + maxGroup));
  return groups;
}

export function readingsIn(groups: FleetMessage[][]): number {
  let n = 0;
  for (const group of groups) for (const m of group) n += m.observations.length;
  return n;
}

export interface IngestPath {
  ctx: ServerContext;
  hub: RealtimeHub;
  app: FastifyInstance;
  plan: FleetPlan;
  /** The subscriber's work for one group: store and evaluate in one transaction, then push. */
  ingestGroup(group: readonly FleetMessage[]): Promise<IngestOutcome[]>;
  close(): Promise<void>;
}

/**
 * A seeded server (file database, WAL, synchronous=FULL, as in production) with its realtime hub
 * listening on 127.0.0.1 and the ingest the MQTT subscriber uses. `wrap` may replace ingest
 * dependencies (the bench times repositories through it).
 */
export async function startIngestPath(
  dir: string,
  fleet: { gateways: number; residentsPerGateway: number },
  wrap: (deps: IngestDependencies) => IngestDependencies = (deps) => deps,
): Promise<IngestPath> {
  const plan = planFleet({ ...fleet, seed: 16, bedsPerWard: 200 });
  const ctx = createContext(sqliteDatabase(openDatabase(join(dir, 'wardline.db'))));
  await seedDemo(ctx, plan.wards, 'cost-fixture-password', { N: 2 ** 10, r: 8, p: 1 });
  // Residents admitted yesterday: their readings of the last minutes are theirs, as on a ward.
  const admitted = new Date(Date.now() - 24 * 3_600_000).toISOString();
  await ctx.sql.run('UPDATE assignments SET assigned_at = ?', [admitted]);
  await ctx.sql.run('UPDATE assignment_history SET assigned_at = ?', [admitted]);
  const app = await buildApp({ context: ctx });
  const hub = attachRealtime(app);
  ctx.alerting.attach(hub);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const ingest = createIngest(
    wrap(
      testIngestDependencies(ctx, {
        afterStore: scoreAfterStore(ctx.alerting, ctx.news2History, pino({ level: 'silent' })),
      }),
    ),
  );
  return {
    ctx,
    hub,
    app,
    plan,
    async ingestGroup(group) {
      // As the subscriber does after a group commits: the readings, then the alerts they raised.
      const outcomes = await ingest.handleGroup(group);
      hub.broadcastGroup(outcomes);
      for (const outcome of outcomes) await ctx.alerting.publish(outcome);
      return outcomes;
    },
    async close() {
      await hub.close();
      await app.close();
      await ctx.sql.close();
    },
  };
}

/** The same rows, bare: one prepared INSERT per row, one transaction per group, same schema and pragmas. */
export function bareInsert(dir: string): { db: Db; insertGroup(group: readonly FleetMessage[]): void } {
  const db = openDatabase(join(dir, 'bare.db'));
  const insert = db.prepare(
    `INSERT INTO observations
       (id, device_id, patient_id, gateway_id, kind, measured_at, received_at, seq, values_json)
     VALUES (?, ?, NULL, ?, ?, ?, ?, ?, ?)`,
  );
  const insertGroup = db.transaction((group: readonly FleetMessage[]) => {
    const receivedAt = new Date().toISOString();
    for (const m of group)
      for (const o of m.observations)
        insert.run(
          o.id,
          o.deviceId,
          m.topic,
          o.kind,
          o.measuredAt,
          receivedAt,
          o.seq,
          JSON.stringify(o.values),
        );
  });
  return { db, insertGroup };
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'wardline-ingest-cost-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
