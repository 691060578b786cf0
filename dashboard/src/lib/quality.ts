import type { BedState, ObservationKind } from '@wardline/protocol';
import { QUALITY_FLAGS, UNRELIABLE_FLAGS, type QualityFlag } from '@wardline/protocol/quality';

/**
 * What a device's quality flags mean to the nurse at the bedside: what went wrong and what to do,
 * in words (never the flag code). A flag that makes the values unreliable asks for a repeat.
 */
export const QUALITY_TEXT: Record<QualityFlag, string> = {
  body_movement: 'Moved during the reading — repeat this reading',
  cuff_too_loose: 'Cuff too loose — repeat this reading',
  irregular_pulse: 'Irregular pulse — check for atrial fibrillation',
  pulse_rate_high: 'Pulse above the cuff’s range — count the pulse by hand',
  pulse_rate_low: 'Pulse below the cuff’s range — count the pulse by hand',
  improper_position: 'Cuff not at heart level — repeat this reading',
  measurement_questionable: 'Oximeter unsure of this reading — repeat this reading',
  low_perfusion: 'Weak circulation at the probe — warm the hand and repeat this reading',
  erratic_signal: 'Erratic signal (movement or interference) — repeat this reading',
  signal_weak: 'Weak signal — check the probe and repeat this reading',
  sensor_displaced: 'Probe out of place — refit it and repeat this reading',
};

export interface QualityNote {
  flag: QualityFlag;
  text: string;
  /** The values should not be relied on (protocol UNRELIABLE_FLAGS). */
  unreliable: boolean;
}

/** One note per flag, those that void the values first, then in the contract's order. */
export function qualityNotes(quality: readonly QualityFlag[] | undefined): QualityNote[] {
  const flags = new Set(quality ?? []);
  const notes = QUALITY_FLAGS.filter((flag) => flags.has(flag)).map((flag) => ({
    flag,
    text: QUALITY_TEXT[flag],
    unreliable: UNRELIABLE_FLAGS.has(flag),
  }));
  return [...notes.filter((n) => n.unreliable), ...notes.filter((n) => !n.unreliable)];
}

/** The quality notes of a bed's latest reading of one kind (none when it has no such reading). */
export function latestQualityNotes(bed: BedState, kind: ObservationKind): QualityNote[] {
  return qualityNotes(bed.latest[kind]?.observation.quality);
}
