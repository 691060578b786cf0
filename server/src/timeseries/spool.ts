import type { Observation } from '@wardline/protocol';
import type { Db } from '../db/database.js';
import { toLine } from './series.js';

export class SpoolFullError extends Error {
  constructor(readonly size: number) {
    super(
      `time-series spool is full (${size} readings wait for InfluxDB): holding MQTT acknowledgements until it drains`,
    );
    this.name = 'SpoolFullError';
  }
}

export interface SpooledLine {
  id: number;
  line: string;
}

/**
 * The durable queue of points for InfluxDB. `enqueue` runs inside the ingest transaction, so a
 * reading is acknowledged to the broker only once both its record and its point are on disk.
 * When the spool is at its limit, enqueue throws: the transaction rolls back, the MQTT message
 * stays unacknowledged and the broker keeps it, so a full spool slows ingest and loses nothing.
 */
export function createSpool(db: Db, limit: number) {
  // Rows leave only as a prefix (in id order), so the ids left are contiguous.
  // Two subqueries: SQLite answers a lone min() or max() from the primary key, not both at once.
  const sizeQuery = db.prepare(
    `SELECT coalesce((SELECT max(id) FROM timeseries_spool) - (SELECT min(id) FROM timeseries_spool) + 1, 0) AS n`,
  );
  const sameInstant = db.prepare(
    `SELECT count(*) AS n FROM observations
      WHERE patient_id IS ? AND kind = ? AND measured_at = ? AND device_id = ? AND id <> ?`,
  );
  const insert = db.prepare(
    `INSERT INTO timeseries_spool (observation_id, line, enqueued_at) VALUES (?, ?, ?)`,
  );
  const peek = db.prepare(`SELECT id, line FROM timeseries_spool ORDER BY id LIMIT ?`);
  const remove = db.prepare(`DELETE FROM timeseries_spool WHERE id <= ?`);
  const oldest = db.prepare(`SELECT enqueued_at FROM timeseries_spool ORDER BY id LIMIT 1`);

  let holding = false;

  return {
    limit,

    size(): number {
      return (sizeQuery.get() as { n: number }).n;
    },

    /**
     * Refuses a whole message up front when its readings do not fit, before anything of it is
     * stored or counted. An empty spool takes any message, so no batch can be too big ever to fit.
     */
    reserve(count: number): void {
      const size = this.size();
      holding = size > 0 && size + count > limit;
      if (holding) throw new SpoolFullError(size);
    },

    /** True while the last message offered did not fit: ingest is holding acknowledgements. */
    holding(): boolean {
      return holding && this.size() > 0;
    },

    /** Call after the observation's own row is inserted, in the same transaction. */
    enqueue(observation: Observation, patientId: string | null, at: string): void {
      // Earlier readings of this device and kind at this very instant keep their own timestamps.
      const collision = (
        sameInstant.get(
          patientId,
          observation.kind,
          observation.measuredAt,
          observation.deviceId,
          observation.id,
        ) as {
          n: number;
        }
      ).n;
      insert.run(observation.id, toLine(observation, patientId, collision), at);
    },

    peek(max: number): SpooledLine[] {
      return peek.all(max) as SpooledLine[];
    },

    /** Drops every row up to and including `id`, once InfluxDB has confirmed them. */
    release(id: number): void {
      remove.run(id);
    },

    oldestEnqueuedAt(): string | null {
      return (oldest.get() as { enqueued_at: string } | undefined)?.enqueued_at ?? null;
    },
  };
}
export type Spool = ReturnType<typeof createSpool>;
