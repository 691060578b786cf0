import type { HistoryPoint, HistoryWindowRow, WindowStats } from '@wardline/protocol';
import type { Db } from '../db/database.js';
import { seriesFields } from './series.js';
import { WINDOW_MS, compareRaw, roundMean, type HistoryRequest, type TimeSeriesStore } from './store.js';

// measured_at is always toISOString() output, so this is its exact epoch-millisecond value.
const EPOCH_MS = `(CAST(strftime('%s', measured_at) AS INTEGER) * 1000 + CAST(substr(measured_at, 21, 3) AS INTEGER))`;

/** The default store: history straight from the server's own SQLite record. No set-up. */
export function createEmbeddedStore(db: Db): TimeSeriesStore {
  const raw = db.prepare(
    `SELECT device_id, seq, measured_at, values_json FROM observations
      WHERE patient_id = @patientId AND kind = @kind AND measured_at >= @from AND measured_at < @to
      ORDER BY measured_at, device_id, seq LIMIT @limit`,
  );

  return {
    adapter: 'embedded',

    async rawPoints(request: HistoryRequest): Promise<HistoryPoint[]> {
      const fields = seriesFields(request.kind);
      const rows = raw.all({
        patientId: request.patientId,
        kind: request.kind,
        from: new Date(request.from).toISOString(),
        to: new Date(request.to).toISOString(),
        limit: request.limit,
      }) as { device_id: string; seq: number; measured_at: string; values_json: string }[];
      const points = rows.map((row) => {
        const stored = JSON.parse(row.values_json) as Record<string, { value?: unknown } | undefined>;
        const values: Record<string, number> = {};
        for (const { name } of fields) {
          const value = stored[name]?.value;
          if (typeof value === 'number') values[name] = value;
        }
        return { time: row.measured_at, deviceId: row.device_id, seq: row.seq, values };
      });
      return points.sort(compareRaw);
    },

    async windows(request: HistoryRequest): Promise<HistoryWindowRow[]> {
      if (request.window === 'raw') throw new Error('windows() needs a window size');
      const fields = seriesFields(request.kind);
      const size = WINDOW_MS[request.window];
      const columns = fields.flatMap(({ name }, i) => {
        const v = `json_extract(values_json, '$.${name}.value')`;
        return [
          `avg(${v}) AS mean${i}`,
          `min(${v}) AS min${i}`,
          `max(${v}) AS max${i}`,
          `count(${v}) AS n${i}`,
        ];
      });
      const rows = db
        .prepare(
          `SELECT (${EPOCH_MS} / ${size}) * ${size} AS start, count(*) AS readings ${columns.map((c) => `, ${c}`).join('')}
             FROM observations
            WHERE patient_id = @patientId AND kind = @kind AND measured_at >= @from AND measured_at < @to
            GROUP BY start ORDER BY start`,
        )
        .all({
          patientId: request.patientId,
          kind: request.kind,
          from: new Date(request.from).toISOString(),
          to: new Date(request.to).toISOString(),
        }) as Record<string, number | null>[];
      return rows.map((row) => {
        const values: Record<string, WindowStats> = {};
        fields.forEach(({ name }, i) => {
          const count = row[`n${i}`] ?? 0;
          values[name] =
            count === 0
              ? { mean: null, min: null, max: null, count: 0 }
              : {
                  mean: roundMean(row[`mean${i}`] ?? null),
                  min: row[`min${i}`] ?? null,
                  max: row[`max${i}`] ?? null,
                  count,
                };
        });
        return { start: new Date(row.start ?? 0).toISOString(), readings: row.readings ?? 0, values };
      });
    },

    health() {
      return {
        adapter: 'embedded',
        state: 'ok',
        spooled: 0,
        spoolLimit: 0,
        written: 0,
        failures: 0,
        rejected: 0,
        lastError: null,
        lastWriteAt: null,
      };
    },

    async close() {},
  };
}
