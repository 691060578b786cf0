import type { LiveState } from '../hooks/useLiveWard.js';
import { formatAbsolute } from '../lib/time.js';

const LABEL: Record<LiveState, string> = {
  connecting: 'Connecting…',
  syncing: 'Updating…',
  live: 'Live',
  lost: 'Connection lost — reconnecting…',
  error: 'Not updating — retrying…',
};

interface Props {
  state: LiveState;
}

/** The one indicator of whether the screen is current. Polite: it must not talk over a fall alert. */
export function ConnectionState({ state }: Props) {
  return (
    <p
      className={`connection connection--${state}`}
      role="status"
      data-testid="connection-state"
      data-state={state}
    >
      <span className="connection__dot" aria-hidden="true" />
      {LABEL[state]}
    </p>
  );
}

interface NoticeProps {
  state: LiveState;
  lastSyncedAt: number | null;
  errorMessage: string | null;
}

/** A bar over the grid whenever what is shown may be out of date. */
export function StaleDataNotice({ state, lastSyncedAt, errorMessage }: NoticeProps) {
  if (state !== 'lost' && state !== 'error') return null;
  return (
    <div className="stale-notice" data-testid="stale-notice">
      <strong>Readings may be out of date.</strong>{' '}
      {state === 'lost' ? 'The live connection to the server was lost. ' : `${errorMessage ?? ''} `}
      {lastSyncedAt !== null ? `Last updated ${formatAbsolute(lastSyncedAt)}.` : 'No data received yet.'}
    </div>
  );
}
