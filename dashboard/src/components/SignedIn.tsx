import type { Ward } from '@wardline/protocol';
import { useCallback, useEffect, useState } from 'react';
import { describeError, listWards } from '../api/client.js';
import { useSocket } from '../hooks/useSocket.js';
import { useWardParam } from '../hooks/useWardParam.js';
import { WardPicker } from './WardPicker.js';
import { WardView } from './WardView.js';

type WardsState =
  { status: 'loading' } | { status: 'failed'; message: string } | { status: 'ready'; wards: Ward[] };

interface Props {
  onUnauthorized: () => void;
}

/** Everything behind sign-in: one socket for the session, the ward list and the selected ward. */
export function SignedIn({ onUnauthorized }: Props) {
  const socketState = useSocket(onUnauthorized);
  const [wardsState, setWardsState] = useState<WardsState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [wardId, selectWard] = useWardParam();

  useEffect(() => {
    const abort = new AbortController();
    listWards(abort.signal).then(
      (wards) => setWardsState({ status: 'ready', wards }),
      (err: unknown) => {
        if (!abort.signal.aborted) setWardsState({ status: 'failed', message: describeError(err) });
      },
    );
    return () => abort.abort();
  }, [attempt]);

  const retry = useCallback(() => {
    setWardsState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  const wards = wardsState.status === 'ready' ? wardsState.wards : null;
  const selected = wards?.find((w) => w.id === wardId) ?? (wards?.length === 1 ? wards[0] : undefined);

  // With a single ward there is nothing to choose: show it (and put it in the address).
  useEffect(() => {
    if (selected && selected.id !== wardId) selectWard(selected.id, { replace: true });
  }, [selected, wardId, selectWard]);

  if (wardsState.status === 'loading') {
    return (
      <main id="main" className="page page--centred" tabIndex={-1}>
        <p role="status">Loading wards…</p>
      </main>
    );
  }
  if (wardsState.status === 'failed') {
    return (
      <main id="main" className="page page--centred" tabIndex={-1}>
        <div className="error-summary" role="alert">
          <h1 className="error-summary__title">Wards could not be loaded</h1>
          <p>{wardsState.message}</p>
          <button type="button" className="button" onClick={retry}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  const list = wardsState.wards;
  if (list.length === 0) {
    return (
      <main id="main" className="page page--centred" tabIndex={-1}>
        <h1>No wards</h1>
        <p>Your account does not have access to any ward. Ask an administrator to add you to one.</p>
      </main>
    );
  }
  if (!selected) {
    return <WardPicker wards={list} onSelect={(id) => selectWard(id)} unknownWardId={wardId} />;
  }
  return (
    <WardView key={selected.id} ward={selected} wards={list} onSelectWard={selectWard} socket={socketState} />
  );
}
