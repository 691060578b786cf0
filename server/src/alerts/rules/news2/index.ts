import { NEWS2_PARAMETER_WORDS, type AlertPriority, type News2Summary } from '@wardline/protocol';
import type { AlertRule } from '../types.js';

const NEWS2_PRIORITY: Record<string, AlertPriority | null> = {
  high: 'critical',
  medium: 'high',
  'low-medium': 'medium',
  low: null,
};

const RISK_WORDS: Record<string, string> = { high: 'high', medium: 'medium', 'low-medium': 'low-medium' };

function formatValue(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'on oxygen' : 'air';
  return String(value);
}

/**
 * NEWS2 from the freshest reliable reading of each parameter. Opens at a score of 5 (or any single
 * 3), follows the score while open (text and priority), and escalates again on a rise into a
 * higher band; clears at 3 or less with every parameter that scored measured afresh.
 */
export const news2Rule: AlertRule = {
  name: 'news2',
  conditions: ['news2'],
  watches: {
    observations: [
      'blood_pressure',
      'spo2',
      'heart_rate',
      'body_temperature',
      'respiration_rate',
      'consciousness',
      'inspired_oxygen',
    ],
  },
  async onPatientReadings(ctx, { patientId, wardId, thresholds: t, kinds }) {
    if (kinds.size === 0) return; // only unreliable readings: neither raise nor clear
    const { result, summary } = await ctx.snapshots.news2(patientId, t.spo2Scale, ctx.at);
    const subject = `patient:${patientId}`;
    const priority = NEWS2_PRIORITY[result.risk] ?? null;
    if (priority) {
      const scoring = summary.parameters
        .filter((p) => p.score > 0)
        .map(
          (p) =>
            `${NEWS2_PARAMETER_WORDS[p.parameter] ?? p.parameter} ${formatValue(p.value)} scores ${p.score}`,
        )
        .join(', ');
      const partial = result.missingText ? ` Partial score: ${result.missingText}.` : '';
      const newest =
        summary.parameters
          .map((p) => p.measuredAt)
          .sort()
          .at(-1) ?? null;
      await ctx.raise({
        subject,
        condition: 'news2',
        patientId,
        wardId,
        priority,
        title: `NEWS2 ${result.score}: ${RISK_WORDS[result.risk]} risk`,
        message: `NEWS2 ${result.score}${scoring ? ` (${scoring})` : ''}.${partial}`,
        detail: summary as unknown as Record<string, unknown>,
        triggerMeasuredAt: newest,
      });
      return;
    }
    const open = await ctx.findUnresolved(subject, 'news2');
    if (!open) return;
    // Clears only on a score of 3 or less (one below the alerting band) with every parameter that
    // scored in the alert measured afresh: a missing reading is not evidence of recovery.
    const previous = JSON.parse(open.detail_json) as News2Summary;
    const present = new Set(summary.parameters.map((p) => p.parameter));
    const remeasured = previous.parameters.filter((p) => p.score > 0).every((p) => present.has(p.parameter));
    if (result.score <= 3 && remeasured) await ctx.clear(subject, 'news2', `NEWS2 fell to ${result.score}`);
  },
};
