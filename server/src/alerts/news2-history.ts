import type { News2Event, News2HistoryEntry, News2Summary } from '@wardline/protocol';
import type { SqlDatabase } from '../db/engines/engine.js';
import type { IngestOutcome } from '../ingest/ingest.js';
import { news2Rule } from './rules/news2/index.js';

/** Kinds that can change a NEWS2 score: falls and help presses (the urgent lane) never trigger a re-score. */
const NEWS2_KINDS: ReadonlySet<string> = new Set(news2Rule.watches.observations);
/** Staff-entered parameters, fresh for the manual window (snapshot.ts); the other kinds for the device one. */
const MANUAL_KINDS = ['respiration_rate', 'consciousness', 'inspired_oxygen'];
const DEVICE_KINDS = [...NEWS2_KINDS].filter((kind) => !MANUAL_KINDS.includes(kind));
/** How far back the first re-score after a start looks for readings that went stale. */
export const FIRST_RESCORE_LOOKBACK_MS = 60 * 60_000;

export interface StaleWindows {
  deviceVitalsMaxAgeMs: number;
  manualObservationsMaxAgeMs: number;
}

interface HistoryRow {
  at: string;
  score: number;
  risk: string;
  complete: number;
  details_json: string;
}

interface Details {
  missing: string[];
  missingText: string | null;
  parameters: News2HistoryEntry['parameters'];
  spo2Scale: number;
}

/**
 * NEWS2 history: a row each time a patient's score, risk or completeness changes, written for
 * each ingest outcome (in its transaction, after the alert engine, in a savepoint of its own) and
 * staff entry (never inside the alert engine). A reading that leaves the
 * score as it was writes nothing, so the history is the chart of changes, not of readings.
 */
export function createNews2History(sql: SqlDatabase) {
  // Readings measured in [from, to) of the given kinds, of admitted residents: a range on
  // observations_by_time, so a re-score reads only the readings that crossed the limit since the
  // last (SQLite's planner is told so; PostgreSQL's chooses it from its statistics).
  const byTime = sql.dialect.name === 'sqlite' ? 'INDEXED BY observations_by_time' : '';
  const crossedSql = (kinds: readonly string[]) =>
    `SELECT DISTINCT o.patient_id AS "patientId", b.ward_id AS "wardId", p.bed_id AS "bedId"
       FROM observations o ${byTime}
       JOIN patients p ON p.id = o.patient_id AND p.discharged_at IS NULL
       JOIN beds b ON b.id = p.bed_id
      WHERE o.measured_at >= ? AND o.measured_at < ? AND o.kind IN (${kinds.map(() => '?').join(',')})`;
  const crossedDevice = crossedSql(DEVICE_KINDS);
  const crossedManual = crossedSql(MANUAL_KINDS);
  let lastRescoreAt: number | null = null;

  /** Records the summary when it differs from the last recorded; true when it did. */
  async function record(summary: News2Summary): Promise<boolean> {
    const last = await sql.get<Pick<HistoryRow, 'score' | 'risk' | 'complete'>>(
      'SELECT score, risk, complete FROM news2_history WHERE patient_id = ? ORDER BY id DESC LIMIT 1',
      [summary.patientId],
    );
    if (
      last &&
      last.score === summary.score &&
      last.risk === summary.risk &&
      last.complete === (summary.complete ? 1 : 0)
    )
      return false;
    const details: Details = {
      missing: summary.missing,
      missingText: summary.missingText,
      parameters: summary.parameters.map(({ parameter, value, score }) => ({ parameter, value, score })),
      spo2Scale: summary.spo2Scale,
    };
    await sql.run(
      `INSERT INTO news2_history (patient_id, at, score, risk, complete, details_json)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [
        summary.patientId,
        summary.at,
        summary.score,
        summary.risk,
        summary.complete ? 1 : 0,
        JSON.stringify(details),
      ],
    );
    return true;
  }

  // An outcome is tracked once: inside its ingest transaction (one commit for the whole group),
  // and the fan-out after commit gets the same events; or, if that failed, afresh after commit.
  const tracked = new WeakMap<IngestOutcome, News2Event[]>();
  type Places = Map<string, { wardId: string; bedId: string | null }>;
  type Score = (patientId: string) => Promise<News2Summary>;
  /** The patients of an outcome whose NEWS2 its readings can change, with where they are. */
  function patientsOf(outcome: IngestOutcome): Places {
    const patients: Places = new Map();
    for (const o of outcome.observations)
      if (o.patientId && o.wardId && NEWS2_KINDS.has(o.observation.kind))
        patients.set(o.patientId, { wardId: o.wardId, bedId: o.bedId });
    return patients;
  }
  async function recordPatients(patients: Places, score: Score): Promise<News2Event[]> {
    const events: News2Event[] = [];
    for (const [patientId, place] of patients) {
      const summary = await score(patientId);
      if (await record(summary)) events.push({ ...place, patientId, summary });
    }
    return events;
  }

  return {
    record,
    /**
     * Scores every patient with new readings in the outcome and records the changed ones: the
     * events to push to their wards. Once per outcome: a second call returns the same events.
     */
    async track(outcome: IngestOutcome, score: Score): Promise<News2Event[]> {
      const done = tracked.get(outcome);
      if (done) return done;
      // One savepoint for an outcome's patients, not one per changed score.
      const events = await sql.transaction(() => recordPatients(patientsOf(outcome), score));
      tracked.set(outcome, events);
      return events;
    },
    /**
     * `track` for the outcomes of a group stored together, in one savepoint: a patient in several
     * of them is recorded at most once (the later ones find the score already recorded).
     */
    async trackAll(
      outcomes: readonly IngestOutcome[],
      scoreFor: (outcome: IngestOutcome) => Score,
    ): Promise<void> {
      const pending = outcomes.filter((outcome) => !tracked.has(outcome));
      const events = await sql.transaction(async () => {
        const out: News2Event[][] = [];
        for (const outcome of pending) out.push(await recordPatients(patientsOf(outcome), scoreFor(outcome)));
        return out;
      });
      pending.forEach((outcome, index) => tracked.set(outcome, events[index]!));
    },
    /**
     * The periodic re-score: a reading counts for NEWS2 only while fresh (snapshot.ts), so a score
     * can change with no reading arriving. Rescores the residents with a reading that went past its
     * freshness limit since the last call (device and staff-entry limits apart) and records those
     * whose score, risk or completeness changed: the events to push to their wards. Idempotent: a
     * window seen twice records nothing new.
     */
    async rescoreStale(
      at: Date,
      limits: StaleWindows,
      score: (patientId: string, at: Date) => Promise<News2Summary>,
    ): Promise<News2Event[]> {
      const now = at.getTime();
      const previous = lastRescoreAt ?? now - FIRST_RESCORE_LOOKBACK_MS;
      lastRescoreAt = Math.max(previous, now);
      if (now <= previous) return [];
      const window = (maxAgeMs: number) =>
        [new Date(previous - maxAgeMs).toISOString(), new Date(now - maxAgeMs).toISOString()] as const;
      const patients = new Map<string, { wardId: string; bedId: string | null }>();
      for (const [statement, kinds, maxAge] of [
        [crossedDevice, DEVICE_KINDS, limits.deviceVitalsMaxAgeMs],
        [crossedManual, MANUAL_KINDS, limits.manualObservationsMaxAgeMs],
      ] as const)
        for (const row of await sql.all<{ patientId: string; wardId: string; bedId: string | null }>(
          statement,
          [...window(maxAge), ...kinds],
        ))
          patients.set(row.patientId, { wardId: row.wardId, bedId: row.bedId });
      const events: News2Event[] = [];
      for (const [patientId, place] of patients) {
        const summary = await score(patientId, at);
        if (await record(summary)) events.push({ ...place, patientId, summary });
      }
      return events;
    },
    async list(patientId: string, from: string, limit = 5000): Promise<News2HistoryEntry[]> {
      const rows = await sql.all<HistoryRow>(
        `SELECT at, score, risk, complete, details_json FROM news2_history
          WHERE patient_id = ? AND at >= ? ORDER BY at, id LIMIT ?`,
        [patientId, from, limit],
      );
      return rows.map((row) => {
        const details = JSON.parse(row.details_json) as Details;
        return {
          at: row.at,
          score: row.score,
          risk: row.risk,
          complete: row.complete === 1,
          missing: details.missing,
          missingText: details.missingText,
          parameters: details.parameters,
        };
      });
    },
  };
}
export type News2HistoryStore = ReturnType<typeof createNews2History>;
