import type { Alert, AlertPriority, News2Summary } from '@wardline/protocol';
import { news2MissingText } from '@wardline/protocol/news2-text';

/**
 * Display rules for clinical alerts from the server's alert engine. Pure, unit-tested: the ward
 * banner, the bed cards, the inbox and the bed order all read them.
 */

export const PRIORITY_RANK: Record<AlertPriority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export const PRIORITY_LABEL: Record<AlertPriority, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};

/**
 * Active before resolved; then by priority, so every critical alert stays above every high one
 * whether or not someone has acknowledged it; then open before acknowledged; then newest first.
 */
export function compareAlerts(a: Alert, b: Alert): number {
  const resolved = (x: Alert) => (x.state === 'resolved' ? 1 : 0);
  const open = (x: Alert) => (x.state === 'open' ? 0 : 1);
  return (
    resolved(a) - resolved(b) ||
    PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
    open(a) - open(b) ||
    b.openedAt.localeCompare(a.openedAt) ||
    b.id - a.id
  );
}

/**
 * Merges an alert (from a snapshot or a socket event) into a map keyed by id. A stale copy (older
 * `updatedAt`) never replaces a newer one, so a late snapshot cannot undo an acknowledgement.
 * Returns the same map when nothing changed.
 */
export function mergeAlert(map: ReadonlyMap<number, Alert>, alert: Alert): ReadonlyMap<number, Alert> {
  const current = map.get(alert.id);
  if (current) {
    if (current.updatedAt > alert.updatedAt) return map;
    if (current.updatedAt === alert.updatedAt && rankState(current.state) >= rankState(alert.state))
      return map;
  }
  const next = new Map(map);
  next.set(alert.id, alert);
  return next;
}

function rankState(state: Alert['state']): number {
  return state === 'open' ? 0 : state === 'acknowledged' ? 1 : 2;
}

export const isActive = (a: Alert) => a.state !== 'resolved';

/** Active alerts per patient, each list sorted by `compareAlerts`. */
export function alertsByPatient(alerts: Iterable<Alert>): Map<string, Alert[]> {
  const byPatient = new Map<string, Alert[]>();
  for (const a of alerts) {
    if (!isActive(a) || !a.patientId) continue;
    const list = byPatient.get(a.patientId);
    if (list) list.push(a);
    else byPatient.set(a.patientId, [a]);
  }
  for (const list of byPatient.values()) list.sort(compareAlerts);
  return byPatient;
}

/** Whether a new alert (or escalation) should sound: critical or high, still open. */
export function shouldSound(alert: Alert): boolean {
  return alert.state === 'open' && (alert.priority === 'critical' || alert.priority === 'high');
}

export type News2Band = 'high' | 'medium' | 'low-medium' | 'low';

export const NEWS2_BAND_RANK: Record<News2Band, number> = { high: 0, medium: 1, 'low-medium': 2, low: 3 };

export const NEWS2_BAND_LABEL: Record<News2Band, string> = {
  high: 'High risk',
  medium: 'Medium risk',
  'low-medium': 'Low–medium risk',
  low: 'Low risk',
};

export function news2Band(summary: Pick<News2Summary, 'risk'>): News2Band {
  const r = summary.risk;
  return r === 'high' || r === 'medium' || r === 'low-medium' ? r : 'low';
}

export const PARAMETER_NAME: Record<string, string> = {
  respirationRate: 'Respiration rate',
  spo2: 'Oxygen saturation',
  airOrOxygen: 'Air or oxygen',
  systolic: 'Systolic BP',
  pulse: 'Pulse',
  consciousness: 'Consciousness (ACVPU)',
  temperature: 'Temperature',
};

/** "partial: respiration rate and consciousness (ACVPU) not recorded", or null when complete. */
export function partialText(summary: Pick<News2Summary, 'complete' | 'missing'>): string | null {
  if (summary.complete || summary.missing.length === 0) return null;
  return `partial: ${news2MissingText(summary.missing)}`;
}

export interface RiskInput {
  label: string;
  alerts: readonly Alert[];
  news2: Pick<News2Summary, 'risk' | 'score'> | null;
}

/**
 * The ward's order: beds with active alerts by their most urgent priority (critical first), then
 * by NEWS2 band (high, medium, low-medium, then low or not yet scored), then by label. Not by the score within
 * a band: cards would shuffle on every reading for no clinical gain.
 */
export function riskKey(input: RiskInput): [number, number] {
  const top = input.alerts[0];
  const alertRank = top ? PRIORITY_RANK[top.priority] : 4;
  // Not yet scored sorts with low: a first reading must not move every bed.
  const band = input.news2 ? NEWS2_BAND_RANK[news2Band(input.news2)] : NEWS2_BAND_RANK.low;
  return [alertRank, band];
}

const collator = new Intl.Collator('en-GB', { numeric: true, sensitivity: 'base' });

export function compareRisk(a: RiskInput, b: RiskInput): number {
  const ka = riskKey(a);
  const kb = riskKey(b);
  return ka[0] - kb[0] || ka[1] - kb[1] || collator.compare(a.label, b.label);
}

/** "Level 2 (charge nurse), next at 14:05" for an active alert. */
export function escalationText(alert: Alert, formatTime: (iso: string) => string): string {
  const level = `Level ${alert.level}${alert.levelName ? ` (${alert.levelName})` : ''}`;
  if (alert.state === 'resolved') return level;
  return alert.nextEscalationAt ? `${level}, escalates next at ${formatTime(alert.nextEscalationAt)}` : level;
}

export function clockTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
}

export function dateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

/** Whether a bed belongs in the ward's "needs attention" group: an active alert or NEWS2 band above low. */
export function needsAttention(input: RiskInput): boolean {
  const [alertRank, band] = riskKey(input);
  return alertRank < 4 || band < NEWS2_BAND_RANK.low;
}
