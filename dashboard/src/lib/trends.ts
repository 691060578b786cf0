import type { Alert, History, HistoryRange, ObservationKind, Thresholds } from '@wardline/protocol';

/** One chart of the patient view: a kind, the components drawn, and the threshold bands shaded. */
export interface TrendSpec {
  kind: ObservationKind;
  title: string;
  unit: string;
  /** Components of the kind drawn as series, first is the main one. */
  fields: { name: string; label: string; colour: string }[];
  /** Alert conditions marked on this chart. */
  conditions: string[];
  /** Sensible y-axis limits when the data are inside them. */
  domain: [number, number];
}

export const TRENDS: TrendSpec[] = [
  {
    kind: 'blood_pressure',
    title: 'Blood pressure',
    unit: 'mmHg',
    fields: [
      { name: 'systolic', label: 'Systolic', colour: '#005eb8' },
      { name: 'diastolic', label: 'Diastolic', colour: '#330072' },
    ],
    conditions: ['bp_high', 'bp_low', 'news2'],
    domain: [40, 200],
  },
  {
    kind: 'spo2',
    title: 'Oxygen saturation',
    unit: '%',
    fields: [{ name: 'spo2', label: 'SpO₂', colour: '#005eb8' }],
    conditions: ['spo2_low', 'news2'],
    domain: [80, 100],
  },
  {
    kind: 'heart_rate',
    title: 'Pulse',
    unit: 'bpm',
    fields: [{ name: 'heartRate', label: 'Pulse', colour: '#005eb8' }],
    conditions: ['news2'],
    domain: [40, 140],
  },
  {
    kind: 'body_temperature',
    title: 'Temperature',
    unit: '°C',
    fields: [{ name: 'temperature', label: 'Temperature', colour: '#005eb8' }],
    conditions: ['news2'],
    domain: [35, 40],
  },
  {
    kind: 'respiration_rate',
    title: 'Respiration rate',
    unit: '/min',
    fields: [{ name: 'respirationRate', label: 'Respiration rate', colour: '#005eb8' }],
    conditions: ['news2'],
    domain: [8, 30],
  },
];

export const RANGES: { range: HistoryRange; label: string }[] = [
  { range: '1h', label: '1 hour' },
  { range: '24h', label: '24 hours' },
  { range: '7d', label: '7 days' },
  { range: '30d', label: '30 days' },
];

/** A chart row: time (ms) plus, per field, a value (raw) or mean and [min, max] (windows). */
export type TrendRow = { t: number } & Record<string, number | [number, number] | null>;

export function trendRows(history: History, spec: TrendSpec): TrendRow[] {
  const rows: TrendRow[] = [];
  if (history.points) {
    for (const p of history.points) {
      const row: TrendRow = { t: Date.parse(p.time) } as TrendRow;
      for (const f of spec.fields) row[f.name] = p.values[f.name] ?? null;
      rows.push(row);
    }
  } else {
    for (const w of history.windows ?? []) {
      const row: TrendRow = { t: Date.parse(w.start) } as TrendRow;
      let any = false;
      for (const f of spec.fields) {
        const s = w.values[f.name];
        if (s && s.mean !== null && s.min !== null && s.max !== null && s.count > 0) {
          row[f.name] = s.mean;
          row[`${f.name}Band`] = [s.min, s.max];
          any = true;
        } else {
          row[f.name] = null;
          row[`${f.name}Band`] = null;
        }
      }
      if (any) rows.push(row);
    }
  }
  return rows;
}

/** A shaded band of the y axis where readings would alert, from the patient's thresholds. */
export interface Band {
  y1: number;
  y2: number;
  label: string;
}

export function thresholdBands(kind: ObservationKind, t: Thresholds | null): Band[] {
  if (!t) return [];
  switch (kind) {
    case 'blood_pressure':
      return [
        { y1: t.systolicHigh, y2: 300, label: `Systolic ≥ ${t.systolicHigh}` },
        { y1: 0, y2: t.systolicLow, label: `Systolic ≤ ${t.systolicLow}` },
      ];
    case 'spo2': {
      const low = t.spo2Low ?? (t.spo2Scale === 2 ? 88 : 92);
      return [{ y1: 0, y2: low, label: `Below ${low}% (scale ${t.spo2Scale})` }];
    }
    default:
      return [];
  }
}

export function markers(alerts: readonly Alert[], spec: TrendSpec, from: number, to: number): Alert[] {
  return alerts.filter((a) => {
    const at = Date.parse(a.triggerMeasuredAt ?? a.openedAt);
    return spec.conditions.includes(a.condition) && at >= from && at <= to;
  });
}

/** A one-line text alternative for a chart: count, latest value, lowest and highest. */
export function summarise(rows: TrendRow[], spec: TrendSpec): string {
  const main = spec.fields[0]!;
  const values: number[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    const v = r[main.name];
    if (typeof v === 'number') values.push(v);
    const band = r[`${main.name}Band`];
    const [a, b] = Array.isArray(band) ? band : typeof v === 'number' ? [v, v] : [NaN, NaN];
    if (!Number.isNaN(a)) lo = Math.min(lo, a);
    if (!Number.isNaN(b)) hi = Math.max(hi, b);
  }
  if (values.length === 0) return 'No readings in this period.';
  const latest = values[values.length - 1]!;
  const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
  return `${main.label}: latest ${fmt(latest)} ${spec.unit}, lowest ${fmt(lo)}, highest ${fmt(hi)} (${rows.length} ${rows.length === 1 ? 'point' : 'points'}).`;
}
