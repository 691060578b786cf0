import type { Alert, BedState } from '@wardline/protocol';
import { useState, type MouseEvent } from 'react';
import { PRIORITY_LABEL } from '../../lib/alerts.js';
import { bedElementId } from '../BedCard.js';
import { TimeAgo } from '../TimeAgo.js';
import { AlertActions } from './AlertActions.js';

interface Props {
  /** The ward's active alerts, sorted by `compareAlerts`. */
  alerts: Alert[];
  bedsByPatient: ReadonlyMap<string, BedState>;
  now: number;
  onChanged: (alert: Alert) => void;
  muted: boolean;
  onMutedChange: (muted: boolean) => void;
}

/** How many alerts are shown before "Show all". Critical and high are always shown. */
const FOLD_AT = 6;

function focusBed(e: MouseEvent<HTMLAnchorElement>, bedId: string) {
  const card = document.getElementById(bedElementId(bedId));
  if (!card) return;
  e.preventDefault();
  card.scrollIntoView({ block: 'center' });
  card.focus({ preventScroll: true });
}

/**
 * The page-level banner of the ward's active clinical alerts, most urgent first, each with
 * one-click acknowledge and resolve-with-note. New ones are announced by `AlertAnnouncer`.
 */
export function AlertBanner(props: Props) {
  const { alerts, bedsByPatient, now, onChanged, muted, onMutedChange } = props;
  const [showAll, setShowAll] = useState(false);
  const urgent = alerts.filter((a) => a.priority === 'critical' || a.priority === 'high').length;
  const visible = showAll ? alerts : alerts.slice(0, Math.max(FOLD_AT, urgent));
  const open = alerts.filter((a) => a.state === 'open').length;
  const worst = alerts[0]?.priority;

  return (
    <section
      className={`alert-banner${worst ? ` alert-banner--${worst}` : ' alert-banner--none'}`}
      aria-labelledby="alert-banner-title"
      data-testid="alert-banner"
      data-count={alerts.length}
    >
      <div className="alert-banner__head">
        <h2 id="alert-banner-title" className="alert-banner__title">
          {alerts.length === 0
            ? 'No active alerts'
            : `${alerts.length} active ${alerts.length === 1 ? 'alert' : 'alerts'}${open > 0 ? `, ${open} not acknowledged` : ''}`}
        </h2>
        <label className="alert-banner__mute">
          <input
            type="checkbox"
            checked={muted}
            onChange={(e) => onMutedChange(e.target.checked)}
            data-testid="alert-mute"
          />{' '}
          Mute alert sound
        </label>
      </div>
      {alerts.length > 0 && (
        <ul className="alert-banner__list">
          {visible.map((a) => {
            const bed = a.patientId ? bedsByPatient.get(a.patientId) : undefined;
            return (
              <li
                key={a.id}
                className={`alert-item alert-item--${a.priority} alert-item--${a.state}`}
                data-testid="alert-banner-item"
                data-alert-id={a.id}
                data-condition={a.condition}
                data-state={a.state}
              >
                <div className="alert-item__text">
                  <span className={`priority-tag priority-tag--${a.priority}`}>
                    {PRIORITY_LABEL[a.priority]}
                  </span>{' '}
                  {bed ? (
                    <a href={`#${bedElementId(bed.bedId)}`} onClick={(e) => focusBed(e, bed.bedId)}>
                      {bed.label}
                      {bed.patient ? `, ${bed.patient.displayName}` : ''}
                    </a>
                  ) : null}
                  {bed ? ': ' : ''}
                  <strong>{a.title}</strong> <span className="alert-item__message">{a.message}</span>{' '}
                  <span className="alert-item__time">
                    · <TimeAgo at={Date.parse(a.openedAt)} now={now} />
                  </span>
                </div>
                <AlertActions alert={a} onChanged={onChanged} />
              </li>
            );
          })}
        </ul>
      )}
      {alerts.length > visible.length && (
        <button
          type="button"
          className="button button--small button--secondary"
          onClick={() => setShowAll(true)}
        >
          Show all {alerts.length} alerts
        </button>
      )}
      {showAll && alerts.length > FOLD_AT && (
        <button
          type="button"
          className="button button--small button--secondary"
          onClick={() => setShowAll(false)}
        >
          Show fewer
        </button>
      )}
    </section>
  );
}

/**
 * New alerts are announced through a separate assertive live region holding one sentence, so a
 * screen reader is not read the whole banner (buttons and all) on every change. It is on the page
 * from the start, also while the ward loads, so that what is put in it is announced.
 */
export function AlertAnnouncer({ announcement, tonesPlayed }: { announcement: string; tonesPlayed: number }) {
  return (
    <div
      className="visually-hidden"
      aria-live="assertive"
      aria-atomic="true"
      data-testid="alert-announcer"
      data-tones-played={tonesPlayed}
    >
      {announcement}
    </div>
  );
}
