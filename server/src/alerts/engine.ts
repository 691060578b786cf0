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
  isUnreliable,
  URGENT_KINDS,
} from '@wardline/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { SqlDatabase } from '../db/engines/engine.js';
import { createWardRepository } from '../db/ward-repository.js';
import type { AcceptedObservation, IngestOutcome } from '../ingest/ingest.js';
import type { AlertCounts } from '../metrics/server-metrics.js';
import { createDispatcher, type Dispatcher } from '../notify/dispatcher.js';
import { familyMessage, familyWording, staffMessage } from '../notify/messages.js';
import { createOutbox } from '../notify/outbox.js';
import { quietHoursEnd } from '../notify/quiet-hours.js';
import type { AlertingConfig } from './config.js';
import { createContactRepository } from './contacts.js';
import { createSnapshots } from './snapshot.js';
import { ALERT_RULES, SAFETY_CONDITIONS, type AlertRule, type RuleContext } from './rules/index.js';
import type { AmendChange, AmendOptions, RaiseSpec } from './rules/types.js';
import { STAFF_SOURCE_PREFIX } from './staff-source.js';
import { createAlertStore, PRIORITY_RANK, toAlert, type AlertRow } from './store.js';
import { createThresholdRepository } from './thresholds.js';

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
  sql: SqlDatabase;
  config: AlertingConfig;
  now?: () => Date;
  log?: FastifyBaseLogger;
  /** Counts raised, acknowledged, resolved and escalated alerts (Prometheus). */
  metrics?: AlertCounts;
  /** The rules to run (default: every registered rule). */
  rules?: readonly AlertRule[];
  /**
   * Whether this replica leads a once-only job now (its lease, see db/replica.ts): escalations and
   * the time-based rules run on one replica at a time. Default: always (one server).
   */
  leads?: (job: string, lengthMs: number) => Promise<boolean>;
}

export { STAFF_GATEWAY_ID, STAFF_SOURCE_PREFIX } from './staff-source.js';

const SAFETY = SAFETY_CONDITIONS;
const CLINICAL_FOR_FAMILY = new Set(['news2', 'bp_low', 'spo2_low']);

/**
 * The alert engine. Rules run on every accepted observation inside the ingest transaction (so an
 * alert commits with the reading that caused it, or not at all); time-based rules (missing data,
 * escalation) run on a tick. Socket events and notifications go out only after commit.
 */
export function createAlerting(options: AlertingOptions) {
  const { sql, config } = options;
  const rules = options.rules ?? ALERT_RULES;
  const leads = options.leads ?? (async () => true);
  const now = options.now ?? (() => new Date());
  let log = options.log ?? (pino({ level: 'silent' }) as unknown as FastifyBaseLogger);
  const store = createAlertStore(sql);
  const thresholds = createThresholdRepository(sql);
  const contacts = createContactRepository(sql);
  const outbox = createOutbox(sql);
  const wards = createWardRepository(sql);
  const snapshots = createSnapshots(sql, config);
  const levelName = (level: number) => config.levels[level - 1]?.name ?? `level ${level}`;

  // In-memory index of unresolved alerts, filled as they are looked up; the partial unique index is
  // the authority, and every hit here is re-checked against it, so a rolled-back transaction (or
  // another replica resolving the alert) cannot mislead it.
  const unresolvedIndex = new Map<string, number>();
  const pending = new WeakMap<object, Change[]>();
  // The NEWS2 summaries the rules scored for each outcome, so that the history after commit reuses
  // them rather than scoring every patient a second time.
  const scored = new WeakMap<object, Map<string, News2Summary>>();

  const heardSql = `INSERT INTO device_activity (device_id, last_heard_at) VALUES (?, ?)
     ON CONFLICT (device_id) DO UPDATE SET last_heard_at = ${sql.dialect.greatest(
       'device_activity.last_heard_at',
       'excluded.last_heard_at',
     )}`;
  const heard = (deviceId: string, at: string) => sql.run(heardSql, [deviceId, at]);

  let sink: AlertSink | null = null;
  let dispatcher: Dispatcher | null = null;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  const iso = (d: Date) => d.toISOString();
  const escalationDue = (priority: AlertPriority, at: Date) => {
    const after = config.escalateAfterMs[priority];
    return after === null ? null : iso(new Date(at.getTime() + after));
  };

  async function findUnresolved(subject: string, condition: string): Promise<AlertRow | undefined> {
    const key = `${subject}|${condition}`;
    const id = unresolvedIndex.get(key);
    const hit = id === undefined ? undefined : await store.get(id);
    if (hit && hit.state !== 'resolved') return hit;
    const row = await store.unresolved(subject, condition);
    if (row) unresolvedIndex.set(key, row.id);
    else unresolvedIndex.delete(key);
    return row;
  }

  /**
   * What one evaluation of stored messages knows without asking again: the subjects its messages
   * concern (their devices, residents and gateway) and which conditions of theirs had an unresolved
   * alert when it began, read in one statement. Most lookups find none; these are answered from
   * here. An alert found, or opened meanwhile, is looked up as before. An alert another replica
   * opens while the group is evaluated is met at the unique index on raising; a clear may miss it,
   * which leaves it open until the device's next message (never an alert missed).
   */
  interface GroupAlerts {
    subjects: Set<string>;
    unresolved: Set<string>;
  }

  async function groupAlerts(outcomes: readonly IngestOutcome[]): Promise<GroupAlerts> {
    const subjects = new Set<string>();
    const subjectOf = (kind: string, id: string | null) => id !== null && subjects.add(`${kind}:${id}`);
    for (const outcome of outcomes) {
      for (const accepted of outcome.observations) {
        subjectOf('device', accepted.observation.deviceId);
        subjectOf('patient', accepted.patientId);
      }
      for (const status of outcome.deviceStatuses) {
        subjectOf('device', status.status.deviceId);
        subjectOf('patient', status.patientId);
      }
      if (outcome.gatewayStatus) subjectOf('gateway', outcome.gatewayStatus.gatewayId);
    }
    const unresolved = new Set<string>();
    if (subjects.size > 0) {
      const rows = await sql.all<{ subject: string; condition: string }>(
        `SELECT subject, condition FROM alerts
          WHERE state != 'resolved' AND subject IN (SELECT value FROM ${sql.dialect.jsonArrayValues('?')})`,
        [JSON.stringify([...subjects])],
      );
      for (const row of rows) unresolved.add(`${row.subject}|${row.condition}`);
    }
    return { subjects, unresolved };
  }

  function finder(known?: GroupAlerts): typeof findUnresolved {
    if (!known) return findUnresolved;
    return async (subject, condition) =>
      known.subjects.has(subject) && !known.unresolved.has(`${subject}|${condition}`)
        ? undefined
        : findUnresolved(subject, condition);
  }

  // ---- notifications (enqueued in the transaction of the transition that causes them) ----

  async function enqueueStaff(
    row: AlertRow,
    transitionId: number,
    event: string,
    at: Date,
    levelNumber = row.level,
  ): Promise<void> {
    if (row.priority === 'low') return; // dashboard only: technical, not clinical
    const level = config.levels[levelNumber - 1];
    if (!level) return;
    const alert = toAlert(row, levelName(row.level));
    const patientName = row.patient_id ? ((await wards.patient(row.patient_id))?.displayName ?? null) : null;
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
      await outbox.enqueue(
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
      await outbox.enqueue(
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

  async function enqueueFamily(row: AlertRow, transitionId: number, at: Date): Promise<void> {
    if (!row.patient_id) return;
    const safety = SAFETY.has(row.condition);
    const clinical =
      CLINICAL_FOR_FAMILY.has(row.condition) && PRIORITY_RANK[row.priority] >= PRIORITY_RANK.high;
    if (!safety && !clinical) return;
    const patientName = (await wards.patient(row.patient_id))?.displayName ?? 'your relative';
    const alert = toAlert(row, levelName(row.level));
    for (const contact of await contacts.list(row.patient_id)) {
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
        await outbox.enqueue(
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
        await outbox.enqueue(
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

  async function raise(
    spec: RaiseSpec,
    at: Date,
    changes: Change[],
    recur = false,
    known?: GroupAlerts,
  ): Promise<void> {
    let existing = await finder(known)(spec.subject, spec.condition);
    if (!existing) {
      const opened = await store.open(
        { ...spec, nextEscalationAt: escalationDue(spec.priority, at) },
        iso(at),
      );
      unresolvedIndex.set(`${spec.subject}|${spec.condition}`, opened.row.id);
      known?.unresolved.add(`${spec.subject}|${spec.condition}`);
      if (opened.created) {
        changes.push({ alertId: opened.row.id, type: 'opened' });
        await enqueueStaff(opened.row, opened.transitionId!, 'opened', at);
        await enqueueFamily(opened.row, opened.transitionId!, at);
        return;
      }
      // Lost a race to the unique index: the alert that won is the one to update.
      existing = opened.row;
    }
    if (recur) {
      await store.recur(existing, iso(at), spec.detail);
      changes.push({ alertId: existing.id, type: 'recurred' });
      return;
    }
    const raised = PRIORITY_RANK[spec.priority] > PRIORITY_RANK[existing.priority];
    // A rise in priority while unacknowledged shortens the escalation timer to the new priority's;
    // once acknowledged, it reopens the alert with a fresh escalation timer.
    let next: string | null | undefined;
    if (raised && existing.state === 'open') {
      const due = escalationDue(spec.priority, at);
      next =
        existing.next_escalation_at && due && existing.next_escalation_at < due
          ? existing.next_escalation_at
          : due;
    } else if (raised && existing.state === 'acknowledged') {
      next = escalationDue(spec.priority, at);
    }
    const transitionId = await store.update(existing, iso(at), spec, next, raised);
    if (transitionId !== null) {
      changes.push({ alertId: existing.id, type: 'updated' });
      if (raised) await enqueueStaff((await store.get(existing.id))!, transitionId, 'updated', at);
    }
  }

  async function clear(
    subject: string,
    condition: string,
    at: Date,
    note: string,
    changes: Change[],
    known?: GroupAlerts,
  ): Promise<void> {
    const row = await finder(known)(subject, condition);
    if (!row) return;
    if ((await store.resolve(row.id, 'system', iso(at), note)) !== null) {
      unresolvedIndex.delete(`${subject}|${condition}`);
      await outbox.cancelStaffPending(row.id, 'alert resolved before delivery');
      changes.push({ alertId: row.id, type: 'resolved' });
    }
  }

  async function amend(
    row: AlertRow,
    change: AmendChange,
    options: AmendOptions,
    at: Date,
    changes: Change[],
  ): Promise<void> {
    const level = options.level === 'top' ? Math.max(1, config.levels.length) : options.level;
    const transitionId = await store.amend(row, iso(at), change, {
      type: options.type,
      note: options.note,
      ...(options.occurrence ? { occurrence: true } : {}),
      ...(level !== undefined ? { level } : {}),
      ...(options.reopen || level !== undefined
        ? { reopen: options.reopen ?? false, nextEscalationAt: escalationDue(row.priority, at) }
        : {}),
    });
    if (transitionId === null) return;
    changes.push({ alertId: row.id, type: options.type });
    const fresh = (await store.get(row.id))!;
    if (options.notify === 'level') await enqueueStaff(fresh, transitionId, options.note, at);
    if (options.notify === 'every level')
      for (let n = 1; n <= fresh.level; n++) await enqueueStaff(fresh, transitionId, options.note, at, n);
  }

  // ---- rules (one module each, rules/*) ----

  function context(
    at: Date,
    changes: Change[],
    news2?: Map<string, News2Summary>,
    known?: GroupAlerts,
  ): RuleContext {
    return {
      at,
      sql,
      config,
      thresholds,
      snapshots: news2
        ? {
            async news2(patientId, scale, when) {
              const snapshot = await snapshots.news2(patientId, scale, when);
              if (when === at) news2.set(patientId, snapshot.summary);
              return snapshot;
            },
          }
        : snapshots,
      raise: (spec, recur) => raise(spec, at, changes, recur, known),
      clear: (subject, condition, note) => clear(subject, condition, at, note, changes, known),
      amend: (row, change, options) => amend(row, change, options, at, changes),
      findUnresolved: finder(known),
    };
  }

  type PatientEntry = { wardId: string | null; kinds: Set<string>; observations: AcceptedObservation[] };

  /** The device and reading rules of one outcome; adds its patients' readings to `patients`. */
  async function evaluateReadings(
    ctx: RuleContext,
    outcome: IngestOutcome,
    patients: Map<string, PatientEntry>,
  ): Promise<void> {
    // A device heard many times in one message (a backlog) is recorded once, at its newest reading.
    const heardAt = new Map<string, string>();
    for (const accepted of outcome.observations) {
      const o = accepted.observation;
      if (!o.deviceId.startsWith(STAFF_SOURCE_PREFIX)) {
        const known = heardAt.get(o.deviceId);
        if (known === undefined || o.measuredAt > known) heardAt.set(o.deviceId, o.measuredAt);
      }
      for (const rule of rules) await rule.onObservation?.(ctx, accepted);
      if (!accepted.patientId || URGENT_KINDS.has(o.kind)) continue;
      let entry = patients.get(accepted.patientId);
      if (!entry)
        patients.set(
          accepted.patientId,
          (entry = { wardId: accepted.wardId, kinds: new Set(), observations: [] }),
        );
      // An unreliable reading neither raises nor clears: only reliable kinds drive the vital-sign rules.
      if (!isUnreliable(o)) entry.kinds.add(o.kind);
      entry.observations.push(accepted);
    }
    for (const [deviceId, at] of heardAt) await heard(deviceId, at);
  }

  async function evaluatePatients(ctx: RuleContext, patients: Map<string, PatientEntry>): Promise<void> {
    for (const [patientId, entry] of patients) {
      const input = { patientId, ...entry, thresholds: await thresholds.forPatient(patientId) };
      for (const rule of rules) await rule.onPatientReadings?.(ctx, input);
    }
  }

  async function evaluateStatuses(ctx: RuleContext, outcome: IngestOutcome): Promise<void> {
    for (const status of outcome.deviceStatuses) {
      await heard(status.status.deviceId, new Date(status.status.lastSeen).toISOString());
      for (const rule of rules) await rule.onDeviceStatus?.(ctx, status);
    }
    const gateway = outcome.gatewayStatus;
    if (gateway) for (const rule of rules) await rule.onGatewayStatus?.(ctx, gateway);
  }

  async function evaluateRules(
    outcome: IngestOutcome,
    at: Date,
    changes: Change[],
    news2?: Map<string, News2Summary>,
  ): Promise<void> {
    const ctx = context(at, changes, news2, await groupAlerts([outcome]));
    const patients = new Map<string, PatientEntry>();
    await evaluateReadings(ctx, outcome, patients);
    await evaluatePatients(ctx, patients);
    await evaluateStatuses(ctx, outcome);
  }

  // Messages whose rules threw: retried on every tick until they evaluate.
  const failed: { outcome: IngestOutcome; at: Date }[] = [];

  /**
   * The ingest hook. Rules run in a savepoint: if they throw (a bug, never bad input), the reading
   * is still stored and acknowledged (one bad rule must not stall every fall behind it in the MQTT
   * session), the failure is logged as an error, and the tick retries the rules until they pass.
   */
  async function evaluate(outcome: IngestOutcome, at: Date = now()): Promise<void> {
    const changes: Change[] = [];
    const news2 = new Map<string, News2Summary>();
    try {
      await sql.transaction(() => evaluateRules(outcome, at, changes, news2));
      scored.set(outcome, news2);
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

  /**
   * The ingest hook for a group of messages committed together: each message's device and reading
   * rules, then the vital-sign rules and NEWS2 once per patient for the whole group (a backlog
   * arriving as several messages is scored once, on all of it), in one savepoint. Should a rule
   * throw, the group's rules run again message by message, so that one message's fault delays no
   * other message's alerts (see evaluate).
   */
  async function evaluateGroup(outcomes: readonly IngestOutcome[], at: Date = now()): Promise<void> {
    if (outcomes.length === 1) return evaluate(outcomes[0]!, at);
    const changes: Change[] = [];
    const news2 = new Map<string, News2Summary>();
    try {
      await sql.transaction(async () => {
        const ctx = context(at, changes, news2, await groupAlerts(outcomes));
        const patients = new Map<string, PatientEntry>();
        for (const outcome of outcomes) await evaluateReadings(ctx, outcome, patients);
        await evaluatePatients(ctx, patients);
        for (const outcome of outcomes) await evaluateStatuses(ctx, outcome);
      });
    } catch (err) {
      log.warn(
        { err: (err as Error).message },
        'alert rules failed for a group; evaluating message by message',
      );
      for (const outcome of outcomes) await evaluate(outcome, at);
      return;
    }
    // The group's alert changes go out once, with its last message (after the readings that
    // caused them); every message of the group finds the NEWS2 summaries scored for it.
    outcomes.forEach((outcome, index) => {
      scored.set(outcome, news2);
      pending.set(outcome, index === outcomes.length - 1 ? changes : []);
    });
  }

  async function retryFailed(changes: Change[]): Promise<void> {
    for (const item of failed.splice(0, failed.length)) {
      try {
        await sql.transaction(() => evaluateRules(item.outcome, now(), changes));
      } catch (err) {
        failed.push(item);
        log.error({ err: (err as Error).message }, 'alert rules failed again; will retry');
      }
    }
  }

  // ---- time-based rules ----

  async function escalations(at: Date, changes: Change[]): Promise<void> {
    for (const row of await store.dueEscalations(iso(at))) {
      const after = config.escalateAfterMs[row.priority];
      const nextAt = after === null ? null : iso(new Date(at.getTime() + after));
      const last = Math.max(1, config.levels.length);
      const toLevel = Math.min(row.level + 1, last);
      const type = toLevel > row.level ? 'escalated' : 'renotified';
      const transitionId = await store.escalate(row, toLevel, nextAt, iso(at), type);
      if (transitionId === null) continue;
      changes.push({ alertId: row.id, type });
      await enqueueStaff((await store.get(row.id))!, transitionId, type, at);
      log.warn({ alert: row.id, level: toLevel, type }, 'unacknowledged alert escalated');
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

  async function publishChanges(changes: Change[]): Promise<void> {
    if (changes.length === 0) return;
    // Every committed transition passes here once, whether or not anything listens.
    for (const change of options.metrics ? changes : []) {
      const row = await store.get(change.alertId);
      if (row) options.metrics?.changed(change.type, row);
    }
    if (sink) {
      for (const change of changes) {
        const row = await store.get(change.alertId);
        if (!row) continue;
        const alert = toAlert(row, levelName(row.level));
        const event = change.type === 'opened' ? 'alert' : 'alertUpdate';
        if (row.ward_id) sink.emit(event, [wardRoom(row.ward_id)], { type: change.type, alert });
        // Families see falls and help calls, worded without clinical detail, if a contact consented.
        if (row.patient_id && SAFETY.has(row.condition)) {
          const consenting = (await contacts.list(row.patient_id)).some(
            (c) => c.consent.notify && c.username,
          );
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

  async function tick(at: Date = now()): Promise<void> {
    const changes: Change[] = [];
    await retryFailed(changes);
    // Escalations and the time-based rules run on one replica at a time: the lease outlasts three
    // ticks, so another replica takes them over within that long of this one dying.
    if (await leads('alerting', config.tickMs * 3)) {
      await sql.transaction(async () => {
        await escalations(at, changes);
        const ctx = context(at, changes);
        for (const rule of rules) await rule.onTick?.(ctx);
      });
    }
    await publishChanges(changes);
  }

  /** Sleeps until the next escalation or notification is due, or the periodic check. */
  async function schedule(): Promise<void> {
    if (stopped) return;
    let candidates: number[] = [];
    try {
      candidates = [await store.nextEscalationAt(), await outbox.nextDueAt()]
        .filter((x): x is string => x !== null)
        .map((x) => Date.parse(x) - now().getTime());
    } catch (err) {
      log.error({ err: (err as Error).message }, 'alert schedule failed; retrying on the periodic check');
    }
    if (stopped) return;
    clearTimeout(timer);
    const delay = Math.max(10, Math.min(config.tickMs, ...candidates));
    timer = setTimeout(() => void wake(), delay);
    timer.unref();
  }

  async function wake(): Promise<void> {
    try {
      await tick();
    } catch (err) {
      log.error({ err: (err as Error).message }, 'alert tick failed');
    }
    kick();
    await schedule();
  }

  // ---- staff actions ----

  async function act(
    fn: () => Promise<number | null>,
    alertId: number,
    type: AlertEventType,
  ): Promise<boolean> {
    const transitionId = await sql.transaction(fn);
    if (transitionId === null) return false;
    if (type === 'resolved') {
      const row = (await store.get(alertId))!;
      unresolvedIndex.delete(`${row.subject}|${row.condition}`);
    }
    await publishChanges([{ alertId, type }]);
    await schedule();
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

  async function news2Now(patientId: string): Promise<News2Summary> {
    const { spo2Scale } = await thresholds.forPatient(patientId);
    return (await snapshots.news2(patientId, spo2Scale, now())).summary;
  }

  return {
    store,
    thresholds,
    contacts,
    outbox,
    config,
    levelName,
    evaluate,
    evaluateGroup,
    tick,
    /** After the ingest transaction commits: push its alert changes and send notifications. */
    publish(outcome: IngestOutcome): Promise<void> {
      return publishChanges(pending.get(outcome) ?? []);
    },
    news2: news2Now,
    /**
     * NEWS2 for the patients of an ingest outcome, after it commits: the summary the rules scored
     * in its transaction where they scored one (the same readings, thresholds and time), else now.
     */
    news2After(outcome: IngestOutcome): (patientId: string) => Promise<News2Summary> {
      const known = scored.get(outcome);
      return async (patientId) => known?.get(patientId) ?? news2Now(patientId);
    },
    acknowledge(alertId: number, by: string, note: string | null): Promise<boolean> {
      return act(() => store.acknowledge(alertId, by, iso(now()), note), alertId, 'acknowledged');
    },
    resolve(alertId: number, by: string, note: string): Promise<boolean> {
      return act(
        async () => {
          const transitionId = await store.resolve(alertId, by, iso(now()), note);
          if (transitionId !== null)
            await outbox.cancelStaffPending(alertId, 'alert resolved before delivery');
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
    async record(outcome: IngestOutcome, store: () => Promise<void>): Promise<void> {
      await sql.transaction(async () => {
        await store();
        await evaluate(outcome);
      });
      sink?.broadcast(outcome);
      await publishChanges(pending.get(outcome) ?? []);
    },
    /** Starts timers and delivery; runs the time-based rules at once, so a restart resumes them. */
    async start(): Promise<void> {
      if (!stopped) return;
      stopped = false;
      dispatcher = createDispatcher(outbox, config, now, log);
      await wake();
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
