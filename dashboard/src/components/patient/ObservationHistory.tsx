import { useMemo, useState } from 'react';
import type { PatientHistory } from '../../hooks/usePatientHistory.js';
import { kindLabel, observationValue } from '../../lib/observations.js';
import { formatAbsolute, MINUTE, parseTime } from '../../lib/time.js';
import { TimeAgo } from '../TimeAgo.js';
import { qualityNotes } from '../../lib/quality.js';

const PAGE = 50;
/** A reading that reached the server this much after it was taken is marked as late. */
const LATE_MS = 5 * MINUTE;

interface Props {
  history: PatientHistory;
  now: number;
}

/** The last seven days of observations, newest first, filterable by kind. */
export function ObservationHistory({ history, now }: Props) {
  const [shown, setShown] = useState(PAGE);
  const [kind, setKind] = useState('');
  const { entries } = history;
  const kinds = useMemo(() => [...new Set((entries ?? []).map((e) => e.observation.kind))].sort(), [entries]);
  const filtered = useMemo(
    () => (entries ?? []).filter((e) => !kind || e.observation.kind === kind),
    [entries, kind],
  );
  const rows = filtered.slice(0, shown);

  return (
    <section className="panel" aria-labelledby="history-title">
      <div className="panel__header">
        <h2 id="history-title" className="panel__title">
          Observation history
        </h2>
        {kinds.length > 1 && (
          <div className="inline-field">
            <label htmlFor="history-kind">Show</label>
            <select
              id="history-kind"
              value={kind}
              onChange={(e) => {
                setKind(e.target.value);
                setShown(PAGE);
              }}
              data-testid="history-kind"
            >
              <option value="">All observations</option>
              {kinds.map((k) => (
                <option key={k} value={k}>
                  {kindLabel(k)}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      {entries === null ? (
        <p role="status">
          {history.errorMessage ? `History could not be loaded. ${history.errorMessage}` : 'Loading history…'}
        </p>
      ) : filtered.length === 0 ? (
        <p data-testid="history-empty">No observations in the last 7 days.</p>
      ) : (
        <>
          <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="history-title">
            <table className="data-table" data-testid="history-table">
              <caption className="visually-hidden">
                Observations from the last 7 days, newest first. Showing {rows.length} of {filtered.length}.
              </caption>
              <thead>
                <tr>
                  <th scope="col">Taken</th>
                  <th scope="col">Observation</th>
                  <th scope="col">Value</th>
                  <th scope="col">Device</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => {
                  const receivedAt = parseTime(e.receivedAt);
                  const late = receivedAt !== null && receivedAt - e.measuredAt > LATE_MS;
                  return (
                    <tr key={e.observation.id} data-testid="history-row" data-kind={e.observation.kind}>
                      <td>
                        {formatAbsolute(e.measuredAt)}
                        <span className="data-table__sub">
                          <TimeAgo at={e.measuredAt} now={now} />
                          {late && receivedAt !== null && <> · arrived {formatAbsolute(receivedAt)}</>}
                        </span>
                      </td>
                      <td>{kindLabel(e.observation.kind)}</td>
                      <td className="data-table__value">
                        {observationValue(e.observation)}
                        {qualityNotes(e.observation.quality).map((n) => (
                          <span
                            key={n.flag}
                            className="data-table__sub history-quality"
                            data-testid="history-quality"
                            data-flag={n.flag}
                          >
                            {n.text}
                          </span>
                        ))}
                      </td>
                      <td className="mono">{e.observation.deviceId}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <p className="table-footer">
            Showing {rows.length} of {filtered.length}
            {history.truncated &&
              ' (too many readings this week: the newest may be missing, reload to fetch them)'}
            .{' '}
            {filtered.length > shown && (
              <button
                type="button"
                className="button button--secondary"
                onClick={() => setShown((n) => n + PAGE)}
              >
                Show {Math.min(PAGE, filtered.length - shown)} more
              </button>
            )}
          </p>
        </>
      )}
    </section>
  );
}
