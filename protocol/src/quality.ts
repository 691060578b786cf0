// No schema library here: the dashboard's ward screen imports this and must stay small.

/**
 * What the device said about how far to trust a reading (Blood Pressure Measurement Status, PLX
 * Measurement and Device/Sensor Status). The reading is stored and shown with them either way.
 */
export const QUALITY_FLAGS = [
  // Blood pressure (BLS 3.1 Measurement Status)
  'body_movement',
  'cuff_too_loose',
  'irregular_pulse',
  'pulse_rate_high',
  'pulse_rate_low',
  'improper_position',
  // Pulse oximetry (PLXS 3.1, 3.2)
  'measurement_questionable',
  'low_perfusion',
  'erratic_signal',
  'signal_weak',
  'sensor_displaced',
] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];
// Unsafe only types it: a union built from an array is typed as never by TypeBox.

/**
 * Flags that make a reading's values unreliable: such a reading neither raises nor clears an alert
 * nor counts in NEWS2, and the nurse is prompted to repeat it. Irregular pulse does not make the
 * pressure unreliable; it is a prompt of its own (check for atrial fibrillation).
 */
export const UNRELIABLE_FLAGS: ReadonlySet<QualityFlag> = new Set([
  'body_movement',
  'cuff_too_loose',
  'improper_position',
  'measurement_questionable',
  'low_perfusion',
  'erratic_signal',
  'signal_weak',
  'sensor_displaced',
]);

export function isUnreliable(observation: { quality?: readonly QualityFlag[] | undefined }): boolean {
  return observation.quality?.some((flag) => UNRELIABLE_FLAGS.has(flag)) ?? false;
}
