import type { BedAlerts } from './FallSummary.js';
import { BedCard } from './BedCard.js';

interface Props {
  items: BedAlerts[];
  now: number;
}

/** All beds of the ward as a responsive grid of compact cards (sized for 200 on one screen). */
export function WardGrid({ items, now }: Props) {
  return (
    <section className="ward-grid-section" aria-labelledby="ward-grid-title">
      <h2 id="ward-grid-title" className="visually-hidden">
        Beds
      </h2>
      <ul className="ward-grid" role="list" data-testid="ward-grid">
        {items.map(({ bed, alerts }) => (
          <li key={bed.bedId} className="ward-grid__item">
            <BedCard bed={bed} now={now} alerts={alerts} />
          </li>
        ))}
      </ul>
    </section>
  );
}
