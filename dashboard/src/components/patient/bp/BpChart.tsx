import type { BpReport } from '@wardline/protocol';

const W = 640;
const H = 220;
const PAD = { left: 44, right: 12, top: 10, bottom: 28 };

/**
 * Session means (systolic above, diastolic below) in time order, the target band shaded (treated)
 * or the stage 1 thresholds drawn (not treated). Plain SVG: it prints as drawn.
 */
export function BpChart({ report }: { report: BpReport }) {
  const points = report.daily.flatMap((d) =>
    [d.morning, d.evening].map((s) => ({
      label: `${d.date.slice(5)} ${s.session === 'morning' ? 'am' : 'pm'}`,
      mean: s.mean,
      counted: d.counted,
    })),
  );
  const means = points.flatMap((p) => (p.mean ? [p.mean.systolic, p.mean.diastolic] : []));
  if (means.length === 0) return <p data-testid="bp-chart-empty">No paired readings in this period.</p>;
  const lines = report.target ? [report.target.systolic, report.target.diastolic] : [135, 85];
  const lo = Math.floor(Math.min(...means, ...lines) / 20) * 20;
  const hi = Math.ceil(Math.max(...means, ...lines) / 20) * 20;
  const ticks = Array.from({ length: (hi - lo) / 20 + 1 }, (_, i) => lo + i * 20);
  const x = (i: number) => PAD.left + ((i + 0.5) * (W - PAD.left - PAD.right)) / points.length;
  const y = (v: number) => PAD.top + ((hi - v) * (H - PAD.top - PAD.bottom)) / (hi - lo);
  const path = (pick: 'systolic' | 'diastolic') =>
    points
      .map((p, i) => (p.mean ? `${x(i)},${y(p.mean[pick])}` : null))
      .filter(Boolean)
      .join(' ');
  const labelEvery = Math.max(1, Math.ceil(points.length / 8));
  return (
    <figure className="bp-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="bp-chart-caption" data-testid="bp-chart">
        {report.target && (
          <rect
            className="bp-chart__band"
            x={PAD.left}
            width={W - PAD.left - PAD.right}
            y={y(report.target.systolic)}
            height={y(lo) - y(report.target.systolic)}
          />
        )}
        {ticks.map((t) => (
          <g key={t}>
            <line className="bp-chart__grid" x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="bp-chart__tick">
              {t}
            </text>
          </g>
        ))}
        {lines.map((v) => (
          <line key={v} className="bp-chart__limit" x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} />
        ))}
        <polyline className="bp-chart__systolic" points={path('systolic')} />
        <polyline className="bp-chart__diastolic" points={path('diastolic')} />
        {points.map((p, i) =>
          p.mean ? (
            <g key={i} className={p.counted ? undefined : 'bp-chart__uncounted'}>
              <circle className="bp-chart__systolic-dot" cx={x(i)} cy={y(p.mean.systolic)} r={3.5} />
              <circle className="bp-chart__diastolic-dot" cx={x(i)} cy={y(p.mean.diastolic)} r={3.5} />
            </g>
          ) : null,
        )}
        {points.map((p, i) =>
          i % labelEvery === 0 ? (
            <text key={i} x={x(i)} y={H - 8} textAnchor="middle" className="bp-chart__tick">
              {p.label}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption id="bp-chart-caption">
        Session means, mmHg: systolic (upper line), diastolic (lower line).{' '}
        {report.target
          ? `Shaded: below the target systolic ${report.target.systolic}; dashed: the target ${report.target.systolic}/${report.target.diastolic}.`
          : 'Dashed: stage 1 thresholds 135 and 85.'}{' '}
        Hollow points are outside the average (day one, or not in the series).
      </figcaption>
    </figure>
  );
}
