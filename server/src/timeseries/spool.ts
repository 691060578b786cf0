import type { Observation } from '@wardline/protocol';
import type { SqlDatabase } from '../db/engines/engine.js';
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
export function createSpool(sql: SqlDatabase, limit: number) {
  let holding = false;
  /**
   * The size as last read, plus points enqueued since: health and metrics are read synchronously.
   * Read afresh before each message is taken and after each batch leaves for InfluxDB.
   */
  let known = 0;

  async function size(): Promise<number> {
    // Rows leave only as a prefix (in id order), so the ids left are contiguous.
    // Two subqueries: SQLite answers a lone min() or max() from the primary key, not both at once.
    const row = await sql.get<{ n: number }>(
      `SELECT coalesce((SELECT max(id) FROM timeseries_spool) - (SELECT min(id) FROM timeseries_spool) + 1, 0) AS n`,
    );
    known = row?.n ?? 0;
    return known;
  }

  return {
    limit,

    size,

    /** The size as last read, without a query. */
    knownSize(): number {
      return known;
    },

    /**
     * Refuses a whole message up front when its readings do not fit, before anything of it is
     * stored or counted. An empty spool takes any message, so no batch can be too big ever to fit.
     */
    async reserve(count: number): Promise<void> {
      const current = await size();
      holding = current > 0 && current + count > limit;
      if (holding) throw new SpoolFullError(current);
    },

    /** True while the last message offered did not fit (as last read): ingest is holding acknowledgements. */
    holding(): boolean {
      return holding && known > 0;
    },

    /** Call after the observation's own row is inserted, in the same transaction. */
    /**
     * `storedAfter`: readings of the same message sharing this one's device, kind, resident and
     * instant, stored with it but spooled after it (the count below sees them already).
     */
    async enqueue(
      observation: Observation,
      patientId: string | null,
      at: string,
      storedAfter = 0,
    ): Promise<void> {
      // Earlier readings of this device and kind at this very instant keep their own timestamps.
      const samePatient = patientId === null ? 'patient_id IS NULL' : 'patient_id = ?';
      const row = await sql.get<{ n: number }>(
        `SELECT count(*) AS n FROM observations
          WHERE ${samePatient} AND kind = ? AND measured_at = ? AND device_id = ? AND id <> ?`,
        [
          ...(patientId === null ? [] : [patientId]),
          observation.kind,
          observation.measuredAt,
          observation.deviceId,
          observation.id,
        ],
      );
      await sql.run(`INSERT INTO timeseries_spool (observation_id, line, enqueued_at) VALUES (?, ?, ?)`, [
        observation.id,
        toLine(observation, patientId, (row?.n ?? 0) - storedAfter),
        at,
      ]);
      // Counted at once so health sees it (a rollback overstates it until the next read).
      known++;
    },

    async peek(max: number): Promise<SpooledLine[]> {
      const rows = await sql.all<SpooledLine>(`SELECT id, line FROM timeseries_spool ORDER BY id LIMIT ?`, [
        max,
      ]);
      // An empty answer does not reset the known size: on PostgreSQL it may come while an ingest
      // transaction holds points not yet committed (health then said 0 with points waiting). The
      // size is read afresh before each message and after each batch leaves.
      return rows;
    },

    /** Drops every row up to and including `id`, once InfluxDB has confirmed them. */
    async release(id: number): Promise<void> {
      await sql.run(`DELETE FROM timeseries_spool WHERE id <= ?`, [id]);
      await size();
    },

    async oldestEnqueuedAt(): Promise<string | null> {
      const row = await sql.get<{ enqueued_at: string }>(
        `SELECT enqueued_at FROM timeseries_spool ORDER BY id LIMIT 1`,
      );
      return row?.enqueued_at ?? null;
    },
  };
}
export type Spool = ReturnType<typeof createSpool>;
