import type { News2Event, News2History } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerContext } from '../context.js';
import { scoreAfterStore } from '../ingest/after-store.js';
import type { RealtimeHub } from '../realtime/hub.js';
import {
  addOrganisation,
  batch,
  bpObservation,
  signInToken,
  testContext,
  testIngest,
  type OrganisationFixture,
} from '../testing.js';
import { openTestSocket, startLiveTestApp, type ClientSocket } from '../testing-sockets.js';

describe('NEWS2 history and the live NEWS2 feed', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  let hub: RealtimeHub;
  let base: string;
  let a: OrganisationFixture;
  let b: OrganisationFixture;
  const sockets: ClientSocket[] = [];

  let tick = 0;
  /**
   * A cuff reading for an organisation's resident, stored (the rules and NEWS2 history in its
   * transaction, as server.ts wires it) and broadcast as the MQTT path does.
   */
  const reading = async (org: OrganisationFixture, systolic: number) => {
    // Strictly newer than the last, so it is the latest whatever the clock's resolution.
    const measuredAt = new Date(Date.now() - 60_000 + ++tick * 100).toISOString();
    hub.broadcast(
      await testIngest(ctx, {
        afterStore: scoreAfterStore(ctx.alerting, ctx.news2History, pino({ level: 'silent' })),
      }).handle(
        `wardline/v1/${org.siteCode}/gw-1/obs`,
        batch(bpObservation({ deviceId: org.deviceId, systolic, measuredAt })),
      ),
    );
  };
  const rows = (patientId: string) =>
    ctx.sql.all<{ score: number; risk: string; complete: number }>(
      'SELECT score, risk, complete FROM news2_history WHERE patient_id = ? ORDER BY id',
      [patientId],
    );

  async function open(username: string, wardId?: string): Promise<ClientSocket> {
    const socket = await openTestSocket(app, base, username, wardId);
    sockets.push(socket);
    return socket;
  }

  beforeAll(async () => {
    ctx = await testContext();
    a = await addOrganisation(ctx, 'alpha');
    b = await addOrganisation(ctx, 'beta');
    ({ app, hub, base } = await startLiveTestApp(ctx));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await hub.close();
    await app.close();
  });

  it('records a row when the score changes, and none for a reading that leaves it as it was', async () => {
    await reading(a, 128);
    expect(await rows(a.patientId)).toEqual([{ score: 0, risk: 'low', complete: 0 }]);
    await reading(a, 130);
    await reading(a, 125);
    expect(await rows(a.patientId)).toHaveLength(1);
    await reading(a, 88); // systolic <= 90 scores 3
    expect(await rows(a.patientId)).toEqual([
      { score: 0, risk: 'low', complete: 0 },
      { score: 3, risk: 'low-medium', complete: 0 },
    ]);
  });

  it('answers staff with the changes in words, audited, and refuses another organisation', async () => {
    const nurse = await signInToken(app, a.users.nurse);
    const res = await app.inject({
      method: 'GET',
      url: `/api/patients/${a.patientId}/news2/history`,
      headers: { authorization: `Bearer ${nurse}` },
    });
    expect(res.statusCode).toBe(200);
    const history = res.json<News2History>();
    expect(history.entries.map((e) => e.score)).toEqual([0, 3]);
    expect(history.entries[1]).toMatchObject({
      risk: 'low-medium',
      complete: false,
      missingText:
        'respiration rate, SpO2, air or oxygen, consciousness (ACVPU) and temperature not recorded',
    });
    expect(history.entries[1]!.parameters).toContainEqual({ parameter: 'systolic', value: 88, score: 3 });
    const audited = await ctx.sql.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM audit_events WHERE patient_id = ? AND action = ?`,
      [a.patientId, 'patient.news2.history.view'],
    );
    expect(audited?.n).toBe(1);

    const other = await signInToken(app, b.users.nurse);
    const refused = await app.inject({
      method: 'GET',
      url: `/api/patients/${a.patientId}/news2/history`,
      headers: { authorization: `Bearer ${other}` },
    });
    expect(refused.statusCode).toBe(404);
    const family = await signInToken(app, a.users.family);
    const familyAnswer = await app.inject({
      method: 'GET',
      url: `/api/patients/${a.patientId}/news2/history`,
      headers: { authorization: `Bearer ${family}` },
    });
    expect(familyAnswer.statusCode).toBe(403);
  });

  it("pushes a change to the resident's ward room only: not to another organisation, not to family", async () => {
    const nurseOfA = await open(a.users.nurse, a.wardId);
    const nurseOfB = await open(b.users.nurse, b.wardId);
    const familyOfA = await open(a.users.family);
    const seenByA: News2Event[] = [];
    const seenByB: News2Event[] = [];
    const seenByFamily: string[] = [];
    nurseOfA.on('news2', (e) => seenByA.push(e));
    nurseOfB.on('news2', (e) => seenByB.push(e));
    familyOfA.onAny((name: string) => seenByFamily.push(name));
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise((resolve) => setTimeout(resolve, 10));
    };

    await reading(a, 88); // scores 3 (a change or not, depending on what came before)
    await reading(a, 230); // scores 3 too: no change, no event
    await reading(a, 105); // scores 1: a change
    await until(() => seenByA.some((e) => e.summary.score === 1));
    const scores = seenByA.map((e) => e.summary.score);
    expect(scores.at(-1)).toBe(1);
    expect(scores.filter((s) => s === 3).length).toBeLessThanOrEqual(1);
    expect(seenByA.at(-1)).toMatchObject({ wardId: a.wardId, bedId: a.bedId, patientId: a.patientId });
    // The family socket is live (its relative's readings reach it in some form), but gets no score.
    await until(() => seenByFamily.length > 0);

    // B's own change reaches B after A's: anything of A's would have arrived before it.
    await reading(b, 88);
    await until(() => seenByB.length > 0);
    expect(seenByB.map((e) => e.patientId)).toEqual([b.patientId]);
    expect(seenByFamily).not.toContain('news2');
  });

  it("carries each resident's NEWS2 in the ward's bed state", async () => {
    const nurse = await signInToken(app, a.users.nurse);
    const res = await app.inject({
      method: 'GET',
      url: `/api/wards/${a.wardId}/beds`,
      headers: { authorization: `Bearer ${nurse}` },
    });
    const beds = res.json<{ patient: { id: string } | null; news2: { score: number } | null }[]>();
    expect(beds.find((bed) => bed.patient?.id === a.patientId)?.news2).toMatchObject({
      score: 1,
      missingText: expect.stringContaining('not recorded') as string,
    });
    expect(beds.find((bed) => bed.patient === null)?.news2).toBeNull();
  });
});
