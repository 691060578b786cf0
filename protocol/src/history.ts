import Type, { type Static } from 'typebox';

/** Window sizes for downsampled history; each is also a valid InfluxQL duration literal. */
export const HISTORY_WINDOWS = ['30s', '1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type HistoryWindow = (typeof HISTORY_WINDOWS)[number];

/** Chart ranges, each with the window that gives it 120 to 288 points. */
export const HISTORY_RANGES = { '1h': '30s', '24h': '5m', '7d': '1h', '30d': '4h' } as const;
export type HistoryRange = keyof typeof HISTORY_RANGES;

/** A numeric component of a kind, with its unit as sent and its UCUM code. */
export const HistoryField = Type.Object({ name: Type.String(), unit: Type.String(), ucum: Type.String() });

export const HistoryPoint = Type.Object({
  time: Type.String(),
  deviceId: Type.String(),
  seq: Type.Integer(),
  values: Type.Record(Type.String(), Type.Number()),
});
export type HistoryPoint = Static<typeof HistoryPoint>;

export const WindowStats = Type.Object({
  mean: Type.Union([Type.Number(), Type.Null()]),
  min: Type.Union([Type.Number(), Type.Null()]),
  max: Type.Union([Type.Number(), Type.Null()]),
  count: Type.Integer(),
});
export type WindowStats = Static<typeof WindowStats>;

export const HistoryWindowRow = Type.Object({
  start: Type.String(),
  /** Readings in the window, whichever components they carry (a fall has none). */
  readings: Type.Integer(),
  values: Type.Record(Type.String(), WindowStats),
});
export type HistoryWindowRow = Static<typeof HistoryWindowRow>;

export const History = Type.Object({
  patientId: Type.String(),
  kind: Type.String(),
  from: Type.String(),
  to: Type.String(),
  window: Type.String(),
  fields: Type.Array(HistoryField),
  /** Raw readings in time order (window "raw"). */
  points: Type.Optional(Type.Array(HistoryPoint)),
  /** Windows aligned to the epoch, only those with readings, in time order. */
  windows: Type.Optional(Type.Array(HistoryWindowRow)),
});
export type History = Static<typeof History>;

/** The time-series store's state, on /api/health: `spooled` readings still wait for InfluxDB. */
export const TimeSeriesHealth = Type.Object({
  adapter: Type.Union([Type.Literal('embedded'), Type.Literal('influxdb')]),
  state: Type.Union([
    Type.Literal('ok'),
    Type.Literal('draining'),
    Type.Literal('retrying'),
    Type.Literal('full'),
  ]),
  spooled: Type.Integer(),
  spoolLimit: Type.Integer(),
  written: Type.Integer(),
  failures: Type.Integer(),
  /** Points InfluxDB refused for their content, kept in the dead-letter list instead. */
  rejected: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  lastWriteAt: Type.Union([Type.String(), Type.Null()]),
});
export type TimeSeriesHealth = Static<typeof TimeSeriesHealth>;
