import type { PatientSummary } from '@wardline/protocol';
import type { Alert } from '@wardline/protocol';
import { useEffect, useMemo } from 'react';
import { useAlertFeed, type AlertFeed } from '../../hooks/useAlertFeed.js';

import { listPatients } from '../../api/client.js';
import { useNow } from '../../hooks/useNow.js';
import { latestByKind, usePatientHistory } from '../../hooks/usePatientHistory.js';
import { useResource } from '../../hooks/useResource.js';
import { useSettled } from '../../hooks/useSettled.js';
import type { SocketState } from '../../hooks/useSocket.js';
import { equipmentInWords, plainReadings } from '../../lib/plain.js';
import { formatAbsolute, formatAgoInWords } from '../../lib/time.js';
import { ConnectionState } from '../ConnectionState.js';

const CLOCK_TICK_MS = 30_000;

interface Props {
  socket: SocketState;
}

/**
 * /family — a relative's view on a phone: the latest readings and whether the equipment is
 * sending, in plain words. The server scopes everything to the one resident linked to the
 * account; the socket is joined to that resident's room only.
 */
export function FamilyView({ socket }: Props) {
  const [patients, reload] = useResource((signal) => listPatients(signal), []);

  useEffect(() => {
    document.title = 'Your relative — Wardline';
    return () => {
      document.title = 'Wardline';
    };
  }, []);

  const relative = patients.data?.[0];
  if (!relative) {
    return (
      <main id="main" className="page page--family" tabIndex={-1}>
        {patients.status === 'failed' ? (
          <div className="error-summary" role="alert">
            <h1 className="error-summary__title">Your relative’s information could not be loaded</h1>
            <p>{patients.message}</p>
            <button type="button" className="button" onClick={reload}>
              Try again
            </button>
          </div>
        ) : patients.status === 'ready' ? (
          <>
            <h1>No resident linked</h1>
            <p>Your account is not linked to a resident yet. Ask the care home to link it.</p>
          </>
        ) : (
          <p role="status">Loading…</p>
        )}
      </main>
    );
  }
  return <Relative key={relative.id} relative={relative} socket={socket} />;
}

function Relative({ relative, socket }: { relative: PatientSummary; socket: SocketState }) {
  const now = useNow(CLOCK_TICK_MS);
  const history = usePatientHistory(socket, relative.id);
  const latest = useMemo(() => latestByKind(history.entries ?? []), [history.entries]);
  const readings = plainReadings(latest, now);
  const equipment = equipmentInWords(latest, now);
  const { liveState, lastSyncedAt } = history;
  const outOfDate = liveState === 'lost' || liveState === 'error';
  const feed = useAlertFeed(socket, {
    queries: [{ limit: 20 }],
    joinWards: [],
    leaveOnUnmount: false,
    accept: (a) => a.patientId === relative.id,
  });
  // Readings and alerts are shown together once both are in, so one does not push the other down.
  const ready = useSettled(
    (history.entries !== null || history.errorMessage !== null) &&
      (feed.alerts !== null || feed.state === 'failed'),
  );

  return (
    <main id="main" className="page page--family" tabIndex={-1} data-testid="family-view">
      <div className="family-header">
        <h1 data-testid="family-relative-name">{relative.displayName}</h1>
        <ConnectionState state={liveState} />
      </div>
      {outOfDate && (
        <div className="stale-notice" data-testid="stale-notice">
          <strong>This page is not updating.</strong>{' '}
          {liveState === 'lost' ? 'The connection was lost; it will reconnect by itself. ' : 'Trying again. '}
          {lastSyncedAt !== null && `What you see was last updated at ${formatAbsolute(lastSyncedAt)}.`}
        </div>
      )}
      {relative.wardId === null && (
        <p className="notice">
          {relative.displayName} has been discharged. These are the last readings taken.
        </p>
      )}

      {!ready ? (
        <div data-testid="family-loading">
          <p role="status" className="visually-hidden">
            Loading…
          </p>
          <div className="family-card skeleton skeleton--family" aria-hidden="true" />
        </div>
      ) : (
        <>
          <section className="family-card" aria-labelledby="family-readings-title">
            <h2 id="family-readings-title">Latest readings</h2>
            {history.entries === null ? (
              <p role="status">{history.errorMessage ?? 'Loading readings…'}</p>
            ) : readings.length === 0 ? (
              <p data-testid="family-no-readings">No readings have been taken in the last week.</p>
            ) : (
              <ul className="family-readings" data-testid="family-readings">
                {readings.map((r) => (
                  <li key={r.key} data-testid="family-reading" data-key={r.key}>
                    {r.sentence}
                  </li>
                ))}
              </ul>
            )}
          </section>

          <section className="family-card" aria-labelledby="family-equipment-title">
            <h2 id="family-equipment-title">Monitoring equipment</h2>
            <p data-testid="family-equipment" data-state={equipment.state}>
              {equipment.sentence}
            </p>
          </section>

          <section className="family-card" aria-labelledby="family-alerts-title" data-testid="family-alerts">
            <h2 id="family-alerts-title">Recent alerts</h2>
            <p>
              Alerts about {relative.displayName}, such as a fall or a call for help, will appear here. The
              care team is alerted straight away; this page is for your information.
            </p>
            <FamilyAlerts feed={feed} now={now} />
          </section>

          <p className="family-footnote">
            If you are worried about {relative.displayName}, contact the care home directly. Messages cannot
            be sent from this page.
          </p>
        </>
      )}
    </main>
  );
}

const SHOWN = 5;

/** What happened, for a family member; other (clinical) alerts keep the server's limited title. */
const FAMILY_WHAT: Record<string, string> = {
  fall: 'A fall was detected',
  help_request: 'A call for help was made',
};

/** What happened, in plain words, from the alert's limited (family) wording. */
function plainState(a: Alert, now: number): string {
  if (a.state === 'resolved')
    return `The care team dealt with it${a.resolvedAt ? ` ${formatAgoInWords(Date.parse(a.resolvedAt), now)}` : ''}.`;
  if (a.state === 'acknowledged') return 'A member of the care team is looking after it.';
  return 'The care team has been alerted.';
}

/**
 * The relative's recent alerts as the server allows this family member to see them: falls and
 * calls for help, and clinical alerts only with consent for clinical detail, in the limited
 * wording. Live: the server pushes them to the resident's room.
 */
function FamilyAlerts({ feed, now }: { feed: AlertFeed; now: number }) {
  const recent = useMemo(
    () =>
      feed.alerts
        ? [...feed.alerts.values()].sort((a, b) => b.openedAt.localeCompare(a.openedAt)).slice(0, SHOWN)
        : null,
    [feed.alerts],
  );
  if (recent === null)
    return (
      <p role="status">
        {feed.state === 'failed' ? 'Alerts could not be loaded. Trying again.' : 'Loading…'}
      </p>
    );
  if (recent.length === 0) return <p data-testid="family-no-alerts">There have been no alerts recently.</p>;
  return (
    <ul className="family-readings family-alerts" data-testid="family-alert-list">
      {recent.map((a) => (
        <li key={a.id} data-testid="family-alert" data-state={a.state}>
          <strong>{FAMILY_WHAT[a.condition] ?? a.title}</strong>{' '}
          {formatAgoInWords(Date.parse(a.openedAt), now)}. {plainState(a, now)}
        </li>
      ))}
    </ul>
  );
}
