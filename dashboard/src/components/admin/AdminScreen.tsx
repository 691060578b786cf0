import { useCallback, useEffect, useState } from 'react';
import { useNow } from '../../hooks/useNow.js';
import { formatAbsolute } from '../../lib/time.js';
import { AlertSettingsSection } from './AlertSettingsSection.js';
import { DeadLettersSection } from './DeadLettersSection.js';
import { DevicesSection } from './DevicesSection.js';
import { GatewaysSection } from './GatewaysSection.js';
import { ResidentsSection } from './ResidentsSection.js';
import { useAdminData } from './useAdminData.js';
import { AdminPagesNav } from './forms.js';

interface Props {
  deadLetterCode: string | null;
}

/**
 * /admin — admissions and discharges, devices and their assignment, gateways and rejected
 * messages. Not live: it reloads after every change and on "Refresh", and says when it loaded.
 */
export function AdminScreen({ deadLetterCode }: Props) {
  const [state, reload] = useAdminData();
  const [message, setMessage] = useState<string | null>(null);
  const now = useNow(30_000);

  useEffect(() => {
    document.title = 'Admin — Wardline';
    return () => {
      document.title = 'Wardline';
    };
  }, []);

  const changed = useCallback(
    async (text: string) => {
      setMessage(text);
      await reload();
    },
    [reload],
  );

  const data = state.data;
  return (
    <main id="main" className="page page--admin" tabIndex={-1}>
      <div className="ward-toolbar">
        <div className="ward-toolbar__title">
          <h1 className="ward-toolbar__name">Admin</h1>
          {data && <p className="ward-toolbar__meta">Loaded {formatAbsolute(data.loadedAt)}</p>}
        </div>
        <button
          type="button"
          className="button button--secondary"
          onClick={() => {
            setMessage(null);
            void reload();
          }}
          disabled={state.status === 'loading'}
          data-testid="admin-refresh"
        >
          {state.status === 'loading' && data ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <AdminPagesNav />
      <nav aria-label="Sections of this page" className="section-nav">
        <ul>
          <li>
            <a href="#residents">Residents</a>
          </li>
          <li>
            <a href="#alert-settings">Alert settings</a>
          </li>
          <li>
            <a href="#devices">Devices</a>
          </li>
          <li>
            <a href="#gateways">Gateways</a>
          </li>
          <li>
            <a href="#rejected">Rejected messages</a>
          </li>
        </ul>
      </nav>
      <div role="status" className="admin-message-region">
        {message && (
          <p className="success-message" data-testid="admin-message">
            {message}
          </p>
        )}
      </div>
      {state.status === 'failed' && (
        <div className="error-summary" role="alert">
          <h2 className="error-summary__title">Some information could not be loaded</h2>
          <p>{state.message}</p>
        </div>
      )}
      {data ? (
        <>
          <ResidentsSection data={data} onChanged={changed} />
          <AlertSettingsSection residents={data.residents} />
          <DevicesSection data={data} now={now} onChanged={changed} />
          <GatewaysSection
            gateways={data.gateways}
            wardName={(id) => data.wards.find((w) => w.id === id)?.name ?? id}
            now={now}
          />
        </>
      ) : (
        state.status === 'loading' && <p role="status">Loading…</p>
      )}
      <DeadLettersSection code={deadLetterCode} />
    </main>
  );
}
