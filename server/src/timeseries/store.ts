import type {
  History,
  HistoryPoint,
  HistoryWindow,
  HistoryWindowRow,
  TimeSeriesHealth,
} from '@wardline/protocol';
import { seriesFields } from './series.js';

export interface HistoryRequest {
  patientId: string;
  kind: string;
  /** Epoch milliseconds, inclusive. */
  from: number;
  /** Epoch milliseconds, exclusive. */
  to: number;
  window: HistoryWindow | 'raw';
  /** Most raw points returned (windows are bounded by the range). */
  limit: number;
}

/**
 * Where history and trend queries go. Both adapters answer every request identically: the
 * contract test suite runs the same cases against each.
 */
export interface TimeSeriesStore {
  readonly adapter: TimeSeriesHealth['adapter'];
  rawPoints(request: HistoryRequest): Promise<HistoryPoint[]>;
  windows(request: HistoryRequest): Promise<HistoryWindowRow[]>;
  health(): TimeSeriesHealth;
  close(): Promise<void>;
}

export const WINDOW_MS: Record<HistoryWindow, number> = {
  '30s': 30_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

/** Means are rounded so that engines summing in a different order still answer identically. */
export function roundMean(value: number | null): number | null {
  return value === null ? null : Math.round(value * 10_000) / 10_000;
}

export function compareRaw(a: HistoryPoint, b: HistoryPoint): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.deviceId !== b.deviceId) return a.deviceId < b.deviceId ? -1 : 1;
  return a.seq - b.seq;
}

export async function queryHistory(store: TimeSeriesStore, request: HistoryRequest): Promise<History> {
  const base = {
    patientId: request.patientId,
    kind: request.kind,
    from: new Date(request.from).toISOString(),
    to: new Date(request.to).toISOString(),
    window: request.window,
    fields: seriesFields(request.kind).map(({ name, unit, ucum }) => ({ name, unit, ucum })),
  };
  if (request.window === 'raw') return { ...base, points: await store.rawPoints(request) };
  return { ...base, windows: await store.windows(request) };
}
