import type { SqlDatabase } from '../../../db/engines/engine.js';

/** One patient's post-fall observation schedule (table post_fall_observations). */
export interface PostFallSchedule {
  patientId: string;
  alertId: number;
  fallAt: string;
  /** Minutes after the fall at which each set is due, as configured at the time of the fall. */
  minutes: number[];
  /** The first set not yet recorded (minutes.length: all done). */
  nextIndex: number;
  /** The last set a prompt was raised for (-1: none yet). */
  promptedThrough: number;
}

interface Row {
  patient_id: string;
  alert_id: number;
  fall_at: string;
  schedule_json: string;
  next_index: number;
  prompted_through: number;
}

const MINUTE = 60_000;
const toSchedule = (r: Row): PostFallSchedule => ({
  patientId: r.patient_id,
  alertId: r.alert_id,
  fallAt: r.fall_at,
  minutes: JSON.parse(r.schedule_json) as number[],
  nextIndex: r.next_index,
  promptedThrough: r.prompted_through,
});

export function dueAt(schedule: Pick<PostFallSchedule, 'fallAt' | 'minutes'>, index: number): Date {
  return new Date(Date.parse(schedule.fallAt) + (schedule.minutes[index] ?? 0) * MINUTE);
}

/** The last set due at `at` (-1: none yet). */
export function lastDueIndex(schedule: Pick<PostFallSchedule, 'fallAt' | 'minutes'>, at: Date): number {
  let index = -1;
  for (let i = 0; i < schedule.minutes.length; i++) if (dueAt(schedule, i) <= at) index = i;
  return index;
}

/**
 * When the schedule next needs the tick: the first set after the ones prompted for, unless every
 * set is recorded or prompted for. Indexed, so a tick reads only schedules with something due.
 */
function nextDue(s: PostFallSchedule): string | null {
  const next = Math.max(s.nextIndex, s.promptedThrough + 1);
  return next < s.minutes.length ? dueAt(s, next).toISOString() : null;
}

export function createPostFallRepository(sql: SqlDatabase) {
  async function save(s: PostFallSchedule, at: Date): Promise<void> {
    await sql.run(
      `INSERT INTO post_fall_observations
         (patient_id, alert_id, fall_at, schedule_json, next_index, prompted_through, next_due_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (patient_id) DO UPDATE SET alert_id = excluded.alert_id, fall_at = excluded.fall_at,
         schedule_json = excluded.schedule_json, next_index = excluded.next_index,
         prompted_through = excluded.prompted_through, next_due_at = excluded.next_due_at,
         updated_at = excluded.updated_at`,
      [
        s.patientId,
        s.alertId,
        s.fallAt,
        JSON.stringify(s.minutes),
        s.nextIndex,
        s.promptedThrough,
        nextDue(s),
        at.toISOString(),
      ],
    );
  }

  return {
    /** A fall (re)starts the patient's schedule from the fall's time. */
    async start(
      patientId: string,
      alertId: number,
      fallAt: string,
      minutes: number[],
      at: Date,
    ): Promise<void> {
      if (minutes.length === 0) return;
      await save({ patientId, alertId, fallAt, minutes, nextIndex: 0, promptedThrough: -1 }, at);
    },
    async get(patientId: string): Promise<PostFallSchedule | undefined> {
      const row = await sql.get<Row>(`SELECT * FROM post_fall_observations WHERE patient_id = ?`, [
        patientId,
      ]);
      return row ? toSchedule(row) : undefined;
    },
    /** Schedules with a set due by `at`, oldest first, bounded per tick. */
    async due(at: Date, limit = 200): Promise<PostFallSchedule[]> {
      const rows = await sql.all<Row>(
        `SELECT * FROM post_fall_observations WHERE next_due_at IS NOT NULL AND next_due_at <= ?
          ORDER BY next_due_at LIMIT ?`,
        [at.toISOString(), limit],
      );
      return rows.map(toSchedule);
    },
    save,
  };
}
