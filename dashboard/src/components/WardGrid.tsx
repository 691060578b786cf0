import type { Alert, News2Summary } from '@wardline/protocol';
import type { BedAlerts } from './FallSummary.js';
import { BedCard } from './BedCard.js';

export interface WardGridItem extends BedAlerts {
  serverAlerts: readonly Alert[];
  news2: News2Summary | null;
  /** An active alert or a NEWS2 band above low. */
  attention: boolean;
}

interface Props {
  /** Already in display order (most at risk first). */
  items: WardGridItem[];
  now: number;
}

/**
 * All beds of the ward as compact cards (sized for 200 on one screen), most at risk first. The
 * beds needing attention are a separate, short list above the rest (which stays in label order):
 * a bed that starts alerting leaves the long list and joins the short one, rather than reordering
 * 200 DOM nodes, and reading and tab order stay the same as the visual order.
 */
export function WardGrid({ items, now }: Props) {
  const attention = items.filter((i) => i.attention);
  const rest = attention.length === 0 ? items : items.filter((i) => !i.attention);
  return (
    <>
      {attention.length > 0 && (
        <section className="ward-grid-section" aria-labelledby="ward-attention-title">
          <h2 id="ward-attention-title" className="ward-grid-section__title">
            Needs attention ({attention.length})
          </h2>
          <Cards items={attention} now={now} testId="ward-grid-attention" />
        </section>
      )}
      <section className="ward-grid-section" aria-labelledby="ward-grid-title">
        <h2
          id="ward-grid-title"
          className={attention.length > 0 ? 'ward-grid-section__title' : 'visually-hidden'}
        >
          {attention.length > 0 ? `Other beds (${rest.length})` : 'Beds'}
        </h2>
        <Cards items={rest} now={now} testId="ward-grid" />
      </section>
    </>
  );
}

function Cards({ items, now, testId }: { items: WardGridItem[]; now: number; testId: string }) {
  return (
    <ul className="ward-grid" role="list" data-testid={testId}>
      {items.map(({ bed, alerts, serverAlerts, news2 }) => (
        <li key={bed.bedId} className="ward-grid__item">
          <BedCard bed={bed} now={now} alerts={alerts} serverAlerts={serverAlerts} news2={news2} />
        </li>
      ))}
    </ul>
  );
}
