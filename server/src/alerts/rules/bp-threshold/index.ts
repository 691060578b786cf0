import type { Thresholds } from '@wardline/protocol';
import { evaluateThreshold, int, type ThresholdSpec } from '../threshold.js';
import type { AlertRule, RuleContext, Values } from '../types.js';

const bp = (v: Values) => `${int(v, 'systolic')}/${int(v, 'diastolic')} mmHg`;

export function bpSpecs(t: Thresholds, ctx: Pick<RuleContext, 'config'>): ThresholdSpec[] {
  const resolveSpanMs = ctx.config.thresholdResolveMs;
  return [
    {
      condition: 'bp_high',
      kind: 'blood_pressure',
      priority: 'medium',
      title: 'Blood pressure high',
      // Hysteresis: clears only 10/5 mmHg below the threshold.
      classify: (v) =>
        int(v, 'systolic') >= t.systolicHigh || int(v, 'diastolic') >= t.diastolicHigh
          ? 'breach'
          : int(v, 'systolic') < t.systolicHigh - 10 && int(v, 'diastolic') < t.diastolicHigh - 5
            ? 'clear'
            : 'hold',
      describe: bp,
      confirmSpanMs: ctx.config.bpConfirmMs,
      resolveSpanMs,
    },
    {
      condition: 'bp_low',
      kind: 'blood_pressure',
      priority: 'high',
      title: 'Blood pressure low',
      classify: (v) =>
        int(v, 'systolic') <= t.systolicLow
          ? 'breach'
          : int(v, 'systolic') >= t.systolicLow + 5
            ? 'clear'
            : 'hold',
      describe: bp,
      confirmSpanMs: ctx.config.bpConfirmMs,
      resolveSpanMs,
    },
  ];
}

/** Severe high and low blood pressure, on a confirmed reading (see README.md). */
export const bpThresholdRule: AlertRule = {
  name: 'bp-threshold',
  conditions: ['bp_high', 'bp_low'],
  watches: { observations: ['blood_pressure'] },
  async onPatientReadings(ctx, { patientId, wardId, thresholds, kinds }) {
    if (!kinds.has('blood_pressure')) return;
    for (const spec of bpSpecs(thresholds, ctx))
      await evaluateThreshold(ctx, spec, patientId, wardId, thresholds.confirmReadings);
  },
};
