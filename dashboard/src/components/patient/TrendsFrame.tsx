import type { HistoryRange } from '@wardline/protocol';
import { forwardRef, type ReactNode } from 'react';
import { RANGES, TRENDS, type TrendSpec } from '../../lib/trends.js';

interface FrameProps {
  range: HistoryRange;
  /** null while the charts' code is still loading: the choice is shown, not yet usable. */
  onRange: ((range: HistoryRange) => void) | null;
  children: ReactNode;
}

/**
 * The trends panel without the charts: its title, the time ranges and one place per vital sign,
 * each the size of its chart. The charts (recharts, a large download) fill the places when they
 * arrive, and the panels below do not move.
 */
export const TrendsFrame = forwardRef<HTMLElement, FrameProps>(function TrendsFrame(
  { range, onRange, children },
  ref,
) {
  return (
    <section ref={ref} className="panel trends" aria-labelledby="trends-title" data-testid="patient-trends">
      <h2 id="trends-title" className="panel__title">
        Trends
      </h2>
      <div className="trends__ranges" role="group" aria-label="Time range">
        {RANGES.map((r) => (
          <button
            key={r.range}
            type="button"
            className="trends__range"
            aria-pressed={range === r.range}
            disabled={!onRange}
            onClick={() => onRange?.(r.range)}
            data-testid={`trend-range-${r.range}`}
          >
            {r.label}
          </button>
        ))}
      </div>
      {children}
    </section>
  );
});

/** A vital sign's place while its chart or its readings load. */
export function TrendPlaceholder({ spec }: { spec: TrendSpec }) {
  return (
    <figure className="trend" aria-labelledby={`trend-${spec.kind}-title`}>
      <figcaption>
        <h3 className="trend__title" id={`trend-${spec.kind}-title`}>
          {spec.title} ({spec.unit})
        </h3>
        <p className="trend__summary">Loading…</p>
      </figcaption>
      <div className="trend__chart trend__chart--loading" aria-hidden="true" />
    </figure>
  );
}

export const TrendsPlaceholder = forwardRef<HTMLElement, { range?: HistoryRange }>(function TrendsPlaceholder(
  { range = '24h' },
  ref,
) {
  return (
    <TrendsFrame ref={ref} range={range} onRange={null}>
      {TRENDS.map((spec) => (
        <TrendPlaceholder key={spec.kind} spec={spec} />
      ))}
    </TrendsFrame>
  );
});
