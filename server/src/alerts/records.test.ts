/**
 * The alert records on both engines: the alert store, the notification outbox, thresholds, family
 * contacts and NEWS2 history, and the engine's rules reading and writing through them.
 */
import { randomUUID } from 'node:crypto';
import type { FamilyContactInput, Observation } from '@wardline/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../db/engines/engine.js';
import type { AcceptedObservation, IngestOutcome } from '../ingest/ingest.js';
import { createOutbox } from '../notify/outbox.js';
import { describeEngines } from '../testing-sql.js';
import { defaultAlertingConfig } from './config.js';
import { createContactRepository } from './contacts.js';
import { createAlerting } from './engine.js';
import { createNews2History } from './news2-history.js';
import { createAlertStore, type OpenSpec } from './store.js';
import { createThresholdRepository } from './thresholds.js';

const MIN = 60_000;
const P1 = 'p-1';
const P2 = 'p-2';
const CUFF = 'aa:00:00:00:00:01';
const FALLS = 'aa:00:00:00:01:01';
const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();

/** Two organisations, a ward each, a resident each; resident 1 has a cuff and a falls sensor. */
async function seed(sql: SqlDatabase): Promise<void> {
  const at = iso(-60 * MIN);
  for (const [org, ward, bed, patient] of [
    ['org-a', 'ward-a', 'bed-a', P1],
    ['org-b', 'ward-b', 'bed-b', P2],
  ] as const) {
    await sql.run(`INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?)`, [org, org, at]);
    await sql.run(
      `INSERT INTO sites (id, organisation_id, code, name, kind, created_at) VALUES (?, ?, ?, ?, 'care_home', ?)`,
      [`site-${org}`, org, `code-${org}`, org, at],
    );
    await sql.run(
      `INSERT INTO wards (id, name, kind, site_code, site_id, organisation_id)
       VALUES (?, ?, 'care_home', ?, ?, ?)`,
      [ward, ward, `code-${org}`, `site-${org}`, org],
    );
    await sql.run(`INSERT INTO beds (id, ward_id, label) VALUES (?, ?, '1')`, [bed, ward]);
    await sql.run(
      `INSERT INTO patients (id, display_name, bed_id, admitted_at, organisation_id) VALUES (?, ?, ?, ?, ?)`,
      [patient, `Resident ${patient}`, bed, at, org],
    );
  }
  for (const [device, model] of [
    [CUFF, 'bp-cuff'],
    [FALLS, 'falls-sensor'],
  ] as const) {
    await sql.run(`INSERT INTO devices (id, model, site_code) VALUES (?, ?, 'code-org-a')`, [device, model]);
    await sql.run(
      `INSERT INTO assignments (device_id, patient_id, assigned_at, assigned_by) VALUES (?, ?, ?, 'test')`,
      [device, P1, at],
    );
  }
}

function spec(over: Partial<OpenSpec> = {}): OpenSpec {
  return {
    subject: `patient:${P1}`,
    condition: 'bp_high',
    patientId: P1,
    wardId: 'ward-a',
    priority: 'medium',
    title: 'Blood pressure high',
    message: '186/100 mmHg',
    detail: { n: 1 },
    nextEscalationAt: iso(15 * MIN),
    ...over,
  };
}

describeEngines('alert records', (open) => {
  let sql: SqlDatabase;
  beforeEach(async () => {
    sql = await open();
    await seed(sql);
  });
  afterEach(async () => {
    await sql.close();
  });

  it('keeps one unresolved alert per subject and condition, even when two raise it at once', async () => {
    const store = createAlertStore(sql);
    // Outside a transaction each call takes its own connection on PostgreSQL: a real race.
    const [first, second] = await Promise.all([store.open(spec(), iso(0)), store.open(spec(), iso(0))]);
    expect([first.created, second.created].sort()).toEqual([false, true]);
    expect(first.row.id).toBe(second.row.id);
    const opened = first.created ? first : second;
    expect(opened.transitionId).toEqual(expect.any(Number));
    expect(await store.unresolved(`patient:${P1}`, 'bp_high')).toMatchObject({
      id: first.row.id,
      state: 'open',
    });

    // Resolved, the same subject and condition may open again: a new alert.
    expect(await store.resolve(first.row.id, 'nurse', iso(MIN), 'checked')).toEqual(expect.any(Number));
    expect(await store.resolve(first.row.id, 'nurse', iso(MIN), 'again')).toBeNull();
    const again = await store.open(spec(), iso(2 * MIN));
    expect(again.created).toBe(true);
    expect(again.row.id).not.toBe(first.row.id);
    expect((await store.allUnresolved()).map((r) => r.id)).toEqual([again.row.id]);
  });

  it('moves an alert through its lifecycle once, each step audited with the state it left', async () => {
    const store = createAlertStore(sql);
    const { row } = await store.open(spec(), iso(0));
    expect(await store.recur(row, iso(MIN), { n: 2 })).toEqual(expect.any(Number));
    // A raise of priority while open: the earlier escalation time is kept by the caller.
    const fresh = (await store.get(row.id))!;
    expect(
      await store.update(fresh, iso(2 * MIN), { ...spec(), priority: 'high', detail: { n: 3 } }, undefined),
    ).toEqual(expect.any(Number));
    // The same priority and title: the detail changes, nothing is audited.
    expect(
      await store.update((await store.get(row.id))!, iso(3 * MIN), { ...spec(), priority: 'high' }, null),
    ).toBeNull();
    expect(await store.get(row.id)).toMatchObject({
      priority: 'high',
      occurrences: 2,
      next_escalation_at: null,
      detail_json: JSON.stringify(spec().detail),
    });

    // Escalation is conditional on the level and time read: a stale row does nothing.
    await sql.run(`UPDATE alerts SET next_escalation_at = ? WHERE id = ?`, [iso(4 * MIN), row.id]);
    expect(await store.nextEscalationAt()).toBe(iso(4 * MIN));
    const [due] = await store.dueEscalations(iso(5 * MIN));
    expect(await store.escalate(due!, 2, iso(20 * MIN), iso(5 * MIN), 'escalated')).toEqual(
      expect.any(Number),
    );
    expect(await store.escalate(due!, 2, iso(20 * MIN), iso(5 * MIN), 'escalated')).toBeNull();
    expect(await store.dueEscalations(iso(5 * MIN))).toEqual([]);

    expect(await store.acknowledge(row.id, 'nurse', iso(6 * MIN), 'on my way')).toEqual(expect.any(Number));
    expect(await store.acknowledge(row.id, 'nurse', iso(6 * MIN), null)).toBeNull();
    // A rise into a higher band reopens an acknowledged alert.
    const acknowledged = (await store.get(row.id))!;
    await store.update(acknowledged, iso(7 * MIN), { ...spec(), priority: 'critical' }, iso(9 * MIN), true);
    expect(await store.get(row.id)).toMatchObject({ state: 'open', next_escalation_at: iso(9 * MIN) });
    // amend is conditional on the state read; reopen and level move with it.
    const reopened = (await store.get(row.id))!;
    expect(
      await store.amend(
        reopened,
        iso(8 * MIN),
        { title: 'T', message: 'M', detail: {} },
        {
          type: 'escalated',
          note: 'long lie',
          occurrence: true,
          reopen: true,
          level: 3,
          nextEscalationAt: iso(30 * MIN),
        },
      ),
    ).toEqual(expect.any(Number));
    expect(
      await store.amend(
        acknowledged,
        iso(8 * MIN),
        { title: 'T', message: 'M', detail: {} },
        {
          type: 'updated',
          note: 'stale',
        },
      ),
    ).toBeNull();
    expect(await store.get(row.id)).toMatchObject({ level: 3, occurrences: 3, title: 'T' });

    const transitions = await store.transitions(row.id);
    expect(transitions.map((t) => [t.type, t.fromState, t.toState, t.level])).toEqual([
      ['opened', null, 'open', 1],
      ['recurred', 'open', 'open', 1],
      ['updated', 'open', 'open', 1],
      ['escalated', 'open', 'open', 2],
      ['acknowledged', 'open', 'acknowledged', 2],
      ['updated', 'acknowledged', 'open', 2],
      ['escalated', 'open', 'open', 3],
    ]);
    expect(transitions[2]!.note).toBe('priority medium -> high');
  });

  it('lists the inbox in its order, scoped to an organisation and to wards', async () => {
    const store = createAlertStore(sql);
    const low = await store.open(spec({ condition: 'battery_low', priority: 'low' }), iso(0));
    const high = await store.open(spec({ condition: 'spo2_low', priority: 'high' }), iso(MIN));
    const critical = await store.open(spec({ condition: 'fall', priority: 'critical' }), iso(2 * MIN));
    const other = await store.open(
      spec({ subject: `patient:${P2}`, patientId: P2, wardId: 'ward-b', priority: 'critical' }),
      iso(3 * MIN),
    );
    const byDevice = await store.open(
      spec({
        subject: `device:${CUFF}`,
        condition: 'device_silent',
        patientId: null,
        wardId: null,
        deviceId: CUFF,
      }),
      iso(4 * MIN),
    );
    await store.acknowledge(critical.row.id, 'nurse', iso(5 * MIN), null);
    await store.resolve(low.row.id, 'nurse', iso(5 * MIN), 'fixed');
    const ids = async (filter: Parameters<typeof store.list>[0]) =>
      (await store.list(filter)).map((r) => r.id);

    expect(await ids({ limit: 10 })).toEqual([
      other.row.id,
      critical.row.id,
      high.row.id,
      byDevice.row.id,
      low.row.id,
    ]);
    expect(await ids({ limit: 10, organisationId: 'org-a', state: 'unresolved' })).toEqual([
      critical.row.id,
      high.row.id,
      byDevice.row.id,
    ]);
    expect(await ids({ limit: 10, organisationId: 'org-b' })).toEqual([other.row.id]);
    expect(await ids({ limit: 10, wardIds: JSON.stringify(['ward-b']) })).toEqual([other.row.id]);
    expect(await ids({ limit: 10, state: 'resolved', patientId: P1, condition: 'battery_low' })).toEqual([
      low.row.id,
    ]);
    expect(await ids({ limit: 1 })).toEqual([other.row.id]);
  });

  it('queues a notification once per transition and recipient, and records its delivery', async () => {
    const store = createAlertStore(sql);
    const outbox = createOutbox(sql);
    const { row, transitionId } = await store.open(spec(), iso(0));
    const message = {
      alertId: row.id,
      transitionId: transitionId!,
      audience: 'staff' as const,
      channel: 'email' as const,
      recipient: 'ward@example.org',
      priority: 'medium' as const,
      subject: 'Blood pressure high',
      body: 'text',
      state: 'pending' as const,
      nextAttemptAt: iso(0),
    };
    await outbox.enqueue(message, iso(0));
    await outbox.enqueue(message, iso(0));
    await outbox.enqueue({ ...message, channel: 'webhook', recipient: 'https://pager.example.org' }, iso(0));
    await outbox.enqueue({ ...message, recipient: 'nurse@example.org', nextAttemptAt: iso(MIN) }, iso(0));
    expect(await outbox.forAlert(row.id)).toHaveLength(3);
    expect(await outbox.nextDueAt()).toBe(iso(0));
    const due = await outbox.due(iso(0));
    expect(due.map((n) => n.recipient)).toEqual(['ward@example.org', 'https://pager.example.org']);
    // Two replicas reading the same due notification: one of them sends it.
    const claims = await Promise.all([
      outbox.claim(due[0]!, iso(2 * MIN)),
      outbox.claim(due[0]!, iso(2 * MIN)),
    ]);
    expect(claims.sort()).toEqual([false, true]);
    expect((await outbox.due(iso(0))).map((n) => n.recipient)).toEqual(['https://pager.example.org']);

    await outbox.markSent(due[0]!.id, iso(10_000));
    expect(await outbox.lastSentTo('ward@example.org')).toBe(iso(10_000));
    expect(await outbox.lastSentTo('nobody@example.org')).toBeNull();
    await outbox.markFailedAttempt(due[1]!.id, 'refused', iso(2 * MIN));
    await outbox.defer(due[1]!.id, iso(3 * MIN), 'rate limited');
    await outbox.cancelStaffPending(row.id, 'alert resolved before delivery');
    const records = await outbox.forAlert(row.id);
    expect(records.map((n) => [n.recipient, n.state, n.attempts, n.lastError])).toEqual([
      ['ward@example.org', 'sent', 1, null],
      ['https://pager.example.org', 'cancelled', 1, 'alert resolved before delivery'],
      ['nurse@example.org', 'cancelled', 0, 'alert resolved before delivery'],
    ]);
    expect(await outbox.nextDueAt()).toBeNull();

    const next = await store.open(spec({ condition: 'spo2_low' }), iso(0));
    await outbox.enqueue({ ...message, alertId: next.row.id, transitionId: next.transitionId! }, iso(0));
    const [pending] = await outbox.due(iso(0));
    await outbox.markFailedAttempt(pending!.id, 'x'.repeat(600), null);
    const [failed] = await outbox.forAlert(next.row.id);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, nextAttemptAt: iso(0) });
    expect(failed!.lastError).toHaveLength(500);
  });

  it('audits each threshold that changed, and family contacts with every change', async () => {
    const thresholds = createThresholdRepository(sql);
    expect((await thresholds.forPatient(P1)).systolicHigh).toBe(180);
    expect(await thresholds.update(P1, { systolicHigh: 170, spo2Scale: 1 }, 'lead', 'COPD', iso(0))).toEqual([
      'systolicHigh',
    ]);
    expect(await thresholds.update(P1, { spo2Scale: 2 }, 'lead', 'hypercapnic', iso(MIN))).toEqual([
      'spo2Scale',
    ]);
    const described = await thresholds.describe(P1);
    expect(described.thresholds).toMatchObject({ systolicHigh: 170, spo2Scale: 2 });
    expect(described.defaults).not.toContain('systolicHigh');
    expect(described.history.map((h) => [h.field, h.oldValue, h.newValue])).toEqual([
      ['systolicHigh', 180, 170],
      ['spo2Scale', 1, 2],
    ]);
    expect((await thresholds.forPatient(P2)).systolicHigh).toBe(180);
    // Two clinicians changing different thresholds at once: both changes stand.
    await Promise.all([
      thresholds.update(P2, { systolicLow: 95 }, 'lead', 'dizzy', iso(0)),
      thresholds.update(P2, { batteryLow: 25 }, 'lead2', 'old cuff', iso(0)),
    ]);
    expect(await thresholds.forPatient(P2)).toMatchObject({ systolicLow: 95, batteryLow: 25 });

    const contacts = createContactRepository(sql);
    const input: FamilyContactInput = {
      name: 'Daughter',
      timeZone: 'UTC',
      quietHours: null,
      consent: { notify: true, clinicalDetail: false, fallsDuringQuietHours: false },
      consentNote: 'signed form',
      username: 'daughter',
    };
    const created = await contacts.create(P1, input, 'nurse', iso(0));
    expect(created).toMatchObject({ id: expect.any(Number), patientId: P1, consentRecordedAt: iso(0) });
    const consent = { ...input.consent, clinicalDetail: true };
    expect(await contacts.update(created.id, { ...input, consent }, 'lead', iso(MIN))).toMatchObject({
      consentRecordedAt: iso(MIN),
      consentRecordedBy: 'lead',
    });
    expect(await contacts.forUser(P1, 'daughter')).toMatchObject({ id: created.id, consent });
    expect(await contacts.update(999, input, 'lead', iso(MIN))).toBeUndefined();
    expect(await contacts.remove(created.id, 'lead', iso(2 * MIN))).toBe(true);
    expect(await contacts.remove(created.id, 'lead', iso(2 * MIN))).toBe(false);
    expect(await contacts.list(P1)).toEqual([]);
    const audit = await sql.all<{ action: string }>(
      `SELECT action FROM family_contact_changes WHERE contact_id = ? ORDER BY id`,
      [created.id],
    );
    expect(audit.map((a) => a.action)).toEqual(['created', 'updated', 'deleted']);
  });

  describe('the engine on these records', () => {
    let seq = 0;
    async function store(patientId: string, o: Observation): Promise<AcceptedObservation> {
      await sql.run(
        `INSERT INTO observations (id, device_id, patient_id, gateway_id, kind, measured_at, received_at, seq, values_json)
         VALUES (?, ?, ?, 'gw', ?, ?, ?, ?, ?)`,
        [o.id, o.deviceId, patientId, o.kind, o.measuredAt, o.measuredAt, o.seq, JSON.stringify(o.values)],
      );
      await sql.run(
        `INSERT INTO latest_observations (patient_id, kind, observation_id, measured_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (patient_id, kind) DO UPDATE SET observation_id = excluded.observation_id,
           measured_at = excluded.measured_at`,
        [patientId, o.kind, o.id, o.measuredAt],
      );
      return { observation: o, patientId, bedId: 'bed-a', wardId: 'ward-a', receivedAt: o.measuredAt };
    }
    const observation = (kind: string, values: Record<string, unknown>, ms: number, deviceId = CUFF) =>
      ({ id: randomUUID(), deviceId, kind, measuredAt: iso(ms), seq: seq++, values }) as Observation;
    const bp = (systolic: number, ms: number) =>
      observation(
        'blood_pressure',
        {
          systolic: { value: systolic, unit: 'mmHg' },
          diastolic: { value: 100, unit: 'mmHg' },
          pulseRate: { value: 70, unit: 'bpm' },
        },
        ms,
      );
    const outcomeOf = (observations: AcceptedObservation[]): IngestOutcome => ({
      observations,
      deviceStatuses: [],
      gatewayStatus: null,
      duplicates: 0,
      rejections: [],
    });

    it('raises, escalates and clears through the rules in the ingest transaction', async () => {
      let now = new Date(T0);
      const alerting = createAlerting({ sql, config: defaultAlertingConfig(), now: () => now });
      // A message stored and evaluated in one transaction, as the ingest does it.
      const ingest = async (...observations: Observation[]) => {
        const outcome = await sql.transaction(async () => {
          const accepted: AcceptedObservation[] = [];
          for (const o of observations) accepted.push(await store(P1, o));
          const out = outcomeOf(accepted);
          await alerting.evaluateGroup([out], now);
          return out;
        });
        await alerting.publish(outcome);
      };
      const unresolved = async () =>
        (await alerting.store.list({ state: 'unresolved', limit: 20, patientId: P1 }))
          .map((r) => r.condition)
          .sort();

      await ingest(bp(186, -2 * MIN), bp(188, -MIN));
      expect(await unresolved()).toEqual(['bp_high']);
      await ingest(observation('fall', { confidence: { value: 91, unit: '%' } }, 0, FALLS));
      await ingest(observation('help_request', {}, 10_000, FALLS));
      expect(await unresolved()).toEqual(['bp_high', 'fall']);
      const [fall] = await alerting.store.list({ limit: 1, condition: 'fall' });
      expect(fall).toMatchObject({ occurrences: 2, title: 'Fall detected, help button pressed' });
      expect(await sql.get(`SELECT alert_id FROM post_fall_observations WHERE patient_id = ?`, [P1])).toEqual(
        {
          alert_id: fall!.id,
        },
      );
      // The device was heard at its newest reading, whichever message came first.
      expect(await sql.get(`SELECT last_heard_at FROM device_activity WHERE device_id = ?`, [FALLS])).toEqual(
        {
          last_heard_at: iso(10_000),
        },
      );

      // Unacknowledged, the fall escalates on the tick; staff resolve it.
      now = new Date(T0 + 10 * MIN);
      await alerting.tick();
      expect((await alerting.store.get(fall!.id))!.level).toBeGreaterThan(1);
      expect(await alerting.resolve(fall!.id, 'nurse', 'helped up')).toBe(true);
      expect(await alerting.resolve(fall!.id, 'nurse', 'again')).toBe(false);

      // Back in range for half an hour clears the blood-pressure alert by itself.
      now = new Date(T0 + 50 * MIN);
      await ingest(bp(150, 10 * MIN), bp(148, 20 * MIN), bp(146, 45 * MIN));
      expect(await unresolved()).toEqual([]);
      const [cleared] = await alerting.store.list({ limit: 1, condition: 'bp_high' });
      expect(cleared).toMatchObject({ state: 'resolved', resolved_by: 'system' });

      // The tick's own queries: the falls sensor, last heard 50 minutes ago, is silent.
      await alerting.tick();
      const [silent] = await alerting.store.list({ limit: 1, condition: 'device_silent' });
      expect(silent).toMatchObject({ subject: `device:${FALLS}`, ward_id: 'ward-a', patient_id: P1 });
      expect(JSON.parse(silent!.detail_json)).toEqual({ deviceId: FALLS, lastHeardAt: iso(10_000) });
      await alerting.stop();
    });

    it('records a NEWS2 change once and rescores residents whose readings went stale', async () => {
      const history = createNews2History(sql);
      const summary = (score: number) => ({
        patientId: P1,
        at: iso(0),
        score,
        complete: false,
        risk: score >= 5 ? 'medium' : 'low',
        spo2Scale: 1,
        parameters: [],
        missing: ['spo2'],
        missingText: 'SpO2 not recorded',
        stale: [],
      });
      expect(await history.record(summary(3))).toBe(true);
      expect(await history.record(summary(3))).toBe(false);
      expect(await history.record(summary(5))).toBe(true);
      expect((await history.list(P1, iso(-MIN))).map((e) => [e.score, e.complete])).toEqual([
        [3, false],
        [5, false],
      ]);

      await store(P1, bp(186, 0));
      const limits = { deviceVitalsMaxAgeMs: 60 * MIN, manualObservationsMaxAgeMs: 30 * MIN };
      const scored: string[] = [];
      const score = async (patientId: string) => {
        scored.push(patientId);
        return { ...summary(0), patientId };
      };
      expect(await history.rescoreStale(new Date(T0 + 30 * MIN), limits, score)).toEqual([]);
      const events = await history.rescoreStale(new Date(T0 + 61 * MIN), limits, score);
      expect(scored).toEqual([P1]);
      expect(events).toMatchObject([
        { patientId: P1, wardId: 'ward-a', bedId: 'bed-a', summary: { score: 0 } },
      ]);
    });
  });
});
