import type { Alert } from '@wardline/protocol';
import { compareAlerts, dateTime, escalationText, clockTime, PRIORITY_LABEL } from '../../lib/alerts.js';
import { AlertActions } from '../alerts/AlertActions.js';

/** The resident's alerts, active first, with who acknowledged or resolved them and the notes. */
export function PatientAlerts({
  alerts,
  onChanged,
}: {
  alerts: readonly Alert[] | null;
  onChanged: (alert: Alert) => void;
}) {
  const sorted = alerts ? [...alerts].sort(compareAlerts) : null;
  return (
    <section className="panel" aria-labelledby="patient-alerts-title" data-testid="patient-alerts">
      <h2 id="patient-alerts-title" className="panel__title">
        Alerts
      </h2>
      {sorted === null ? (
        <p role="status">Loading alerts…</p>
      ) : sorted.length === 0 ? (
        <p>No alerts.</p>
      ) : (
        <ul className="alert-banner__list">
          {sorted.slice(0, 50).map((a) => (
            <li
              key={a.id}
              className={`alert-item alert-item--${a.priority} alert-item--${a.state}`}
              data-testid="patient-alert"
              data-state={a.state}
            >
              <div className="alert-item__text">
                <span className={`priority-tag priority-tag--${a.priority}`}>
                  {PRIORITY_LABEL[a.priority]}
                </span>{' '}
                <strong>{a.title}</strong> <span className="alert-item__message">{a.message}</span>
                <span className="data-table__sub">
                  Opened {dateTime(a.openedAt)} · {escalationText(a, clockTime)} ·{' '}
                  <span className="state-tag">{a.state}</span>
                </span>
              </div>
              <AlertActions alert={a} onChanged={onChanged} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
