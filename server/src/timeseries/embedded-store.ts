import type { HistoryPoint, HistoryWindowRow, WindowStats } from '@wardline/protocol';
import type { SqlDatabase } from '../db/engines/engine.js';
import { seriesFields } from './series.js';
import { WINDOW_MS, compareRaw, roundMean, type HistoryRequest, type TimeSeriesStore } from './store.js';

interface Row {
  device_id: string;
  seq: number;
  measured_at: string;
  values_json: string;
}

/** The numeric components of a stored reading that the kind's series has, by name. */
function numericValues(valuesJson: string, fields: readonly { name: string }[]): Record<string, number> {
  const stored = JSON.parse(valuesJson) as Record<string, { value?: unknown } | undefined>;
  const values: Record<string, number> = {};
  for (const { name } of fields) {
    const value = stored[name]?.value;
    if (typeof value === 'number') values[name] = value;
  }
  return values;
}

/**
 * The default store: history straight from the server's own records (SQLite or PostgreSQL). No
 * set-up. Windows are computed here rather than in SQL, where the two engines' JSON and time
 * functions differ.
 */
export function createEmbeddedStore(sql: SqlDatabase): TimeSeriesStore {
  const range = (request: HistoryRequest) => [
    request.patientId,
    request.kind,
    new Date(request.from).toISOString(),
    new Date(request.to).toISOString(),
  ];

  return {
    adapter: 'embedded',

    async rawPoints(request: HistoryRequest): Promise<HistoryPoint[]> {
      const fields = seriesFields(request.kind);
      const rows = await sql.all<Row>(
        `SELECT device_id, seq, measured_at, values_json FROM observations
          WHERE patient_id = ? AND kind = ? AND measured_at >= ? AND measured_at < ?
          ORDER BY measured_at, device_id, seq LIMIT ?`,
        [...range(request), request.limit],
      );
      const points = rows.map((row) => ({
        time: row.measured_at,
        deviceId: row.device_id,
        seq: row.seq,
        values: numericValues(row.values_json, fields),
      }));
      return points.sort(compareRaw);
    },

    async windows(request: HistoryRequest): Promise<HistoryWindowRow[]> {
      if (request.window === 'raw') throw new Error('windows() needs a window size');
      const fields = seriesFields(request.kind);
      const size = WINDOW_MS[request.window];
      const rows = await sql.all<Pick<Row, 'measured_at' | 'values_json'>>(
        `SELECT measured_at, values_json FROM observations
          WHERE patient_id = ? AND kind = ? AND measured_at >= ? AND measured_at < ?
          ORDER BY measured_at`,
        range(request),
      );
      interface Acc {
        start: number;
        readings: number;
        sum: number[];
        min: (number | null)[];
        max: (number | null)[];
        n: number[];
      }
      const windows: Acc[] = [];
      for (const row of rows) {
        const start = Math.floor(Date.parse(row.measured_at) / size) * size;
        let acc = windows.at(-1);
        if (acc?.start !== start) {
          acc = {
            start,
            readings: 0,
            sum: fields.map(() => 0),
            min: fields.map(() => null),
            max: fields.map(() => null),
            n: fields.map(() => 0),
          };
          windows.push(acc);
        }
        acc.readings++;
        const values = numericValues(row.values_json, fields);
        fields.forEach(({ name }, i) => {
          const value = values[name];
          if (value === undefined) return;
          acc.sum[i]! += value;
          acc.n[i]!++;
          acc.min[i] = Math.min(acc.min[i] ?? value, value);
          acc.max[i] = Math.max(acc.max[i] ?? value, value);
        });
      }
      return windows.map((acc) => {
        const values: Record<string, WindowStats> = {};
        fields.forEach(({ name }, i) => {
          const count = acc.n[i]!;
          values[name] =
            count === 0
              ? { mean: null, min: null, max: null, count: 0 }
              : { mean: roundMean(acc.sum[i]! / count), min: acc.min[i]!, max: acc.max[i]!, count };
        });
        return { start: new Date(acc.start).toISOString(), readings: acc.readings, values };
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
