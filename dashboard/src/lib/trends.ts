import type { Alert, History, HistoryRange, ObservationKind, Thresholds } from '@wardline/protocol';

/** A series of a chart: one component of one kind (the pulse chart draws three sources). */
export interface TrendField {
  name: string;
  label: string;
  colour: string;
  /** The kind it comes from, when not the chart's own (the cuff's and oximeter's pulse). */
  kind?: ObservationKind;
}

/** One chart of the patient view: a kind, the components drawn, and the threshold bands shaded. */
export interface TrendSpec {
  kind: ObservationKind;
  title: string;
  unit: string;
  /** Decimals a reading is shown with (devices report whole mmHg, bpm and %; temperature to 0.1). */
  decimals: number;
  /** Components drawn as series, first is the main one. */
  fields: TrendField[];
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
    decimals: 0,
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
    decimals: 0,
    fields: [{ name: 'spo2', label: 'SpO₂', colour: '#005eb8' }],
    conditions: ['spo2_low', 'news2'],
    domain: [80, 100],
  },
  {
    kind: 'heart_rate',
    title: 'Pulse',
    unit: 'bpm',
    decimals: 0,
    fields: [
      { name: 'heartRate', label: 'Pulse (monitor)', colour: '#005eb8' },
      { name: 'pulseRate', label: 'Pulse (cuff)', colour: '#330072', kind: 'blood_pressure' },
      { name: 'pulseRate', label: 'Pulse (oximeter)', colour: '#007f3b', kind: 'spo2' },
    ],
    conditions: ['news2'],
    domain: [40, 140],
  },
  {
    kind: 'body_temperature',
    title: 'Temperature',
    unit: '°C',
    decimals: 1,
    fields: [{ name: 'temperature', label: 'Temperature', colour: '#005eb8' }],
    conditions: ['news2'],
    domain: [35, 40],
  },
  {
    kind: 'respiration_rate',
    title: 'Respiration rate',
    unit: '/min',
    decimals: 0,
    fields: [{ name: 'respirationRate', label: 'Respiration rate', colour: '#005eb8' }],
    conditions: ['news2'],
    domain: [8, 30],
  },
];

/** The kind a field's readings come from. */
export const fieldKind = (spec: TrendSpec, f: TrendField): ObservationKind => f.kind ?? spec.kind;

/** Every kind the charts need, once each. */
export const TREND_KINDS: ObservationKind[] = [
  ...new Set(TRENDS.flatMap((spec) => spec.fields.map((f) => fieldKind(spec, f)))),
];

export const RANGES: { range: HistoryRange; label: string }[] = [
  { range: '1h', label: '1 hour' },
  { range: '24h', label: '24 hours' },
  { range: '7d', label: '7 days' },
  { range: '30d', label: '30 days' },
];

/** A point of a series: a reading (raw) or a window's mean with its lowest and highest reading. */
export interface SeriesPoint {
  t: number;
  v: number;
  band?: [number, number];
}

export interface Series {
  key: string;
  label: string;
  colour: string;
  /** True: each point a reading; false: window means over a min–max band. */
  raw: boolean;
  points: SeriesPoint[];
  /** How many readings the points stand for. */
  readings: number;
}

/** One series per field that has data in its kind's history; a field without readings is left out. */
export function seriesOf(spec: TrendSpec, histories: ReadonlyMap<ObservationKind, History | null>): Series[] {
  const out: Series[] = [];
  for (const f of spec.fields) {
    const kind = fieldKind(spec, f);
    const history = histories.get(kind);
    if (!history) continue;
    const points: SeriesPoint[] = [];
    let readings = 0;
    if (history.points) {
      for (const p of history.points) {
        const v = p.values[f.name];
        if (typeof v === 'number') points.push({ t: Date.parse(p.time), v });
      }
      readings = points.length;
    } else {
      for (const w of history.windows ?? []) {
        const s = w.values[f.name];
        if (s && s.mean !== null && s.min !== null && s.max !== null && s.count > 0) {
          points.push({ t: Date.parse(w.start), v: s.mean, band: [s.min, s.max] });
          readings += s.count;
        }
      }
    }
    if (points.length > 0)
      out.push({
        key: `${kind}.${f.name}`,
        label: f.label,
        colour: f.colour,
        raw: history.points !== undefined,
        points,
        readings,
      });
  }
  return out;
}

/** The lowest and highest reading across series (window bands count by their min and max). */
export function valueExtent(series: readonly Series[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series)
    for (const p of s.points) {
      const [a, b] = p.band ?? [p.v, p.v];
      lo = Math.min(lo, a);
      hi = Math.max(hi, b);
    }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * A round step for about `target` intervals: 1, 2, 4 or 5 times a power of ten (so 20 or 40
 * mmHg, 20 bpm, 4 % of SpO2, whose ticks then fall on the 88 and 92 % targets, 1 or 0.5 °C).
 */
export function niceStep(span: number, target = 5): number {
  if (!(span > 0)) return 1;
  const rough = span / target;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 4, 5, 10].map((m) => m * power).find((s) => s >= rough);
  return step ?? 10 * power;
}

/**
 * The y axis: the chart's usual limits widened to the data, then to round steps, with at least
 * a fifth of a step between any reading and the edge so that no point is drawn half outside.
 * Ticks are the round values inside the domain.
 */
export function yAxis(
  spec: TrendSpec,
  series: readonly Series[],
): { domain: [number, number]; ticks: number[] } {
  const extent = valueExtent(series);
  const lo0 = Math.min(spec.domain[0], extent?.[0] ?? Infinity);
  const hi0 = Math.max(spec.domain[1], extent?.[1] ?? -Infinity);
  const step = niceStep(hi0 - lo0);
  // A reading on a round value at the edge (SpO2 100 %) gets a margin, not another tick.
  const pad = step / 5;
  const lo = Math.min(Math.floor(lo0 / step) * step, (extent?.[0] ?? Infinity) - pad);
  const hi = Math.max(Math.ceil(hi0 / step) * step, (extent?.[1] ?? -Infinity) + pad);
  const ticks: number[] = [];
  // Rounded so that 0.1-steps do not print as 35.300000000000004.
  for (let t = Math.ceil(lo / step) * step; t <= hi + step / 1000; t += step)
    ticks.push(Number(t.toFixed(6)));
  return { domain: [Number(lo.toFixed(6)), Number(hi.toFixed(6))], ticks };
}

/**
 * The x axis: the range, but starting shortly before the first reading in it, so that a day's
 * view of an hour of readings spreads them out rather than stacking them at the right edge. It
 * always ends at `to` (now), so that the time since the last reading stays visible.
 */
export function xDomain(series: readonly Series[], from: number, to: number): [number, number] {
  let first = Infinity;
  for (const s of series) for (const p of s.points) first = Math.min(first, p.t);
  if (!Number.isFinite(first) || first <= from) return [from, to];
  const pad = Math.max((to - first) * 0.05, 5 * 60_000);
  return [Math.max(from, first - pad), to];
}

const MINUTE = 60_000;
const X_STEPS = [5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * MINUTE);

/** Time ticks on round steps (5 min to a week), about `target` of them, inside the domain. */
export function xTicks([x0, x1]: [number, number], target = 6): number[] {
  const rough = (x1 - x0) / target;
  const step = X_STEPS.find((s) => s >= rough) ?? X_STEPS[X_STEPS.length - 1]!;
  const ticks: number[] = [];
  for (let t = Math.ceil(x0 / step) * step; t <= x1; t += step) ticks.push(t);
  return ticks;
}

/** The latest reading of a series' field, from the API's newest observation when the points are windows. */
export interface LatestReading {
  key: string;
  value: number;
  at: number;
}

/**
 * A one-line text alternative for a chart: per series, the latest reading (a reading, never a
 * window mean) and the lowest and highest, then how many readings. The only empty-state line.
 */
export function summarise(
  series: readonly Series[],
  spec: TrendSpec,
  latest: ReadonlyMap<string, LatestReading> = new Map(),
): string {
  if (series.length === 0) return 'No readings in this period.';
  const fmt = (n: number) => n.toFixed(spec.decimals);
  const parts = series.map((s) => {
    const last = s.raw ? s.points[s.points.length - 1]!.v : latest.get(s.key)?.value;
    const [lo, hi] = valueExtent([s])!;
    const latestText = last === undefined ? '' : `latest ${fmt(last)} ${spec.unit}, `;
    return `${s.label}: ${latestText}lowest ${fmt(lo)}, highest ${fmt(hi)}`;
  });
  const readings = Math.max(...series.map((s) => s.readings));
  return `${parts.join('; ')} (${readings} ${readings === 1 ? 'reading' : 'readings'}).`;
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
