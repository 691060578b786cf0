import type { Alert, PatientSummary, ReadingArrivedEvent } from '@wardline/protocol';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { useAlertFeed, type AlertFeed } from '../../hooks/useAlertFeed.js';

import { listPatients } from '../../api/client.js';
import { useNow } from '../../hooks/useNow.js';
import { latestByKind, usePatientHistory } from '../../hooks/usePatientHistory.js';
import type { LiveState } from '../../hooks/useLiveWard.js';
import { useResource, type Resource } from '../../hooks/useResource.js';
import { useSettled } from '../../hooks/useSettled.js';
import type { SocketState } from '../../hooks/useSocket.js';
import { equipmentInWords, plainReadings } from '../../lib/plain.js';
import { limitedReadingsInWords } from '../../lib/familyWords.js';
import { formatAbsolute, formatAgoInWords, parseTime } from '../../lib/time.js';
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
  // Fetched again on every (re)connection: consent, and the last reading's time, may have changed.
  const [patients, reload] = useResource((signal) => listPatients(signal), [socket.connectCount]);

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
  // Without the server's word on consent (an older server), the server still refuses readings.
  return relative.family?.clinicalDetail === false ? (
    <LimitedRelative key={`${relative.id}:limited`} relative={relative} patients={patients} socket={socket} />
  ) : (
    <Relative key={relative.id} relative={relative} socket={socket} />
  );
}

function useFamilyAlerts(socket: SocketState, relative: PatientSummary): AlertFeed {
  return useAlertFeed(socket, {
    queries: [{ limit: 20 }],
    joinWards: [],
    leaveOnUnmount: false,
    accept: (a) => a.patientId === relative.id,
  });
}

function Relative({ relative, socket }: { relative: PatientSummary; socket: SocketState }) {
  const now = useNow(CLOCK_TICK_MS);
  const history = usePatientHistory(socket, relative.id);
  const latest = useMemo(() => latestByKind(history.entries ?? []), [history.entries]);
  const readings = plainReadings(latest, now);
  const equipment = equipmentInWords(latest, now);
  const feed = useFamilyAlerts(socket, relative);
  // Readings and alerts are shown together once both are in, so one does not push the other down.
  const ready = useSettled(
    (history.entries !== null || history.errorMessage !== null) &&
      (feed.alerts !== null || feed.state === 'failed'),
  );

  return (
    <FamilyPage
      relative={relative}
      liveState={history.liveState}
      lastSyncedAt={history.lastSyncedAt}
      ready={ready}
      feed={feed}
      now={now}
    >
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
    </FamilyPage>
  );
}

/**
 * A relative whose contact record does not consent to clinical detail: whether readings are
 * being taken and when the last was, never a value. The server sends nothing more (no readings
 * from the API, only `readingArrived` on the socket), so nothing here could leak one.
 */
function LimitedRelative({
  relative,
  patients,
  socket,
}: {
  relative: PatientSummary;
  patients: Resource<PatientSummary[]>;
  socket: SocketState;
}) {
  const now = useNow(CLOCK_TICK_MS);
  const feed = useFamilyAlerts(socket, relative);
  const [arrived, setArrived] = useState<number | null>(null);
  const [lastSyncedAt, setLastSyncedAt] = useState<number | null>(null);

  useEffect(() => {
    const onArrived = (e: ReadingArrivedEvent) => {
      const at = parseTime(e.measuredAt);
      if (e.patientId !== relative.id || at === null) return;
      setArrived((current) => (current === null || at > current ? at : current));
    };
    socket.socket.on('readingArrived', onArrived);
    return () => {
      socket.socket.off('readingArrived', onArrived);
    };
  }, [socket.socket, relative.id]);

  useEffect(() => {
    if (patients.status === 'ready') setLastSyncedAt(Date.now());
  }, [patients]);

  const fromServer = parseTime(relative.family?.lastReadingAt);
  const last = fromServer === null ? arrived : arrived === null ? fromServer : Math.max(fromServer, arrived);
  const said = limitedReadingsInWords(last, now);

  let liveState: LiveState;
  if (socket.status === 'disconnected') liveState = 'lost';
  else if (patients.status === 'failed') liveState = 'error';
  else if (socket.status === 'connecting') liveState = 'connecting';
  else if (patients.status === 'loading') liveState = 'syncing';
  else liveState = 'live';

  const ready = useSettled(feed.alerts !== null || feed.state === 'failed');
  return (
    <FamilyPage
      relative={relative}
      liveState={liveState}
      lastSyncedAt={lastSyncedAt}
      ready={ready}
      feed={feed}
      now={now}
    >
      <section className="family-card" aria-labelledby="family-readings-title">
        <h2 id="family-readings-title">Readings</h2>
        <p data-testid="family-limited-readings" data-state={said.state}>
          {said.sentence}
        </p>
        <p className="family-footnote" data-testid="family-consent-note">
          The care home has not recorded your consent to see {relative.displayName}’s readings. To change
          this, ask the care home.
        </p>
      </section>
    </FamilyPage>
  );
}

/** The frame both views share: name, connection, notices, alerts and the footnote. */
function FamilyPage({
  relative,
  liveState,
  lastSyncedAt,
  ready,
  feed,
  now,
  children,
}: {
  relative: PatientSummary;
  liveState: LiveState;
  lastSyncedAt: number | null;
  ready: boolean;
  feed: AlertFeed;
  now: number;
  children: ReactNode;
}) {
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

      {!ready ? (
        <div data-testid="family-loading">
          <p role="status" className="visually-hidden">
            Loading…
          </p>
          <div className="family-card skeleton skeleton--family" aria-hidden="true" />
        </div>
      ) : (
        <>
          {children}

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
