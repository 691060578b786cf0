import type { Kit, KitCredentialsResponse, KitPage, PatientListItem, Site } from '@wardline/protocol';
import { DEVICE_MODELS } from '@wardline/protocol/device-models';
import { useState, type FormEvent, type ReactNode } from 'react';
import {
  getKit,
  issueKit,
  listKits,
  listSites,
  registerKit,
  returnKit,
  revokeKit,
  rotateKit,
  searchPatients,
} from '../../api/organisation.js';
import { useNow } from '../../hooks/useNow.js';
import { useResource } from '../../hooks/useResource.js';
import { formatAbsolute, formatAgo, parseTime } from '../../lib/time.js';
import { parseKitDevices, SITE_CODE_PATTERN } from '../../lib/organisation.js';
import { Link } from '../../routing/Link.js';
import { AdminForm } from './AdminForm.js';
import { siteOrOnly, SiteSelect } from './choices.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { DataTable } from './DataTable.js';
import {
  downloadText,
  LoadError,
  Page,
  SelectInput,
  TextArea,
  TextInput,
  useConfirmedChange,
  useForm,
} from './forms.js';

/** /kits — the organisation's gateway kits; admins register new ones. */
export function KitsScreen({ canRegister }: { canRegister: boolean }) {
  const [kits, reload] = useResource<{ kits: Kit[]; sites: Site[] }>(
    async (signal) => {
      const [list, sites] = await Promise.all([
        listKits(signal),
        canRegister ? listSites(signal) : Promise.resolve([]),
      ]);
      return { kits: list, sites };
    },
    [canRegister],
  );
  const [issued, setIssued] = useState<KitCredentialsResponse | null>(null);
  const data = kits.data;

  return (
    <Page
      title="Kits"
      adminRoute={canRegister ? { name: 'kits' } : null}
      lead="A kit is a hub and its devices, at a site or in a patient’s home."
      message={issued ? `${issued.kit.label} was registered.` : null}
      testId="kits-screen"
    >
      {issued && <ProvisioningNotice issued={issued} onDismiss={() => setIssued(null)} />}
      {kits.status === 'failed' && <LoadError message={kits.message} />}
      {data && canRegister && (
        <section className="panel" aria-labelledby="register-kit-title">
          <RegisterKitForm
            sites={data.sites.filter((s) => !s.closedAt)}
            onRegistered={(res) => {
              setIssued(res);
              reload();
            }}
          />
        </section>
      )}
      <section className="panel" aria-labelledby="kits-title">
        <h2 id="kits-title" className="panel__title">
          Kits
        </h2>
        {data && data.kits.length === 0 && <p>No kits are registered.</p>}
        {data && data.kits.length > 0 && (
          <DataTable testId="kits-table" labelledBy="kits-title" columns={['Kit', 'Hub', 'Devices', 'State']}>
            {data.kits.map((k) => (
              <tr key={k.id} data-testid="kit-row" data-kit-id={k.id}>
                <th scope="row">
                  <Link to={{ name: 'kit', kitId: k.id }}>{k.label}</Link>
                </th>
                <td className="mono">{k.username}</td>
                <td>{k.devices.length}</td>
                <td>{kitState(k)}</td>
              </tr>
            ))}
          </DataTable>
        )}
        {!data && kits.status === 'loading' && <p role="status">Loading…</p>}
      </section>
    </Page>
  );
}

function kitState(k: Kit): string {
  if (k.revokedAt) return 'Revoked';
  if (k.patientId) return 'Issued to a patient';
  return 'At the site';
}

/** The provisioning file, offered once: the server keeps only a hash of the secret in it. */
function ProvisioningNotice({
  issued,
  onDismiss,
}: {
  issued: KitCredentialsResponse;
  onDismiss: () => void;
}) {
  const [downloaded, setDownloaded] = useState(false);
  const filename = `${issued.provisioning.username}.json`;
  return (
    <section className="notice" aria-labelledby="provisioning-title" data-testid="provisioning">
      <h2 id="provisioning-title">Download the provisioning file now</h2>
      <p>
        It holds the hub’s secret and <strong>will not be shown again</strong>. Copy it to the hub and start
        the gateway with <code className="mono">wardline-gateway --provisioning {filename}</code>. Keep it
        safe; if it is lost, rotate the kit’s secret.
      </p>
      <button
        type="button"
        className="button"
        onClick={() => {
          downloadText(filename, `${JSON.stringify(issued.provisioning, null, 2)}\n`);
          setDownloaded(true);
        }}
        data-testid="provisioning-download"
      >
        Download {filename}
      </button>{' '}
      <button
        type="button"
        className="button button--secondary"
        onClick={onDismiss}
        data-testid="provisioning-done"
      >
        {downloaded ? 'Done' : 'Close without downloading'}
      </button>
    </section>
  );
}

function RegisterKitForm({
  sites,
  onRegistered,
}: {
  sites: Site[];
  onRegistered: (res: KitCredentialsResponse) => void;
}) {
  const [siteId, setSiteId] = useState('');
  const [label, setLabel] = useState('');
  const [gatewayCode, setGatewayCode] = useState('');
  const [devices, setDevices] = useState('');
  const form = useForm<'siteId' | 'label' | 'gatewayCode' | 'devices'>({
    conflict: 'A kit with this hub code or one of these devices already exists.',
  });
  const chosenSite = siteOrOnly(siteId, sites);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseKitDevices(devices);
    void form.run(
      () => ({
        ...(!chosenSite && { siteId: 'Choose the site' }),
        ...(!label.trim()
          ? { label: 'Enter a label for the kit' }
          : label.trim().length > 120 && { label: 'Label must be 120 characters or fewer' }),
        ...(gatewayCode &&
          !SITE_CODE_PATTERN.test(gatewayCode) && {
            gatewayCode: 'Hub code must be lower-case letters, numbers and hyphens',
          }),
        ...(parsed.error && { devices: parsed.error }),
      }),
      async () => {
        const res = await registerKit({
          siteId: chosenSite,
          label: label.trim(),
          devices: parsed.devices,
          ...(gatewayCode && { gatewayCode }),
        });
        setLabel('');
        setGatewayCode('');
        setDevices('');
        onRegistered(res);
      },
    );
  };

  return (
    <AdminForm
      title={{ id: 'register-kit-title', text: 'Register a kit', level: 2 }}
      testId="register-kit-form"
      onSubmit={submit}
      form={form}
      summary={form.items('kit')}
      summaryTestId="kit-error"
      submit={{ label: 'Register kit', busyLabel: 'Registering…', testId: 'kit-submit' }}
      fields={
        <>
          <SiteSelect
            id="kit-siteId"
            options={sites}
            error={form.errors.siteId}
            value={siteId}
            onChange={setSiteId}
          />
          <TextInput
            id="kit-label"
            label="Label"
            hint="What is written on the box, for example “Kit 12”."
            error={form.errors.label}
            value={label}
            onChange={setLabel}
            maxLength={120}
          />
          <TextInput
            id="kit-gatewayCode"
            label="Hub code (optional)"
            hint="Left empty, a random code is chosen. It must never identify a person."
            error={form.errors.gatewayCode}
            value={gatewayCode}
            onChange={setGatewayCode}
            maxLength={63}
          />
        </>
      }
    >
      <TextArea
        id="kit-devices"
        label="Devices"
        hint={`One per line: the device ID, then its model (${DEVICE_MODELS.join(', ')}), for example “e2:00:00:00:00:01 pulse-oximeter”.`}
        error={form.errors.devices}
        value={devices}
        onChange={setDevices}
        rows={4}
        spellCheck={false}
      />
    </AdminForm>
  );
}

/** /kits/:kitId — the kit's hub and devices, whom it was issued to, and what can be done with it. */
export function KitScreen({ kitId, isAdmin }: { kitId: string; isAdmin: boolean }) {
  const [page, reload] = useResource<KitPage>((signal) => getKit(kitId, signal), [kitId]);
  const [message, setMessage] = useState<string | null>(null);
  const [issued, setIssued] = useState<KitCredentialsResponse | null>(null);
  const now = useNow(30_000);
  const k = page.data?.kit;
  const changed = (text: string) => {
    setMessage(text);
    reload();
  };

  return (
    <Page
      title={k ? k.label : 'Kit'}
      lead="A gateway kit: its hub, its devices and whom it is issued to."
      adminRoute={isAdmin ? { name: 'kits' } : null}
      message={message}
      testId="kit-screen"
    >
      <p>
        <Link to={{ name: 'kits' }}>Back to kits</Link>
      </p>
      {issued && <ProvisioningNotice issued={issued} onDismiss={() => setIssued(null)} />}
      {page.status === 'failed' && <LoadError message={page.message} />}
      {!k && page.status === 'loading' && <p role="status">Loading…</p>}
      {page.data && k && (
        <>
          <section className="panel" aria-labelledby="hub-title">
            <h2 id="hub-title" className="panel__title">
              Hub
            </h2>
            <dl className="summary-list" data-testid="kit-summary">
              <Row term="State" value={kitState(k)} testId="kit-state" />
              <Row
                term="Connection"
                value={
                  page.data.hub.state === null
                    ? 'Never heard from'
                    : page.data.hub.state === 'online'
                      ? 'Online'
                      : 'Offline'
                }
                testId="hub-state"
              />
              <Row term="Last seen" value={seen(page.data.hub.statusAt, now)} testId="hub-last-seen" />
              <Row
                term="Readings waiting to be sent"
                value={
                  page.data.hub.outboxPending === null
                    ? 'Not reported'
                    : `${page.data.hub.outboxPending}${page.data.hub.outboxCapacity ? ` of ${page.data.hub.outboxCapacity}` : ''}`
                }
                testId="hub-backlog"
              />
              <Row term="MQTT user" value={k.username} mono />
              <Row
                term="Secrets that may connect"
                value={
                  k.credentials.length === 0
                    ? 'None'
                    : k.credentials
                        .map(
                          (c) =>
                            `issued ${formatAbsolute(Date.parse(c.createdAt))}${c.notAfter ? `, until ${formatAbsolute(Date.parse(c.notAfter))}` : ''}`,
                        )
                        .join('; ')
                }
              />
              <Row term="Patient" value={k.patientId ? undefined : 'None'}>
                {k.patientId && (
                  <Link to={{ name: 'patientRecord', patientId: k.patientId }}>See the patient’s record</Link>
                )}
              </Row>
            </dl>
          </section>
          <section className="panel" aria-labelledby="devices-title">
            <h2 id="devices-title" className="panel__title">
              Devices
            </h2>
            <DataTable
              testId="kit-devices-table"
              labelledBy="devices-title"
              columns={['Device', 'Model', 'Connected', 'Battery', 'Last seen']}
            >
              {page.data.devices.map((d) => (
                <tr key={d.id} data-testid="kit-device-row">
                  <th scope="row" className="mono">
                    {d.id}
                  </th>
                  <td>{d.model}</td>
                  <td>{d.connected === null ? 'Unknown' : d.connected ? 'Yes' : 'No'}</td>
                  <td
                    className={
                      d.batteryPercent !== null && d.batteryPercent < 20 ? 'battery--low' : undefined
                    }
                  >
                    {d.batteryPercent === null ? 'Not reported' : `${Math.round(d.batteryPercent)}%`}
                  </td>
                  <td>{seen(d.lastSeen, now)}</td>
                </tr>
              ))}
            </DataTable>
          </section>
          {page.data.issues.length > 0 && (
            <section className="panel" aria-labelledby="issues-title">
              <h2 id="issues-title" className="panel__title">
                Issued to
              </h2>
              <ul>
                {page.data.issues.map((i) => (
                  <li key={`${i.patientId}-${i.issuedAt}`}>
                    <Link to={{ name: 'patientRecord', patientId: i.patientId }}>A patient</Link> from{' '}
                    {formatAbsolute(Date.parse(i.issuedAt))} ({i.issuedBy})
                    {i.returnedAt
                      ? ` to ${formatAbsolute(Date.parse(i.returnedAt))} (${i.returnedBy ?? ''})`
                      : ', now'}
                  </li>
                ))}
              </ul>
            </section>
          )}
          {!k.revokedAt && (
            <KitActions
              kit={k}
              isAdmin={isAdmin}
              onChanged={changed}
              onIssued={(res) => {
                setIssued(res);
                changed('A new secret was issued.');
              }}
            />
          )}
        </>
      )}
    </Page>
  );
}

function seen(at: string | null, now: number): string {
  const t = parseTime(at);
  return t === null ? 'Never' : `${formatAgo(t, now)} (${formatAbsolute(t)})`;
}

function Row({
  term,
  value,
  mono,
  testId,
  children,
}: {
  term: string;
  value?: string | undefined;
  mono?: boolean;
  testId?: string;
  children?: ReactNode;
}) {
  return (
    <div className="summary-list__row">
      <dt>{term}</dt>
      <dd className={mono ? 'mono' : undefined} data-testid={testId}>
        {value}
        {children}
      </dd>
    </div>
  );
}

interface ActionsProps {
  kit: Kit;
  isAdmin: boolean;
  onChanged: (message: string) => void;
  onIssued: (res: KitCredentialsResponse) => void;
}

function KitActions({ kit, isAdmin, onChanged, onIssued }: ActionsProps) {
  const [confirm, setConfirm] = useState<'revoke' | 'return' | null>(null);
  const { busy, error, run } = useConfirmedChange();
  const [overlap, setOverlap] = useState('60');
  const rotate = useForm<'overlap'>();

  const act = () =>
    run(async () => {
      if (confirm === 'revoke') {
        await revokeKit(kit.id);
        onChanged(`${kit.label} was revoked. Its hub is disconnected and refused from now on.`);
      } else {
        await returnKit(kit.id);
        onChanged(`${kit.label} was returned. Its readings no longer go to the patient.`);
      }
      setConfirm(null);
    });

  return (
    <section className="panel" aria-labelledby="kit-actions-title">
      <h2 id="kit-actions-title" className="panel__title">
        Change the kit
      </h2>
      {kit.patientId ? (
        <p>
          <button
            type="button"
            className="button button--secondary"
            onClick={() => setConfirm('return')}
            data-testid="kit-return"
          >
            Return the kit
          </button>
        </p>
      ) : (
        <IssueForm kit={kit} onIssued={(name) => onChanged(`${kit.label} was issued to ${name}.`)} />
      )}
      {isAdmin && (
        <>
          <AdminForm
            title={{ id: 'rotate-title', text: 'Issue a new secret', level: 3 }}
            form={rotate}
            summary={rotate.items('rotate')}
            summaryTestId="rotate-error"
            submit={{
              label: 'Issue a new secret',
              busyLabel: 'Issuing…',
              testId: 'kit-rotate',
              secondary: true,
            }}
            onSubmit={(e) => {
              e.preventDefault();
              void rotate.run(
                () =>
                  /^\d+$/.test(overlap) && Number(overlap) <= 10080
                    ? {}
                    : { overlap: 'Enter a number of minutes from 0 to 10080 (a week)' },
                async () => onIssued(await rotateKit(kit.id, { overlapMinutes: Number(overlap) })),
              );
            }}
          >
            <TextInput
              id="rotate-overlap"
              label="Minutes the old secret keeps working"
              hint="Time to copy the new file to the hub. 0 stops the old secret at once."
              error={rotate.errors.overlap}
              value={overlap}
              onChange={setOverlap}
              inputMode="numeric"
              maxLength={5}
            />
          </AdminForm>
          <button
            type="button"
            className="button button--warning"
            onClick={() => setConfirm('revoke')}
            data-testid="kit-revoke"
          >
            Revoke the kit
          </button>
        </>
      )}
      <ConfirmDialog
        open={confirm !== null}
        title={confirm === 'revoke' ? `Revoke ${kit.label}?` : `Return ${kit.label}?`}
        confirmLabel={busy ? 'Working…' : confirm === 'revoke' ? 'Yes, revoke' : 'Yes, return'}
        busy={busy}
        error={error}
        onCancel={() => setConfirm(null)}
        onConfirm={() => void act()}
      >
        <p>
          {confirm === 'revoke'
            ? 'The hub is disconnected within seconds and refused from then on. This cannot be undone: a revoked kit must be registered again.'
            : 'Its devices stop recording readings for the patient. Their history stays with them.'}
        </p>
      </ConfirmDialog>
    </section>
  );
}

function IssueForm({ kit, onIssued }: { kit: Kit; onIssued: (name: string) => void }) {
  const [patients] = useResource<PatientListItem[]>(
    (signal) => searchPatients({ includeDischarged: false, limit: 500 }, signal),
    [],
  );
  const [patientId, setPatientId] = useState('');
  const form = useForm<'patientId'>({ conflict: 'This kit or the patient already has a kit issued.' });
  return (
    <AdminForm
      title={{ id: 'issue-title', text: 'Issue to a patient', level: 3 }}
      form={form}
      summary={form.items('issue')}
      summaryTestId="issue-error"
      submit={{ label: 'Issue kit', busyLabel: 'Issuing…', testId: 'kit-issue', secondary: true }}
      onSubmit={(e) => {
        e.preventDefault();
        void form.run(
          () => (patientId ? {} : { patientId: 'Choose a patient' }),
          async () => {
            await issueKit(kit.id, patientId);
            onIssued(patients.data?.find((p) => p.id === patientId)?.displayName ?? 'the patient');
          },
        );
      }}
    >
      <SelectInput
        id="issue-patientId"
        label="Patient"
        error={form.errors.patientId}
        value={patientId}
        onChange={setPatientId}
        placeholder="Choose a patient"
        options={(patients.data ?? []).map((p) => ({
          value: p.id,
          label: `${p.displayName}${p.bedLabel ? `, ${p.bedLabel}` : ''}`,
        }))}
      />
    </AdminForm>
  );
}
