import type { Bed, Site, Ward } from '@wardline/protocol';
import { useState, type FormEvent } from 'react';
import { listWards } from '../../api/client.js';
import {
  closeBed,
  closeSite,
  closeWard,
  createBeds,
  createSite,
  createWard,
  listBedList,
  listSites,
  renameBed,
  renameSite,
  renameWard,
} from '../../api/organisation.js';
import { useResource } from '../../hooks/useResource.js';
import {
  parseBedLabels,
  suggestSiteCode,
  validateBedLabels,
  validateSite,
  validateWard,
} from '../../lib/organisation.js';
import { AdminForm } from './AdminForm.js';
import { siteOrOnly, SiteSelect } from './choices.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { DataTable } from './DataTable.js';
import { ErrorSummary } from './ErrorSummary.js';
import { LoadError, Page, SelectInput, TextArea, TextInput, useConfirmedChange, useForm } from './forms.js';

const KIND_LABEL = { care_home: 'Care home', virtual_ward: 'Virtual ward' } as const;

interface Places {
  sites: Site[];
  wards: Ward[];
}

/** /admin/places — the organisation's sites, their wards and the wards' beds. */
export function PlacesScreen() {
  const [places, reload] = useResource<Places>(async (signal) => {
    const [sites, wards] = await Promise.all([listSites(signal), listWards(signal)]);
    return { sites, wards };
  }, []);
  const [message, setMessage] = useState<string | null>(null);
  const [openWard, setOpenWard] = useState<string | null>(null);
  const changed = (text: string) => {
    setMessage(text);
    reload();
  };
  const data = places.data;
  const openSites = data?.sites.filter((s) => !s.closedAt) ?? [];

  return (
    <Page
      title="Places"
      adminRoute={{ name: 'places' }}
      lead="Sites (a care home or a virtual-ward hub) hold wards, and wards hold beds."
      message={message}
      testId="places-screen"
    >
      {places.status === 'failed' && <LoadError message={places.message} />}
      {!data && places.status === 'loading' && <p role="status">Loading…</p>}
      <section className="panel" aria-labelledby="new-site-title">
        <CreateSiteForm onCreated={(site) => changed(`${site.name} was created.`)} />
      </section>
      {data && (
        <section className="panel" aria-labelledby="new-ward-title">
          <CreateWardForm
            sites={openSites}
            onCreated={(ward) => {
              setOpenWard(ward.id);
              changed(`${ward.name} was created.`);
            }}
          />
        </section>
      )}
      {data?.sites.map((site) => (
        <SitePanel
          key={site.id}
          site={site}
          wards={data.wards.filter((w) => w.siteCode === site.code)}
          openWard={openWard}
          onOpenWard={setOpenWard}
          onChanged={changed}
        />
      ))}
      {data && data.sites.length === 0 && <p>There are no sites yet. Create the first one above.</p>}
    </Page>
  );
}

function CreateSiteForm({ onCreated }: { onCreated: (site: Site) => void }) {
  const [name, setName] = useState('');
  const [code, setCode] = useState('');
  const [codeTouched, setCodeTouched] = useState(false);
  const [kind, setKind] = useState<'care_home' | 'virtual_ward'>('care_home');
  const form = useForm<'name' | 'code'>({
    conflict: 'A site with this code already exists. Choose another code.',
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => validateSite({ name, code }),
      async () => {
        const site = await createSite({ name: name.trim(), code, kind });
        setName('');
        setCode('');
        setCodeTouched(false);
        onCreated(site);
      },
    );
  };

  return (
    <AdminForm
      title={{ id: 'new-site-title', text: 'Create a site', level: 2 }}
      onSubmit={submit}
      form={form}
      summary={form.items('site')}
      summaryTestId="site-error"
      submit={{ label: 'Create site', busyLabel: 'Creating…', testId: 'site-submit' }}
      fields={
        <>
          <TextInput
            id="site-name"
            label="Site name"
            error={form.errors.name}
            value={name}
            maxLength={120}
            onChange={(v) => {
              setName(v);
              if (!codeTouched) setCode(suggestSiteCode(v));
            }}
          />
          <TextInput
            id="site-code"
            label="Site code"
            hint="Lower-case letters, numbers and hyphens. Gateways use it; it cannot be changed later."
            error={form.errors.code}
            value={code}
            maxLength={63}
            onChange={(v) => {
              setCodeTouched(true);
              setCode(v);
            }}
          />
          <SelectInput
            id="site-kind"
            label="Kind of site"
            error={undefined}
            value={kind}
            onChange={(v) => setKind(v === 'virtual_ward' ? 'virtual_ward' : 'care_home')}
            options={[
              { value: 'care_home', label: KIND_LABEL.care_home },
              { value: 'virtual_ward', label: KIND_LABEL.virtual_ward },
            ]}
          />
        </>
      }
    />
  );
}

function CreateWardForm({ sites, onCreated }: { sites: Site[]; onCreated: (ward: Ward) => void }) {
  const [siteId, setSiteId] = useState('');
  const [name, setName] = useState('');
  const [beds, setBeds] = useState('');
  const [prefix, setPrefix] = useState('Bed');
  const form = useForm<'siteId' | 'name' | 'beds'>();
  const chosenSite = siteOrOnly(siteId, sites);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => validateWard({ siteId: chosenSite, name, beds }),
      async () => {
        const count = beds.trim() ? Number(beds) : 0;
        const ward = await createWard({
          siteId: chosenSite,
          name: name.trim(),
          ...(count > 0 && { beds: count, bedLabelPrefix: prefix.trim() || 'Bed' }),
        });
        setName('');
        setBeds('');
        onCreated(ward);
      },
    );
  };

  return (
    <AdminForm
      title={{ id: 'new-ward-title', text: 'Create a ward', level: 2 }}
      onSubmit={submit}
      form={form}
      summary={form.items('ward')}
      summaryTestId="ward-error"
      submit={{ label: 'Create ward', busyLabel: 'Creating…', testId: 'ward-submit' }}
      fields={
        <>
          <SiteSelect
            id="ward-siteId"
            options={sites}
            error={form.errors.siteId}
            value={siteId}
            onChange={setSiteId}
            hint={sites.length === 0 ? 'Create a site first.' : undefined}
          />
          <TextInput
            id="ward-name"
            label="Ward name"
            error={form.errors.name}
            value={name}
            onChange={setName}
            maxLength={120}
          />
          <TextInput
            id="ward-beds"
            label="Number of beds (optional)"
            hint="You can add, rename and close beds later."
            error={form.errors.beds}
            value={beds}
            onChange={setBeds}
            inputMode="numeric"
            maxLength={3}
          />
          <TextInput
            id="ward-prefix"
            label="Bed label"
            hint="Beds are labelled with this and a number, for example “Bed 1”."
            error={undefined}
            value={prefix}
            onChange={setPrefix}
            maxLength={40}
          />
        </>
      }
    />
  );
}

interface SitePanelProps {
  site: Site;
  wards: Ward[];
  openWard: string | null;
  onOpenWard: (wardId: string | null) => void;
  onChanged: (message: string) => void;
}

function SitePanel({ site, wards, openWard, onOpenWard, onChanged }: SitePanelProps) {
  const titleId = `site-${site.id}-title`;
  return (
    <section className="panel" aria-labelledby={titleId} data-testid="site-panel" data-site-code={site.code}>
      <div className="panel__header">
        <h2 id={titleId} className="panel__title">
          {site.name}{' '}
          <span className="muted">
            ({KIND_LABEL[site.kind]}, code <span className="mono">{site.code}</span>)
          </span>
          {site.closedAt && <span className="state-tag"> Closed</span>}
        </h2>
      </div>
      {!site.closedAt && (
        <RenameAndClose
          what="site"
          name={site.name}
          onRename={async (n) => {
            await renameSite(site.id, n);
            onChanged(`The site is now called ${n}.`);
          }}
          closeWarning="Its wards close with it and no new patients can be admitted there. Its history is kept."
          onClose={async () => {
            await closeSite(site.id);
            onChanged(`${site.name} was closed.`);
          }}
        />
      )}
      {wards.length === 0 ? (
        <p>No wards at this site.</p>
      ) : (
        <ul className="ward-list">
          {wards.map((w) => (
            <li key={w.id} className="ward-list__item" data-testid="ward-item">
              <h3 className="ward-list__name">{w.name}</h3>
              <p className="ward-list__meta">
                {w.bedCount} {w.bedCount === 1 ? 'bed' : 'beds'}
              </p>
              <button
                type="button"
                className="button button--secondary button--small"
                aria-expanded={openWard === w.id}
                onClick={() => onOpenWard(openWard === w.id ? null : w.id)}
                data-testid="ward-manage"
              >
                {openWard === w.id ? 'Hide' : 'Manage'}
                <span className="visually-hidden"> {w.name}</span>
              </button>
              {openWard === w.id && <WardDetail ward={w} onChanged={onChanged} />}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function WardDetail({ ward, onChanged }: { ward: Ward; onChanged: (message: string) => void }) {
  const [beds, reload] = useResource<Bed[]>((signal) => listBedList(ward.id, signal), [ward.id]);
  const [labels, setLabels] = useState('');
  const form = useForm<'labels'>({ conflict: 'A bed with one of these labels already exists on this ward.' });
  const changed = (text: string) => {
    reload();
    onChanged(text);
  };

  const addBeds = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => {
        const error = validateBedLabels(labels);
        return error ? { labels: error } : {};
      },
      async () => {
        const created = await createBeds(ward.id, { labels: parseBedLabels(labels) });
        setLabels('');
        changed(`${created.length} ${created.length === 1 ? 'bed was' : 'beds were'} added to ${ward.name}.`);
      },
    );
  };

  return (
    <div className="ward-detail" data-testid="ward-detail">
      <RenameAndClose
        what="ward"
        name={ward.name}
        onRename={async (n) => {
          await renameWard(ward.id, n);
          onChanged(`The ward is now called ${n}.`);
        }}
        closeWarning="Patients must be discharged or moved first. Its history is kept."
        onClose={async () => {
          await closeWard(ward.id);
          onChanged(`${ward.name} was closed.`);
        }}
      />
      {beds.status === 'failed' && <LoadError message={beds.message} />}
      {beds.data && (
        <DataTable testId="bed-table" caption={`Beds on ${ward.name}`} columns={['Bed', 'State', null]}>
          {beds.data.map((b) => (
            <tr key={b.id} data-testid="bed-row">
              <th scope="row">{b.label}</th>
              <td>{b.closedAt ? 'Closed' : b.patientId ? 'Occupied' : 'Free'}</td>
              <td className="data-table__actions">
                {!b.closedAt && (
                  <RenameAndClose
                    what="bed"
                    name={b.label}
                    compact
                    onRename={async (n) => {
                      await renameBed(b.id, n);
                      changed(`The bed is now labelled ${n}.`);
                    }}
                    closeWarning={
                      b.patientId
                        ? 'The bed has a patient: discharge or move them first.'
                        : 'No one can be admitted to it afterwards.'
                    }
                    onClose={async () => {
                      await closeBed(b.id);
                      changed(`${b.label} was closed.`);
                    }}
                  />
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <AdminForm
        title={{ id: `add-beds-${ward.id}`, text: 'Add beds', level: 4 }}
        onSubmit={addBeds}
        form={form}
        summary={form.items('beds')}
        summaryTestId="beds-error"
        submit={{ label: 'Add beds', busyLabel: 'Adding…', testId: 'beds-submit', secondary: true }}
      >
        <TextArea
          id="beds-labels"
          label="Bed labels"
          hint="One per line, or separated by commas."
          error={form.errors.labels}
          value={labels}
          onChange={setLabels}
          rows={3}
        />
      </AdminForm>
    </div>
  );
}

interface RenameAndCloseProps {
  what: 'site' | 'ward' | 'bed' | 'organisation';
  name: string;
  compact?: boolean;
  closeWarning: string;
  onRename: (name: string) => Promise<void>;
  onClose: () => Promise<void>;
}

/** Rename (an inline form that opens on request) and close (after confirmation) one place. */
export function RenameAndClose({
  what,
  name,
  compact,
  closeWarning,
  onRename,
  onClose,
}: RenameAndCloseProps) {
  const [renaming, setRenaming] = useState(false);
  const [value, setValue] = useState(name);
  const [confirming, setConfirming] = useState(false);
  const closing = useConfirmedChange();
  const form = useForm<'name'>();
  const id = `rename-${what}-${name.replace(/\W+/g, '-')}`;

  const rename = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => {
        const v = value.trim();
        if (!v) return { name: `Enter the ${what}’s new name` };
        if (v.length > (what === 'bed' ? 40 : 120)) return { name: 'The name is too long' };
        return {};
      },
      async () => {
        await onRename(value.trim());
        setRenaming(false);
      },
    );
  };

  return (
    <div className={compact ? 'inline-actions inline-actions--compact' : 'inline-actions'}>
      {renaming ? (
        <form onSubmit={rename} noValidate className="inline-field">
          <ErrorSummary
            items={form.items('rename')}
            code={form.apiError?.code}
            testId="rename-error"
            attempt={form.attempt}
          />
          <TextInput
            id={id}
            label={`New name for ${name}`}
            error={form.errors.name}
            value={value}
            onChange={setValue}
          />
          <button type="submit" className="button button--small" disabled={form.busy}>
            Save
          </button>
          <button
            type="button"
            className="button button--secondary button--small"
            onClick={() => setRenaming(false)}
          >
            Cancel
          </button>
        </form>
      ) : (
        <button
          type="button"
          className="button button--secondary button--small"
          onClick={() => {
            setValue(name);
            setRenaming(true);
          }}
          data-testid={`rename-${what}`}
        >
          Rename<span className="visually-hidden"> {name}</span>
        </button>
      )}{' '}
      <button
        type="button"
        className="button button--warning button--small"
        onClick={() => {
          closing.setError(null);
          setConfirming(true);
        }}
        data-testid={`close-${what}`}
      >
        Close<span className="visually-hidden"> {name}</span>
      </button>
      <ConfirmDialog
        open={confirming}
        title={`Close ${name}?`}
        confirmLabel={closing.busy ? 'Closing…' : `Yes, close the ${what}`}
        busy={closing.busy}
        error={closing.error}
        onCancel={() => setConfirming(false)}
        onConfirm={() =>
          void closing.run(async () => {
            await onClose();
            setConfirming(false);
          })
        }
      >
        <p>{closeWarning}</p>
      </ConfirmDialog>
    </div>
  );
}
