import type { BpReport, PosturalStatus, PosturalTest } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { OBS_TOPIC, TEST_PASSWORD, batch, bpObservation, testContext, testIngest } from '../testing.js';

const PATIENT = 'ward-a-p001';

describe('blood-pressure management routes', () => {
  let ctx: ServerContext;
  let app: FastifyInstance;
  const tokens: Record<string, string> = {};

  const call = (method: 'GET' | 'PUT' | 'POST', url: string, who: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${tokens[who]}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  beforeAll(async () => {
    ctx = await testContext();
    app = await buildApp({ context: ctx });
    for (const who of ['nurse', 'charge', 'family']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username: who, password: TEST_PASSWORD },
      });
      tokens[who] = (res.json() as { token: string }).token;
    }
    // Five January days (London on GMT) of the resident's cuff: pairs at 08:00/08:02 and 19:00/19:02.
    // Day one runs high (170/100); days two to five 140/80 and 142/82.
    const readings = [];
    for (let d = 5; d <= 9; d++)
      for (const [time, sys, dia] of [
        ['08:00', 140, 80],
        ['08:02', 142, 82],
        ['19:00', 140, 80],
        ['19:02', 142, 82],
      ] as const) {
        const high = d === 5;
        const o = bpObservation({ measuredAt: `2026-01-0${d}T${time}:00.000Z` });
        (o.values as { systolic: { value: number }; diastolic: { value: number } }).systolic.value = high
          ? 170
          : sys;
        (o.values as { diastolic: { value: number } }).diastolic.value = high ? 100 : dia;
        readings.push(o);
      }
    const outcome = await testIngest(ctx, { now: () => new Date('2026-01-10T00:00:00Z') }).handle(
      OBS_TOPIC,
      batch(...readings),
    );
    expect(outcome.observations).toHaveLength(20);
  });
  afterAll(async () => {
    await app?.close();
  });

  const reportUrl = `/api/patients/${PATIENT}/bp-report?from=2026-01-01T00:00:00Z&to=2026-01-10T00:00:00Z`;

  it('reports the series, average and stage, and records the view in the audit', async () => {
    const res = await call('GET', reportUrl, 'nurse');
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json() as BpReport;
    expect(report.series).toEqual({
      status: 'complete',
      days: ['2026-01-05', '2026-01-06', '2026-01-07', '2026-01-08', '2026-01-09'],
      missing: [],
    });
    expect(report.homeAverage).toEqual({ systolic: 141, diastolic: 81, readings: 16 });
    expect(report.stage).toBe('stage1');
    expect(report.target).toBeNull();
    const audit = await ctx.audit.search('org-default', { patientId: PATIENT, limit: 10 } as never);
    expect(audit.map((e) => e.action)).toContain('patient.bp_report.view');
  });

  it('applies the age target once a clinical lead marks the patient treated', async () => {
    expect(
      (await call('PUT', `/api/patients/${PATIENT}/bp-treatment`, 'nurse', { treated: true })).statusCode,
    ).toBe(403);
    await ctx.patients.updateDetails(PATIENT, { dateOfBirth: '1940-03-01' });
    const set = await call('PUT', `/api/patients/${PATIENT}/bp-treatment`, 'charge', { treated: true });
    expect(set.statusCode, set.body).toBe(200);
    const report = (await call('GET', reportUrl, 'nurse')).json() as BpReport;
    expect(report).toMatchObject({ treated: true, ageYears: 85, target: { systolic: 145, diastolic: 85 } });
    // Day one's 170/100 readings are above target: 16 of 20 below 145/85.
    expect(report.atTarget).toEqual({ readings: 16, total: 20, share: 0.8 });
  });

  it('leaves a loose-cuff reading out of the average and counts it as unreliable', async () => {
    const loose = bpObservation({
      measuredAt: '2026-01-09T08:01:00.000Z',
      systolic: 210,
      quality: ['cuff_too_loose'],
    });
    const stored = await testIngest(ctx, { now: () => new Date('2026-01-10T00:00:00Z') }).handle(
      OBS_TOPIC,
      batch(loose),
    );
    expect(stored.observations).toHaveLength(1);
    const report = (await call('GET', reportUrl, 'nurse')).json() as BpReport;
    expect(report.unreliableReadings).toBe(1);
    expect(report.homeAverage).toEqual({ systolic: 141, diastolic: 81, readings: 16 });
  });

  it('exports CSV, and refuses the family', async () => {
    const csv = await call('GET', `${reportUrl}&format=csv`, 'nurse');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toContain('2026-01-05,morning,170,100,2,no,day one: discarded');
    expect(csv.body).toContain('home_average,,141,81,16,,');
    expect((await call('GET', reportUrl, 'family')).statusCode).toBe(403);
  });

  it('records a postural test and flags the resident at risk of falls on a 22 mmHg drop', async () => {
    const before = (
      await call('GET', `/api/patients/${PATIENT}/postural-tests`, 'nurse')
    ).json() as PosturalStatus;
    expect(before.atRiskOfFalls).toBe(false);
    const at = (m: number) => `2026-01-10T10:0${m}:00Z`;
    const negative = await call('POST', `/api/patients/${PATIENT}/postural-tests`, 'nurse', {
      lying: { systolic: 142, diastolic: 80, measuredAt: at(0) },
      standing1: { systolic: 124, diastolic: 76, measuredAt: at(2) },
      standing3: { systolic: 126, diastolic: 78, measuredAt: at(4) },
    });
    expect(negative.statusCode, negative.body).toBe(201);
    expect((negative.json() as PosturalTest).positive).toBe(false);
    expect(
      ((await call('GET', `/api/patients/${PATIENT}/postural-tests`, 'nurse')).json() as PosturalStatus)
        .atRiskOfFalls,
    ).toBe(false);

    const positive = await call('POST', `/api/patients/${PATIENT}/postural-tests`, 'nurse', {
      lying: { systolic: 142, diastolic: 80, measuredAt: at(5) },
      standing1: { systolic: 120, diastolic: 76, measuredAt: at(7) },
    });
    expect(positive.json()).toMatchObject({
      positive: true,
      findings: ['systolic fell 22 mmHg at 1 minute standing'],
    });
    const status = (
      await call('GET', `/api/patients/${PATIENT}/postural-tests`, 'nurse')
    ).json() as PosturalStatus;
    expect(status).toMatchObject({ atRiskOfFalls: true, latest: { positive: true, recordedBy: 'nurse' } });
    expect(status.tests).toHaveLength(2);
    const audit = await ctx.audit.search('org-default', { patientId: PATIENT, limit: 50 } as never);
    expect(audit.filter((e) => e.action === 'patient.postural_test.record')).toHaveLength(2);
  });

  it('refuses a test whose standing reading is before the lying one', async () => {
    const res = await call('POST', `/api/patients/${PATIENT}/postural-tests`, 'nurse', {
      lying: { systolic: 142, diastolic: 80, measuredAt: '2026-01-10T11:05:00Z' },
      standing1: { systolic: 120, diastolic: 76, measuredAt: '2026-01-10T11:00:00Z' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('the standing reading is before the lying one');
  });
});
