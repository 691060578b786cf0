import { spo2LowFor } from '../../thresholds.js';
import { evaluateThreshold, int } from '../threshold.js';
import type { AlertRule } from '../types.js';

/** Oxygen saturation below the patient's target (BTS: 92 % on scale 1, 88 % on scale 2). */
export const spo2ThresholdRule: AlertRule = {
  name: 'spo2-threshold',
  conditions: ['spo2_low'],
  watches: { observations: ['spo2'] },
  async onPatientReadings(ctx, { patientId, wardId, thresholds: t, kinds }) {
    if (!kinds.has('spo2')) return;
    const low = spo2LowFor(t);
    await evaluateThreshold(
      ctx,
      {
        condition: 'spo2_low',
        kind: 'spo2',
        priority: 'high',
        title: 'Oxygen saturation low',
        classify: (v) => (int(v, 'spo2') < low ? 'breach' : int(v, 'spo2') >= low + 1 ? 'clear' : 'hold'),
        describe: (v) => `SpO2 ${int(v, 'spo2')} % (alert below ${low} %)`,
        // Hypoxia is not held back a minute: consecutive reliable readings confirm it.
        confirmSpanMs: 0,
        resolveSpanMs: ctx.config.thresholdResolveMs,
      },
      patientId,
      wardId,
      t.confirmReadings,
    );
  },
};
