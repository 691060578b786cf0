import type { News2HistoryEntry } from '@wardline/protocol';
import { dateTime } from './alerts.js';

export interface News2Point {
  t: number;
  score: number;
  partial: boolean;
}

/** What the NEWS2 chart shows, in words: for screen readers and for a glance. */
export function news2HistorySummary(entries: readonly News2HistoryEntry[]): string {
  if (entries.length === 0) return 'No NEWS2 recorded in the last 7 days.';
  const last = entries.at(-1)!;
  const highest = entries.reduce((h, e) => (e.score > h.score ? e : h), entries[0]!);
  const changes = entries.length === 1 ? '1 score' : `${entries.length} changes`;
  const partial = last.complete ? '' : ' (partial)';
  return `${changes} in the last 7 days. Now ${last.score}${partial} since ${dateTime(last.at)}; highest ${highest.score} at ${dateTime(highest.at)}.`;
}

/** Chart rows: each change, and the current score carried to now so the last step is drawn. */
export function news2Points(entries: readonly News2HistoryEntry[], now: number): News2Point[] {
  const points = entries.map((e) => ({ t: Date.parse(e.at), score: e.score, partial: !e.complete }));
  const last = points.at(-1);
  if (last && last.t < now) points.push({ ...last, t: now });
  return points;
}

const HOUR = 3_600_000;

/**
 * The time axis: from the first change (at least an hour back) to now, not the whole week the
 * query covers, so a day's changes are not squeezed against the right edge. Times of day for a
 * span up to 36 h, days beyond.
 */
export function news2TimeAxis(points: readonly News2Point[], now: number) {
  const first = points[0]?.t ?? now;
  const start = Math.min(first - HOUR / 4, now - HOUR);
  const short = now - start <= 36 * HOUR;
  const format = (t: number) =>
    short
      ? new Date(t).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })
      : new Date(t).toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric' });
  const ticks = Array.from({ length: 5 }, (_, i) => Math.round(start + ((now - start) * i) / 4));
  return { domain: [start, now] as [number, number], ticks, format };
}
