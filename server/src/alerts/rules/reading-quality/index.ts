import { isUnreliable, type QualityFlag } from '@wardline/protocol';
import type { AlertRule } from '../types.js';

const KIND_WORDS: Record<string, string> = {
  blood_pressure: 'blood pressure',
  spo2: 'SpO2',
  heart_rate: 'pulse',
  body_temperature: 'temperature',
  respiration_rate: 'respiration rate',
};

const FLAG_WORDS: Partial<Record<QualityFlag, string>> = {
  body_movement: 'body movement',
  cuff_too_loose: 'cuff too loose',
  improper_position: 'measurement position',
  measurement_questionable: 'measurement questionable',
  low_perfusion: 'low perfusion',
  erratic_signal: 'erratic signal',
  signal_weak: 'weak signal',
  sensor_displaced: 'sensor displaced',
};

const words = (kind: string) => KIND_WORDS[kind] ?? kind.replace(/_/g, ' ');

/**
 * Reading quality prompts, dashboard only (low priority):
 * - reading_unreliable: a reading the device flagged as untrustworthy; it neither raises nor clears
 *   any other alert. Asks for a repeat; clears itself once every flagged kind has a reliable reading.
 * - irregular_pulse: the cuff's irregular pulse flag, a prompt to check for atrial fibrillation;
 *   a nurse resolves it (a regular reading later does not rule AF out).
 */
export const readingQualityRule: AlertRule = {
  name: 'reading-quality',
  conditions: ['reading_unreliable', 'irregular_pulse'],
  watches: { observations: ['blood_pressure', 'spo2', 'heart_rate', 'body_temperature', 'respiration_rate'] },
  async onPatientReadings(ctx, { patientId, wardId, observations }) {
    const subject = `patient:${patientId}`;
    const open = await ctx.findUnresolved(subject, 'reading_unreliable');
    const pending = new Map<string, { measuredAt: string; flags: string[] }>(
      Object.entries(
        open
          ? ((
              JSON.parse(open.detail_json) as {
                kinds?: Record<string, { measuredAt: string; flags: string[] }>;
              }
            ).kinds ?? {})
          : {},
      ),
    );
    let changed = false;
    let newest: string | null = null;
    for (const { observation: o } of [...observations].sort((a, b) =>
      a.observation.measuredAt.localeCompare(b.observation.measuredAt),
    )) {
      // Read as strings: the flag union is being widened in the protocol.
      const quality: readonly string[] = o.quality ?? [];
      if (quality.includes('irregular_pulse')) {
        await ctx.raise(
          {
            subject,
            condition: 'irregular_pulse',
            patientId,
            wardId,
            deviceId: o.deviceId,
            priority: 'low',
            title: 'Irregular pulse: check for atrial fibrillation',
            message: `The cuff detected an irregular pulse during the ${words(o.kind)} reading at ${o.measuredAt}: check the pulse manually for atrial fibrillation`,
            detail: { measuredAt: o.measuredAt, deviceId: o.deviceId },
            triggerMeasuredAt: o.measuredAt,
          },
          true,
        );
      }
      const previous = pending.get(o.kind);
      if (isUnreliable(o)) {
        if (previous && previous.measuredAt >= o.measuredAt) continue;
        pending.set(o.kind, {
          measuredAt: o.measuredAt,
          flags: quality.filter((f) => FLAG_WORDS[f as QualityFlag]),
        });
        newest = o.measuredAt;
        changed = true;
      } else if (previous && previous.measuredAt <= o.measuredAt) {
        pending.delete(o.kind);
        changed = true;
      }
    }
    if (!changed) return;
    if (pending.size === 0) {
      await ctx.clear(subject, 'reading_unreliable', 'a reliable reading was taken');
      return;
    }
    const described = [...pending].map(
      ([kind, p]) => `${words(kind)} (${p.flags.map((f) => FLAG_WORDS[f as QualityFlag]).join(', ')})`,
    );
    await ctx.raise({
      subject,
      condition: 'reading_unreliable',
      patientId,
      wardId,
      priority: 'low',
      title: 'Repeat this reading',
      message: `Unreliable reading, not used for alerts or NEWS2: ${described.join('; ')}. Please repeat it.`,
      detail: { kinds: Object.fromEntries(pending) },
      ...(newest ? { triggerMeasuredAt: newest } : {}),
    });
  },
};
