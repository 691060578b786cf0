import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Alert, AlertWithHistory, News2Summary, PatientThresholds } from '@wardline/protocol';
import { buildApp } from '../app.js';
import { OBS_TOPIC, TEST_PASSWORD } from '../testing.js';
import { alertTestbed, bp, obsBatch, reading } from './testing.js';

const MIN = 60_000;
const P1 = 'ward-a-p001';
const FALLS = 'aa:00:00:00:01:01';

describe('alert engine', () => {
  let bed: Awaited<ReturnType<typeof alertTestbed>>;
  let app: FastifyInstance;
  const send = (...obs: Parameters<typeof obsBatch>[1][]) =>
    bed.send(OBS_TOPIC, obsBatch(bed.clock.now, ...obs));
  const ago = (ms: number) => new Date(bed.clock.now.getTime() - ms);

  beforeEach(async () => {
    bed = await alertTestbed();
    app = await buildApp({ context: bed.ctx });
  });
  afterEach(async () => {
    await app.close();
  });

  async function token(username: string) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: TEST_PASSWORD },
    });
    return (res.json() as { token: string }).token;
  }
  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    user: string,
    payload?: object,
  ) =>
    app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${await token(user)}` },
      ...(payload ? { payload } : {}),
    });

  it('raises a fall at once as critical, keeps one alert for a repeat, and never clears it by itself', async () => {
    await send(reading('fall', { confidence: { value: 91, unit: '%' } }, ago(1000), FALLS));
    let open = await bed.unresolved(P1);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      condition: 'fall',
      priority: 'critical',
      state: 'open',
      level: 1,
      wardId: 'ward-a',
    });
    await send(reading('fall', { confidence: { value: 80, unit: '%' } }, ago(500), FALLS));
    await send(bp(124, 80, 70, ago(100)));
    open = await bed.unresolved(P1);
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ condition: 'fall', occurrences: 2 });
  });

  it('needs high readings at least a minute apart to alert, and 30 minutes back below the hysteresis to clear', async () => {
    await send(bp(186, 95, 70, ago(6 * MIN)));
    expect(await bed.unresolved(P1)).toEqual([]);
    await send(bp(128, 80, 70, ago(5 * MIN)));
    await send(bp(190, 95, 70, ago(4 * MIN)));
    expect(await bed.unresolved(P1)).toEqual([]); // high, normal, high: noise, not a trend
    await send(bp(184, 96, 70, ago(4 * MIN - 30_000)));
    expect(await bed.unresolved(P1)).toEqual([]); // two high readings 30 s apart: not yet confirmed
    await send(bp(188, 96, 70, ago(3 * MIN)));
    expect((await bed.unresolved(P1)).map((a) => [a.condition, a.priority])).toEqual([['bp_high', 'medium']]);
    await send(bp(175, 90, 70, ago(150_000))); // below 180 but not 10 below: still high
    await send(bp(150, 88, 70, ago(2 * MIN)));
    await send(bp(148, 86, 70, ago(MIN)));
    expect(await bed.unresolved(P1)).toHaveLength(1); // back in range for a minute only
    bed.advance(40 * MIN);
    await send(bp(145, 86, 70, ago(5 * MIN)));
    expect(await bed.unresolved(P1)).toEqual([]);
    const [alert] = await bed.ctx.alerting.store.list({ limit: 5 });
    expect(alert).toMatchObject({ state: 'resolved', resolved_by: 'system' });
    expect(alert!.resolution_note).toMatch(/back within range for 3\d min/);
  });

  it('scores a partial NEWS2 from the cuff at once, labelled with what is missing, and completes it from staff entry', async () => {
    await send(bp(88, 52, 128, ago(MIN)));
    const news2 = (await bed.unresolved(P1)).find((a) => a.condition === 'news2')!;
    // Systolic 88 scores 3 and pulse 128 scores 2: 5 of a partial score, medium risk.
    expect(news2).toMatchObject({ priority: 'high', title: 'NEWS2 5: medium risk' });
    expect(news2.message).toContain(
      'Partial score: respiration rate, SpO2, air or oxygen, consciousness (ACVPU) and temperature not recorded',
    );
    const res = await call('POST', `/api/patients/${P1}/manual-observations`, 'nurse', {
      respirationRate: 26,
      consciousness: 'A',
      onOxygen: false,
      spo2: 95,
      temperature: 37.2,
    });
    expect(res.statusCode).toBe(201);
    const summary = (await call('GET', `/api/patients/${P1}/news2`, 'nurse')).json() as News2Summary;
    expect(summary).toMatchObject({ score: 3 + 2 + 3 + 1, complete: true, risk: 'high', missing: [] });
    expect(summary.parameters.find((p) => p.parameter === 'respirationRate')).toMatchObject({
      source: 'staff:nurse',
      ageMinutes: 0,
    });
    const updated = (await bed.unresolved(P1)).find((a) => a.condition === 'news2')!;
    expect(updated).toMatchObject({ id: news2.id, priority: 'critical', title: 'NEWS2 9: high risk' });
    expect(updated.message).not.toContain('Partial');
    const history = (await call('GET', `/api/alerts/${news2.id}`, 'nurse')).json() as AlertWithHistory;
    expect(history.transitions.map((t) => t.type)).toEqual(['opened', 'updated']);
  });

  it('takes NEWS2 pulse from whichever of cuff, oximeter or heart-rate sensor measured last', async () => {
    await send(bp(128, 80, 72, ago(10 * MIN)));
    await send(
      reading(
        'spo2',
        { spo2: { value: 97, unit: '%' }, pulseRate: { value: 115, unit: 'bpm' } },
        ago(2 * MIN),
        'aa:00:00:00:00:01',
      ),
    );
    expect((await bed.ctx.alerting.news2(P1)).parameters.find((p) => p.parameter === 'pulse')).toMatchObject({
      value: 115,
      score: 2,
      ageMinutes: 2,
    });
    await send(reading('heart_rate', { heartRate: { value: 64, unit: 'bpm' } }, ago(MIN)));
    expect((await bed.ctx.alerting.news2(P1)).parameters.find((p) => p.parameter === 'pulse')).toMatchObject({
      value: 64,
      score: 0,
    });
  });

  it('shows a stale parameter as missing, with its age, instead of reusing it', async () => {
    await send(bp(128, 80, 72, ago(25 * 60 * MIN)));
    await send(reading('body_temperature', { temperature: { value: 36.8, unit: '°C' } }, ago(MIN)));
    const summary = await bed.ctx.alerting.news2(P1);
    expect(summary.parameters.map((p) => p.parameter)).toEqual(['temperature']);
    expect(summary.stale.map((s) => s.parameter).sort()).toEqual(['pulse', 'systolic']);
    expect(summary.missing).toContain('systolic');
    expect(summary.complete).toBe(false);
  });

  it('lets a nurse acknowledge and resolve with a note, audited, and refuses a second acknowledgement', async () => {
    await send(reading('help_request', {}, ago(1000), FALLS));
    const [alert] = await bed.unresolved(P1);
    const ack = await call('POST', `/api/alerts/${alert!.id}/acknowledge`, 'nurse', {});
    expect(ack.json()).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'nurse',
      nextEscalationAt: null,
    });
    const again = await call('POST', `/api/alerts/${alert!.id}/acknowledge`, 'nurse', {});
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'WL_ALERT_NOT_OPEN' });
    expect((await call('POST', `/api/alerts/${alert!.id}/resolve`, 'nurse', {})).statusCode).toBe(400);
    const resolved = await call('POST', `/api/alerts/${alert!.id}/resolve`, 'nurse', {
      note: 'Reassured, call bell in reach',
    });
    expect(resolved.json()).toMatchObject({
      state: 'resolved',
      resolvedBy: 'nurse',
      resolutionNote: 'Reassured, call bell in reach',
    });
    const family = await call('POST', `/api/alerts/${alert!.id}/resolve`, 'family', { note: 'x' });
    expect(family.statusCode).toBe(403);
    const detail = (await call('GET', `/api/alerts/${alert!.id}`, 'admin')).json() as AlertWithHistory;
    expect(detail.transitions.map((t) => [t.type, t.actor, t.fromState, t.toState])).toEqual([
      ['opened', 'system', null, 'open'],
      ['acknowledged', 'nurse', 'open', 'acknowledged'],
      ['resolved', 'nurse', 'acknowledged', 'resolved'],
    ]);
    // A new help call after resolution is a new alert.
    bed.advance(MIN);
    await send(reading('help_request', {}, ago(100), FALLS));
    const after = await bed.unresolved(P1);
    expect(after.map((a) => a.condition)).toEqual(['help_request']);
    expect(after[0]!.id).not.toBe(alert!.id);
  });

  it('lists and filters alerts; a family member sees only their relative’s fall, worded without detail', async () => {
    await send(reading('fall', { confidence: { value: 93, unit: '%' } }, ago(1000), FALLS));
    await send(bp(88, 50, 70, ago(500), 'aa:00:00:00:00:02')); // resident 2, NEWS2 red
    const listed = await call('GET', '/api/alerts?state=open&wardId=ward-a', 'nurse');
    expect(listed.statusCode, listed.body).toBe(200);
    const nurseList = listed.json() as Alert[];
    expect(nurseList.map((a) => a.condition).sort()).toEqual(['fall', 'news2']);
    const p2 = (await call('GET', '/api/alerts?patientId=ward-a-p002', 'nurse')).json() as Alert[];
    expect(p2.map((a) => a.condition)).toEqual(['news2']);
    const familyList = (await call('GET', '/api/alerts', 'family')).json() as Alert[];
    expect(familyList).toHaveLength(1);
    expect(familyList[0]).toMatchObject({
      condition: 'fall',
      limited: true,
      detail: null,
      deviceId: null,
      message: 'A fall was detected; staff are responding.',
    });
    expect((await call('GET', `/api/alerts/${p2[0]!.id}`, 'family')).statusCode).toBe(404);
    expect((await call('GET', `/api/patients/${P1}/news2`, 'family')).statusCode).toBe(403);
  });

  it('audits threshold changes and applies the SpO2 scale per patient', async () => {
    await send(reading('spo2', { spo2: { value: 89, unit: '%' } }, ago(2 * MIN)));
    await send(reading('spo2', { spo2: { value: 89, unit: '%' } }, ago(MIN)));
    expect((await bed.unresolved(P1)).map((a) => a.condition).sort()).toEqual(['news2', 'spo2_low']);
    const put = await call('PUT', `/api/patients/${P1}/thresholds`, 'charge', {
      changes: { spo2Scale: 2, systolicHigh: 170 },
      reason: 'COPD with hypercapnia: target 88-92 per respiratory team',
    });
    expect(put.statusCode).toBe(200);
    const t = put.json() as PatientThresholds;
    expect(t.thresholds).toMatchObject({ spo2Scale: 2, systolicHigh: 170, spo2Low: null });
    expect(t.history.map((h) => [h.field, h.oldValue, h.newValue, h.by])).toEqual([
      ['spo2Scale', 1, 2, 'charge'],
      ['systolicHigh', 180, 170, 'charge'],
    ]);
    expect(t.history[0]!.reason).toContain('COPD');
    expect(await bed.ctx.alerting.news2(P1)).toMatchObject({ spo2Scale: 2 });
    // On scale 2, 89 % is on target: NEWS2 clears with the next reading, the SpO2 alert once
    // readings have stayed on target for 30 minutes.
    await send(reading('spo2', { spo2: { value: 89, unit: '%' } }, ago(30_000)));
    await send(reading('spo2', { spo2: { value: 90, unit: '%' } }, ago(10_000)));
    expect((await bed.unresolved(P1)).map((a) => a.condition)).toEqual(['spo2_low']);
    bed.advance(31 * MIN);
    await send(reading('spo2', { spo2: { value: 90, unit: '%' } }, ago(10_000)));
    expect(await bed.unresolved(P1)).toEqual([]);
    for (const refused of ['family', 'nurse'])
      expect(
        (await call('PUT', `/api/patients/${P1}/thresholds`, refused, { changes: {}, reason: 'xyz' }))
          .statusCode,
      ).toBe(403);
    expect(
      (
        await call('PUT', `/api/patients/${P1}/thresholds`, 'charge', {
          changes: { spo2Scale: 3 },
          reason: 'xyz',
        })
      ).statusCode,
    ).toBe(400);
  });

  it('escalates an unacknowledged alert once per timeout, level by level, and stops when acknowledged', async () => {
    await send(reading('fall', {}, ago(1000), FALLS));
    const [alert] = await bed.unresolved(P1);
    expect(alert!.nextEscalationAt).toBe(new Date(bed.clock.now.getTime() + 5 * MIN).toISOString());
    bed.advance(4 * MIN);
    await bed.ctx.alerting.tick();
    expect((await bed.unresolved(P1))[0]!.level).toBe(1);
    bed.advance(MIN);
    await bed.ctx.alerting.tick();
    await bed.ctx.alerting.tick(); // a second tick at the same instant must not escalate again
    expect((await bed.unresolved(P1))[0]).toMatchObject({ level: 2, levelName: 'nurse in charge' });
    bed.advance(5 * MIN);
    await bed.ctx.alerting.tick();
    expect((await bed.unresolved(P1))[0]).toMatchObject({ level: 3, levelName: 'on-call clinician' });
    bed.advance(5 * MIN);
    await bed.ctx.alerting.tick();
    expect((await bed.unresolved(P1))[0]).toMatchObject({ level: 3 });
    await call('POST', `/api/alerts/${alert!.id}/acknowledge`, 'nurse', {});
    bed.advance(60 * MIN);
    await bed.ctx.alerting.tick();
    const types = (await bed.ctx.alerting.store.transitions(alert!.id)).map((t) => t.type);
    // The third 'escalated' is the long lie at 10 min (falls-incident): already at the top level.
    expect(types).toEqual(['opened', 'escalated', 'escalated', 'escalated', 'renotified', 'acknowledged']);
  });

  it('stores a reading even when its rules fail, and raises the alert on the next tick', async () => {
    // A broken alert store (here: its table renamed away) must not stall ingest of falls.
    await bed.ctx.sql.exec('ALTER TABLE alerts RENAME TO alerts_away');
    const outcome = await send(reading('fall', {}, ago(1000), FALLS));
    expect(outcome.observations).toHaveLength(1);
    await bed.ctx.sql.exec('ALTER TABLE alerts_away RENAME TO alerts');
    expect(await bed.unresolved(P1)).toEqual([]);
    await bed.ctx.alerting.tick();
    expect((await bed.unresolved(P1)).map((a) => a.condition)).toEqual(['fall']);
  });

  it('holds at most one unresolved alert per patient and condition in the database itself', async () => {
    await send(reading('fall', {}, ago(1000), FALLS));
    const refused = await bed.ctx.sql
      .run(
        `INSERT INTO alerts (subject, condition, patient_id, priority, state, title, message, detail_json, opened_at, updated_at)
         VALUES ('patient:${P1}', 'fall', '${P1}', 'critical', 'open', 't', 'm', '{}', 'x', 'x')`,
      )
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(bed.ctx.sql.constraintViolated(refused)).toBe('unique');
  });

  it('alarms on missing data: an overdue scheduled reading, a silent falls sensor, an offline gateway, a low battery', async () => {
    await send(bp(128, 80, 72, ago(MIN)));
    await bed.ctx.alerting.tick();
    expect(await bed.unresolved()).toEqual([]);
    bed.advance(13 * 60 * MIN); // due after 12 h, then 2 h of grace
    await bed.ctx.alerting.tick();
    const conditions = async () =>
      (await bed.unresolved()).map((a) => `${a.patientId ?? a.gatewayId}:${a.condition}`).sort();
    // Resident 2 never took a reading; resident 1's falls sensor has not been heard since assignment.
    expect(await conditions()).toEqual([`${P1}:device_silent`]);
    bed.advance(61 * MIN);
    await bed.ctx.alerting.tick();
    expect(await conditions()).toEqual([
      `${P1}:device_silent`,
      `${P1}:reading_overdue`,
      'ward-a-p002:reading_overdue',
    ]);
    await send(bp(126, 80, 70, ago(1000)));
    await bed.send('wardline/v1/site-a/gw-1/devices', {
      v: 1,
      devices: [
        {
          deviceId: FALLS,
          connected: true,
          lastSeen: ago(0).toISOString(),
          battery: { value: 9, unit: '%' },
        },
      ],
    });
    expect(await conditions()).toEqual([`${P1}:battery_low`, 'ward-a-p002:reading_overdue']);
    await bed.send('wardline/v1/site-a/gw-1/status', { v: 1, state: 'offline', at: ago(0).toISOString() });
    await bed.ctx.alerting.tick();
    expect(await conditions()).not.toContain('site-a:gw-1:gateway_offline'); // within the reconnect grace
    bed.advance(3 * MIN);
    await bed.ctx.alerting.tick();
    expect(await conditions()).toContain('site-a:gw-1:gateway_offline');
    await bed.send('wardline/v1/site-a/gw-1/status', { v: 1, state: 'online', at: ago(0).toISOString() });
    expect(await conditions()).not.toContain('site-a:gw-1:gateway_offline');
  });

  it('in a group of messages stored together, opens one alert for a repeat, clears one opened before it, and clears one it opened itself', async () => {
    const DEVICES = 'wardline/v1/site-a/gw-1/devices';
    const battery = (value: number) => ({
      v: 1,
      devices: [
        { deviceId: FALLS, connected: true, lastSeen: ago(0).toISOString(), battery: { value, unit: '%' } },
      ],
    });
    const conditions = async () =>
      (await bed.unresolved()).map((a) => `${a.patientId ?? a.gatewayId}:${a.condition}`).sort();
    await bed.send('wardline/v1/site-a/gw-1/status', { v: 1, state: 'offline', at: ago(0).toISOString() });
    bed.advance(3 * MIN);
    await bed.ctx.alerting.tick();
    expect(await conditions()).toContain('site-a:gw-1:gateway_offline');

    await bed.sendGroup([
      { topic: DEVICES, payload: battery(9) },
      { topic: DEVICES, payload: battery(8) },
      {
        topic: 'wardline/v1/site-a/gw-1/status',
        payload: { v: 1, state: 'online', at: ago(0).toISOString() },
      },
    ]);
    expect(await conditions()).toEqual([`${P1}:battery_low`]);
    expect((await bed.unresolved())[0]!.occurrences).toBe(1);

    await bed.sendGroup([{ topic: DEVICES, payload: battery(60) }]);
    expect(await conditions()).toEqual([]);

    // Opened and cleared within one group: the clear finds the alert the group opened.
    await bed.sendGroup([
      { topic: DEVICES, payload: battery(7) },
      { topic: DEVICES, payload: battery(61) },
    ]);
    expect(await conditions()).toEqual([]);
    const batteryAlerts = await bed.ctx.alerting.store.list({ condition: 'battery_low', limit: 10 });
    expect(batteryAlerts.map((a) => a.state)).toEqual(['resolved', 'resolved']);
  });

  it('manages family contacts with consent, audited, and validates the time zone', async () => {
    const base = {
      name: 'Sam Thornfield',
      email: 'sam@example.org',
      timeZone: 'Europe/London',
      quietHours: { start: '22:00', end: '07:00' },
      consent: { notify: true, clinicalDetail: false, fallsDuringQuietHours: false },
      consentNote: 'written consent form, 21 Nov',
    };
    const created = await call('POST', `/api/patients/${P1}/contacts`, 'charge', base);
    expect(created.statusCode).toBe(201);
    const id = (created.json() as { id: number }).id;
    expect(
      (
        await call('POST', `/api/patients/${P1}/contacts`, 'charge', { ...base, timeZone: 'Mars/Base' })
      ).json(),
    ).toMatchObject({
      code: 'WL_BAD_TIME_ZONE',
    });
    const updated = await call('PUT', `/api/patients/${P1}/contacts/${id}`, 'admin', {
      ...base,
      consent: { ...base.consent, clinicalDetail: true },
    });
    expect(updated.json()).toMatchObject({ consent: { clinicalDetail: true }, consentRecordedBy: 'admin' });
    expect((await call('GET', `/api/patients/${P1}/contacts`, 'family')).statusCode).toBe(403);
    // Family contacts are clinical leadership's: a nurse may read them, not change them.
    expect((await call('DELETE', `/api/patients/${P1}/contacts/${id}`, 'nurse')).statusCode).toBe(403);
    expect((await call('DELETE', `/api/patients/${P1}/contacts/${id}`, 'charge')).statusCode).toBe(204);
    const left = (await call('GET', `/api/patients/${P1}/contacts`, 'nurse')).json() as { name: string }[];
    expect(left.map((c) => c.name)).toEqual(['Demo Family Member']);
    const audit = await bed.ctx.sql.all(
      `SELECT action, by FROM family_contact_changes WHERE contact_id = ? ORDER BY id`,
      [id],
    );
    expect(audit).toEqual([
      { action: 'created', by: 'charge' },
      { action: 'updated', by: 'admin' },
      { action: 'deleted', by: 'charge' },
    ]);
  });
});
