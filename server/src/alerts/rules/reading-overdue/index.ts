import type { AlertRule } from '../types.js';

const HOUR = 3_600_000;

/** A scheduled cuff reading missed: due at 24 h / bpReadingsPerDay after the last, plus a grace. */
export const readingOverdueRule: AlertRule = {
  name: 'reading-overdue',
  conditions: ['reading_overdue'],
  watches: { observations: ['blood_pressure'], timer: true },
  async onPatientReadings(ctx, { patientId, observations }) {
    // Any cuff reading, reliable or not, shows the schedule is being kept (a flagged one prompts a repeat).
    if (observations.some((a) => a.observation.kind === 'blood_pressure'))
      await ctx.clear(`patient:${patientId}`, 'reading_overdue', 'a reading arrived');
  },
  async onTick(ctx) {
    const iso = (ms: number) => new Date(ms).toISOString();
    const rows = await ctx.sql.all<{
      patientId: string;
      since: string;
      wardId: string | null;
      lastAt: string | null;
    }>(
      // One bed and one newest cuff reading per patient: grouping by them too changes nothing.
      `SELECT a.patient_id AS "patientId", min(a.assigned_at) AS since, b.ward_id AS "wardId",
              lo.measured_at AS "lastAt"
           FROM assignments a
           JOIN devices d ON d.id = a.device_id AND d.model = 'bp-cuff'
           JOIN patients p ON p.id = a.patient_id AND p.discharged_at IS NULL
           LEFT JOIN beds b ON b.id = p.bed_id
           LEFT JOIN latest_observations lo ON lo.patient_id = a.patient_id AND lo.kind = 'blood_pressure'
          GROUP BY a.patient_id, b.ward_id, lo.measured_at`,
    );
    for (const r of rows) {
      const t = await ctx.thresholds.forPatient(r.patientId);
      if (t.bpReadingsPerDay === 0) continue;
      const last = r.lastAt ?? r.since;
      const dueAt = Date.parse(last) + (24 * HOUR) / t.bpReadingsPerDay;
      if (ctx.at.getTime() <= dueAt + ctx.config.readingGraceMs) continue;
      await ctx.raise({
        subject: `patient:${r.patientId}`,
        condition: 'reading_overdue',
        patientId: r.patientId,
        wardId: r.wardId,
        priority: 'medium',
        title: 'Scheduled reading missed',
        message: r.lastAt
          ? `No blood pressure reading since ${r.lastAt} (due ${iso(dueAt)})`
          : `No blood pressure reading since the cuff was assigned (due ${iso(dueAt)})`,
        detail: { lastReadingAt: r.lastAt, dueAt: iso(dueAt), readingsPerDay: t.bpReadingsPerDay },
      });
    }
  },
};
