import type { Alert, History, HistoryRange, Thresholds } from '@wardline/protocol';
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
import { getHistory } from '../../api/client.js';
import { useResource } from '../../hooks/useResource.js';
import { TrendPlaceholder, TrendsFrame } from './TrendsFrame.js';
import {
  markers,
  summarise,
  thresholdBands,
  trendRows,
  TRENDS,
  type TrendRow,
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

function tickFormatter(range: HistoryRange) {
  return (t: number) =>
    new Date(t).toLocaleString(
      'en-GB',
      range === '1h' || range === '24h'
        ? { hour: '2-digit', minute: '2-digit' }
        : { day: 'numeric', month: 'short' },
    );
}

/**
 * Trend charts per vital from the history API: raw readings as points for the last hour; for
 * longer ranges the window mean as a line over a min–max band. The resident's alert thresholds
 * are shaded and alerts marked. Each chart has a one-line text summary for screen readers.
 */
export function PatientTrends({ patientId, thresholds, alerts, refreshKey }: Props) {
  const [range, setRange] = useState<HistoryRange>('24h');
  const [data] = useResource(
    async (signal) => {
      const raw = range === '1h' ? 'raw' : undefined;
      const results = await Promise.all(
        TRENDS.map((spec) => getHistory(patientId, spec.kind, range, signal, raw).catch(() => null)),
      );
      return results;
    },
    [patientId, range, refreshKey],
  );
  const histories = data.data;

  return (
    <TrendsFrame range={range} onRange={setRange}>
      {data.status === 'failed' && !histories && (
        <p role="alert">Trends could not be loaded: {data.message}</p>
      )}
      {TRENDS.map((spec, i) =>
        histories ? (
          <TrendChart
            key={spec.kind}
            spec={spec}
            history={histories[i] ?? null}
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
  history: History | null;
  range: HistoryRange;
  thresholds: Thresholds | null;
  alerts: readonly Alert[];
}

function TrendChart({ spec, history, range, thresholds, alerts }: ChartProps) {
  const rows = useMemo<TrendRow[]>(() => (history ? trendRows(history, spec) : []), [history, spec]);
  const to = history ? Date.parse(history.to) : Date.now();
  const from = history ? Date.parse(history.from) : to - RANGE_MS[range];
  const marks = useMemo(() => markers(alerts, spec, from, to), [alerts, spec, from, to]);
  const bands = thresholdBands(spec.kind, thresholds);
  const raw = history?.points !== undefined;
  const titleId = `trend-${spec.kind}-title`;
  const summary = history ? summarise(rows, spec) : 'Not available.';
  // Only drop the data, never the shading: a resident's empty chart still shows the limits.
  const values = rows.flatMap((r) =>
    spec.fields.flatMap((f) => {
      const band = r[`${f.name}Band`];
      const v = r[f.name];
      return Array.isArray(band) ? band : typeof v === 'number' ? [v] : [];
    }),
  );
  const lo = Math.min(spec.domain[0], ...values);
  const hi = Math.max(spec.domain[1], ...values);
  const fmt = tickFormatter(range);

  return (
    <figure
      className="trend"
      aria-labelledby={titleId}
      data-testid="trend"
      data-kind={spec.kind}
      data-points={rows.length}
    >
      <figcaption>
        <h3 className="trend__title" id={titleId}>
          {spec.title} ({spec.unit})
        </h3>
        <p className="trend__summary">
          {summary}
          {marks.length > 0 && ` ${marks.length} ${marks.length === 1 ? 'alert' : 'alerts'} marked.`}
          {bands.length > 0 && ` Shaded: ${bands.map((b) => b.label).join('; ')}.`}
        </p>
      </figcaption>
      {rows.length === 0 ? (
        <p className="trend__chart trend__empty">No readings in this period.</p>
      ) : (
        <div className="trend__chart" aria-hidden="true">
          <ResponsiveContainer width="100%" height={180}>
            <ComposedChart
              data={rows}
              margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
              accessibilityLayer={false}
            >
              <CartesianGrid stroke="#d8dde0" strokeDasharray="3 3" />
              <XAxis
                dataKey="t"
                type="number"
                scale="time"
                domain={[from, to]}
                tickFormatter={fmt}
                stroke="#4c6272"
                fontSize={12}
              />
              <YAxis
                domain={[Math.floor(lo), Math.ceil(hi)]}
                stroke="#4c6272"
                fontSize={12}
                width={40}
                allowDataOverflow
              />
              {bands.map((b) => (
                <ReferenceArea
                  key={b.label}
                  y1={Math.max(b.y1, Math.floor(lo))}
                  y2={Math.min(b.y2, Math.ceil(hi))}
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
              {!raw &&
                spec.fields.map((f) => (
                  <Area
                    key={`${f.name}-band`}
                    dataKey={`${f.name}Band`}
                    stroke="none"
                    fill={f.colour}
                    fillOpacity={0.15}
                    isAnimationActive={false}
                    connectNulls={false}
                  />
                ))}
              {spec.fields.map((f) =>
                raw ? (
                  <Scatter key={f.name} dataKey={f.name} fill={f.colour} isAnimationActive={false} />
                ) : (
                  <Line
                    key={f.name}
                    dataKey={f.name}
                    stroke={f.colour}
                    strokeWidth={2}
                    dot={rows.length < 40}
                    isAnimationActive={false}
                    connectNulls={false}
                  />
                ),
              )}
              <Tooltip labelFormatter={(t) => new Date(Number(t)).toLocaleString('en-GB')} />
            </ComposedChart>
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}
