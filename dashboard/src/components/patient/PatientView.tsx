import type { Alert, BedState, PatientSummary, Ward } from '@wardline/protocol';
import { lazy, Suspense, useEffect, useMemo, useRef, useState, type ComponentProps } from 'react';
import { ApiError, getNews2, getPatient, getThresholds, listWards } from '../../api/client.js';
import { useAlertFeed } from '../../hooks/useAlertFeed.js';
import { useLiveWard, type LiveState } from '../../hooks/useLiveWard.js';
import { useNearViewport } from '../../hooks/useNearViewport.js';
import { useNow } from '../../hooks/useNow.js';
import { usePatientHistory } from '../../hooks/usePatientHistory.js';
import { useResource } from '../../hooks/useResource.js';
import { useSettled } from '../../hooks/useSettled.js';
import type { SocketState } from '../../hooks/useSocket.js';
import { Link } from '../../routing/Link.js';
import { ConnectionState, StaleDataNotice } from '../ConnectionState.js';
import { NotAvailable } from '../NotAvailable.js';
import { LatestVitals } from './LatestVitals.js';
import { ObservationHistory } from './ObservationHistory.js';
import { News2Panel } from './News2Panel.js';
import { News2History } from './News2History.js';
import { PatientAlerts } from './PatientAlerts.js';
import { ManualObservationForm } from './ManualObservationForm.js';
import { PatientSkeleton } from './PatientSkeleton.js';
import { TrendsPlaceholder } from './TrendsFrame.js';
import { BpPanel } from './bp/BpPanel.js';

const CLOCK_TICK_MS = 15_000;

// The charts (recharts, the largest download) load only on this screen, and only when their panel
// comes near the screen: on a phone they are below the fold.
const PatientTrends = lazy(() => import('./PatientTrends.js').then((m) => ({ default: m.PatientTrends })));

interface Props {
  patientId: string;
  socket: SocketState;
}

/**
 * /patients/:patientId — one resident for staff: who and where, the latest readings with their
 * age, the equipment, a place for trend charts, and the recent observations as a table.
 */
export function PatientView({ patientId, socket }: Props) {
  const [patient] = useResource((signal) => getPatient(patientId, signal), [patientId]);
  const [wards] = useResource((signal) => listWards(signal), []);

  if (patient.status === 'failed' && !patient.data) {
    const err = patient.error;
    if (err instanceof ApiError && err.status === 403) return <NotAvailable role="nurse" />;
    return (
      <main id="main" className="page page--centred" tabIndex={-1}>
        <div className="error-summary" role="alert" data-testid="patient-error">
          <h1 className="error-summary__title">
            {err instanceof ApiError && err.status === 404
              ? 'Resident not found'
              : 'Resident could not be loaded'}
          </h1>
          <p>
            {err instanceof ApiError && err.status === 404
              ? 'There is no resident with this address. They may have been removed.'
              : patient.message}
          </p>
          <p>
            <Link to={{ name: 'wards' }}>Go to your wards</Link>
          </p>
        </div>
      </main>
    );
  }
  if (!patient.data) {
    return (
      <main id="main" className="page page--centred" tabIndex={-1}>
        <p role="status">Loading resident…</p>
      </main>
    );
  }
  const p = patient.data;
  const ward = wards.data?.find((w) => w.id === p.wardId) ?? null;
  return p.wardId ? (
    <AdmittedPatient key={p.wardId} patient={p} wardId={p.wardId} ward={ward} socket={socket} />
  ) : (
    <PatientPage
      patient={p}
      ward={null}
      bed={null}
      bedLoading={false}
      moved={false}
      liveState={null}
      socket={socket}
    />
  );
}

function AdmittedPatient({
  patient,
  wardId,
  ward,
  socket,
}: {
  patient: PatientSummary;
  wardId: string;
  ward: Ward | null;
  socket: SocketState;
}) {
  // Joining the ward room keeps the bed (readings, devices, gateway) live and brings this
  // resident's observation events for the history table.
  const live = useLiveWard(socket, wardId);
  const bed = live.beds?.find((b) => b.bedId === patient.bedId) ?? null;
  // Never show another person's readings under this name: if the bed now holds someone else
  // (discharged and re-admitted while the page was open), the bed's data is not theirs.
  const moved = bed !== null && bed.patient?.id !== patient.id;
  return (
    <PatientPage
      patient={patient}
      ward={ward}
      bed={moved ? null : bed}
      bedLoading={live.beds === null && live.errorMessage === null}
      moved={moved}
      liveState={live}
      socket={socket}
    />
  );
}

interface PageProps {
  patient: PatientSummary;
  ward: Ward | null;
  bed: BedState | null;
  /** The bed's first snapshot has not arrived yet. */
  bedLoading: boolean;
  /** The resident is no longer in the bed this page was opened for. */
  moved: boolean;
  /** null for a discharged resident: nothing on the page is live. */
  liveState: { liveState: LiveState; lastSyncedAt: number | null; errorMessage: string | null } | null;
  socket: SocketState;
}

function PatientPage({ patient, ward, bed, bedLoading, moved, liveState, socket }: PageProps) {
  const now = useNow(CLOCK_TICK_MS);
  const history = usePatientHistory(socket, patient.id);
  const discharged = patient.wardId === null;
  const [saves, setSaves] = useState(0);
  const newest = history.entries?.[0]?.observation.id ?? '';
  const [thresholds] = useResource((signal) => getThresholds(patient.id, signal), [patient.id]);
  const [news2] = useResource((signal) => getNews2(patient.id, signal), [patient.id, newest, saves]);
  const feed = useAlertFeed(socket, {
    queries: [{ patientId: patient.id, limit: 200 }],
    joinWards: [],
    leaveOnUnmount: false,
    accept: (a) => a.patientId === patient.id,
  });
  const alerts = useMemo(() => (feed.alerts ? [...feed.alerts.values()] : null), [feed.alerts]);
  // The readings, score, alerts and history are laid out together once all are in (or failed), so
  // the panels do not push each other down one answer at a time.
  const ready = useSettled(
    !bedLoading &&
      (news2.data !== null || news2.status === 'failed') &&
      (alerts !== null || feed.state === 'failed') &&
      (history.entries !== null || history.errorMessage !== null),
  );
  const refreshKey = useMemo(() => {
    // Refetch the charts for new readings, but at most about once a minute.
    return Math.floor((history.entries?.[0]?.measuredAt ?? 0) / 60_000) + saves;
  }, [history.entries, saves]);

  useEffect(() => {
    document.title = `${patient.displayName} — Wardline`;
    return () => {
      document.title = 'Wardline';
    };
  }, [patient.displayName]);

  return (
    <main id="main" className="page page--patient" tabIndex={-1}>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to={{ name: 'wards' }}>Wards</Link>
          </li>
          {patient.wardId && (
            <li>
              <Link to={{ name: 'ward', wardId: patient.wardId }} data-testid="back-to-ward">
                {ward?.name ?? 'Ward'}
              </Link>
            </li>
          )}
        </ol>
      </nav>
      <div className="ward-toolbar">
        <div className="ward-toolbar__title">
          <h1 className="ward-toolbar__name" data-testid="patient-name">
            {patient.displayName}
          </h1>
          <p className="ward-toolbar__meta" data-testid="patient-bed">
            {discharged ? 'Discharged' : [bed?.label ?? 'Bed', ward?.name].filter(Boolean).join(' · ')}
          </p>
        </div>
        {liveState && <ConnectionState state={liveState.liveState} />}
      </div>
      {liveState && (
        <StaleDataNotice
          state={liveState.liveState}
          lastSyncedAt={liveState.lastSyncedAt}
          errorMessage={liveState.errorMessage}
        />
      )}
      {moved && (
        <p className="notice" role="status" data-testid="moved-notice">
          {patient.displayName} is no longer in this bed: they have been discharged or moved. Reload the page
          for their current details.
        </p>
      )}
      {discharged && (
        <p className="notice" data-testid="discharged-notice">
          This resident has been discharged. Their devices have been unassigned; the history below is kept.
        </p>
      )}

      {!ready ? (
        <PatientSkeleton />
      ) : (
        <>
          <div className="patient-layout">
            {bed && <LatestVitals bed={bed} now={now} />}
            <News2Panel news2={news2} />
          </div>
          <News2History patientId={patient.id} refreshKey={refreshKey} />
          <BpPanel
            patientId={patient.id}
            patientName={patient.displayName}
            refreshKey={refreshKey}
            discharged={discharged}
          />
          <Trends
            patientId={patient.id}
            thresholds={thresholds.data?.thresholds ?? null}
            alerts={alerts ?? NO_ALERTS}
            refreshKey={refreshKey}
          />
          <div className="patient-layout">
            <PatientAlerts alerts={alerts} onChanged={feed.apply} />
            {!discharged && (
              <ManualObservationForm patientId={patient.id} onSaved={() => setSaves((n) => n + 1)} />
            )}
          </div>
          <ObservationHistory history={history} now={now} />
        </>
      )}
    </main>
  );
}

const NO_ALERTS: Alert[] = [];

/** The charts, loaded when their panel comes near the screen; until then a panel of their size. */
function Trends(props: ComponentProps<typeof PatientTrends>) {
  const placeholder = useRef<HTMLElement>(null);
  const near = useNearViewport(placeholder);
  if (!near) return <TrendsPlaceholder ref={placeholder} />;
  return (
    <Suspense fallback={<TrendsPlaceholder />}>
      <PatientTrends {...props} />
    </Suspense>
  );
}
