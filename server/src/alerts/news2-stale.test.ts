import type { AddressInfo } from 'node:net';
import type {
  ClientToServerEvents,
  News2Event,
  News2Summary,
  ServerToClientEvents,
} from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { attachRealtime, type RealtimeHub } from '../realtime/hub.js';
import { OBS_TOPIC, batch, bpObservation, signInToken, testContext, testIngest } from '../testing.js';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const HOUR = 3_600_000;
const PATIENT = 'ward-a-p001';
const NEIGHBOUR = 'ward-a-p002';
const rows = (ctx: ServerContext, patientId: string) =>
  ctx.sql.all<{ at: string; score: number; risk: string; complete: number }>(
    'SELECT at, score, risk, complete FROM news2_history WHERE patient_id = ? ORDER BY id',
    [patientId],
  );

describe('NEWS2 rescored when readings go stale, on a simulated clock', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  let hub: RealtimeHub;
  let base: string;
  let socket: ClientSocket;
  // A minute ago, to the second: every later time in this test is simulated.
  const t0 = Math.floor((Date.now() - 60_000) / 1000) * 1000;
  const at = (ms: number) => new Date(t0 + ms);

  beforeAll(async () => {
    ctx = await testContext();
    app = await buildApp({ context: ctx, publicUrl: () => base });
    hub = attachRealtime(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    socket = connect(base, {
      auth: { token: await signInToken(app, 'nurse') },
      transports: ['websocket'],
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    expect(await new Promise((resolve) => socket.emit('joinWard', 'ward-a', resolve))).toEqual({ ok: true });
  });
  afterAll(async () => {
    socket?.disconnect();
    await hub?.close();
    await app?.close();
  });

  it('records and pushes the fall in score as the staff entry, then the cuff reading, go stale', async () => {
    const seen: News2Event[] = [];
    socket.on('news2', (e) => seen.push(e));
    const until = async (done: () => boolean) => {
      const deadline = Date.now() + 5000;
      while (!done()) {
        if (Date.now() > deadline) throw new Error('timed out waiting for a news2 event');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };

    // Respiration rate 25 (scores 3, staff entry: fresh for 12 h) and systolic 88 (scores 3, device: 24 h).
    const manual = await app.inject({
      method: 'POST',
      url: `/api/patients/${PATIENT}/manual-observations`,
      headers: { authorization: `Bearer ${await signInToken(app, 'nurse')}` },
      payload: { respirationRate: 25, measuredAt: at(0).toISOString() },
    });
    expect(manual.statusCode, manual.body).toBe(201);
    hub.broadcast(
      await testIngest(ctx).handle(
        OBS_TOPIC,
        batch(bpObservation({ systolic: 88, measuredAt: at(0).toISOString() })),
      ),
    );
    await until(() => seen.length === 1);
    expect(seen[0]!.summary).toMatchObject({ score: 6, risk: 'medium' });

    // Just inside the staff-entry window: nothing changes, nothing is written.
    await hub.rescoreStaleNews2(at(12 * HOUR - 15_000));
    // Past it: respiration rate no longer counts, with no reading arriving.
    await hub.rescoreStaleNews2(at(12 * HOUR + 15_000));
    await until(() => seen.length === 2);
    expect(seen[1]).toMatchObject({
      wardId: 'ward-a',
      patientId: PATIENT,
      summary: { score: 3, risk: 'low-medium', stale: [{ parameter: 'respirationRate' }] },
    });
    // Past the device window: the cuff reading goes too.
    await hub.rescoreStaleNews2(at(24 * HOUR + 15_000));
    await until(() => seen.length === 3);
    expect(seen[2]!.summary).toMatchObject({ score: 0, risk: 'low', parameters: [] });
    expect(seen[2]!.summary.stale.map((s) => s.parameter).sort()).toEqual([
      'pulse',
      'respirationRate',
      'systolic',
    ]);
    // A window already seen, and a quiet one, change nothing.
    await hub.rescoreStaleNews2(at(24 * HOUR + 15_000));
    await hub.rescoreStaleNews2(at(24 * HOUR + 30_000));

    expect((await rows(ctx, PATIENT)).map(({ score, risk, at: when }) => [score, risk, when])).toEqual([
      [6, 'medium', expect.any(String)],
      [3, 'low-medium', at(12 * HOUR + 15_000).toISOString()],
      [0, 'low', at(24 * HOUR + 15_000).toISOString()],
    ]);
    // Anything pushed by the last two calls was sent before this round trip's answer.
    await new Promise((resolve) => socket.emit('joinWard', 'ward-a', resolve));
    expect(seen).toHaveLength(3);
  });
});

describe('the stale re-score reads only the readings that crossed the limit since the last', () => {
  it('scores each resident once, when their reading crosses, and no one in between', async () => {
    const ctx = await testContext();
    const t0 = Math.floor((Date.now() - 7 * HOUR) / 1000) * 1000;
    const at = (ms: number) => new Date(t0 + ms);
    await testIngest(ctx).handle(
      OBS_TOPIC,
      batch(
        bpObservation({ systolic: 88, measuredAt: at(0).toISOString() }),
        bpObservation({
          deviceId: 'aa:00:00:00:00:02',
          systolic: 88,
          measuredAt: at(6 * HOUR).toISOString(),
        }),
      ),
    );
    const scored: string[] = [];
    const score = async (patientId: string, when: Date): Promise<News2Summary> => {
      scored.push(patientId);
      return { ...(await ctx.alerting.news2(patientId)), at: when.toISOString() };
    };
    const limits = ctx.alerting.config;
    const rescore = async (ms: number) => {
      scored.length = 0;
      await ctx.news2History.rescoreStale(at(ms), limits, score);
      return [...scored];
    };

    expect(await rescore(24 * HOUR - 15_000)).toEqual([]);
    expect(await rescore(24 * HOUR + 15_000)).toEqual([PATIENT]);
    expect(await rescore(24 * HOUR + 30_000)).toEqual([]);
    expect(await rescore(29 * HOUR)).toEqual([]);
    expect(await rescore(30 * HOUR + 15_000)).toEqual([NEIGHBOUR]);
    // The clock never runs backwards for it: an earlier time reads nothing.
    expect(await rescore(20 * HOUR)).toEqual([]);
  });
});
