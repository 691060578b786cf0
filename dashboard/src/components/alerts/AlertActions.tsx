import type { Alert } from '@wardline/protocol';
import { useId, useRef, useState, type FormEvent } from 'react';
import { acknowledgeAlert, describeError, resolveAlert } from '../../api/client.js';
import { clockTime } from '../../lib/alerts.js';
import { focusManualObservations, MANUAL_OBSERVATIONS_ANCHOR } from '../../lib/manualObs.js';
import { navigate } from '../../routing/navigation.js';
import { routePath } from '../../routing/routes.js';

interface Props {
  alert: Alert;
  /** Called with the alert as the server returned it. */
  onChanged: (alert: Alert) => void;
}

/**
 * Acknowledge in one click; resolve with a required note (the server refuses a resolve without
 * one, and falls are closed only this way). Shows who acknowledged and when once done.
 */
export function AlertActions({ alert, onChanged }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [resolving, setResolving] = useState(false);
  const [note, setNote] = useState('');
  const [noteError, setNoteError] = useState<string | null>(null);
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const id = useId();

  const acknowledge = async () => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await acknowledgeAlert(alert.id));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const resolve = async (e: FormEvent) => {
    e.preventDefault();
    const text = note.trim();
    if (!text) {
      setNoteError('Enter a note saying what was done');
      noteRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onChanged(await resolveAlert(alert.id, text));
      setResolving(false);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const label = alert.title;
  return (
    <div className="alert-actions" data-alert-id={alert.id}>
      {alert.state === 'acknowledged' && alert.acknowledgedBy && (
        <p className="alert-actions__who" data-testid="alert-acknowledged-by">
          Acknowledged by {alert.acknowledgedBy}
          {alert.acknowledgedAt ? ` at ${clockTime(alert.acknowledgedAt)}` : ''}
        </p>
      )}
      {alert.state === 'resolved' && (
        <p className="alert-actions__who" data-testid="alert-resolved-by">
          Resolved by {alert.resolvedBy ?? 'unknown'}
          {alert.resolvedAt ? ` at ${clockTime(alert.resolvedAt)}` : ''}
          {alert.resolutionNote ? `: “${alert.resolutionNote}”` : ''}
        </p>
      )}
      {alert.state !== 'resolved' && !resolving && (
        <div className="alert-actions__buttons">
          {alert.condition === 'post_fall_obs' && alert.patientId && (
            <RecordObservationsLink patientId={alert.patientId} />
          )}
          {alert.state === 'open' && (
            <button
              type="button"
              className="button button--small"
              disabled={busy}
              onClick={() => void acknowledge()}
              data-testid="alert-acknowledge"
              aria-label={`Acknowledge: ${label}`}
            >
              Acknowledge
            </button>
          )}
          <button
            type="button"
            className="button button--small button--secondary"
            disabled={busy}
            onClick={() => {
              setResolving(true);
              setTimeout(() => noteRef.current?.focus(), 0);
            }}
            data-testid="alert-resolve"
            aria-label={`Resolve: ${label}`}
          >
            Resolve…
          </button>
        </div>
      )}
      {resolving && alert.state !== 'resolved' && (
        <form className="alert-resolve" onSubmit={(e) => void resolve(e)} noValidate>
          <label htmlFor={`${id}-note`} className="alert-resolve__label">
            What was done? (required)
          </label>
          {noteError && (
            <p className="field-error" id={`${id}-note-error`}>
              <span className="visually-hidden">Error:</span> {noteError}
            </p>
          )}
          <textarea
            id={`${id}-note`}
            ref={noteRef}
            className="input alert-resolve__note"
            rows={2}
            maxLength={2000}
            value={note}
            aria-invalid={noteError ? true : undefined}
            aria-describedby={noteError ? `${id}-note-error` : undefined}
            onChange={(e) => {
              setNote(e.target.value);
              if (noteError) setNoteError(null);
            }}
            data-testid="alert-resolve-note"
          />
          <div className="alert-actions__buttons">
            <button
              type="submit"
              className="button button--small"
              disabled={busy}
              data-testid="alert-resolve-submit"
            >
              Resolve alert
            </button>
            <button
              type="button"
              className="button button--small button--secondary"
              onClick={() => setResolving(false)}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A post-fall prompt's way to the form that completes it, on the resident's page. */
function RecordObservationsLink({ patientId }: { patientId: string }) {
  const path = routePath({ name: 'patient', patientId });
  return (
    <a
      className="button button--small"
      href={`${path}#${MANUAL_OBSERVATIONS_ANCHOR}`}
      data-testid="alert-record-observations"
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate({ name: 'patient', patientId });
        focusManualObservations();
      }}
    >
      Record observations
    </a>
  );
}
