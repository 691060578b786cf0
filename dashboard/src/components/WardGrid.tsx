import type { Alert, News2Summary } from '@wardline/protocol';
import type { BedAlerts } from './FallSummary.js';
import { BedCard } from './BedCard.js';

export interface WardGridItem extends BedAlerts {
  serverAlerts: readonly Alert[];
  news2: News2Summary | null;
}

interface Props {
  /** Already in display order (most at risk first). */
  items: WardGridItem[];
  now: number;
}

/** All beds of the ward as a responsive grid of compact cards (sized for 200 on one screen). */
export function WardGrid({ items, now }: Props) {
  return (
    <section className="ward-grid-section" aria-labelledby="ward-grid-title">
      <h2 id="ward-grid-title" className="visually-hidden">
        Beds, most at risk first
      </h2>
      <ul className="ward-grid" role="list" data-testid="ward-grid">
        {items.map(({ bed, alerts, serverAlerts, news2 }) => (
          <li key={bed.bedId} className="ward-grid__item">
            <BedCard bed={bed} now={now} alerts={alerts} serverAlerts={serverAlerts} news2={news2} />
          </li>
        ))}
      </ul>
    </section>
  );
}
