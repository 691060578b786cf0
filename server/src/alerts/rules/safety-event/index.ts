import type { AlertRule, Values } from '../types.js';

export const SAFETY_CONDITIONS: ReadonlySet<string> = new Set(['fall', 'help_request']);

/** A fall or a help press: critical at once, never delayed, never cleared by the system. */
export const safetyEventRule: AlertRule = {
  name: 'safety-event',
  conditions: ['fall', 'help_request'],
  watches: { observations: ['fall', 'help_request'] },
  onObservation(ctx, accepted) {
    const o = accepted.observation;
    if (!accepted.patientId || !SAFETY_CONDITIONS.has(o.kind)) return;
    const fall = o.kind === 'fall';
    const confidence = fall ? (o.values as Values).confidence?.value : undefined;
    ctx.raise(
      {
        subject: `patient:${accepted.patientId}`,
        condition: o.kind,
        patientId: accepted.patientId,
        wardId: accepted.wardId,
        deviceId: o.deviceId,
        priority: 'critical',
        title: fall ? 'Fall detected' : 'Help button pressed',
        message: fall
          ? `Fall detected${confidence !== undefined ? ` (sensor confidence ${confidence} %)` : ''}`
          : 'The help button was pressed',
        detail: {
          measuredAt: o.measuredAt,
          deviceId: o.deviceId,
          ...(confidence !== undefined ? { confidence } : {}),
        },
        triggerMeasuredAt: o.measuredAt,
      },
      true,
    );
  },
};
