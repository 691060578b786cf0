import { useEffect } from 'react';
import { listWards } from '../api/client.js';
import { useResource } from '../hooks/useResource.js';
import type { SocketState } from '../hooks/useSocket.js';
import { navigate } from '../routing/navigation.js';
import { WardPicker } from './WardPicker.js';
import { WardView } from './WardView.js';

interface Props {
  /** The ward in the address, or null on /wards. */
  wardId: string | null;
  socket: SocketState;
}

/** /wards and /wards/:wardId: the ward list, then the chosen ward live. */
export function WardsScreen({ wardId, socket }: Props) {
  const [wards, reload] = useResource((signal) => listWards(signal), []);
  const list = wards.data;
  const selected = list?.find((w) => w.id === wardId);

  // With a single ward there is nothing to choose: show it (and put it in the address).
  useEffect(() => {
    if (wardId === null && list?.length === 1 && list[0])
      navigate({ name: 'ward', wardId: list[0].id }, { replace: true });
  }, [wardId, list]);

  if (!list) {
    return (
      <main id="main" className="page page--centred" tabIndex={-1}>
        {wards.status === 'failed' ? (
          <div className="error-summary" role="alert">
            <h1 className="error-summary__title">Wards could not be loaded</h1>
            <p>{wards.message}</p>
            <button type="button" className="button" onClick={reload}>
              Try again
            </button>
          </div>
        ) : (
          <p role="status">Loading wards…</p>
        )}
      </main>
    );
  }
  if (list.length === 0) {
    return (
      <main id="main" className="page page--centred" tabIndex={-1}>
        <h1>No wards</h1>
        <p>Your account does not have access to any ward. Ask an administrator to add you to one.</p>
      </main>
    );
  }
  if (!selected) {
    return <WardPicker wards={list} unknownWardId={wardId} />;
  }
  return (
    <WardView
      key={selected.id}
      ward={selected}
      wards={list}
      onSelectWard={(id) => navigate({ name: 'ward', wardId: id })}
      socket={socket}
    />
  );
}
