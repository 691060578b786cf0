import type { PatientSummary } from '@wardline/protocol';
import { useEffect, useMemo } from 'react';
import { listPatients } from '../../api/client.js';
import { useNow } from '../../hooks/useNow.js';
import { latestByKind, usePatientHistory } from '../../hooks/usePatientHistory.js';
import { useResource } from '../../hooks/useResource.js';
import type { SocketState } from '../../hooks/useSocket.js';
import { equipmentInWords, plainReadings } from '../../lib/plain.js';
import { formatAbsolute } from '../../lib/time.js';
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
          Alerts about {relative.displayName}, such as a fall or a call for help, will appear here. The care
          team is alerted straight away; this page is for your information.
        </p>
      </section>

      <p className="family-footnote">
        If you are worried about {relative.displayName}, contact the care home directly. Messages cannot be
        sent from this page.
      </p>
    </main>
  );
}
