import { pino } from 'pino';
import type { News2Event } from '@wardline/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ServerContext } from '../context.js';
import { OBS_TOPIC, batch, bpObservation, testContext, testIngest } from '../testing.js';
import { scoreAfterStore } from './after-store.js';
import type { Ingest } from './ingest.js';

const PATIENT = 'ward-a-p001';

describe('alert rules and NEWS2 history in the ingest transaction', () => {
  let ctx: ServerContext;
  let ingest: Ingest;
  beforeEach(async () => {
    ctx = await testContext();
    // As server.ts wires it (testIngest has no afterStore).
    ingest = testIngest(ctx, {
      afterStore: scoreAfterStore(ctx.alerting, ctx.news2History, pino({ level: 'silent' })),
    });
  });
  const history = () =>
    ctx.sql.all<{ score: number; risk: string }>(
      'SELECT score, risk FROM news2_history WHERE patient_id = ? ORDER BY id',
      [PATIENT],
    );
  const send = (systolic: number, agoMs: number) =>
    ingest.handle(
      OBS_TOPIC,
      batch(bpObservation({ systolic, measuredAt: new Date(Date.now() - agoMs).toISOString() })),
    );

  it('records a changed score with the reading, and the push after commit gets the same change once', async () => {
    const outcome = await send(88, 60_000);
    // Committed with the reading: there before anything after the commit has run.
    const rows = await history();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.score).toBe((await ctx.alerting.news2(PATIENT)).score);
    // The realtime hub's call after commit: the events recorded in the transaction, nothing new.
    const events = await ctx.news2History.track(outcome, ctx.alerting.news2After(outcome));
    expect(events.map((e) => e.summary.score)).toEqual([rows[0]!.score]);
    expect(await history()).toHaveLength(1);
    // A reading that leaves the score as it was records nothing.
    await send(88, 30_000);
    expect(await history()).toHaveLength(1);
  });

  it('scores a resident once for a group: a backlog in two messages gives one history row and one event', async () => {
    const message = (systolic: number, agoMs: number) => ({
      topic: OBS_TOPIC,
      payload: batch(bpObservation({ systolic, measuredAt: new Date(Date.now() - agoMs).toISOString() })),
    });
    // Scored message by message, the first (88) and then the second (128) would each change the score.
    const outcomes = await ingest.handleGroup([message(88, 120_000), message(128, 60_000)]);
    const rows = await history();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.score).toBe((await ctx.alerting.news2(PATIENT)).score);
    const events: News2Event[] = [];
    for (const o of outcomes) events.push(...(await ctx.news2History.track(o, ctx.alerting.news2After(o))));
    expect(events.map((e) => e.summary.score)).toEqual([rows[0]!.score]);
  });

  it('keeps the reading and its alert when the history cannot be written', async () => {
    await ctx.sql.exec('DROP TABLE news2_history');
    const outcome = await send(85, 60_000);
    expect(outcome.observations).toHaveLength(1);
    expect((await ctx.observations.latestByPatient([PATIENT])).get(PATIENT)?.blood_pressure).toBeDefined();
    const alerts = await ctx.alerting.store.list({ state: 'unresolved', limit: 10, patientId: PATIENT });
    // The NEWS2 alert the same reading raised committed with it.
    expect(alerts.map((a) => a.condition)).toContain('news2');
  });
});
