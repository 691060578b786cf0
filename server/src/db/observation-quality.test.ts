/**
 * Reading quality end to end on the server: a flagged reading is stored as sent and comes back with
 * its flags in the bed state and the patient history; a replay that changes the flags is another
 * reading (ID_CONFLICT).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { BedState, Observation, StoredObservation } from '@wardline/protocol';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { OBS_TOPIC, TEST_PASSWORD, batch, bpObservation, testContext, testIngest } from '../testing.js';

describe('reading quality flags', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  let ingest: ReturnType<typeof testIngest>;

  beforeEach(async () => {
    ctx = await testContext();
    app = await buildApp({ context: ctx });
    ingest = testIngest(ctx);
  });
  afterEach(async () => {
    await app.close();
  });

  async function nurseGet(url: string) {
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'nurse', password: TEST_PASSWORD },
    });
    const { token } = login.json() as { token: string };
    return app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  }

  const looseCuff = (): Observation => ({
    ...bpObservation({ systolic: 121 }),
    quality: ['cuff_too_loose', 'irregular_pulse'],
  });

  it('stores a flagged reading and returns its flags on the bed card data and in the history', async () => {
    const flagged = looseCuff();
    const outcome = await ingest.handle(OBS_TOPIC, batch(flagged));
    expect(outcome.rejections).toEqual([]);
    expect(outcome.observations[0]?.observation.quality).toEqual(['cuff_too_loose', 'irregular_pulse']);

    const beds = (await nurseGet('/api/wards/ward-a/beds')).json() as BedState[];
    expect(beds[0]!.latest.blood_pressure?.observation).toEqual(flagged);
    const history = (
      await nurseGet('/api/patients/ward-a-p001/observations?kind=blood_pressure')
    ).json() as StoredObservation[];
    expect(history.map((h) => h.observation.quality)).toEqual([['cuff_too_loose', 'irregular_pulse']]);
  });

  it('returns a reading without flags without the field', async () => {
    await ingest.handle(OBS_TOPIC, batch(bpObservation()));
    const [stored] = await ctx.observations.history({ patientId: 'ward-a-p001', limit: 10 });
    expect(stored!.observation).not.toHaveProperty('quality');
  });

  it.each([
    ['a flag added', ['cuff_too_loose', 'irregular_pulse', 'body_movement']],
    ['a flag removed', ['irregular_pulse']],
    ['no flags', undefined],
  ])('refuses a replay with %s as ID_CONFLICT, keeping the stored reading', async (_what, quality) => {
    const original = looseCuff();
    await ingest.handle(OBS_TOPIC, batch(original));
    const { quality: _dropped, ...bare } = original;
    const replay = quality === undefined ? bare : { ...bare, quality };
    const outcome = await ingest.handle(OBS_TOPIC, batch(replay));
    expect(outcome.rejections.map((r) => r.code)).toEqual(['ID_CONFLICT']);
    expect((await ctx.observations.history({ patientId: 'ward-a-p001', limit: 10 }))[0]!.observation).toEqual(
      original,
    );
  });

  it('refuses flags added to a reading stored without any', async () => {
    const original = bpObservation();
    await ingest.handle(OBS_TOPIC, batch(original));
    const outcome = await ingest.handle(OBS_TOPIC, batch({ ...original, quality: ['body_movement'] }));
    expect(outcome.rejections.map((r) => r.code)).toEqual(['ID_CONFLICT']);
  });

  it('takes the same flags in another order, or an empty list for none, as an exact replay', async () => {
    const original = looseCuff();
    await ingest.handle(OBS_TOPIC, batch(original));
    const reordered = await ingest.handle(
      OBS_TOPIC,
      batch({ ...original, quality: ['irregular_pulse', 'cuff_too_loose'] }),
    );
    expect(reordered.rejections).toEqual([]);
    expect(reordered.duplicates).toBe(1);

    const unflagged = bpObservation();
    await ingest.handle(OBS_TOPIC, batch(unflagged));
    const emptyList = await ingest.handle(OBS_TOPIC, batch({ ...unflagged, quality: [] }));
    expect(emptyList.rejections).toEqual([]);
    expect(emptyList.duplicates).toBe(1);
  });

  it('refuses a flag the contract does not know, one observation alone', async () => {
    const good = bpObservation();
    const unknown = { ...bpObservation(), quality: ['cuff_on_upside_down'] };
    const outcome = await ingest.handle(OBS_TOPIC, batch(good, unknown));
    expect(outcome.rejections.map((r) => r.code)).toEqual(['SCHEMA_VIOLATION']);
    expect(outcome.observations).toHaveLength(1);
  });
});
