import type { PatientThresholds, ThresholdChange, Thresholds } from '@wardline/protocol';
import type { SqlDatabase } from '../db/engines/engine.js';

/**
 * Defaults for a home / care-home virtual ward. Per patient, clinicians override any of them;
 * every change is audited (who, when, old and new value, reason).
 */
export const DEFAULT_THRESHOLDS: Thresholds = {
  spo2Scale: 1,
  // NICE NG136 1.5: severe hypertension, clinic BP >= 180 systolic or >= 120 diastolic: same-day review.
  systolicHigh: 180,
  diastolicHigh: 120,
  // NEWS2 chart: systolic <= 90 scores 3.
  systolicLow: 90,
  // BTS oxygen guideline: target 94-98 % (scale 1), 88-92 % (scale 2, hypercapnic): alert below 92 / 88.
  spo2Low: null,
  // Twice-daily cuff readings, as the virtual ward schedules them.
  bpReadingsPerDay: 2,
  confirmReadings: 2,
  batteryLow: 15,
};

export function spo2LowFor(t: Thresholds): number {
  return t.spo2Low ?? (t.spo2Scale === 2 ? 88 : 92);
}

export function createThresholdRepository(sql: SqlDatabase) {
  async function overrides(patientId: string): Promise<Partial<Thresholds>> {
    const row = await sql.get<{ thresholds_json: string }>(
      `SELECT thresholds_json FROM patient_thresholds WHERE patient_id = ?`,
      [patientId],
    );
    return row ? (JSON.parse(row.thresholds_json) as Partial<Thresholds>) : {};
  }

  return {
    async forPatient(patientId: string): Promise<Thresholds> {
      return { ...DEFAULT_THRESHOLDS, ...(await overrides(patientId)) };
    },

    async describe(patientId: string): Promise<PatientThresholds> {
      const own = await overrides(patientId);
      const history = await sql.all<Record<string, string>>(
        `SELECT at, by, field, old_json, new_json, reason FROM threshold_changes WHERE patient_id = ? ORDER BY id`,
        [patientId],
      );
      return {
        patientId,
        thresholds: { ...DEFAULT_THRESHOLDS, ...own },
        defaults: Object.keys(DEFAULT_THRESHOLDS).filter((k) => !(k in own)),
        history: history.map((r): ThresholdChange => ({
          at: r.at!,
          by: r.by!,
          field: r.field!,
          oldValue: JSON.parse(r.old_json!) as unknown,
          newValue: JSON.parse(r.new_json!) as unknown,
          reason: r.reason!,
        })),
      };
    },

    /** Applies the changes and audits each field that actually changed; returns those fields. */
    update(
      patientId: string,
      changes: Partial<Thresholds>,
      by: string,
      reason: string,
      at: string,
    ): Promise<string[]> {
      return sql.transaction(async () => {
        // Takes the patient's row first (a lock until commit on PostgreSQL), so that two replicas
        // changing different fields at once each read the other's change rather than undo it.
        await sql.run(
          `INSERT INTO patient_thresholds (patient_id, thresholds_json) VALUES (?, '{}')
           ON CONFLICT (patient_id) DO UPDATE SET thresholds_json = patient_thresholds.thresholds_json`,
          [patientId],
        );
        const own = await overrides(patientId);
        const current = { ...DEFAULT_THRESHOLDS, ...own };
        const changed: string[] = [];
        for (const [field, value] of Object.entries(changes) as [keyof Thresholds, unknown][]) {
          if (value === undefined || JSON.stringify(current[field]) === JSON.stringify(value)) continue;
          await sql.run(
            `INSERT INTO threshold_changes (patient_id, at, by, field, old_json, new_json, reason)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
            [patientId, at, by, field, JSON.stringify(current[field]), JSON.stringify(value), reason],
          );
          (own as Record<string, unknown>)[field] = value;
          changed.push(field);
        }
        if (changed.length > 0)
          await sql.run(
            `INSERT INTO patient_thresholds (patient_id, thresholds_json) VALUES (?, ?)
             ON CONFLICT (patient_id) DO UPDATE SET thresholds_json = excluded.thresholds_json`,
            [patientId, JSON.stringify(own)],
          );
        return changed;
      });
    },
  };
}
export type ThresholdRepository = ReturnType<typeof createThresholdRepository>;
