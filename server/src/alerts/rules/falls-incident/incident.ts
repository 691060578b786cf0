/**
 * A falls incident: the fall, help presses and what the sensor says afterwards (upright again, no
 * movement), for one resident, as one alert. This module holds the incident's state (kept in the
 * alert's detail) and its words; the rule decides when events join and when a long lie escalates.
 */

export type IncidentEventKind = 'fall' | 'help_request' | 'upright' | 'no_movement';
export type LongLieReason = 'not_acknowledged' | 'no_movement' | 'no_recovery';

export interface IncidentEvent {
  kind: IncidentEventKind;
  measuredAt: string;
  deviceId: string;
  confidence?: number;
}

export interface IncidentDetail {
  /** The first event's time and device (as every safety alert has always carried). */
  measuredAt: string;
  deviceId: string;
  confidence?: number;
  /** Every event, oldest first; at most MAX_EVENTS (the first ones and the newest kept). */
  events: IncidentEvent[];
  eventCount: number;
  /** The latest fall of the incident, and whether the sensor saw the resident up after it. */
  fallAt: string | null;
  uprightAt: string | null;
  lastEventAt: string;
  longLie: { at: string; reason: LongLieReason } | null;
}

export const MAX_EVENTS = 20;
const MINUTE = 60_000;

export function newIncident(event: IncidentEvent): IncidentDetail {
  return {
    measuredAt: event.measuredAt,
    deviceId: event.deviceId,
    ...(event.confidence !== undefined ? { confidence: event.confidence } : {}),
    events: [event],
    eventCount: 1,
    fallAt: event.kind === 'fall' ? event.measuredAt : null,
    uprightAt: null,
    lastEventAt: event.measuredAt,
    longLie: null,
  };
}

/** Reads an incident back from an alert's detail; older safety alerts become one-event incidents. */
export function incidentOf(
  condition: string,
  detail: Record<string, unknown>,
  openedAt: string,
): IncidentDetail {
  if (Array.isArray(detail.events)) return detail as unknown as IncidentDetail;
  const measuredAt = typeof detail.measuredAt === 'string' ? detail.measuredAt : openedAt;
  const kind: IncidentEventKind =
    condition === 'fall' || condition === 'help_request' || condition === 'no_movement'
      ? condition
      : 'help_request';
  return newIncident({
    kind,
    measuredAt,
    deviceId: typeof detail.deviceId === 'string' ? detail.deviceId : '',
    ...(typeof detail.confidence === 'number' ? { confidence: detail.confidence } : {}),
  });
}

/** The incident with one more event, in time order (events can arrive out of order). */
export function withEvent(incident: IncidentDetail, event: IncidentEvent): IncidentDetail {
  const events = [...incident.events, event].sort((a, b) => a.measuredAt.localeCompare(b.measuredAt));
  // Bounded: a stuck button must not grow the alert without limit; the first events and the newest stay.
  const kept =
    events.length > MAX_EVENTS
      ? [...events.slice(0, MAX_EVENTS / 2), ...events.slice(-MAX_EVENTS / 2)]
      : events;
  const falls = events.filter((e) => e.kind === 'fall');
  const fallAt = falls.length ? falls[falls.length - 1]!.measuredAt : null;
  const upright = events.filter((e) => e.kind === 'upright' && fallAt !== null && e.measuredAt >= fallAt);
  const latest = events[events.length - 1]!.measuredAt;
  return {
    ...incident,
    events: kept,
    eventCount: incident.eventCount + 1,
    fallAt,
    uprightAt: upright.length ? upright[upright.length - 1]!.measuredAt : null,
    lastEventAt: latest > incident.lastEventAt ? latest : incident.lastEventAt,
  };
}

const minutesBetween = (from: string, to: string) =>
  Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / MINUTE));
const after = (minutes: number, what: string) =>
  minutes === 0 ? `within a minute of ${what}` : `${minutes} min after ${what}`;

/** What a nurse reads: the title says what happened, the message how it unfolded. */
export function incidentWords(incident: IncidentDetail): { title: string; message: string } {
  const kinds = new Set(incident.events.map((e) => e.kind));
  const fall = kinds.has('fall');
  const help = kinds.has('help_request');
  const firstAt = incident.events[0]!.measuredAt;
  const anchor = fall ? incident.fallAt! : firstAt;
  const anchorWords = fall ? 'the fall' : 'the first call';

  let title = fall
    ? help
      ? 'Fall detected, help button pressed'
      : 'Fall detected'
    : help
      ? 'Help button pressed'
      : 'No movement reported';
  if (incident.longLie)
    title =
      incident.longLie.reason === 'not_acknowledged' && !fall && !kinds.has('no_movement')
        ? 'Help call not answered'
        : 'Long lie suspected';

  const sentences: string[] = [];
  const first = incident.events.find((e) => e.kind === 'fall') ?? incident.events[0]!;
  if (first.kind === 'fall')
    sentences.push(
      `Fall detected${first.confidence !== undefined ? ` (sensor confidence ${first.confidence} %)` : ''}.`,
    );
  const falls = incident.events.filter((e) => e.kind === 'fall').length;
  if (falls > 1) sentences.push(`${falls} falls in this incident.`);
  const helpEvents = incident.events.filter((e) => e.kind === 'help_request');
  if (helpEvents.length) {
    const firstHelp = helpEvents[0]!;
    sentences.push(
      fall && firstHelp.measuredAt >= anchor
        ? `Help button pressed ${after(minutesBetween(anchor, firstHelp.measuredAt), anchorWords)}${helpEvents.length > 1 ? ` (${helpEvents.length} presses)` : ''}.`
        : `The help button was pressed${helpEvents.length > 1 ? ` ${helpEvents.length} times` : ''}.`,
    );
  }
  const stillAt = incident.events.find((e) => e.kind === 'no_movement');
  if (stillAt)
    sentences.push(
      `The sensor reports no movement ${after(minutesBetween(anchor, stillAt.measuredAt), anchorWords)}.`,
    );
  if (incident.uprightAt)
    sentences.push(
      `Upright again ${after(minutesBetween(anchor, incident.uprightAt), anchorWords)} (sensor): check on them.`,
    );
  if (incident.longLie) sentences.push(longLieWords(incident, anchorWords));
  return { title, message: sentences.join(' ') };
}

function longLieWords(incident: IncidentDetail, anchorWords: string): string {
  switch (incident.longLie!.reason) {
    case 'no_movement':
      return 'They may be on the floor and unable to get up: escalated to every level.';
    case 'no_recovery':
      return `No sign of them getting up ${after(minutesBetween(incident.fallAt!, incident.longLie!.at), anchorWords)}: escalated to every level.`;
    case 'not_acknowledged':
      return `Nobody acknowledged it ${after(minutesBetween(incident.events[0]!.measuredAt, incident.longLie!.at), anchorWords)}: escalated to every level.`;
  }
}

/** Why, if at all, the incident is now a long lie (the sensor's no-movement event is handled on arrival). */
export function longLieDue(
  incident: IncidentDetail,
  state: 'open' | 'acknowledged',
  at: Date,
  limits: { longLieUnacknowledgedMs: number; longLieMs: number },
): LongLieReason | null {
  if (incident.longLie) return null;
  const first = Date.parse(incident.events[0]!.measuredAt);
  if (state === 'open' && at.getTime() - first >= limits.longLieUnacknowledgedMs) return 'not_acknowledged';
  if (
    incident.fallAt &&
    !incident.uprightAt &&
    at.getTime() - Date.parse(incident.fallAt) >= limits.longLieMs
  )
    return 'no_recovery';
  return null;
}
