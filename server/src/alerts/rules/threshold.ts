import { isUnreliable, type QualityFlag } from '@wardline/protocol';
import { roundToChart } from '../news2.js';
import type { RaiseSpec, RuleContext, Values } from './types.js';

export type Verdict = 'breach' | 'clear' | 'hold';

export interface ThresholdSpec {
  condition: string;
  kind: string;
  priority: RaiseSpec['priority'];
  title: string;
  classify: (v: Values) => Verdict;
  describe: (v: Values) => string;
  /** The breaching readings must span at least this long (0: consecutive readings suffice). */
  confirmSpanMs: number;
  /** The readings back within range must span at least this long before the alert clears itself. */
  resolveSpanMs: number;
}

interface Reading {
  measuredAt: string;
  values: Values;
}

export const int = (v: Values, key: string) => roundToChart(v[key]?.value ?? NaN, 0);

/**
 * Most readings decide on the newest alone (in range, no alert open), so the first page is small;
 * a breach being confirmed or an alert clearing reads on in larger pages.
 */
const FIRST_PAGE = 4;
const NEXT_PAGE = 50;

/** The newest reliable readings of a kind, newest first: unreliable ones (by their stored flags) skipped. */
async function* newestReliable(ctx: RuleContext, patientId: string, kind: string): AsyncGenerator<Reading> {
  let before = '\uffff';
  let beforeId = '\uffff';
  for (let size = FIRST_PAGE; ; size = NEXT_PAGE) {
    // Paged by (time, id), so that readings sharing a time at a page's edge are neither skipped nor
    // read twice; the index on (patient, kind, time) ends in the key, id, so it needs no sort.
    const rows = await ctx.sql.all<{
      id: string;
      measured_at: string;
      values_json: string;
      quality_json: string | null;
    }>(
      `SELECT id, measured_at, values_json, quality_json FROM observations
        WHERE patient_id = ? AND kind = ? AND (measured_at < ? OR (measured_at = ? AND id < ?))
        ORDER BY measured_at DESC, id DESC LIMIT ?`,
      [patientId, kind, before, before, beforeId, size],
    );
    for (const r of rows) {
      if (r.quality_json && isUnreliable({ quality: JSON.parse(r.quality_json) as QualityFlag[] })) continue;
      yield { measuredAt: r.measured_at, values: JSON.parse(r.values_json) as Values };
    }
    if (rows.length < size) return;
    const last = rows.at(-1)!;
    before = last.measured_at;
    beforeId = last.id;
  }
}

/** The run of newest readings with one verdict, stopping once it is long enough to decide. */
async function run(
  readings: AsyncIterator<Reading>,
  first: Reading,
  verdict: Verdict,
  classify: ThresholdSpec['classify'],
  count: number,
  spanMs: number,
): Promise<Reading[] | null> {
  const out = [first];
  const newest = Date.parse(first.measuredAt);
  while (out.length < count || newest - Date.parse(out.at(-1)!.measuredAt) < spanMs) {
    const next = await readings.next();
    if (next.done || classify(next.value.values) !== verdict) return null;
    out.push(next.value);
  }
  return out;
}

/**
 * Raises on a confirmed breach: at least `confirmReadings` consecutive breaching readings spanning
 * confirmSpanMs; clears itself on as many readings back within range spanning resolveSpanMs.
 * Readings between the threshold and its hysteresis band ('hold') keep things as they are.
 */
export async function evaluateThreshold(
  ctx: RuleContext,
  spec: ThresholdSpec,
  patientId: string,
  wardId: string | null,
  confirmReadings: number,
): Promise<void> {
  const readings = newestReliable(ctx, patientId, spec.kind);
  try {
    const newest = await readings.next();
    if (newest.done) return;
    const verdict = spec.classify(newest.value.values);
    const subject = `patient:${patientId}`;
    if (verdict === 'breach') {
      // A clinician's confirmReadings of 1 means a single reading alerts: no minimum span either.
      const confirmed = await run(
        readings,
        newest.value,
        'breach',
        spec.classify,
        confirmReadings,
        confirmReadings <= 1 ? 0 : spec.confirmSpanMs,
      );
      if (!confirmed) return;
      // The message names the readings that confirmed it (the newest few, not a 5-second series).
      const shown = confirmed.length <= 3 ? confirmed : [confirmed[0]!, confirmed.at(-1)!];
      await ctx.raise({
        subject,
        condition: spec.condition,
        patientId,
        wardId,
        priority: spec.priority,
        title: spec.title,
        message: shown.map((r) => spec.describe(r.values)).join('; '),
        detail: {
          readings: shown.map((r) => ({ measuredAt: r.measuredAt, reading: spec.describe(r.values) })),
          thresholds: await ctx.thresholds.forPatient(patientId),
        },
        triggerMeasuredAt: newest.value.measuredAt,
      });
    } else if (verdict === 'clear' && (await ctx.findUnresolved(subject, spec.condition))) {
      const back = await run(
        readings,
        newest.value,
        'clear',
        spec.classify,
        confirmReadings,
        spec.resolveSpanMs,
      );
      if (!back) return;
      const minutes = Math.round(
        (Date.parse(newest.value.measuredAt) - Date.parse(back.at(-1)!.measuredAt)) / 60_000,
      );
      await ctx.clear(
        subject,
        spec.condition,
        spec.resolveSpanMs > 0
          ? `readings back within range for ${minutes} min (${back.length} readings)`
          : `${back.length} consecutive readings back within range`,
      );
    }
  } finally {
    await readings.return(undefined);
  }
}
