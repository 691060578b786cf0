import { randomUUID } from 'node:crypto';
import type { Observation } from '@wardline/protocol';
import { createContext, type ServerContext } from '../context.js';
import { openDatabase } from '../db/database.js';
import { seedDemo, type SeedWard } from '../demo/seed.js';
import { sqliteDatabase } from '../db/engines/sqlite/index.js';
import { TEST_PASSWORD, addChargeNurse, testFleet, testIngest, testRecords } from '../testing.js';
import { defaultAlertingConfig, type AlertingConfig } from './config.js';
import { createAlerting } from './engine.js';

/** A seeded in-memory server context whose alert engine runs on a clock the test moves. */
export async function alertTestbed(
  options: { config?: Partial<AlertingConfig>; fleet?: SeedWard[]; start?: string; path?: string } = {},
) {
  const clock = { now: options.start ? new Date(options.start) : new Date() };
  const now = () => new Date(clock.now);
  const records = options.path ? sqliteDatabase(openDatabase(options.path)) : await testRecords();
  const ctx: ServerContext = createContext(records, {
    alerting: { ...defaultAlertingConfig(), ...options.config },
  });
  // The engine's clock is the test's: rebuild it with `now` (the context's default is the wall clock).
  ctx.alerting = createAlerting({
    sql: ctx.sql,
    config: { ...defaultAlertingConfig(), ...options.config },
    now,
    metrics: ctx.serverMetrics.alerts,
  });
  await seedDemo(ctx, options.fleet ?? testFleet, TEST_PASSWORD, { N: 2 ** 10, r: 8, p: 1 });
  await addChargeNurse(ctx);
  const ingest = testIngest(ctx, { now, afterStore: ctx.alerting.evaluateGroup });
  return {
    ctx,
    clock,
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
    /** One MQTT message through the production ingest path, then the post-commit publish. */
    async send(topic: string, payload: unknown) {
      const outcome = await ingest.handle(topic, Buffer.from(JSON.stringify(payload)));
      await ctx.alerting.publish(outcome);
      return outcome;
    },
    /** Several MQTT messages committed together, as the subscriber groups them, then published. */
    async sendGroup(messages: readonly { topic: string; payload: unknown }[]) {
      const outcomes = await ingest.handleGroup(
        messages.map((m) => ({ topic: m.topic, payload: Buffer.from(JSON.stringify(m.payload)) })),
      );
      for (const outcome of outcomes) await ctx.alerting.publish(outcome);
      return outcomes;
    },
    async unresolved(patientId?: string) {
      const rows = await ctx.alerting.store.list({
        state: 'unresolved',
        limit: 1000,
        ...(patientId ? { patientId } : {}),
      });
      return rows.map((r) => ctx.alerting.toAlert(r));
    },
  };
}

let seq = 0;
export function reading(
  kind: Observation['kind'],
  values: Record<string, unknown>,
  measuredAt: Date,
  deviceId = 'aa:00:00:00:00:01',
): Observation {
  return {
    id: randomUUID(),
    deviceId,
    kind,
    measuredAt: measuredAt.toISOString(),
    seq: seq++,
    values,
  } as Observation;
}

export function bp(systolic: number, diastolic: number, pulse: number, at: Date, deviceId?: string) {
  return reading(
    'blood_pressure',
    {
      systolic: { value: systolic, unit: 'mmHg' },
      diastolic: { value: diastolic, unit: 'mmHg' },
      pulseRate: { value: pulse, unit: 'bpm' },
    },
    at,
    deviceId,
  );
}

export const obsBatch = (at: Date, ...observations: Observation[]) => ({
  v: 1,
  sentAt: at.toISOString(),
  observations,
});
