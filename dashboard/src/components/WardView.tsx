import type { Ward } from '@wardline/protocol';
import { useEffect, useMemo } from 'react';
import { useLiveWard } from '../hooks/useLiveWard.js';
import { useNow } from '../hooks/useNow.js';
import type { SocketState } from '../hooks/useSocket.js';
import { activeAlerts } from '../lib/vitals.js';
import { ConnectionState, StaleDataNotice } from './ConnectionState.js';
import { FallSummary, type BedAlerts } from './FallSummary.js';
import { WardGrid } from './WardGrid.js';
import { WardSelect } from './WardPicker.js';

/** How often "4 min ago", staleness and the 30-minute fall window are re-evaluated. */
const CLOCK_TICK_MS = 15_000;

interface Props {
  ward: Ward;
  wards: Ward[];
  onSelectWard: (wardId: string) => void;
  socket: SocketState;
}

/** The live ward screen. Mounted with `key={ward.id}`: switching ward starts a fresh view. */
export function WardView({ ward, wards, onSelectWard, socket }: Props) {
  const now = useNow(CLOCK_TICK_MS);
  const { beds, liveState, lastSyncedAt, errorMessage } = useLiveWard(socket, ward.id);

  const items = useMemo<BedAlerts[]>(
    () => (beds ?? []).map((bed) => ({ bed, alerts: activeAlerts(bed, now) })),
    [beds, now],
  );
  const alerting = useMemo(
    () =>
      items
        .filter((i) => i.alerts.length > 0)
        .sort((a, b) => (b.alerts[0]?.measuredAt ?? 0) - (a.alerts[0]?.measuredAt ?? 0)),
    [items],
  );
  const occupied = items.filter((i) => i.bed.patient !== null).length;

  useEffect(() => {
    document.title = `${alerting.length > 0 ? `(${alerting.length}) ` : ''}${ward.name} — Wardline`;
  }, [alerting.length, ward.name]);
  useEffect(
    () => () => {
      document.title = 'Wardline';
    },
    [],
  );

  return (
    <main id="main" className="page page--ward" tabIndex={-1}>
      <div className="ward-toolbar">
        <div className="ward-toolbar__title">
          <h1 className="ward-toolbar__name" data-testid="ward-name">
            {ward.name}
          </h1>
          {beds && (
            <p className="ward-toolbar__meta">
              {occupied} {occupied === 1 ? 'resident' : 'residents'} · {beds.length}{' '}
              {beds.length === 1 ? 'bed' : 'beds'}
            </p>
          )}
        </div>
        {wards.length > 1 && <WardSelect wards={wards} value={ward.id} onChange={onSelectWard} />}
        <ConnectionState state={liveState} />
      </div>

      <StaleDataNotice state={liveState} lastSyncedAt={lastSyncedAt} errorMessage={errorMessage} />
      <FallSummary items={alerting} />

      {beds === null ? (
        <p role="status" className="ward-loading">
          {errorMessage ? `Beds could not be loaded. ${errorMessage} Retrying…` : 'Loading beds…'}
        </p>
      ) : beds.length === 0 ? (
        <p>This ward has no beds yet.</p>
      ) : (
        <WardGrid items={items} now={now} />
      )}
    </main>
  );
}
