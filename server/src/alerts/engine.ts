import {
  patientRoom,
  wardRoom,
  type Alert,
  type AlertEvent,
  type AlertEventType,
  type AlertPriority,
  type ManualObservationRequest,
  type News2Summary,
  type Observation,
  type Thresholds,
} from '@wardline/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { Db } from '../db/database.js';
import { createWardRepository } from '../db/ward-repository.js';
import type { AcceptedObservation, IngestOutcome } from '../ingest/ingest.js';
import type { AlertCounts } from '../metrics/server-metrics.js';
import { createDispatcher, type Dispatcher } from '../notify/dispatcher.js';
import { familyMessage, familyWording, staffMessage } from '../notify/messages.js';
import { createOutbox } from '../notify/outbox.js';
import { quietHoursEnd } from '../notify/quiet-hours.js';
import type { AlertingConfig } from './config.js';
import { createContactRepository } from './contacts.js';
import { roundToChart } from './news2.js';
import { createSnapshots } from './snapshot.js';
import { createAlertStore, PRIORITY_RANK, toAlert, type AlertRow, type OpenSpec } from './store.js';
import { createThresholdRepository, spo2LowFor } from './thresholds.js';

/** Where alert events go in real time (the socket.io hub). */
export interface AlertSink {
  emit(event: 'alert' | 'alertUpdate', rooms: string[], payload: AlertEvent): void;
  broadcast(outcome: IngestOutcome): void;
}

interface Change {
  alertId: number;
  type: AlertEventType;
}

export interface AlertingOptions {
  db: Db;
  config: AlertingConfig;
  now?: () => Date;
  log?: FastifyBaseLogger;
  /** Counts raised, acknowledged, resolved and escalated alerts (Prometheus). */
  metrics?: AlertCounts;
}

/** Staff-entered observations carry this device-id prefix instead of a device's address. */
export const STAFF_SOURCE_PREFIX = 'staff:';
export const STAFF_GATEWAY_ID = 'staff-entry';

const SAFETY = new Set(['fall', 'help_request']);
const CLINICAL_FOR_FAMILY = new Set(['news2', 'bp_low', 'spo2_low']);
// Devices that report continuously; cuffs connect only to measure and are covered by reading_overdue.
const CONTINUOUS_MODELS = ['falls-sensor'];
const HOUR = 3_600_000;

type Verdict = 'breach' | 'clear' | 'hold';
type Values = Record<string, { value: number } | undefined>;

const NEWS2_PRIORITY: Record<string, AlertPriority | null> = {
  high: 'critical',
  medium: 'high',
  'low-medium': 'medium',
  low: null,
};

/**
 * The alert engine. Rules run on every accepted observation inside the ingest transaction (so an
 * alert commits with the reading that caused it, or not at all); time-based rules (missing data,
 * escalation) run on a tick. Socket events and notifications go out only after commit.
 */
export function createAlerting(options: AlertingOptions) {
  const { db, config } = options;
  const now = options.now ?? (() => new Date());
  let log = options.log ?? (pino({ level: 'silent' }) as unknown as FastifyBaseLogger);
  const store = createAlertStore(db);
  const thresholds = createThresholdRepository(db);
  const contacts = createContactRepository(db);
  const outbox = createOutbox(db);
  const wards = createWardRepository(db);
  const snapshots = createSnapshots(db, config);
  const levelName = (level: number) => config.levels[level - 1]?.name ?? `level ${level}`;

  // In-memory index of unresolved alerts; SQLite's partial unique index is the authority, and
  // every hit here is re-checked against it, so a rolled-back transaction cannot mislead it.
  const unresolvedIndex = new Map<string, number>();
  for (const row of store.allUnresolved()) unresolvedIndex.set(`${row.subject}|${row.condition}`, row.id);
  const pending = new WeakMap<object, Change[]>();

  const heard = db.prepare(
    `INSERT INTO device_activity (device_id, last_heard_at) VALUES (?, ?)
     ON CONFLICT (device_id) DO UPDATE SET last_heard_at = max(last_heard_at, excluded.last_heard_at)`,
  );
  const lastReadings = db.prepare(
    `SELECT measured_at, values_json FROM observations WHERE patient_id = ? AND kind = ?
      ORDER BY measured_at DESC LIMIT ?`,
  );

  let sink: AlertSink | null = null;
  let dispatcher: Dispatcher | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  const iso = (d: Date) => d.toISOString();
  const escalationDue = (priority: AlertPriority, at: Date) => {
    const after = config.escalateAfterMs[priority];
    return after === null ? null : iso(new Date(at.getTime() + after));
  };

  function findUnresolved(subject: string, condition: string): AlertRow | undefined {
    const key = `${subject}|${condition}`;
    const id = unresolvedIndex.get(key);
    const hit = id === undefined ? undefined : store.get(id);
    if (hit && hit.state !== 'resolved') return hit;
    const row = store.unresolved(subject, condition);
    if (row) unresolvedIndex.set(key, row.id);
    else unresolvedIndex.delete(key);
    return row;
  }

  // ---- notifications (enqueued in the transaction of the transition that causes them) ----

  function enqueueStaff(row: AlertRow, transitionId: number, event: string, at: Date) {
    if (row.priority === 'low') return; // dashboard only: technical, not clinical
    const level = config.levels[row.level - 1];
    if (!level) return;
    const alert = toAlert(row, levelName(row.level));
    const patientName = row.patient_id ? (wards.patient(row.patient_id)?.displayName ?? null) : null;
    const msg = staffMessage(alert, event, level.name, patientName, at);
    const base = {
      alertId: row.id,
      transitionId,
      audience: 'staff' as const,
      priority: row.priority,
      subject: msg.subject,
      nextAttemptAt: iso(at),
    };
    for (const email of level.emails) {
      outbox.enqueue(
        {
          ...base,
          channel: 'email',
          recipient: email,
          body: msg.text,
          state: config.smtp ? 'pending' : 'not_configured',
          note: config.smtp ? null : 'SMTP is not configured (WARDLINE_SMTP_HOST)',
        },
        iso(at),
      );
    }
    for (const url of level.webhooks) {
      outbox.enqueue(
        {
          ...base,
          channel: 'webhook',
          recipient: url,
          body: JSON.stringify(msg.json),
          state: config.webhookSecret ? 'pending' : 'not_configured',
          note: config.webhookSecret ? null : 'webhooks need WARDLINE_WEBHOOK_SECRET',
        },
        iso(at),
      );
    }
  }

  function enqueueFamily(row: AlertRow, transitionId: number, at: Date) {
    if (!row.patient_id) return;
    const safety = SAFETY.has(row.condition);
    const clinical =
      CLINICAL_FOR_FAMILY.has(row.condition) && PRIORITY_RANK[row.priority] >= PRIORITY_RANK.high;
    if (!safety && !clinical) return;
    const patientName = wards.patient(row.patient_id)?.displayName ?? 'your relative';
    const alert = toAlert(row, levelName(row.level));
    for (const contact of contacts.list(row.patient_id)) {
      if (!contact.consent.notify) continue;
      if (!safety && !contact.consent.clinicalDetail) continue;
      const quietEnd = quietHoursEnd(at, contact.timeZone, contact.quietHours);
      const hold = quietEnd !== null && !(safety && contact.consent.fallsDuringQuietHours);
      const msg = familyMessage(alert, contact, patientName, at);
      const base = {
        alertId: row.id,
        transitionId,
        audience: 'family' as const,
        contactId: contact.id,
        priority: row.priority,
        subject: msg.subject,
        nextAttemptAt: iso(hold ? quietEnd : at),
      };
      const heldNote = hold ? 'held until the contact’s quiet hours end' : null;
      if (contact.email) {
        outbox.enqueue(
          {
            ...base,
            channel: 'email',
            recipient: contact.email,
            body: msg.text,
            state: config.smtp ? 'pending' : 'not_configured',
            note: config.smtp ? heldNote : 'SMTP is not configured (WARDLINE_SMTP_HOST)',
          },
          iso(at),
        );
      }
      if (contact.phone) {
        const ready = config.smsWebhookUrl && config.webhookSecret;
        outbox.enqueue(
          {
            ...base,
            channel: 'sms',
            recipient: contact.phone,
            body: msg.sms,
            state: ready ? 'pending' : 'not_configured',
            note: ready ? heldNote : 'the SMS gateway is not configured (WARDLINE_SMS_WEBHOOK_URL)',
          },
          iso(at),
        );
      }
    }
  }

  // ---- opening, updating and clearing ----

  type RaiseSpec = Omit<OpenSpec, 'nextEscalationAt'>;

  function raise(spec: RaiseSpec, at: Date, changes: Change[], recur = false): void {
    let existing = findUnresolved(spec.subject, spec.condition);
    if (!existing) {
      const opened = store.open({ ...spec, nextEscalationAt: escalationDue(spec.priority, at) }, iso(at));
      unresolvedIndex.set(`${spec.subject}|${spec.condition}`, opened.row.id);
      if (opened.created) {
        changes.push({ alertId: opened.row.id, type: 'opened' });
        enqueueStaff(opened.row, opened.transitionId!, 'opened', at);
        enqueueFamily(opened.row, opened.transitionId!, at);
        return;
      }
      // Lost a race to the unique index: the alert that won is the one to update.
      existing = opened.row;
    }
    if (recur) {
      store.recur(existing, iso(at), spec.detail);
      changes.push({ alertId: existing.id, type: 'recurred' });
      return;
    }
    const raised = PRIORITY_RANK[spec.priority] > PRIORITY_RANK[existing.priority];
    // A rise in priority while unacknowledged shortens the escalation timer to the new priority's.
    let next: string | null | undefined;
    if (raised && existing.state === 'open') {
      const due = escalationDue(spec.priority, at);
      next =
        existing.next_escalation_at && due && existing.next_escalation_at < due
          ? existing.next_escalation_at
          : due;
    }
    const transitionId = store.update(existing, iso(at), spec, next);
    if (transitionId !== null) {
      changes.push({ alertId: existing.id, type: 'updated' });
      if (raised) enqueueStaff(store.get(existing.id)!, transitionId, 'updated', at);
    }
  }

  function clear(subject: string, condition: string, at: Date, note: string, changes: Change[]): void {
    const row = findUnresolved(subject, condition);
    if (!row) return;
    if (store.resolve(row.id, 'system', iso(at), note) !== null) {
      unresolvedIndex.delete(`${subject}|${condition}`);
      outbox.cancelStaffPending(row.id, 'alert resolved before delivery');
      changes.push({ alertId: row.id, type: 'resolved' });
    }
  }

  // ---- rules on accepted observations ----

  function safetyEvent(accepted: AcceptedObservation, at: Date, changes: Change[]) {
    const o = accepted.observation;
    const fall = o.kind === 'fall';
    const confidence = fall ? (o.values as Values).confidence?.value : undefined;
    raise(
      {
        subject: `patient:${accepted.patientId}`,
        condition: o.kind,
        patientId: accepted.patientId,
        wardId: accepted.wardId,
        deviceId: o.deviceId,
        priority: 'critical',
        title: fall ? 'Fall detected' : 'Help button pressed',
        message: fall
          ? `Fall detected${confidence !== undefined ? ` (sensor confidence ${confidence} %)` : ''}`
          : 'The help button was pressed',
        detail: {
          measuredAt: o.measuredAt,
          deviceId: o.deviceId,
          ...(confidence !== undefined ? { confidence } : {}),
        },
        triggerMeasuredAt: o.measuredAt,
      },
      at,
      changes,
      true,
    );
  }

  function news2Rule(patientId: string, wardId: string | null, t: Thresholds, at: Date, changes: Change[]) {
    const { result, summary } = snapshots.news2(patientId, t.spo2Scale, at);
    const subject = `patient:${patientId}`;
    const priority = NEWS2_PRIORITY[result.risk] ?? null;
    if (priority) {
      const label = result.complete
        ? `NEWS2 ${result.score}`
        : `NEWS2 ${result.score} (partial: ${result.missing.join(', ')} missing)`;
      const scoring = summary.parameters
        .filter((p) => p.score > 0)
        .map((p) => `${p.parameter} ${String(p.value)} (${p.score})`)
        .join(', ');
      const newest =
        summary.parameters
          .map((p) => p.measuredAt)
          .sort()
          .at(-1) ?? null;
      raise(
        {
          subject,
          condition: 'news2',
          patientId,
          wardId,
          priority,
          title: `NEWS2 ${result.risk} risk`,
          message: `${label}: ${scoring}`,
          detail: summary as unknown as Record<string, unknown>,
          triggerMeasuredAt: newest,
        },
        at,
        changes,
      );
      return;
    }
    const open = findUnresolved(subject, 'news2');
    if (!open) return;
    // Clears only on a score of 3 or less (one below the alerting band) with every parameter that
    // scored in the alert measured afresh: a missing reading is not evidence of recovery.
    const previous = JSON.parse(open.detail_json) as News2Summary;
    const present = new Set(summary.parameters.map((p) => p.parameter));
    const remeasured = previous.parameters.filter((p) => p.score > 0).every((p) => present.has(p.parameter));
    if (result.score <= 3 && remeasured)
      clear(subject, 'news2', at, `NEWS2 fell to ${result.score}`, changes);
  }

  function thresholdRule(
    rule: {
      condition: string;
      kind: string;
      priority: AlertPriority;
      title: string;
      classify: (v: Values) => Verdict;
      describe: (v: Values) => string;
    },
    patientId: string,
    wardId: string | null,
    t: Thresholds,
    at: Date,
    changes: Change[],
  ) {
    const rows = lastReadings.all(patientId, rule.kind, t.confirmReadings) as {
      measured_at: string;
      values_json: string;
    }[];
    if (rows.length < t.confirmReadings) return;
    const readings = rows.map((r) => ({
      measuredAt: r.measured_at,
      values: JSON.parse(r.values_json) as Values,
    }));
    const verdicts = readings.map((r) => rule.classify(r.values));
    const subject = `patient:${patientId}`;
    if (verdicts.every((v) => v === 'breach')) {
      raise(
        {
          subject,
          condition: rule.condition,
          patientId,
          wardId,
          priority: rule.priority,
          title: rule.title,
          message: readings.map((r) => rule.describe(r.values)).join('; '),
          detail: {
            readings: readings.map((r) => ({ measuredAt: r.measuredAt, reading: rule.describe(r.values) })),
            thresholds: t,
          },
          triggerMeasuredAt: readings[0]!.measuredAt,
        },
        at,
        changes,
      );
    } else if (verdicts.every((v) => v === 'clear')) {
      clear(
        subject,
        rule.condition,
        at,
        `${readings.length} consecutive readings back within range`,
        changes,
      );
    }
  }

  const int = (v: Values, key: string) => roundToChart(v[key]?.value ?? NaN, 0);
  const bp = (v: Values) => `${int(v, 'systolic')}/${int(v, 'diastolic')} mmHg`;

  function bpRules(t: Thresholds) {
    return [
      {
        condition: 'bp_high',
        kind: 'blood_pressure',
        priority: 'medium' as const,
        title: 'Blood pressure high',
        // Hysteresis: clears only 10/5 mmHg below the threshold.
        classify: (v: Values): Verdict =>
          int(v, 'systolic') >= t.systolicHigh || int(v, 'diastolic') >= t.diastolicHigh
            ? 'breach'
            : int(v, 'systolic') < t.systolicHigh - 10 && int(v, 'diastolic') < t.diastolicHigh - 5
              ? 'clear'
              : 'hold',
        describe: bp,
      },
      {
        condition: 'bp_low',
        kind: 'blood_pressure',
        priority: 'high' as const,
        title: 'Blood pressure low',
        classify: (v: Values): Verdict =>
          int(v, 'systolic') <= t.systolicLow
            ? 'breach'
            : int(v, 'systolic') >= t.systolicLow + 5
              ? 'clear'
              : 'hold',
        describe: bp,
      },
    ];
  }

  function spo2Rule(t: Thresholds) {
    const low = spo2LowFor(t);
    return {
      condition: 'spo2_low',
      kind: 'spo2',
      priority: 'high' as const,
      title: 'Oxygen saturation low',
      classify: (v: Values): Verdict =>
        int(v, 'spo2') < low ? 'breach' : int(v, 'spo2') >= low + 1 ? 'clear' : 'hold',
      describe: (v: Values) => `SpO2 ${int(v, 'spo2')} % (alert below ${low} %)`,
    };
  }

  function evaluateVitals(
    patientId: string,
    wardId: string | null,
    kinds: Set<string>,
    at: Date,
    changes: Change[],
  ) {
    const t = thresholds.forPatient(patientId);
    news2Rule(patientId, wardId, t, at, changes);
    if (kinds.has('blood_pressure')) {
      for (const rule of bpRules(t)) thresholdRule(rule, patientId, wardId, t, at, changes);
      clear(`patient:${patientId}`, 'reading_overdue', at, 'a reading arrived', changes);
    }
    if (kinds.has('spo2')) thresholdRule(spo2Rule(t), patientId, wardId, t, at, changes);
  }

  function evaluateRules(outcome: IngestOutcome, at: Date, changes: Change[]): void {
    const vitals = new Map<string, { wardId: string | null; kinds: Set<string> }>();
    for (const accepted of outcome.observations) {
      const o = accepted.observation;
      if (!o.deviceId.startsWith(STAFF_SOURCE_PREFIX)) {
        heard.run(o.deviceId, o.measuredAt);
        clear(`device:${o.deviceId}`, 'device_silent', at, 'the device was heard from again', changes);
      }
      if (!accepted.patientId) continue;
      if (SAFETY.has(o.kind)) {
        safetyEvent(accepted, at, changes);
        continue;
      }
      const entry = vitals.get(accepted.patientId) ?? { wardId: accepted.wardId, kinds: new Set<string>() };
      entry.kinds.add(o.kind);
      vitals.set(accepted.patientId, entry);
    }
    for (const [patientId, { wardId, kinds }] of vitals)
      evaluateVitals(patientId, wardId, kinds, at, changes);

    for (const { status, patientId, wardId } of outcome.deviceStatuses) {
      heard.run(status.deviceId, new Date(status.lastSeen).toISOString());
      clear(`device:${status.deviceId}`, 'device_silent', at, 'the device was heard from again', changes);
      const battery = status.battery?.value;
      if (battery === undefined || !patientId) continue;
      const t = thresholds.forPatient(patientId);
      if (battery <= t.batteryLow) {
        raise(
          {
            subject: `device:${status.deviceId}`,
            condition: 'battery_low',
            patientId,
            wardId,
            deviceId: status.deviceId,
            priority: 'low',
            title: 'Device battery low',
            message: `Battery ${battery} % on ${status.deviceId}`,
            detail: { battery, deviceId: status.deviceId },
          },
          at,
          changes,
        );
      } else if (battery >= t.batteryLow + 10) {
        clear(`device:${status.deviceId}`, 'battery_low', at, `battery at ${battery} %`, changes);
      }
    }
    const gateway = outcome.gatewayStatus;
    if (gateway?.status.state === 'online') {
      clear(`gateway:${gateway.gatewayId}`, 'gateway_offline', at, 'the gateway is back online', changes);
    }
  }

  // Messages whose rules threw: retried on every tick until they evaluate.
  const failed: { outcome: IngestOutcome; at: Date }[] = [];

  /**
   * The ingest hook. Rules run in a savepoint: if they throw (a bug, never bad input), the reading
   * is still stored and acknowledged (one bad rule must not stall every fall behind it in the MQTT
   * session), the failure is logged as an error, and the tick retries the rules until they pass.
   */
  function evaluate(outcome: IngestOutcome, at: Date = now()): void {
    const changes: Change[] = [];
    try {
      db.transaction(() => evaluateRules(outcome, at, changes))();
    } catch (err) {
      changes.length = 0;
      failed.push({ outcome, at });
      log.error(
        { err: (err as Error).message },
        'alert rules failed; the readings are stored, rules will retry',
      );
    }
    pending.set(outcome, changes);
  }

  function retryFailed(changes: Change[]) {
    for (const item of failed.splice(0, failed.length)) {
      try {
        db.transaction(() => evaluateRules(item.outcome, now(), changes))();
      } catch (err) {
        failed.push(item);
        log.error({ err: (err as Error).message }, 'alert rules failed again; will retry');
      }
    }
  }

  // ---- time-based rules ----

  function escalations(at: Date, changes: Change[]) {
    for (const row of store.dueEscalations(iso(at))) {
      const after = config.escalateAfterMs[row.priority];
      const nextAt = after === null ? null : iso(new Date(at.getTime() + after));
      const last = Math.max(1, config.levels.length);
      const toLevel = Math.min(row.level + 1, last);
      const type = toLevel > row.level ? 'escalated' : 'renotified';
      const transitionId = store.escalate(row, toLevel, nextAt, iso(at), type);
      if (transitionId === null) continue;
      changes.push({ alertId: row.id, type });
      enqueueStaff(store.get(row.id)!, transitionId, type, at);
      log.warn({ alert: row.id, level: toLevel, type }, 'unacknowledged alert escalated');
    }
  }

  function overdueReadings(at: Date, changes: Change[]) {
    const rows = db
      .prepare(
        `SELECT a.patient_id AS patientId, min(a.assigned_at) AS since, b.ward_id AS wardId, lo.measured_at AS lastAt
           FROM assignments a
           JOIN devices d ON d.id = a.device_id AND d.model = 'bp-cuff'
           JOIN patients p ON p.id = a.patient_id AND p.discharged_at IS NULL
           LEFT JOIN beds b ON b.id = p.bed_id
           LEFT JOIN latest_observations lo ON lo.patient_id = a.patient_id AND lo.kind = 'blood_pressure'
          GROUP BY a.patient_id`,
      )
      .all() as { patientId: string; since: string; wardId: string | null; lastAt: string | null }[];
    for (const r of rows) {
      const t = thresholds.forPatient(r.patientId);
      if (t.bpReadingsPerDay === 0) continue;
      const last = r.lastAt ?? r.since;
      const dueAt = Date.parse(last) + (24 * HOUR) / t.bpReadingsPerDay;
      if (at.getTime() <= dueAt + config.readingGraceMs) continue;
      raise(
        {
          subject: `patient:${r.patientId}`,
          condition: 'reading_overdue',
          patientId: r.patientId,
          wardId: r.wardId,
          priority: 'medium',
          title: 'Scheduled reading missed',
          message: r.lastAt
            ? `No blood pressure reading since ${r.lastAt} (due ${iso(new Date(dueAt))})`
            : `No blood pressure reading since the cuff was assigned (due ${iso(new Date(dueAt))})`,
          detail: {
            lastReadingAt: r.lastAt,
            dueAt: iso(new Date(dueAt)),
            readingsPerDay: t.bpReadingsPerDay,
          },
        },
        at,
        changes,
      );
    }
  }

  function silentDevices(at: Date, changes: Change[]) {
    const rows = db
      .prepare(
        `SELECT d.id AS deviceId, a.patient_id AS patientId, a.assigned_at AS assignedAt, b.ward_id AS wardId,
                da.last_heard_at AS lastHeard, g.status_json AS gatewayStatus
           FROM devices d
           JOIN assignments a ON a.device_id = d.id
           JOIN patients p ON p.id = a.patient_id AND p.discharged_at IS NULL
           LEFT JOIN beds b ON b.id = p.bed_id
           LEFT JOIN device_activity da ON da.device_id = d.id
           LEFT JOIN gateways g ON g.id = d.last_gateway_id
          WHERE d.model IN (SELECT value FROM json_each(?))`,
      )
      .all(JSON.stringify(CONTINUOUS_MODELS)) as {
      deviceId: string;
      patientId: string;
      assignedAt: string;
      wardId: string | null;
      lastHeard: string | null;
      gatewayStatus: string | null;
    }[];
    for (const r of rows) {
      const last = r.lastHeard && r.lastHeard > r.assignedAt ? r.lastHeard : r.assignedAt;
      if (at.getTime() - Date.parse(last) <= config.deviceSilentMs) continue;
      // One gateway alert, not one per device behind it.
      if (r.gatewayStatus && (JSON.parse(r.gatewayStatus) as { state: string }).state === 'offline') continue;
      raise(
        {
          subject: `device:${r.deviceId}`,
          condition: 'device_silent',
          patientId: r.patientId,
          wardId: r.wardId,
          deviceId: r.deviceId,
          priority: 'high',
          title: 'Falls sensor not heard from',
          message: `No signal from ${r.deviceId} since ${last}: falls would not be detected`,
          detail: { deviceId: r.deviceId, lastHeardAt: r.lastHeard },
        },
        at,
        changes,
      );
    }
  }

  function offlineGateways(at: Date, changes: Change[]) {
    const rows = db
      .prepare(`SELECT id, ward_id AS wardId, status_json AS status, status_at AS statusAt FROM gateways`)
      .all() as { id: string; wardId: string | null; status: string | null; statusAt: string | null }[];
    for (const r of rows) {
      if (!r.status || !r.statusAt) continue;
      if ((JSON.parse(r.status) as { state: string }).state !== 'offline') continue;
      if (at.getTime() - Date.parse(r.statusAt) < config.gatewayOfflineGraceMs) continue;
      raise(
        {
          subject: `gateway:${r.id}`,
          condition: 'gateway_offline',
          patientId: null,
          wardId: r.wardId,
          gatewayId: r.id,
          priority: 'high',
          title: 'Home gateway offline',
          message: `Gateway ${r.id} went offline at ${r.statusAt}: no readings or falls from its devices`,
          detail: { gatewayId: r.id, offlineSince: r.statusAt },
        },
        at,
        changes,
      );
    }
  }

  // ---- publishing (after commit) ----

  function limitedForFamily(alert: Alert, clinicalDetail: boolean): Alert {
    const wording = familyWording(alert, clinicalDetail);
    return {
      ...alert,
      ...wording,
      detail: clinicalDetail ? alert.detail : null,
      deviceId: null,
      gatewayId: null,
      level: 1,
      levelName: '',
      nextEscalationAt: null,
      acknowledgedBy: null,
      resolvedBy: null,
      resolutionNote: null,
      limited: true,
    };
  }

  function publishChanges(changes: Change[]) {
    if (changes.length === 0) return;
    // Every committed transition passes here once, whether or not anything listens.
    for (const change of options.metrics ? changes : []) {
      const row = store.get(change.alertId);
      if (row) options.metrics?.changed(change.type, row);
    }
    if (sink) {
      for (const change of changes) {
        const row = store.get(change.alertId);
        if (!row) continue;
        const alert = toAlert(row, levelName(row.level));
        const event = change.type === 'opened' ? 'alert' : 'alertUpdate';
        if (row.ward_id) sink.emit(event, [wardRoom(row.ward_id)], { type: change.type, alert });
        // Families see falls and help calls, worded without clinical detail, if a contact consented.
        if (row.patient_id && SAFETY.has(row.condition)) {
          const consenting = contacts.list(row.patient_id).some((c) => c.consent.notify && c.username);
          if (consenting)
            sink.emit(event, [patientRoom(row.patient_id)], {
              type: change.type,
              alert: limitedForFamily(alert, false),
            });
        }
      }
    }
    kick();
  }

  function kick() {
    if (!dispatcher || stopped) return;
    void dispatcher
      .run()
      .then(schedule, (err: unknown) => log.error({ err }, 'notification dispatch failed'));
  }

  function tick(at: Date = now()): void {
    const changes: Change[] = [];
    retryFailed(changes);
    db.transaction(() => {
      escalations(at, changes);
      overdueReadings(at, changes);
      silentDevices(at, changes);
      offlineGateways(at, changes);
    })();
    publishChanges(changes);
  }

  /** Sleeps until the next escalation or notification is due, or the periodic check. */
  function schedule() {
    if (stopped) return;
    clearTimeout(timer);
    const candidates = [store.nextEscalationAt(), outbox.nextDueAt()]
      .filter((x): x is string => x !== null)
      .map((x) => Date.parse(x) - now().getTime());
    const delay = Math.max(10, Math.min(config.tickMs, ...candidates));
    timer = setTimeout(() => {
      try {
        tick();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'alert tick failed');
      }
      kick();
      schedule();
    }, delay);
    timer.unref();
  }

  // ---- staff actions ----

  function act(fn: () => number | null, alertId: number, type: AlertEventType): boolean {
    const transitionId = db.transaction(fn)();
    if (transitionId === null) return false;
    if (type === 'resolved') {
      const row = store.get(alertId)!;
      unresolvedIndex.delete(`${row.subject}|${row.condition}`);
    }
    publishChanges([{ alertId, type }]);
    schedule();
    return true;
  }

  function manualObservations(
    patientId: string,
    request: ManualObservationRequest,
    username: string,
  ): Observation[] {
    const measuredAt = new Date(request.measuredAt ?? now()).toISOString();
    // The contract's device-id alphabet: other characters of a username become '_'.
    const deviceId = `${STAFF_SOURCE_PREFIX}${username.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
    const make = (kind: string, values: Record<string, unknown>) =>
      ({ id: randomUUID(), deviceId, kind, measuredAt, seq: 0, values }) as Observation;
    const q = (value: number, unit: string) => ({ value, unit });
    const out: Observation[] = [];
    if (request.respirationRate !== undefined)
      out.push(make('respiration_rate', { respirationRate: q(request.respirationRate, '/min') }));
    if (request.consciousness !== undefined)
      out.push(make('consciousness', { acvpu: request.consciousness }));
    if (request.onOxygen !== undefined)
      out.push(
        make('inspired_oxygen', {
          onOxygen: request.onOxygen,
          ...(request.oxygenFlowRate !== undefined ? { flowRate: q(request.oxygenFlowRate, 'L/min') } : {}),
        }),
      );
    if (request.spo2 !== undefined)
      out.push(
        make('spo2', {
          spo2: q(request.spo2, '%'),
          ...(request.pulse !== undefined ? { pulseRate: q(request.pulse, 'bpm') } : {}),
        }),
      );
    else if (request.pulse !== undefined)
      out.push(make('heart_rate', { heartRate: q(request.pulse, 'bpm') }));
    if (request.systolic !== undefined && request.diastolic !== undefined)
      out.push(
        make('blood_pressure', {
          systolic: q(request.systolic, 'mmHg'),
          diastolic: q(request.diastolic, 'mmHg'),
        }),
      );
    if (request.temperature !== undefined)
      out.push(make('body_temperature', { temperature: q(request.temperature, '°C') }));
    return out;
  }

  return {
    store,
    thresholds,
    contacts,
    outbox,
    config,
    levelName,
    evaluate,
    tick,
    /** After the ingest transaction commits: push its alert changes and send notifications. */
    publish(outcome: IngestOutcome): void {
      publishChanges(pending.get(outcome) ?? []);
    },
    news2(patientId: string): News2Summary {
      return snapshots.news2(patientId, thresholds.forPatient(patientId).spo2Scale, now()).summary;
    },
    acknowledge(alertId: number, by: string, note: string | null): boolean {
      return act(() => store.acknowledge(alertId, by, iso(now()), note), alertId, 'acknowledged');
    },
    resolve(alertId: number, by: string, note: string): boolean {
      return act(
        () => {
          const transitionId = store.resolve(alertId, by, iso(now()), note);
          if (transitionId !== null) outbox.cancelStaffPending(alertId, 'alert resolved before delivery');
          return transitionId;
        },
        alertId,
        'resolved',
      );
    },
    manualObservations,
    limitedForFamily,
    toAlert: (row: AlertRow) => toAlert(row, levelName(row.level)),
    attach(target: AlertSink, logger?: FastifyBaseLogger): void {
      sink = target;
      if (logger) log = logger;
    },
    /** Staff-entered observations: stored and evaluated in one transaction, then pushed. */
    record(outcome: IngestOutcome, store: () => void): void {
      db.transaction(() => {
        store();
        evaluate(outcome);
      })();
      sink?.broadcast(outcome);
      publishChanges(pending.get(outcome) ?? []);
    },
    /** Starts timers and delivery; runs the time-based rules at once, so a restart resumes them. */
    start(): void {
      if (!stopped) return;
      stopped = false;
      dispatcher = createDispatcher(outbox, config, now, log);
      try {
        tick();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'alert tick failed');
      }
      kick();
      schedule();
    },
    /** Waits for notifications already being sent. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      const d = dispatcher;
      dispatcher = null;
      if (d) {
        await d.idle().catch(() => undefined);
        d.close();
      }
    },
    /** Sends whatever is due now (tests with a simulated clock). */
    async deliver(): Promise<void> {
      await dispatcher?.run();
    },
  };
}
export type Alerting = ReturnType<typeof createAlerting>;
