import { lazy, Suspense, useRef } from 'react';
import { getNews2History } from '../../api/client.js';
import { useNearViewport } from '../../hooks/useNearViewport.js';
import { useResource } from '../../hooks/useResource.js';
import { news2HistorySummary } from '../../lib/news2History.js';

// recharts is the largest download: loaded only when this panel comes near the screen.
const News2HistoryChart = lazy(() =>
  import('./News2HistoryChart.js').then((m) => ({ default: m.News2HistoryChart })),
);

const CHART_HEIGHT = 180;

/** The resident's NEWS2 over the last 7 days: a step for each change, medium and high bands shaded. */
export function News2History({ patientId, refreshKey }: { patientId: string; refreshKey: number }) {
  const [history] = useResource((signal) => getNews2History(patientId, signal), [patientId, refreshKey]);
  const place = useRef<HTMLElement>(null);
  const near = useNearViewport(place);
  const entries = history.data?.entries ?? null;
  return (
    <section
      ref={place}
      className="panel news2-history"
      aria-labelledby="news2-history-title"
      data-testid="news2-history"
      data-points={entries?.length ?? 0}
    >
      <h2 id="news2-history-title" className="panel__title">
        NEWS2 over time
      </h2>
      {entries === null ? (
        <p role="status">{history.status === 'failed' ? `Not available: ${history.message}` : 'Loading…'}</p>
      ) : (
        <>
          <p className="trend__summary" data-testid="news2-history-summary">
            {news2HistorySummary(entries)}
          </p>
          {entries.length > 0 && (
            <div className="trend__chart" aria-hidden="true" style={{ minHeight: CHART_HEIGHT }}>
              {near && (
                <Suspense fallback={null}>
                  <News2HistoryChart entries={entries} height={CHART_HEIGHT} />
                </Suspense>
              )}
            </div>
          )}
        </>
      )}
    </section>
  );
}
