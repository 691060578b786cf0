import type { News2Event, News2HistoryEntry, News2Summary } from '@wardline/protocol';
import type { Db } from '../db/database.js';
import type { IngestOutcome } from '../ingest/ingest.js';
import { news2Rule } from './rules/news2/index.js';

/** Kinds that can change a NEWS2 score: falls and help presses (the urgent lane) never trigger a re-score. */
const NEWS2_KINDS: ReadonlySet<string> = new Set(news2Rule.watches.observations);

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
 * NEWS2 history: a row each time a patient's score, risk or completeness changes, written after
 * each ingest outcome and staff entry (never inside the alert engine). A reading that leaves the
 * score as it was writes nothing, so the history is the chart of changes, not of readings.
 */
export function createNews2History(db: Db) {
  const lastOf = db.prepare(
    'SELECT score, risk, complete FROM news2_history WHERE patient_id = ? ORDER BY id DESC LIMIT 1',
  );
  const insert = db.prepare(
    `INSERT INTO news2_history (patient_id, at, score, risk, complete, details_json)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const since = db.prepare(
    `SELECT at, score, risk, complete, details_json FROM news2_history
      WHERE patient_id = ? AND at >= ? ORDER BY at, id LIMIT ?`,
  );

  /** Records the summary when it differs from the last recorded; true when it did. */
  function record(summary: News2Summary): boolean {
    const last = lastOf.get(summary.patientId) as Pick<HistoryRow, 'score' | 'risk' | 'complete'> | undefined;
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
    insert.run(
      summary.patientId,
      summary.at,
      summary.score,
      summary.risk,
      summary.complete ? 1 : 0,
      JSON.stringify(details),
    );
    return true;
  }

  return {
    record,
    /**
     * Scores every patient with new readings in the outcome and records the changed ones: the
     * events to push to their wards.
     */
    track(outcome: IngestOutcome, score: (patientId: string) => News2Summary): News2Event[] {
      const patients = new Map<string, { wardId: string; bedId: string | null }>();
      for (const o of outcome.observations)
        if (o.patientId && o.wardId && NEWS2_KINDS.has(o.observation.kind))
          patients.set(o.patientId, { wardId: o.wardId, bedId: o.bedId });
      const events: News2Event[] = [];
      for (const [patientId, place] of patients) {
        const summary = score(patientId);
        if (record(summary)) events.push({ ...place, patientId, summary });
      }
      return events;
    },
    list(patientId: string, from: string, limit = 5000): News2HistoryEntry[] {
      return (since.all(patientId, from, limit) as HistoryRow[]).map((row) => {
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
