import type { AuditEvent } from '@wardline/protocol';
import { useEffect, useState, type ComponentProps, type FormEvent } from 'react';
import { describeError } from '../../api/client.js';
import { auditExportUrl, listAudit, type AuditFilters } from '../../api/organisation.js';
import { formatAbsolute } from '../../lib/time.js';
import { dayBoundary } from '../../lib/organisation.js';
import { Link } from '../../routing/Link.js';
import { DataTable } from './DataTable.js';
import { LoadError, Page, TextInput } from './forms.js';

const PAGE = 100;

interface FilterForm {
  patientId: string;
  actor: string;
  action: string;
  from: string;
  to: string;
}

const EMPTY: FilterForm = { patientId: '', actor: '', action: '', from: '', to: '' };

const FILTER_FIELDS: ({ key: keyof FilterForm } & Pick<
  ComponentProps<typeof TextInput>,
  'id' | 'label' | 'hint' | 'type' | 'maxLength'
>)[] = [
  { key: 'patientId', id: 'audit-patient', label: 'Patient ID', maxLength: 128 },
  { key: 'actor', id: 'audit-actor', label: 'User', hint: 'Their username.', maxLength: 128 },
  {
    key: 'action',
    id: 'audit-action',
    label: 'Action',
    hint: 'For example patient.view or kit.revoke.',
    maxLength: 64,
  },
  { key: 'from', id: 'audit-from', label: 'From', type: 'date' },
  { key: 'to', id: 'audit-to', label: 'To', type: 'date' },
];

export function auditFilters(f: FilterForm): AuditFilters {
  const from = dayBoundary(f.from, false);
  const to = dayBoundary(f.to, true);
  return {
    ...(f.patientId.trim() && { patientId: f.patientId.trim() }),
    ...(f.actor.trim() && { actor: f.actor.trim() }),
    ...(f.action.trim() && { action: f.action.trim() }),
    ...(from && { from }),
    ...(to && { to }),
  };
}

/** /admin/audit — who did what, to which patient, when and from where; newest first. */
export function AuditScreen() {
  const [form, setForm] = useState<FilterForm>(EMPTY);
  const [filters, setFilters] = useState<AuditFilters>({});
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [more, setMore] = useState(false);
  const [status, setStatus] = useState<{ loading: boolean; error: string | null }>({
    loading: true,
    error: null,
  });

  const load = async (f: AuditFilters, before: number | undefined, signal?: AbortSignal) => {
    setStatus({ loading: true, error: null });
    try {
      const page = await listAudit(f, { limit: PAGE, ...(before !== undefined && { before }) }, signal);
      if (signal?.aborted) return;
      setEvents((prev) => (before === undefined ? page : [...prev, ...page]));
      setMore(page.length === PAGE);
      setStatus({ loading: false, error: null });
    } catch (err) {
      if (signal?.aborted) return;
      setStatus({ loading: false, error: describeError(err) });
    }
  };

  useEffect(() => {
    const abort = new AbortController();
    void load(filters, undefined, abort.signal);
    return () => abort.abort();
  }, [filters]);

  const search = (e: FormEvent) => {
    e.preventDefault();
    setFilters(auditFilters(form));
  };

  return (
    <Page
      title="Audit"
      adminRoute={{ name: 'audit' }}
      lead="Every view of a patient’s record and every change, newest first."
      testId="audit-screen"
    >
      <section className="panel" aria-labelledby="audit-filter-title">
        <h2 id="audit-filter-title" className="panel__title">
          Filter
        </h2>
        <form className="admin-form" onSubmit={search} noValidate aria-labelledby="audit-filter-title">
          <div className="admin-form__fields">
            {FILTER_FIELDS.map(({ key, ...spec }) => (
              <TextInput
                key={key}
                {...spec}
                error={undefined}
                value={form[key]}
                onChange={(v) => setForm({ ...form, [key]: v })}
              />
            ))}
          </div>
          <button type="submit" className="button" data-testid="audit-search">
            Show events
          </button>{' '}
          <a
            className="button button--secondary"
            href={auditExportUrl(filters)}
            download
            data-testid="audit-export"
          >
            Export these events (CSV)
          </a>
        </form>
      </section>
      <section className="panel" aria-labelledby="audit-title">
        <h2 id="audit-title" className="panel__title">
          Events
        </h2>
        {status.error && <LoadError message={status.error} />}
        {events.length === 0 && !status.loading && !status.error && <p>No events match.</p>}
        {events.length > 0 && (
          <DataTable
            testId="audit-table"
            labelledBy="audit-title"
            columns={['When', 'Who', 'Action', 'Patient', 'What', 'From']}
          >
            {events.map((e) => (
              <tr key={e.id} data-testid="audit-row" data-action={e.action}>
                <td>{formatAbsolute(Date.parse(e.at))}</td>
                <th scope="row">
                  {e.actor}
                  {e.actorRole && <span className="data-table__sub"> {e.actorRole}</span>}
                </th>
                <td className="mono">{e.action}</td>
                <td className="mono">
                  {e.patientId && (
                    <Link to={{ name: 'patientRecord', patientId: e.patientId }}>{e.patientId}</Link>
                  )}
                </td>
                <td>
                  {e.targetType && `${e.targetType} `}
                  <span className="mono">{e.targetId ?? ''}</span>
                </td>
                <td className="mono">{e.address ?? ''}</td>
              </tr>
            ))}
          </DataTable>
        )}
        <div role="status">{status.loading && <p>Loading…</p>}</div>
        {more && !status.loading && (
          <button
            type="button"
            className="button button--secondary"
            onClick={() => void load(filters, events[events.length - 1]?.id)}
            data-testid="audit-more"
          >
            Load older events
          </button>
        )}
      </section>
    </Page>
  );
}
