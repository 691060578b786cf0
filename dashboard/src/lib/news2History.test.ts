import type { News2HistoryEntry } from '@wardline/protocol';
import { describe, expect, it } from 'vitest';
import { news2HistorySummary, news2Points, news2TimeAxis } from './news2History.js';

const entry = (at: string, score: number, complete = true): News2HistoryEntry => ({
  at,
  score,
  risk: 'low',
  complete,
  missing: [],
  missingText: null,
  parameters: [],
});

describe('NEWS2 history chart', () => {
  const entries = [
    entry('2026-03-02T08:00:00Z', 1),
    entry('2026-03-02T10:00:00Z', 6),
    entry('2026-03-02T12:00:00Z', 2, false),
  ];

  it('says what it shows: how many changes, the score now and the highest', () => {
    const text = news2HistorySummary(entries);
    expect(text).toMatch(/^3 changes in the last 7 days\. Now 2 \(partial\) since .+; highest 6 at .+\.$/);
    expect(news2HistorySummary([])).toBe('No NEWS2 recorded in the last 7 days.');
    expect(news2HistorySummary([entry('2026-03-02T08:00:00Z', 0)])).toMatch(
      /^1 score in the last 7 days\. Now 0 since/,
    );
  });

  it('carries the current score to now, so the last step is drawn', () => {
    const now = Date.parse('2026-03-02T13:00:00Z');
    const points = news2Points(entries, now);
    expect(points.map((p) => [p.score, p.partial])).toEqual([
      [1, false],
      [6, false],
      [2, true],
      [2, true],
    ]);
    expect(points.at(-1)!.t).toBe(now);
  });

  it('spans the axis from the first change to now, in times of day for a short span', () => {
    const now = Date.parse('2026-03-02T13:00:00Z');
    const axis = news2TimeAxis(news2Points(entries, now), now);
    expect(axis.domain).toEqual([Date.parse('2026-03-02T07:45:00Z'), now]);
    expect(axis.format(now)).toMatch(/^\d\d:\d\d$/);
    expect(axis.ticks).toHaveLength(5);
    expect([axis.ticks[0], axis.ticks.at(-1)]).toEqual(axis.domain);
    const week = news2TimeAxis(news2Points([entry('2026-02-25T13:00:00Z', 1)], now), now);
    expect(week.format(now)).toMatch(/^Mon 2$/);
    // A single fresh score still has an hour of axis, not a point on the edge.
    expect(news2TimeAxis(news2Points([entry('2026-03-02T12:59:00Z', 0)], now), now).domain[0]).toBe(
      now - 3_600_000,
    );
  });
});
