import type { Alert } from '@wardline/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../app.js';
import { OBS_TOPIC, TEST_PASSWORD } from '../testing.js';
import { alertTestbed, bp, obsBatch, reading } from './testing.js';

const MIN = 60_000;

describe('the alerts inbox order (GET /api/alerts)', () => {
  let app: FastifyInstance;
  let bed: Awaited<ReturnType<typeof alertTestbed>>;

  beforeAll(async () => {
    bed = await alertTestbed();
    app = await buildApp({ context: bed.ctx });
  });
  afterAll(() => app.close());

  it('keeps an acknowledged critical alert above newer open high ones, then by priority', async () => {
    const send = (...obs: Parameters<typeof obsBatch>[1][]) =>
      bed.send(OBS_TOPIC, obsBatch(bed.clock.now, ...obs));
    await send(reading('fall', { confidence: { value: 90, unit: '%' } }, bed.clock.now, 'aa:00:00:00:01:01'));
    const fall = (await bed.unresolved())[0]!;
    expect(await bed.ctx.alerting.acknowledge(fall.id, 'nurse', 'On my way')).toBe(true);
    bed.advance(MIN);
    await send(bp(86, 50, 80, bed.clock.now, 'aa:00:00:00:00:02'));
    bed.advance(2 * MIN);
    await send(bp(84, 50, 80, bed.clock.now, 'aa:00:00:00:00:02')); // bp_low (high) and NEWS2 3 from systolic alone (medium)
    bed.advance(MIN);
    await send({ ...bp(130, 80, 80, bed.clock.now), quality: ['irregular_pulse'] } as Parameters<
      typeof obsBatch
    >[1]);

    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'nurse', password: TEST_PASSWORD },
    });
    const res = await app.inject({
      method: 'GET',
      url: '/api/alerts?state=unresolved',
      headers: { authorization: `Bearer ${(login.json() as { token: string }).token}` },
    });
    expect(res.statusCode).toBe(200);
    const inbox = (res.json() as Alert[]).map((a) => [a.condition, a.priority, a.state]);
    expect(inbox).toEqual([
      ['fall', 'critical', 'acknowledged'],
      ['bp_low', 'high', 'open'],
      ['news2', 'medium', 'open'],
      ['irregular_pulse', 'low', 'open'],
    ]);
  });
});
