import type { LatestObservation, Observation, ObservationKind, StoredObservation } from '@wardline/protocol';
import type { Db } from './database.js';

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

export function createObservationRepository(db: Db) {
  const insert = db.prepare(
    `INSERT OR IGNORE INTO observations
       (id, device_id, patient_id, gateway_id, kind, measured_at, received_at, seq, values_json, quality_json)
     VALUES (@id, @deviceId, @patientId, @gatewayId, @kind, @measuredAt, @receivedAt, @seq, @valuesJson,
             @qualityJson)`,
  );
  // Readings replayed out of order must not move "latest" backwards.
  const upsertLatest = db.prepare(
    `INSERT INTO latest_observations (patient_id, kind, observation_id, measured_at)
     VALUES (?, ?, ?, ?)
     ON CONFLICT (patient_id, kind) DO UPDATE
       SET observation_id = excluded.observation_id, measured_at = excluded.measured_at
       WHERE excluded.measured_at > latest_observations.measured_at`,
  );
  const latestForPatients = db.prepare(
    `SELECT l.patient_id, o.* FROM latest_observations l
       JOIN observations o ON o.id = l.observation_id
      WHERE l.patient_id IN (SELECT value FROM json_each(?))`,
  );
  const countById = db.prepare(`SELECT count(*) AS n FROM observations WHERE id = ?`);
  const contentById = db.prepare(
    `SELECT device_id, kind, measured_at, seq, values_json, quality_json FROM observations WHERE id = ?`,
  );

  return {
    /** Inserts unless the id is already stored; returns false for a duplicate. */
    insert(record: ObservationRecord): boolean {
      const { observation: o } = record;
      const result = insert.run({
        id: o.id,
        deviceId: o.deviceId,
        patientId: record.patientId,
        gatewayId: record.gatewayId,
        kind: o.kind,
        measuredAt: o.measuredAt,
        receivedAt: record.receivedAt,
        seq: o.seq,
        valuesJson: JSON.stringify(o.values),
        qualityJson: qualityJson(o),
      });
      if (result.changes === 0) return false;
      if (record.patientId) upsertLatest.run(record.patientId, o.kind, o.id, o.measuredAt);
      return true;
    },

    /**
     * For an insert that found its id taken: true when the stored reading is another one (device,
     * kind, time, sequence number, values or quality flags differ), false for an exact replay. Only
     * this path reads; the insert itself never does. Flag order is not content.
     */
    conflictsWithStored(o: Observation): boolean {
      const row = contentById.get(o.id) as
        | Pick<ObservationRow, 'device_id' | 'kind' | 'measured_at' | 'seq' | 'values_json' | 'quality_json'>
        | undefined;
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

    latestByPatient(patientIds: string[]): Map<string, Record<string, LatestObservation>> {
      const result = new Map<string, Record<string, LatestObservation>>();
      const rows = latestForPatients.all(JSON.stringify(patientIds)) as (ObservationRow & {
        patient_id: string;
      })[];
      for (const row of rows) {
        const byKind = result.get(row.patient_id) ?? {};
        byKind[row.kind] = { observation: toObservation(row), receivedAt: row.received_at };
        result.set(row.patient_id, byKind);
      }
      return result;
    },

    history(query: HistoryQuery): StoredObservation[] {
      const clauses = ['patient_id = @patientId'];
      if (query.kind) clauses.push('kind = @kind');
      if (query.from) clauses.push('measured_at >= @from');
      if (query.to) clauses.push('measured_at < @to');
      const rows = db
        .prepare(
          `SELECT * FROM observations WHERE ${clauses.join(' AND ')}
            ORDER BY measured_at ${query.newestFirst ? 'DESC' : 'ASC'}, seq ${query.newestFirst ? 'DESC' : 'ASC'}
            LIMIT @limit`,
        )
        .all(query) as ObservationRow[];
      return rows.map((row) => ({
        observation: toObservation(row),
        receivedAt: row.received_at,
        gatewayId: row.gateway_id,
      }));
    },

    exists(id: string): boolean {
      return (countById.get(id) as { n: number }).n > 0;
    },
  };
}
export type ObservationRepository = ReturnType<typeof createObservationRepository>;
