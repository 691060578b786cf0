import type { Alert } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { alertTestbed, reading } from '../alerts/testing.js';
import { OBS_TOPIC, TEST_PASSWORD } from '../testing.js';

describe('GET /api/alerts filters', () => {
  let app: FastifyInstance;
  let auth: { authorization: string };
  let resolvedId: number;
  let openId: number;

  beforeAll(async () => {
    const bed = await alertTestbed();
    app = await buildApp({ context: bed.ctx });
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'nurse', password: TEST_PASSWORD },
    });
    auth = { authorization: `Bearer ${(login.json() as { token: string }).token}` };
    const help = async (at: number) =>
      await bed.send(OBS_TOPIC, {
        v: 1,
        sentAt: new Date(at).toISOString(),
        observations: [reading('help_request', {}, new Date(at), 'aa:00:00:00:01:01')],
      });
    await help(bed.clock.now.getTime() - 60_000);
    resolvedId = (await bed.unresolved())[0]!.id;
    const resolved = await app.inject({
      method: 'POST',
      url: `/api/alerts/${resolvedId}/resolve`,
      headers: auth,
      payload: { note: 'answered the call' },
    });
    expect(resolved.statusCode).toBe(200);
    // A new call, after the first was resolved.
    bed.advance(2 * 60_000);
    await help(bed.clock.now.getTime() - 1000);
    openId = (await bed.unresolved())[0]!.id;
  });
  afterAll(() => app.close());

  const ids = async (query: string) => {
    const res = await app.inject({ method: 'GET', url: `/api/alerts${query}`, headers: auth });
    expect(res.statusCode, query).toBe(200);
    return (res.json() as Alert[]).map((a) => a.id).sort();
  };

  it('accepts state=all (every state, as with no state) and each filter the README lists', async () => {
    expect(openId).not.toBe(resolvedId);
    const every = [openId, resolvedId].sort();
    expect(await ids('?state=all')).toEqual(every);
    expect(await ids('')).toEqual(every);
    expect(await ids('?state=unresolved')).toEqual([openId]);
    expect(await ids('?state=open')).toEqual([openId]);
    expect(await ids('?state=resolved')).toEqual([resolvedId]);
    expect(await ids('?state=acknowledged')).toEqual([]);
    expect(
      await ids('?state=all&wardId=ward-a&patientId=ward-a-p001&condition=help_request&limit=10'),
    ).toEqual(every);
    expect(await ids('?state=all&condition=fall')).toEqual([]);
  });
});
