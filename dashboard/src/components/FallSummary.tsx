import type { BedState } from '@wardline/protocol';
import type { MouseEvent } from 'react';
import type { ActiveAlert } from '../lib/vitals.js';
import { bedElementId } from './BedCard.js';

export interface BedAlerts {
  bed: BedState;
  alerts: ActiveAlert[];
}

interface Props {
  items: BedAlerts[];
}

function focusBed(e: MouseEvent<HTMLAnchorElement>, bedId: string) {
  const card = document.getElementById(bedElementId(bedId));
  if (!card) return;
  e.preventDefault();
  card.scrollIntoView({ block: 'center' });
  card.focus({ preventScroll: true });
}

const ALERT_TEXT = {
  fall: 'fall detected',
  help_request: 'help requested',
  no_movement: 'no movement',
} as const;

/**
 * Page-level list of beds with an active fall or help request. The live region is always in the
 * DOM (so screen readers notice additions) and holds no ticking times (so it does not re-announce
 * every 15 seconds); the cards carry the "2 min ago".
 */
export function FallSummary({ items }: Props) {
  return (
    <div aria-live="assertive" aria-relevant="additions text" className="fall-summary-region">
      {items.length > 0 && (
        <section className="fall-summary" aria-labelledby="fall-summary-title" data-testid="fall-summary">
          <h2 id="fall-summary-title" className="fall-summary__title">
            {items.length === 1 ? '1 resident needs help' : `${items.length} residents need help`}
          </h2>
          <ul className="fall-summary__list">
            {items.map(({ bed, alerts }) => (
              <li key={bed.bedId} data-bed-id={bed.bedId}>
                <a href={`#${bedElementId(bed.bedId)}`} onClick={(e) => focusBed(e, bed.bedId)}>
                  {bed.label}
                  {bed.patient ? `, ${bed.patient.displayName}` : ''}
                </a>
                : {alerts.map((a) => ALERT_TEXT[a.kind]).join(' and ')}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
