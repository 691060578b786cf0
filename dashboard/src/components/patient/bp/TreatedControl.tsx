import { useState } from 'react';
import { describeError, getSession } from '../../../api/client.js';
import { useResource } from '../../../hooks/useResource.js';
import { putBpTreatment } from './api.js';

const LEADS = new Set(['nurse_in_charge', 'admin']);

/**
 * Whether the resident is treated for hypertension, which sets the target; a nurse in charge or
 * an admin changes it (the server refuses anyone else and keeps an audit entry).
 */
export function TreatedControl({
  patientId,
  treated,
  onChanged,
}: {
  patientId: string;
  treated: boolean;
  onChanged: () => void;
}) {
  const [session] = useResource((signal) => getSession(signal), []);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const lead = session.data ? LEADS.has(session.data.role) : false;
  const change = async () => {
    setBusy(true);
    setError(null);
    try {
      await putBpTreatment(patientId, !treated);
      onChanged();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      {treated ? 'Yes' : 'No (staging for diagnosis; no target set)'}
      {lead && (
        <>
          {' '}
          <button
            type="button"
            className="button button--small button--secondary no-print"
            disabled={busy}
            onClick={() => void change()}
            data-testid="bp-treated-toggle"
          >
            {treated ? 'Mark as not treated' : 'Mark as treated for hypertension'}
          </button>
        </>
      )}
      {error && (
        <span className="field-error" role="alert">
          {' '}
          {error}
        </span>
      )}
    </>
  );
}
