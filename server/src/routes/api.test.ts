import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { BedState, DeadLetter, StoredObservation } from '@wardline/protocol';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { OBS_TOPIC, TEST_PASSWORD, batch, bpObservation, testContext, testIngest } from '../testing.js';

describe('HTTP API', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;

  beforeEach(async () => {
    ctx = await testContext();
    app = await buildApp({ context: ctx });
  });
  afterEach(async () => {
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

  it('refuses a wrong password with a stable code', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'nurse', password: 'nope' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'WL_BAD_CREDENTIALS' });
  });

  it('requires sign-in for ward data and accepts the session cookie', async () => {
    expect((await get('/api/wards')).json()).toMatchObject({ code: 'WL_UNAUTHENTICATED' });
    const login = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username: 'nurse', password: TEST_PASSWORD },
    });
    const cookie = login.cookies.find((c) => c.name === 'wardline_session')!;
    expect(cookie.httpOnly).toBe(true);
    const res = await app.inject({
      method: 'GET',
      url: '/api/wards',
      cookies: { wardline_session: cookie.value },
    });
    expect(res.json()).toEqual([
      { id: 'ward-a', name: 'Ward A', kind: 'care_home', siteCode: 'site-a', bedCount: 2 },
    ]);
  });

  it('shows each bed with its resident and latest blood pressure after ingest', async () => {
    const obs = bpObservation({ systolic: 152 });
    await testIngest(ctx).handle(OBS_TOPIC, batch(obs));
    const beds = (await get('/api/wards/ward-a/beds', await signIn('nurse'))).json() as BedState[];
    expect(beds.map((b) => b.label)).toEqual(['Room 1', 'Room 2']);
    const bed = beds[0]!;
    expect(bed.patient?.id).toBe('ward-a-p001');
    expect(bed.latest.blood_pressure?.observation).toEqual(obs);
    expect(bed.devices.map((d) => d.deviceId)).toEqual(['aa:00:00:00:00:01', 'aa:00:00:00:01:01']);
    expect(beds[1]!.latest).toEqual({});
  });

  it('returns observation history by kind and time range', async () => {
    const ingest = testIngest(ctx, { now: () => new Date('2026-11-21T00:00:00Z') });
    const times = ['2026-11-20T08:00:00.000Z', '2026-11-20T12:00:00.000Z', '2026-11-20T20:00:00.000Z'];
    const observations = times.map((measuredAt) => bpObservation({ measuredAt }));
    await ingest.handle(OBS_TOPIC, batch(...observations));
    const token = await signIn('nurse');
    const res = await get(
      '/api/patients/ward-a-p001/observations?kind=blood_pressure&from=2026-11-20T09:00:00Z&to=2026-11-20T21:00:00Z',
      token,
    );
    expect(res.statusCode).toBe(200);
    const history = res.json() as StoredObservation[];
    expect(history.map((h) => h.observation.measuredAt)).toEqual(times.slice(1));
    expect((await get('/api/patients/ward-a-p001/observations?kind=spo2', token)).json()).toEqual([]);
    expect((await get('/api/patients/ward-a-p001/observations?kind=sugar', token)).statusCode).toBe(400);
  });

  it('lets a family member see only their own relative', async () => {
    const token = await signIn('family');
    expect((await get('/api/patients/ward-a-p001', token)).statusCode).toBe(200);
    const other = await get('/api/patients/ward-a-p002/observations', token);
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ code: 'WL_FORBIDDEN' });
    expect((await get('/api/wards', token)).statusCode).toBe(403);
    expect(((await get('/api/patients', token)).json() as { id: string }[]).map((p) => p.id)).toEqual([
      'ward-a-p001',
    ]);
  });

  it('lists dead letters to admins only, filtered by code', async () => {
    const ingest = testIngest(ctx);
    await ingest.handle(OBS_TOPIC, Buffer.from('not json'));
    await ingest.handle(OBS_TOPIC, batch(bpObservation({ deviceId: 'ff:ff:ff:ff:ff:ff' })));
    expect((await get('/api/dead-letters', await signIn('nurse'))).statusCode).toBe(403);
    const admin = await signIn('admin');
    const all = (await get('/api/dead-letters', admin)).json() as DeadLetter[];
    expect(all.map((d) => d.code)).toEqual(['UNKNOWN_DEVICE', 'MALFORMED_JSON']);
    const filtered = (await get('/api/dead-letters?code=MALFORMED_JSON', admin)).json() as DeadLetter[];
    expect(filtered).toHaveLength(1);
    expect(filtered[0]!.payload).toBe('not json');
  });

  it('lets an admin register a device and assign it, after which its readings reach the bed', async () => {
    const admin = await signIn('admin');
    const headers = { authorization: `Bearer ${admin}` };
    const created = await app.inject({
      method: 'POST',
      url: '/api/devices',
      headers,
      payload: { deviceId: 'bb:00:00:00:00:09', model: 'bp-cuff', siteCode: 'site-a' },
    });
    expect(created.statusCode).toBe(201);
    const assigned = await app.inject({
      method: 'PUT',
      url: '/api/devices/bb:00:00:00:00:09/assignment',
      headers,
      payload: { patientId: 'ward-a-p002' },
    });
    expect(assigned.statusCode).toBe(200);
    const obs = bpObservation({ deviceId: 'bb:00:00:00:00:09' });
    const outcome = await testIngest(ctx).handle(OBS_TOPIC, batch(obs));
    expect(outcome.observations[0]).toMatchObject({ patientId: 'ward-a-p002', bedId: 'ward-a-bed-2' });
    const nurseAssign = await app.inject({
      method: 'PUT',
      url: '/api/devices/bb:00:00:00:00:09/assignment',
      headers: { authorization: `Bearer ${await signIn('nurse')}` },
      payload: { patientId: 'ward-a-p001' },
    });
    expect(nurseAssign.statusCode).toBe(403);
  });

  it('lets an admin discharge a resident and admit another to the freed bed', async () => {
    const admin = { authorization: `Bearer ${await signIn('admin')}` };
    const nurse = { authorization: `Bearer ${await signIn('nurse')}` };
    const admit = (headers: Record<string, string>, bedId: string) =>
      app.inject({
        method: 'POST',
        url: '/api/patients',
        headers,
        payload: { displayName: 'Una Test', bedId },
      });

    expect((await admit(admin, 'ward-a-bed-2')).json()).toMatchObject({ code: 'WL_CONFLICT' });
    expect((await admit(nurse, 'ward-a-bed-2')).statusCode).toBe(403);

    const discharged = await app.inject({
      method: 'POST',
      url: '/api/patients/ward-a-p002/discharge',
      headers: admin,
    });
    expect(discharged.json()).toMatchObject({ id: 'ward-a-p002', bedId: null, wardId: null });
    expect((await ctx.devices.listAssignments()).some((a) => a.patientId === 'ward-a-p002')).toBe(false);
    // The discharged resident's cuff no longer lands on anyone's bed, but the reading is kept.
    const stray = await testIngest(ctx).handle(
      OBS_TOPIC,
      batch(bpObservation({ deviceId: 'aa:00:00:00:00:02' })),
    );
    expect(stray.observations[0]).toMatchObject({ patientId: null, bedId: null });

    const admitted = await admit(admin, 'ward-a-bed-2');
    expect(admitted.statusCode).toBe(201);
    const patient = admitted.json() as { id: string; bedId: string; wardId: string };
    expect(patient).toMatchObject({ bedId: 'ward-a-bed-2', wardId: 'ward-a' });
    expect(patient.id).toMatch(/^p-[0-9a-f-]{36}$/);
    const beds = (await get('/api/wards/ward-a/beds', await signIn('nurse'))).json() as BedState[];
    expect(beds[1]!.patient).toMatchObject({ id: patient.id, displayName: 'Una Test' });
    expect((await admit(admin, 'no-such-bed')).statusCode).toBe(404);
  });

  it('returns the newest readings first when asked, with the bed label on the patient', async () => {
    const times = ['2026-11-20T08:00:00.000Z', '2026-11-20T12:00:00.000Z', '2026-11-20T20:00:00.000Z'];
    await testIngest(ctx, { now: () => new Date('2026-11-21T00:00:00Z') }).handle(
      OBS_TOPIC,
      batch(...times.map((measuredAt) => bpObservation({ measuredAt }))),
    );
    const token = await signIn('nurse');
    const latestTwo = (await get('/api/patients/ward-a-p001/observations?order=desc&limit=2', token)).json();
    expect((latestTwo as StoredObservation[]).map((h) => h.observation.measuredAt)).toEqual([
      times[2],
      times[1],
    ]);
    expect((await get('/api/patients/ward-a-p001', token)).json()).toMatchObject({ bedLabel: 'Room 1' });
  });

  it("shows a family member their relative's devices and no one else's", async () => {
    const family = await signIn('family');
    const own = (await get('/api/patients/ward-a-p001/devices', family)).json() as { deviceId: string }[];
    expect(own.map((d) => d.deviceId)).toEqual(['aa:00:00:00:00:01', 'aa:00:00:00:01:01']);
    expect((await get('/api/patients/ward-a-p002/devices', family)).statusCode).toBe(403);
  });

  it('refuses to register a device under the prefix reserved for staff entries', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/devices',
      headers: { authorization: `Bearer ${await signIn('admin')}` },
      payload: { deviceId: 'staff:nurse', model: 'bp-cuff', siteCode: 'site-a' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'WL_CONFLICT' });
  });

  it('lists gateways with their last status to staff', async () => {
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await testIngest(ctx).handle(
      'wardline/v1/site-a/gw-1/status',
      Buffer.from(JSON.stringify({ v: 1, state: 'online', at })),
    );
    const gateways = (await get('/api/gateways', await signIn('nurse'))).json() as {
      id: string;
      status: unknown;
    }[];
    expect(gateways).toEqual([
      expect.objectContaining({ id: 'site-a:gw-1', wardId: 'ward-a', status: { v: 1, state: 'online', at } }),
    ]);
    expect((await get('/api/gateways', await signIn('family'))).statusCode).toBe(403);
  });

  it('reports health and Prometheus counters without authentication', async () => {
    await testIngest(ctx).handle(OBS_TOPIC, batch(bpObservation()));
    const health = await get('/api/health');
    // No MQTT session in this app: degraded, and it says so.
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({
      status: 'degraded',
      database: { ok: true },
      ingest: { accepted: 1 },
    });
    const metrics = await get('/metrics');
    expect(metrics.body).toContain('wardline_observations_accepted_total 1');
  });
});
