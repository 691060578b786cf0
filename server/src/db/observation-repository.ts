import type { LatestObservation, Observation, ObservationKind, StoredObservation } from '@wardline/protocol';
import type { SqlDatabase, SqlValue } from './engines/engine.js';

export interface ObservationRecord {
  observation: Observation;
  patientId: string | null;
  gatewayId: string;
  receivedAt: string;
}

interface ObservationRow {
  id: string;
  device_id: string;
  kind: string;
  measured_at: string;
  received_at: string;
  seq: number;
  values_json: string;
  quality_json: string | null;
  gateway_id: string;
}

/** Stored form of the quality flags: NULL for none, else a sorted JSON array. */
function qualityJson(o: Observation): string | null {
  return o.quality && o.quality.length > 0 ? JSON.stringify([...o.quality].sort()) : null;
}

function toObservation(row: ObservationRow): Observation {
  return {
    id: row.id,
    deviceId: row.device_id,
    kind: row.kind,
    measuredAt: row.measured_at,
    seq: row.seq,
    ...(row.quality_json ? { quality: JSON.parse(row.quality_json) as Observation['quality'] } : {}),
    values: JSON.parse(row.values_json) as Observation['values'],
  } as Observation;
}

/** Deep equality of JSON values, member order ignored (a replay may serialise differently). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every(
    (k) =>
      Object.hasOwn(b, k) && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

export interface HistoryQuery {
  patientId: string;
  kind?: ObservationKind;
  from?: string;
  to?: string;
  limit: number;
  /** Newest first: the latest N readings rather than the oldest N. */
  newestFirst?: boolean;
}

/** Rows per multi-row statement: far below either engine's bound on parameters. */
const INSERT_CHUNK = 200;

const INSERT_OBSERVATIONS = `INSERT INTO observations
  (id, device_id, patient_id, gateway_id, kind, measured_at, received_at, seq, values_json, quality_json)`;
const ROW = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
const INSERT_LATEST = 'INSERT INTO latest_observations (patient_id, kind, observation_id, measured_at)';
const LATEST_IF_NEWER = `ON CONFLICT (patient_id, kind) DO UPDATE
  SET observation_id = excluded.observation_id, measured_at = excluded.measured_at
  WHERE excluded.measured_at > latest_observations.measured_at`;

/** A record's values in the order of INSERT_OBSERVATIONS' columns. */
function rowOf(record: ObservationRecord): SqlValue[] {
  const o = record.observation;
  return [
    o.id,
    o.deviceId,
    record.patientId,
    record.gatewayId,
    o.kind,
    o.measuredAt,
    record.receivedAt,
    o.seq,
    JSON.stringify(o.values),
    qualityJson(o),
  ];
}

export function createObservationRepository(sql: SqlDatabase) {
  /**
   * Inserts unless the id is already stored; returns false for a duplicate. The primary key
   * decides (ON CONFLICT), so a reading is stored once whichever replica sees it first.
   */
  async function insertOne(record: ObservationRecord): Promise<boolean> {
    const result = await sql.run(
      `${INSERT_OBSERVATIONS} VALUES ${ROW} ON CONFLICT (id) DO NOTHING`,
      rowOf(record),
    );
    if (result.changes === 0) return false;
    // Readings replayed out of order must not move "latest" backwards.
    if (record.patientId)
      await sql.run(`${INSERT_LATEST} VALUES (?, ?, ?, ?) ${LATEST_IF_NEWER}`, [
        record.patientId,
        record.observation.kind,
        record.observation.id,
        record.observation.measuredAt,
      ]);
    return true;
  }

  return {
    insert: insertOne,

    /**
     * Inserts several readings, each unless its id is already stored, with the outcome of `insert`
     * one by one: returns the ids inserted; an id given twice is inserted once, for its first record.
     * On PostgreSQL in a round trip or two (one statement per 200 rows, one for the residents' latest
     * readings) instead of two per reading.
     */
    async insertMany(records: readonly ObservationRecord[]): Promise<Set<string>> {
      const inserted = new Set<string>();
      if (sql.dialect.name === 'sqlite') {
        // In process, a prepared statement per row costs less than building one for many: the
        // multi-row form cost about 16 µs a reading more in the ingest-stages bench.
        for (const record of records) if (await insertOne(record)) inserted.add(record.observation.id);
        return inserted;
      }
      for (let start = 0; start < records.length; start += INSERT_CHUNK) {
        const chunk = records.slice(start, start + INSERT_CHUNK);
        const rows = await sql.all<{ id: string }>(
          `${INSERT_OBSERVATIONS} VALUES ${chunk.map(() => ROW).join(', ')} ON CONFLICT (id) DO NOTHING RETURNING id`,
          chunk.flatMap(rowOf),
        );
        for (const row of rows) inserted.add(row.id);
      }
      // One row per resident and kind (a statement may not update a row twice): the newest, the
      // first of equals, as one insert after another would leave it.
      const newest = new Map<string, { patientId: string; o: Observation }>();
      const seen = new Set<string>();
      for (const record of records) {
        const o = record.observation;
        if (seen.has(o.id)) continue;
        seen.add(o.id);
        if (!record.patientId || !inserted.has(o.id)) continue;
        const key = `${record.patientId}|${o.kind}`;
        const known = newest.get(key);
        if (!known || o.measuredAt > known.o.measuredAt) newest.set(key, { patientId: record.patientId, o });
      }
      const latest = [...newest.values()];
      for (let start = 0; start < latest.length; start += INSERT_CHUNK) {
        const chunk = latest.slice(start, start + INSERT_CHUNK);
        await sql.run(
          `${INSERT_LATEST} VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')} ${LATEST_IF_NEWER}`,
          chunk.flatMap(({ patientId, o }) => [patientId, o.kind, o.id, o.measuredAt]),
        );
      }
      return inserted;
    },

    /**
     * For an insert that found its id taken: true when the stored reading is another one (device,
     * kind, time, sequence number, values or quality flags differ), false for an exact replay. Only
     * this path reads; the insert itself never does. Flag order is not content.
     */
    async conflictsWithStored(o: Observation): Promise<boolean> {
      const row = await sql.get<
        Pick<ObservationRow, 'device_id' | 'kind' | 'measured_at' | 'seq' | 'values_json' | 'quality_json'>
      >(
        `SELECT device_id, kind, measured_at, seq, values_json, quality_json FROM observations WHERE id = ?`,
        [o.id],
      );
      if (!row) return false;
      return (
        row.device_id !== o.deviceId ||
        row.kind !== o.kind ||
        row.measured_at !== o.measuredAt ||
        row.seq !== o.seq ||
        row.quality_json !== qualityJson(o) ||
        !sameJson(JSON.parse(row.values_json), o.values)
      );
    },

    async latestByPatient(patientIds: string[]): Promise<Map<string, Record<string, LatestObservation>>> {
      const result = new Map<string, Record<string, LatestObservation>>();
      const rows = await sql.all<ObservationRow & { patient_id: string }>(
        `SELECT l.patient_id, o.* FROM latest_observations l
           JOIN observations o ON o.id = l.observation_id
          WHERE l.patient_id IN (SELECT value FROM ${sql.dialect.jsonArrayValues('?')})`,
        [JSON.stringify(patientIds)],
      );
      for (const row of rows) {
        const byKind = result.get(row.patient_id) ?? {};
        byKind[row.kind] = { observation: toObservation(row), receivedAt: row.received_at };
        result.set(row.patient_id, byKind);
      }
      return result;
    },

    async history(query: HistoryQuery): Promise<StoredObservation[]> {
      const clauses = ['patient_id = ?'];
      const params: SqlValue[] = [query.patientId];
      const where = (clause: string, value: string | undefined) => {
        if (!value) return;
        clauses.push(clause);
        params.push(value);
      };
      where('kind = ?', query.kind);
      where('measured_at >= ?', query.from);
      where('measured_at < ?', query.to);
      const order = query.newestFirst ? 'DESC' : 'ASC';
      const rows = await sql.all<ObservationRow>(
        `SELECT * FROM observations WHERE ${clauses.join(' AND ')}
          ORDER BY measured_at ${order}, seq ${order} LIMIT ?`,
        [...params, query.limit],
      );
      return rows.map((row) => ({
        observation: toObservation(row),
        receivedAt: row.received_at,
        gatewayId: row.gateway_id,
      }));
    },

    async exists(id: string): Promise<boolean> {
      return (await sql.get(`SELECT 1 AS found FROM observations WHERE id = ?`, [id])) !== undefined;
    },
  };
}
export type ObservationRepository = ReturnType<typeof createObservationRepository>;
