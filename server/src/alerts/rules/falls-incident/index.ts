import { URGENT_KINDS } from '@wardline/protocol';
import type { SqlDatabase } from '../../../db/engines/engine.js';
import type { AcceptedObservation } from '../../../ingest/ingest.js';
import { STAFF_SOURCE_PREFIX } from '../../staff-source.js';
import type { AlertRow } from '../../store.js';
import type { AlertRule, RuleContext, Values } from '../types.js';
import {
  incidentOf,
  incidentWords,
  longLieDue,
  newIncident,
  withEvent,
  type IncidentDetail,
  type IncidentEvent,
  type IncidentEventKind,
  type LongLieReason,
} from './incident.js';
import { createPostFallRepository, dueAt, lastDueIndex, type PostFallSchedule } from './post-fall.js';

/** Conditions a falls incident opens with: its first event's. */
export const SAFETY_CONDITIONS: ReadonlySet<string> = new Set(['fall', 'help_request', 'no_movement']);
const INCIDENT_CONDITIONS = [...SAFETY_CONDITIONS];
export const POST_FALL_CONDITION = 'post_fall_obs';
/** Staff observations recorded this long before a set is due count for it. */
const EARLY_TOLERANCE_MS = 15 * 60_000;

const LONG_LIE_NOTE: Record<LongLieReason, string> = {
  no_movement: 'long lie: the sensor reports no movement',
  no_recovery: 'long lie: no sign of getting up',
  not_acknowledged: 'long lie: not acknowledged',
};
const JOIN_NOTE: Record<IncidentEventKind, string> = {
  fall: 'another fall',
  help_request: 'help button pressed',
  upright: 'upright again (sensor)',
  no_movement: 'no movement (sensor)',
};

/** The rule's queries. */
function queries(sql: SqlDatabase) {
  const conditions = JSON.stringify(INCIDENT_CONDITIONS);
  const incidentCondition = `condition IN (SELECT value FROM ${sql.dialect.jsonArrayValues('?')})`;
  return {
    /** The patient's incident resolved at or after `since`, opened after `openedAfter`, newest first. */
    resolvedSince: (patientId: string, openedAfter: string, since: string) =>
      sql.get<AlertRow>(
        `SELECT * FROM alerts WHERE patient_id = ? AND opened_at >= ? AND state = 'resolved' AND resolved_at >= ?
            AND ${incidentCondition} ORDER BY opened_at DESC LIMIT 1`,
        [patientId, openedAfter, since, conditions],
      ),
    // Served by the partial index of unresolved alerts: the tick reads only those.
    unresolved: () =>
      sql.all<AlertRow>(`SELECT * FROM alerts WHERE state != 'resolved' AND ${incidentCondition}`, [
        conditions,
      ]),
    alert: (id: number) => sql.get<AlertRow>(`SELECT * FROM alerts WHERE id = ?`, [id]),
  };
}
const postFall = (sql: SqlDatabase) => createPostFallRepository(sql);

const subjectOf = (patientId: string) => `patient:${patientId}`;

function eventOf(accepted: AcceptedObservation): IncidentEvent {
  const o = accepted.observation;
  const confidence = o.kind === 'fall' ? (o.values as Values).confidence?.value : undefined;
  return {
    kind: o.kind as IncidentEventKind,
    measuredAt: o.measuredAt,
    deviceId: o.deviceId,
    ...(confidence !== undefined ? { confidence } : {}),
  };
}

async function unresolvedIncident(ctx: RuleContext, patientId: string): Promise<AlertRow | undefined> {
  const found: (AlertRow | undefined)[] = [];
  for (const c of INCIDENT_CONDITIONS) found.push(await ctx.findUnresolved(subjectOf(patientId), c));
  return found
    .filter((row): row is AlertRow => row !== undefined)
    .sort((a, b) => b.opened_at.localeCompare(a.opened_at))[0];
}

const detailOf = (row: AlertRow) =>
  incidentOf(row.condition, JSON.parse(row.detail_json) as Record<string, unknown>, row.opened_at);

function amendIncident(
  ctx: RuleContext,
  row: AlertRow,
  incident: IncidentDetail,
  options: Parameters<RuleContext['amend']>[2],
): Promise<void> {
  return ctx.amend(row, { ...incidentWords(incident), detail: { ...incident } }, options);
}

async function open(ctx: RuleContext, accepted: AcceptedObservation, event: IncidentEvent): Promise<void> {
  let incident = newIncident(event);
  if (event.kind === 'no_movement')
    incident = { ...incident, longLie: { at: event.measuredAt, reason: 'no_movement' } };
  const subject = subjectOf(accepted.patientId!);
  await ctx.raise(
    {
      subject,
      condition: event.kind,
      patientId: accepted.patientId,
      wardId: accepted.wardId,
      deviceId: event.deviceId,
      priority: 'critical',
      ...incidentWords(incident),
      detail: { ...incident },
      triggerMeasuredAt: event.measuredAt,
    },
    true,
  );
  if (event.kind === 'fall') {
    const row = await ctx.findUnresolved(subject, event.kind);
    if (row)
      await postFall(ctx.sql).start(
        accepted.patientId!,
        row.id,
        event.measuredAt,
        ctx.config.postFallObservationMinutes,
        ctx.at,
      );
  }
}

async function join(
  ctx: RuleContext,
  row: AlertRow,
  accepted: AcceptedObservation,
  event: IncidentEvent,
): Promise<void> {
  const before = detailOf(row);
  let incident = withEvent(before, event);
  const gapMs = Date.parse(event.measuredAt) - Date.parse(before.lastEventAt);
  if (event.kind === 'fall' && incident.fallAt === event.measuredAt)
    await postFall(ctx.sql).start(
      accepted.patientId!,
      row.id,
      event.measuredAt,
      ctx.config.postFallObservationMinutes,
      ctx.at,
    );

  if (event.kind === 'no_movement' && !incident.longLie) {
    incident = { ...incident, longLie: { at: event.measuredAt, reason: 'no_movement' } };
    await amendIncident(ctx, row, incident, {
      type: 'escalated',
      note: LONG_LIE_NOTE.no_movement,
      occurrence: true,
      reopen: true,
      level: 'top',
      notify: 'every level',
    });
    return;
  }
  // Someone acknowledged the incident; a new fall or call well after its last event needs them again.
  const anotherCall =
    event.kind !== 'upright' && row.state === 'acknowledged' && gapMs > ctx.config.fallIncidentWindowMs;
  await amendIncident(ctx, row, incident, {
    type: anotherCall ? 'updated' : 'recurred',
    note: anotherCall ? `${JOIN_NOTE[event.kind]} after acknowledgement` : JOIN_NOTE[event.kind],
    occurrence: event.kind !== 'upright',
    ...(anotherCall ? { reopen: true, notify: 'level' as const } : { notify: 'none' as const }),
  });
}

/** A late event, measured before the incident it belongs to was resolved: the resolution covered it. */
async function lateForResolved(
  ctx: RuleContext,
  patientId: string,
  event: IncidentEvent,
): Promise<AlertRow | undefined> {
  if (event.kind === 'fall') return undefined; // a fall is never absorbed: conservative
  const windowStart = new Date(Date.parse(event.measuredAt) - ctx.config.fallIncidentWindowMs).toISOString();
  const row = await queries(ctx.sql).resolvedSince(
    patientId,
    new Date(Date.parse(event.measuredAt) - 24 * 3_600_000).toISOString(),
    event.measuredAt,
  );
  return row && detailOf(row).lastEventAt >= windowStart ? row : undefined;
}

async function promptPostFall(
  ctx: RuleContext,
  schedule: PostFallSchedule,
  incident: AlertRow | undefined,
): Promise<void> {
  const repo = postFall(ctx.sql);
  const index = lastDueIndex(schedule, ctx.at);
  if (index <= schedule.promptedThrough || index < schedule.nextIndex) {
    await repo.save({ ...schedule, promptedThrough: Math.max(schedule.promptedThrough, index) }, ctx.at);
    return;
  }
  const total = schedule.minutes.length;
  const missed = index - schedule.nextIndex;
  const minutes = schedule.minutes[index]!;
  await ctx.raise({
    subject: subjectOf(schedule.patientId),
    condition: POST_FALL_CONDITION,
    patientId: schedule.patientId,
    wardId: incident?.ward_id ?? null,
    priority: 'medium',
    title: `Post-fall observations due (set ${index + 1} of ${total})`,
    message: [
      minutes === 0 ? 'The first set after the fall.' : `Due ${minutes} min after the fall.`,
      missed > 0 ? `${missed} earlier ${missed === 1 ? 'set was' : 'sets were'} not recorded.` : '',
      'Record them with the observation form on the patient’s page.',
    ]
      .filter(Boolean)
      .join(' '),
    detail: {
      fallAt: schedule.fallAt,
      set: index + 1,
      of: total,
      dueAt: dueAt(schedule, index).toISOString(),
      missed,
      incidentAlertId: schedule.alertId,
    },
    triggerMeasuredAt: schedule.fallAt,
  });
  await repo.save({ ...schedule, promptedThrough: index }, ctx.at);
}

/**
 * Falls incidents (see README.md): a fall, help presses and what the sensor says afterwards are one
 * alert; a long lie escalates it to every level; after a fall, observation sets are prompted for.
 */
export const fallsIncidentRule: AlertRule = {
  name: 'falls-incident',
  conditions: [...INCIDENT_CONDITIONS, POST_FALL_CONDITION],
  watches: { observations: ['fall', 'help_request', 'upright', 'no_movement'], timer: true },

  async onObservation(ctx, accepted) {
    if (!accepted.patientId || !URGENT_KINDS.has(accepted.observation.kind)) return;
    const event = eventOf(accepted);
    const current = await unresolvedIncident(ctx, accepted.patientId);
    if (current) return join(ctx, current, accepted, event);
    const resolved = await lateForResolved(ctx, accepted.patientId, event);
    if (resolved) {
      await ctx.amend(
        resolved,
        {
          title: resolved.title,
          message: resolved.message,
          detail: { ...withEvent(detailOf(resolved), event) },
        },
        {
          type: 'recurred',
          note: `${JOIN_NOTE[event.kind]}, measured before the resolution`,
          notify: 'none',
        },
      );
      return;
    }
    // Upright with no incident: the resident is fine; the reading is stored and shown, nothing to raise.
    if (event.kind !== 'upright') await open(ctx, accepted, event);
  },

  /** Staff observations recorded after a fall complete the post-fall sets due by then. */
  async onPatientReadings(ctx, { patientId, observations }) {
    const staff = observations.filter((a) => a.observation.deviceId.startsWith(STAFF_SOURCE_PREFIX));
    if (staff.length === 0) return;
    const repo = postFall(ctx.sql);
    const schedule = await repo.get(patientId);
    if (!schedule || schedule.nextIndex >= schedule.minutes.length) return;
    const latest = Math.max(...staff.map((a) => Date.parse(a.observation.measuredAt)));
    if (latest < Date.parse(schedule.fallAt)) return;
    const covered = lastDueIndex(schedule, new Date(latest + EARLY_TOLERANCE_MS));
    if (covered < schedule.nextIndex) return;
    await repo.save(
      { ...schedule, nextIndex: covered + 1, promptedThrough: Math.max(schedule.promptedThrough, covered) },
      ctx.at,
    );
    if (covered >= schedule.promptedThrough)
      await ctx.clear(
        subjectOf(patientId),
        POST_FALL_CONDITION,
        `Post-fall observations recorded (set ${covered + 1} of ${schedule.minutes.length})`,
      );
  },

  async onTick(ctx) {
    const limits = ctx.config;
    const incidents = await queries(ctx.sql).unresolved();
    const byId = new Map(incidents.map((row) => [row.id, row]));
    for (const row of incidents) {
      const incident = detailOf(row);
      const reason = longLieDue(incident, row.state as 'open' | 'acknowledged', ctx.at, limits);
      if (!reason) continue;
      await amendIncident(
        ctx,
        row,
        { ...incident, longLie: { at: ctx.at.toISOString(), reason } },
        { type: 'escalated', note: LONG_LIE_NOTE[reason], reopen: true, level: 'top', notify: 'every level' },
      );
      byId.set(row.id, (await ctx.findUnresolved(row.subject, row.condition)) ?? row);
    }
    for (const schedule of await postFall(ctx.sql).due(ctx.at)) {
      const incident = byId.get(schedule.alertId) ?? (await queries(ctx.sql).alert(schedule.alertId));
      // While nobody has acknowledged the fall, the fall is the prompt.
      if (incident?.state === 'open') continue;
      await promptPostFall(ctx, schedule, incident);
    }
  },
};
