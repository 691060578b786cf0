import type { Alert } from '@wardline/protocol';
import { useEffect, useMemo, useState } from 'react';
import { listPatients, listWards, type AlertQuery } from '../../api/client.js';
import { useAlertFeed } from '../../hooks/useAlertFeed.js';
import { useNow } from '../../hooks/useNow.js';
import { useResource } from '../../hooks/useResource.js';
import type { SocketState } from '../../hooks/useSocket.js';
import { compareAlerts, dateTime, escalationText, clockTime, PRIORITY_LABEL } from '../../lib/alerts.js';
import { Link } from '../../routing/Link.js';
import { navigate } from '../../routing/navigation.js';
import type { AlertFilters } from '../../routing/routes.js';
import { TimeAgo } from '../TimeAgo.js';
import { AlertActions } from './AlertActions.js';

interface Props {
  filters: AlertFilters;
  socket: SocketState;
}

const STATE_LABEL: Record<AlertFilters['state'], string> = {
  unresolved: 'Not resolved (open or acknowledged)',
  open: 'Open',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  all: 'All',
};

function matches(a: Alert, f: AlertFilters): boolean {
  if (f.wardId && a.wardId !== f.wardId) return false;
  if (f.priority && a.priority !== f.priority) return false;
  if (f.state === 'unresolved') return a.state !== 'resolved';
  if (f.state !== 'all') return a.state === f.state;
  return true;
}

/**
 * /alerts — every alert the nurse's wards have, filtered by state, priority and ward (the
 * filters live in the address, so a filtered view can be bookmarked). Live: new alerts and
 * transitions arrive over the socket; a reconnection refetches.
 */
export function AlertsInbox({ filters, socket }: Props) {
  const now = useNow(15_000);
  const [wards] = useResource((signal) => listWards(signal), []);
  const [patients] = useResource((signal) => listPatients(signal), []);
  const wardIds = useMemo(() => (wards.data ?? []).map((w) => w.id), [wards.data]);

  const query = useMemo<AlertQuery>(
    () => ({
      ...(filters.state === 'all' ? {} : { state: filters.state }),
      ...(filters.wardId ? { wardId: filters.wardId } : {}),
      limit: 500,
    }),
    [filters.state, filters.wardId],
  );
  const feed = useAlertFeed(socket, {
    queries: [query],
    joinWards: wardIds,
    leaveOnUnmount: true,
    accept: (a) => (filters.wardId ? a.wardId === filters.wardId : true),
  });

  const shown = useMemo(
    () =>
      feed.alerts ? [...feed.alerts.values()].filter((a) => matches(a, filters)).sort(compareAlerts) : null,
    [feed.alerts, filters],
  );
  const names = useMemo(() => new Map((patients.data ?? []).map((p) => [p.id, p])), [patients.data]);
  const wardName = (id: string | null) => (id ? (wards.data?.find((w) => w.id === id)?.name ?? id) : '');

  // A polite count, so a screen reader hears the filter took effect.
  const [status, setStatus] = useState('');
  useEffect(() => {
    if (shown) setStatus(`${shown.length} ${shown.length === 1 ? 'alert' : 'alerts'} shown`);
  }, [shown]);

  useEffect(() => {
    document.title = 'Alerts — Wardline';
    return () => {
      document.title = 'Wardline';
    };
  }, []);

  const setFilter = (change: Partial<AlertFilters>) =>
    navigate({ name: 'alerts', filters: { ...filters, ...change } }, { replace: true });

  return (
    <main id="main" className="page page--alerts" tabIndex={-1}>
      <h1 className="page__title">Alerts</h1>
      <form className="alert-filters" aria-label="Filter alerts" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="filter-state">State</label>
          <select
            id="filter-state"
            value={filters.state}
            onChange={(e) => setFilter({ state: e.target.value as AlertFilters['state'] })}
            data-testid="filter-state"
          >
            {(Object.keys(STATE_LABEL) as AlertFilters['state'][]).map((s) => (
              <option key={s} value={s}>
                {STATE_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-priority">Priority</label>
          <select
            id="filter-priority"
            value={filters.priority ?? ''}
            onChange={(e) => setFilter({ priority: (e.target.value || null) as AlertFilters['priority'] })}
            data-testid="filter-priority"
          >
            <option value="">Any priority</option>
            {(['critical', 'high', 'medium', 'low'] as const).map((p) => (
              <option key={p} value={p}>
                {PRIORITY_LABEL[p]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-ward">Ward</label>
          <select
            id="filter-ward"
            value={filters.wardId ?? ''}
            onChange={(e) => setFilter({ wardId: e.target.value || null })}
            data-testid="filter-ward"
          >
            <option value="">All my wards</option>
            {(wards.data ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </div>
      </form>

      <p className="visually-hidden" role="status">
        {status}
      </p>
      {feed.state === 'failed' && (
        <p className="notice" role="alert">
          Alerts could not be loaded: {feed.errorMessage} Retrying…
        </p>
      )}
      {shown === null ? (
        <p role="status">Loading alerts…</p>
      ) : shown.length === 0 ? (
        <p data-testid="alerts-empty">No alerts match these filters.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table alerts-table" data-testid="alerts-table">
            <caption className="visually-hidden">Alerts, most urgent first</caption>
            <thead>
              <tr>
                <th scope="col">Priority</th>
                <th scope="col">Alert</th>
                <th scope="col">Resident</th>
                <th scope="col">Opened</th>
                <th scope="col">Escalation</th>
                <th scope="col">Status and actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((a) => {
                const p = a.patientId ? names.get(a.patientId) : undefined;
                return (
                  <tr
                    key={a.id}
                    data-testid="alert-row"
                    data-alert-id={a.id}
                    data-state={a.state}
                    data-condition={a.condition}
                    data-priority={a.priority}
                  >
                    <td>
                      <span className={`priority-tag priority-tag--${a.priority}`}>
                        {PRIORITY_LABEL[a.priority]}
                      </span>
                    </td>
                    <th scope="row">
                      <strong>{a.title}</strong>
                      <span className="data-table__sub">{a.message}</span>
                      {a.occurrences > 1 && <span className="data-table__sub">{a.occurrences} times</span>}
                    </th>
                    <td>
                      {a.patientId ? (
                        <Link to={{ name: 'patient', patientId: a.patientId }}>
                          {p?.displayName ?? a.patientId}
                        </Link>
                      ) : (
                        '—'
                      )}
                      <span className="data-table__sub">
                        {[p?.bedLabel, wardName(a.wardId)].filter(Boolean).join(' · ')}
                      </span>
                    </td>
                    <td>
                      <TimeAgo at={Date.parse(a.openedAt)} now={now} />
                      <span className="data-table__sub">{dateTime(a.openedAt)}</span>
                    </td>
                    <td data-testid="alert-escalation">{escalationText(a, clockTime)}</td>
                    <td>
                      <span className={`state-tag state-tag--${a.state}`}>{a.state}</span>
                      <AlertActions alert={a} onChanged={feed.apply} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
