import type { News2Summary } from '@wardline/protocol';
import { NEWS2_BAND_LABEL, news2Band, PARAMETER_NAME, partialText, dateTime } from '../../lib/alerts.js';
import type { Resource } from '../../hooks/useResource.js';

/**
 * The resident's current NEWS2: score and band, each parameter with its score, value and age,
 * and what is missing or too old. Its changes over time are charted by News2History.
 */
export function News2Panel({ news2 }: { news2: Resource<News2Summary> }) {
  const n = news2.data;
  return (
    <section className="panel news2-panel" aria-labelledby="news2-title" data-testid="news2-panel">
      <h2 id="news2-title" className="panel__title">
        NEWS2
      </h2>
      {n && n.parameters.length === 0 ? (
        <p>
          Not scored: no readings yet. Missing: {n.missing.map((m) => PARAMETER_NAME[m] ?? m).join(', ')}.
        </p>
      ) : !n ? (
        <p role="status">{news2.status === 'failed' ? `Not available: ${news2.message}` : 'Loading…'}</p>
      ) : (
        <>
          <p className={`news2 news2--${news2Band(n)}`}>
            Score{' '}
            <strong className="news2__score" data-testid="news2-score">
              {n.score}
            </strong>{' '}
            {NEWS2_BAND_LABEL[news2Band(n)]} · SpO<sub>2</sub> scale {n.spo2Scale}
            {partialText(n) && <span className="news2__partial"> ({partialText(n)})</span>}
          </p>
          <p className="data-table__sub">Worked out {dateTime(n.at)}</p>
          {n.parameters.length > 0 && (
            <dl>
              {n.parameters.map((p) => (
                <div key={p.parameter} style={{ display: 'contents' }}>
                  <dt>{PARAMETER_NAME[p.parameter] ?? p.parameter}</dt>
                  <dd>
                    {String(p.value)} (score {p.score})
                  </dd>
                  <dd className="data-table__sub">
                    {p.ageMinutes} min old{p.source ? ` · ${p.source}` : ''}
                  </dd>
                </div>
              ))}
            </dl>
          )}
          {n.missing.length > 0 && (
            <p data-testid="news2-missing">
              Missing: {n.missing.map((m) => PARAMETER_NAME[m] ?? m).join(', ')}
              {n.stale.length > 0 &&
                ` (too old: ${n.stale.map((s) => `${PARAMETER_NAME[s.parameter] ?? s.parameter} from ${dateTime(s.measuredAt)}`).join(', ')})`}
            </p>
          )}
        </>
      )}
    </section>
  );
}
