import type { BedState, News2Summary, WardNews2 } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { OBS_TOPIC, TEST_PASSWORD, batch, bpObservation, testContext, testIngest } from '../testing.js';

describe('GET /api/wards/:wardId/news2', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;

  beforeEach(async () => {
    ctx = await testContext();
    app = await buildApp({ context: ctx });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await app.close();
  });

  async function signIn(username: string): Promise<string> {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: TEST_PASSWORD },
    });
    expect(res.statusCode).toBe(200);
    return (res.json() as { token: string }).token;
  }
  const get = (url: string, token?: string) =>
    app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it("gives a nurse every resident's score in one call, equal to the per-patient answers", async () => {
    await testIngest(ctx).handle(OBS_TOPIC, batch(bpObservation({ systolic: 95 })));
    const nurse = await signIn('nurse');
    const residents = ((await get('/api/wards/ward-a/beds', nurse)).json() as BedState[]).flatMap((b) =>
      b.patient ? [b.patient.id] : [],
    );
    expect(residents).toHaveLength(2);

    // One clock for both answers: `at` and reading ages are relative to it.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const res = await get('/api/wards/ward-a/news2', nurse);
    expect(res.statusCode).toBe(200);
    const body = res.json() as WardNews2;
    expect(body.wardId).toBe('ward-a');
    expect(Object.keys(body.scores).sort()).toEqual([...residents].sort());
    for (const id of residents) {
      const one = await get(`/api/patients/${id}/news2`, nurse);
      expect(one.statusCode).toBe(200);
      expect(body.scores[id]).toEqual(one.json() as News2Summary);
    }
    expect(Object.values(body.scores).some((s) => s.parameters.length > 0)).toBe(true);
  });

  it('answers 404 for an unknown ward', async () => {
    const res = await get('/api/wards/no-such-ward/news2', await signIn('nurse'));
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'WL_NOT_FOUND' });
  });

  it('is for staff only: family 403, signed out 401', async () => {
    const family = await get('/api/wards/ward-a/news2', await signIn('family'));
    expect(family.statusCode).toBe(403);
    const anonymous = await get('/api/wards/ward-a/news2');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ code: 'WL_UNAUTHENTICATED' });
  });
});
