import type { Alert, History, HistoryRange, ObservationKind, Thresholds } from '@wardline/protocol';
import { useMemo, useState } from 'react';
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Line,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Scatter,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { getHistory, listObservations } from '../../api/client.js';
import { useResource } from '../../hooks/useResource.js';
import { TrendPlaceholder, TrendsFrame } from './TrendsFrame.js';
import {
  fieldKind,
  markers,
  seriesOf,
  summarise,
  thresholdBands,
  TREND_KINDS,
  TRENDS,
  xDomain,
  xTicks,
  yAxis,
  type LatestReading,
  type TrendSpec,
} from '../../lib/trends.js';

interface Props {
  patientId: string;
  thresholds: Thresholds | null;
  /** The resident's alerts (any state), marked on the charts they concern. */
  alerts: readonly Alert[];
  /** Bumped when a new reading arrives, to refetch the open range. */
  refreshKey: number;
}

const RANGE_MS: Record<HistoryRange, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

/** Readings drawn one by one up to this many a kind; beyond, window means over min–max bands. */
const RAW_LIMIT = 2000;

interface KindData {
  history: History | null;
  /** The newest reading's values (the latest, when the chart shows window means). */
  latest: { at: number; values: Record<string, number> } | null;
}

/** A kind's readings in the range: each reading if there are few enough, else windows. */
async function loadKind(
  patientId: string,
  kind: ObservationKind,
  range: HistoryRange,
  signal: AbortSignal,
): Promise<KindData> {
  const raw = await getHistory(patientId, kind, range, signal, 'raw', RAW_LIMIT).catch(() => null);
  if (raw && (raw.points?.length ?? 0) < RAW_LIMIT) return { history: raw, latest: null };
  const [windows, newest] = await Promise.all([
    getHistory(patientId, kind, range, signal).catch(() => null),
    listObservations(patientId, { kind, order: 'desc', limit: 1 }, signal).catch(() => []),
  ]);
  const obs = newest[0]?.observation;
  const values: Record<string, number> = {};
  for (const [name, q] of Object.entries(obs?.values ?? {}))
    if (q && typeof q === 'object' && 'value' in q && typeof q.value === 'number') values[name] = q.value;
  return { history: windows, latest: obs ? { at: Date.parse(obs.measuredAt), values } : null };
}

function tickFormatter(span: number) {
  return (t: number) =>
    new Date(t).toLocaleString(
      'en-GB',
      span <= 2 * 86_400_000 ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short' },
    );
}

/**
 * Trend charts per vital from the history API: each reading as a point when there are few
 * enough, otherwise window means as a line over a min–max band. The resident's alert
 * thresholds are shaded and alerts marked. Each chart has a one-line text summary.
 */
export function PatientTrends({ patientId, thresholds, alerts, refreshKey }: Props) {
  const [range, setRange] = useState<HistoryRange>('24h');
  const [data] = useResource(
    async (signal) => {
      const loaded = await Promise.all(TREND_KINDS.map((kind) => loadKind(patientId, kind, range, signal)));
      return new Map(TREND_KINDS.map((kind, i) => [kind, loaded[i]!]));
    },
    [patientId, range, refreshKey],
  );
  const byKind = data.data;

  return (
    <TrendsFrame range={range} onRange={setRange}>
      {data.status === 'failed' && !byKind && <p role="alert">Trends could not be loaded: {data.message}</p>}
      {TRENDS.map((spec) =>
        byKind ? (
          <TrendChart
            key={spec.kind}
            spec={spec}
            byKind={byKind}
            range={range}
            thresholds={thresholds}
            alerts={alerts}
          />
        ) : (
          <TrendPlaceholder key={spec.kind} spec={spec} />
        ),
      )}
    </TrendsFrame>
  );
}

interface ChartProps {
  spec: TrendSpec;
  byKind: ReadonlyMap<ObservationKind, KindData>;
  range: HistoryRange;
  thresholds: Thresholds | null;
  alerts: readonly Alert[];
}

function TrendChart({ spec, byKind, range, thresholds, alerts }: ChartProps) {
  const own = byKind.get(spec.kind)?.history ?? null;
  const series = useMemo(
    () => seriesOf(spec, new Map([...byKind].map(([k, d]) => [k, d.history]))),
    [spec, byKind],
  );
  const latest = useMemo(() => {
    const out = new Map<string, LatestReading>();
    for (const f of spec.fields) {
      const kind = fieldKind(spec, f);
      const l = byKind.get(kind)?.latest;
      const value = l?.values[f.name];
      if (l && value !== undefined)
        out.set(`${kind}.${f.name}`, { key: `${kind}.${f.name}`, value, at: l.at });
    }
    return out;
  }, [spec, byKind]);
  const to = own ? Date.parse(own.to) : Date.now();
  const from = own ? Date.parse(own.from) : to - RANGE_MS[range];
  const [x0, x1] = xDomain(series, from, to);
  const marks = useMemo(() => markers(alerts, spec, x0, x1), [alerts, spec, x0, x1]);
  const bands = thresholdBands(spec.kind, thresholds);
  const { domain, ticks } = yAxis(spec, series);
  const titleId = `trend-${spec.kind}-title`;
  const anyHistory = spec.fields.some((f) => byKind.get(fieldKind(spec, f))?.history);
  const summary = anyHistory ? summarise(series, spec, latest) : 'Not available.';
  const points = series.reduce((n, s) => n + s.points.length, 0);
  const fmt = tickFormatter(x1 - x0);

  return (
    <figure
      className="trend"
      aria-labelledby={titleId}
      data-testid="trend"
      data-kind={spec.kind}
      data-points={points}
    >
      <figcaption>
        <h3 className="trend__title" id={titleId}>
          {spec.title} ({spec.unit})
        </h3>
        <p className="trend__summary" data-testid="trend-summary">
          {summary}
          {marks.length > 0 && ` ${marks.length} ${marks.length === 1 ? 'alert' : 'alerts'} marked.`}
          {bands.length > 0 && ` Shaded: ${bands.map((b) => b.label).join('; ')}.`}
        </p>
      </figcaption>
      {series.length === 0 ? (
        // The summary above already says there are none: the empty space keeps the layout.
        <div className="trend__chart trend__empty" aria-hidden="true" />
      ) : (
        <div className="trend__chart" aria-hidden="true">
          <ResponsiveContainer width="100%" height={180}>
            <ComposedChart margin={{ top: 8, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
              <CartesianGrid stroke="#d8dde0" strokeDasharray="3 3" />
              <XAxis
                dataKey="t"
                type="number"
                scale="time"
                domain={[x0, x1]}
                ticks={xTicks([x0, x1])}
                tickFormatter={fmt}
                stroke="#4c6272"
                fontSize={12}
                padding={{ left: 8, right: 8 }}
                allowDataOverflow
              />
              <YAxis
                type="number"
                domain={domain}
                ticks={ticks}
                interval={0}
                stroke="#4c6272"
                fontSize={12}
                width={44}
              />
              {bands.map((b) => (
                <ReferenceArea
                  key={b.label}
                  y1={Math.max(b.y1, domain[0])}
                  y2={Math.min(b.y2, domain[1])}
                  fill="#d5281b"
                  fillOpacity={0.08}
                  ifOverflow="hidden"
                />
              ))}
              {marks.map((a) => (
                <ReferenceLine
                  key={a.id}
                  x={Date.parse(a.triggerMeasuredAt ?? a.openedAt)}
                  stroke="#d5281b"
                  strokeDasharray="4 2"
                  label={{ value: '!', position: 'top', fill: '#d5281b', fontSize: 12 }}
                />
              ))}
              {series.map((s) =>
                s.raw ? (
                  <Scatter
                    key={s.key}
                    name={s.label}
                    data={s.points}
                    dataKey="v"
                    fill={s.colour}
                    isAnimationActive={false}
                  />
                ) : (
                  [
                    <Area
                      key={`${s.key}-band`}
                      data={s.points}
                      dataKey="band"
                      stroke="none"
                      fill={s.colour}
                      fillOpacity={0.15}
                      isAnimationActive={false}
                      tooltipType="none"
                    />,
                    <Line
                      key={s.key}
                      name={s.label}
                      data={s.points}
                      dataKey="v"
                      stroke={s.colour}
                      strokeWidth={2}
                      dot={s.points.length < 40}
                      isAnimationActive={false}
                    />,
                  ]
                ),
              )}
              <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleString('en-GB')} />
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      )}
      {series.length > 1 && (
        <ul className="trend__legend" aria-hidden="true">
          {series.map((s) => (
            <li key={s.key}>
              <span className="trend__swatch" style={{ background: s.colour }} /> {s.label}
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}
