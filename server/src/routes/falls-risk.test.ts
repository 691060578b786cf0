import type { BedState, FallsRiskEvent } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerContext } from '../context.js';
import type { RealtimeHub } from '../realtime/hub.js';
import { addOrganisation, signInToken, testContext, type OrganisationFixture } from '../testing.js';
import { openTestSocket, startLiveTestApp, type ClientSocket } from '../testing-sockets.js';

describe("the bed's postural falls-risk flag", () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  let hub: RealtimeHub;
  let base: string;
  let a: OrganisationFixture;
  let b: OrganisationFixture;
  const sockets: ClientSocket[] = [];

  async function open(username: string, wardId?: string): Promise<ClientSocket> {
    const socket = await openTestSocket(app, base, username, wardId);
    sockets.push(socket);
    return socket;
  }
  const until = async (done: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error('timed out waiting for a live event');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  async function record(org: OrganisationFixture, standingSystolic: number, minute: number) {
    const at = (m: number) => `2026-11-29T10:${String(m).padStart(2, '0')}:00.000Z`;
    const res = await app.inject({
      method: 'POST',
      url: `/api/patients/${org.patientId}/postural-tests`,
      headers: { authorization: `Bearer ${await signInToken(app, org.users.nurse)}` },
      payload: {
        lying: { systolic: 142, diastolic: 80, measuredAt: at(minute) },
        standing1: { systolic: standingSystolic, diastolic: 76, measuredAt: at(minute + 1) },
        standing3: { systolic: standingSystolic + 2, diastolic: 78, measuredAt: at(minute + 3) },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
  }
  async function bedOf(org: OrganisationFixture): Promise<BedState> {
    const res = await app.inject({
      method: 'GET',
      url: `/api/wards/${org.wardId}/beds`,
      headers: { authorization: `Bearer ${await signInToken(app, org.users.nurse)}` },
    });
    expect(res.statusCode).toBe(200);
    return res.json<BedState[]>().find((bed) => bed.bedId === org.bedId)!;
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

  it('is null for a resident never tested and for an empty bed', async () => {
    expect((await bedOf(a)).fallsRisk).toBeNull();
    const res = await app.inject({
      method: 'GET',
      url: `/api/wards/${a.wardId}/beds`,
      headers: { authorization: `Bearer ${await signInToken(app, a.users.nurse)}` },
    });
    expect(res.json<BedState[]>().find((bed) => bed.patient === null)?.fallsRisk).toBeNull();
  });

  it('a 22 mmHg drop sets the flag in the ward snapshot and reaches the ward room live, and no one else', async () => {
    const nurseOfA = await open(a.users.nurse, a.wardId);
    const nurseOfB = await open(b.users.nurse, b.wardId);
    const familyOfA = await open(a.users.family);
    const seenByA: FallsRiskEvent[] = [];
    const seenByB: FallsRiskEvent[] = [];
    const seenByFamily: string[] = [];
    nurseOfA.on('fallsRisk', (e) => seenByA.push(e));
    nurseOfB.on('fallsRisk', (e) => seenByB.push(e));
    familyOfA.onAny((name: string) => seenByFamily.push(name));

    await record(a, 120, 0); // 142 -> 120: a 22 mmHg systolic drop at 1 minute
    await until(() => seenByA.length > 0);
    const flag = {
      atRiskOfFalls: true,
      testedAt: '2026-11-29T10:00:00.000Z',
      findings: ['systolic fell 22 mmHg at 1 minute standing', 'systolic fell 20 mmHg at 3 minutes standing'],
    };
    expect(seenByA).toEqual([
      { wardId: a.wardId, bedId: a.bedId, patientId: a.patientId, fallsRisk: expect.objectContaining(flag) },
    ]);
    expect((await bedOf(a)).fallsRisk).toMatchObject(flag);

    // B's own test reaches B after A's: anything of A's would have arrived before it.
    await record(b, 130, 0);
    await until(() => seenByB.length > 0);
    expect(seenByB.map((e) => [e.patientId, e.fallsRisk.atRiskOfFalls])).toEqual([[b.patientId, false]]);
    expect(seenByFamily).not.toContain('fallsRisk');
  });

  it('follows the latest test: a later negative test clears it, live', async () => {
    const nurse = await open(a.users.nurse, a.wardId);
    const seen: FallsRiskEvent[] = [];
    nurse.on('fallsRisk', (e) => seen.push(e));
    await record(a, 136, 10); // a 6 mmHg drop: negative
    await until(() => seen.length > 0);
    expect(seen[0]!.fallsRisk).toMatchObject({ atRiskOfFalls: false, findings: [] });
    expect((await bedOf(a)).fallsRisk).toMatchObject({
      atRiskOfFalls: false,
      testedAt: '2026-11-29T10:10:00.000Z',
    });
  });
});
