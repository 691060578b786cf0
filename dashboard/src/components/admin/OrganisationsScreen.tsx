import type { AccountLinkResponse, CreateOrganisationResponse, Organisation } from '@wardline/protocol';
import { useState, type FormEvent } from 'react';
import {
  closeOrganisation,
  createOrganisation,
  listOrganisations,
  updateOrganisation,
} from '../../api/organisation.js';
import { useResource } from '../../hooks/useResource.js';
import { formatAbsolute } from '../../lib/time.js';
import { validateInvite } from '../../lib/organisation.js';
import { AdminForm } from './AdminForm.js';
import { DataTable } from './DataTable.js';
import { RenameAndClose } from './PlacesScreen.js';
import { LoadError, OneTimeLink, Page, TextInput, useForm } from './forms.js';

/** /organisations — the operator's home: every organisation on this server. */
export function OrganisationsScreen() {
  const [orgs, reload] = useResource<Organisation[]>((signal) => listOrganisations(signal), []);
  const [message, setMessage] = useState<string | null>(null);
  const [link, setLink] = useState<AccountLinkResponse | null>(null);
  const changed = (text: string) => {
    setMessage(text);
    reload();
  };

  return (
    <Page
      title="Organisations"
      adminRoute={null}
      lead="NHS trusts and care-home groups using this server."
      message={message}
      testId="organisations-screen"
    >
      {link && <OneTimeLink link={link.link} emailed={link.emailed} expiresAt={link.expiresAt} />}
      <section className="panel" aria-labelledby="new-org-title">
        <CreateOrganisationForm
          onCreated={(res) => {
            setLink(res.admin);
            changed(`${res.organisation.name} was created and its first admin invited.`);
          }}
        />
      </section>
      <section className="panel" aria-labelledby="orgs-title">
        <h2 id="orgs-title" className="panel__title">
          Organisations
        </h2>
        {orgs.status === 'failed' && <LoadError message={orgs.message} />}
        {orgs.data && (
          <DataTable
            testId="orgs-table"
            labelledBy="orgs-title"
            columns={['Name', 'Created', 'Admins’ two-step verification', null]}
          >
            {orgs.data.map((o) => (
              <OrganisationRow key={o.id} org={o} onChanged={changed} />
            ))}
          </DataTable>
        )}
      </section>
    </Page>
  );
}

function OrganisationRow({ org, onChanged }: { org: Organisation; onChanged: (message: string) => void }) {
  return (
    <tr data-testid="org-row">
      <th scope="row">
        {org.name}
        {org.closedAt && (
          <span className="data-table__sub"> Closed {formatAbsolute(Date.parse(org.closedAt))}</span>
        )}
      </th>
      <td>{formatAbsolute(Date.parse(org.createdAt))}</td>
      <td data-testid="org-totp">{org.requireAdminTotp ? 'Required' : 'Not required'}</td>
      <td className="data-table__actions">
        {!org.closedAt && (
          <RenameAndClose
            what="organisation"
            name={org.name}
            compact
            closeWarning="Its staff can no longer sign in and its gateways are refused. Its records are kept."
            onRename={async (name) => {
              await updateOrganisation(org.id, { name });
              onChanged(`The organisation is now called ${name}.`);
            }}
            onClose={async () => {
              await closeOrganisation(org.id);
              onChanged(`${org.name} was closed.`);
            }}
          />
        )}
      </td>
    </tr>
  );
}

function CreateOrganisationForm({ onCreated }: { onCreated: (res: CreateOrganisationResponse) => void }) {
  const [name, setName] = useState('');
  const [adminName, setAdminName] = useState('');
  const [adminEmail, setAdminEmail] = useState('');
  const form = useForm<'name' | 'adminName' | 'adminEmail'>({
    conflict: 'An organisation with this name, or an account with this email address, already exists.',
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => {
        const invite = validateInvite({ email: adminEmail, displayName: adminName, role: 'admin' });
        return {
          ...(!name.trim()
            ? { name: 'Enter the organisation’s name' }
            : name.trim().length > 120 && { name: 'Name must be 120 characters or fewer' }),
          ...(invite.displayName && { adminName: 'Enter the first admin’s name' }),
          ...(invite.email && { adminEmail: invite.email }),
        };
      },
      async () => {
        const res = await createOrganisation({
          name: name.trim(),
          admin: { email: adminEmail.trim(), displayName: adminName.trim() },
        });
        setName('');
        setAdminName('');
        setAdminEmail('');
        onCreated(res);
      },
    );
  };

  return (
    <AdminForm
      title={{ id: 'new-org-title', text: 'Create an organisation', level: 2 }}
      testId="org-form"
      onSubmit={submit}
      form={form}
      summary={form.items('org')}
      summaryTestId="org-error"
      submit={{ label: 'Create organisation', busyLabel: 'Creating…', testId: 'org-submit' }}
      fields={
        <>
          <TextInput
            id="org-name"
            label="Organisation name"
            error={form.errors.name}
            value={name}
            onChange={setName}
            maxLength={120}
          />
          <TextInput
            id="org-adminName"
            label="First admin’s name"
            error={form.errors.adminName}
            value={adminName}
            onChange={setAdminName}
            maxLength={120}
          />
          <TextInput
            id="org-adminEmail"
            label="First admin’s email address"
            hint="They get a link to set their password."
            type="email"
            error={form.errors.adminEmail}
            value={adminEmail}
            onChange={setAdminEmail}
            maxLength={254}
          />
        </>
      }
    />
  );
}
