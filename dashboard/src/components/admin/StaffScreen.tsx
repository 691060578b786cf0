import type { AccountLinkResponse, Organisation, StaffAccount, StaffRole, Ward } from '@wardline/protocol';
import { useState, type FormEvent } from 'react';
import { listWards } from '../../api/client.js';
import {
  disableStaff,
  enableStaff,
  inviteStaff,
  listOrganisations,
  listStaff,
  removeStaffTotp,
  resetStaffPassword,
  updateOrganisation,
  updateStaff,
} from '../../api/organisation.js';
import { useResource } from '../../hooks/useResource.js';
import { ROLE_LABELS, STAFF_ROLES, validateInvite } from '../../lib/organisation.js';
import { AdminForm } from './AdminForm.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { DataTable } from './DataTable.js';
import { ErrorSummary } from './ErrorSummary.js';
import {
  LoadError,
  OneTimeLink,
  Page,
  SelectInput,
  TextInput,
  refusal,
  useConfirmedChange,
  useForm,
} from './forms.js';

const ROLE_OPTIONS = STAFF_ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] }));
const isStaffRole = (v: string): v is StaffRole => (STAFF_ROLES as readonly string[]).includes(v);

/** /admin/staff — invite staff, change their role and wards, disable, reset. */
export function StaffScreen({ self }: { self: string }) {
  const [staff, reload] = useResource<{ accounts: StaffAccount[]; wards: Ward[] }>(async (signal) => {
    const [accounts, wards] = await Promise.all([listStaff(signal), listWards(signal)]);
    return { accounts, wards };
  }, []);
  const [message, setMessage] = useState<string | null>(null);
  const [link, setLink] = useState<AccountLinkResponse | null>(null);
  const changed = (text: string, issued: AccountLinkResponse | null = null) => {
    setMessage(text);
    setLink(issued);
    reload();
  };

  return (
    <Page title="Staff" adminRoute={{ name: 'staff' }} message={message} testId="staff-screen">
      {link && <OneTimeLink link={link.link} emailed={link.emailed} expiresAt={link.expiresAt} />}
      <section className="panel" aria-labelledby="invite-title">
        <InviteForm
          wards={staff.data?.wards ?? []}
          onInvited={(res) => changed(`${res.account.displayName} was invited.`, res)}
        />
      </section>
      <SignInPolicy onChanged={(text) => changed(text)} />
      <section className="panel" aria-labelledby="staff-title">
        <h2 id="staff-title" className="panel__title">
          Accounts
        </h2>
        {staff.status === 'failed' && <LoadError message={staff.message} />}
        {staff.data && (
          <DataTable
            testId="staff-table"
            labelledBy="staff-title"
            columns={['Name', 'Role', 'Wards', 'State', null]}
          >
            {staff.data.accounts.map((a) => (
              <StaffRow
                key={a.username}
                account={a}
                wards={staff.data!.wards}
                isSelf={a.username === self}
                onChanged={changed}
              />
            ))}
          </DataTable>
        )}
      </section>
    </Page>
  );
}

/** The organisation's own rule: whether its admins must sign in with a second factor. */
function SignInPolicy({ onChanged }: { onChanged: (message: string) => void }) {
  const [orgs] = useResource<Organisation[]>((signal) => listOrganisations(signal), []);
  const org = orgs.data?.[0];
  const [required, setRequired] = useState<boolean | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!org) return null;
  const checked = required ?? org.requireAdminTotp;
  return (
    <section className="panel" aria-labelledby="policy-title">
      <h2 id="policy-title" className="panel__title">
        Signing in
      </h2>
      <div className="radio">
        <input
          id="policy-admin-totp"
          type="checkbox"
          checked={checked}
          disabled={saving}
          aria-describedby="policy-admin-totp-hint"
          onChange={async (e) => {
            const wanted = e.target.checked;
            setError(null);
            setRequired(wanted); // at once; put back if the server refuses
            setSaving(true);
            try {
              await updateOrganisation(org.id, { requireAdminTotp: wanted });
              onChanged(
                wanted
                  ? 'Admins must now use two-step verification: each is asked to set it up at their next sign-in.'
                  : 'Admins may now sign in without two-step verification.',
              );
            } catch (err) {
              setRequired(!wanted);
              setError(refusal(err).message);
            } finally {
              setSaving(false);
            }
          }}
          data-testid="policy-admin-totp"
        />
        <label htmlFor="policy-admin-totp">Admins must use two-step verification</label>
      </div>
      <p className="field__hint" id="policy-admin-totp-hint">
        A code from an authenticator app as well as their password. Anyone can turn it on for themselves from
        their account page.
      </p>
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function WardChoice({
  id,
  wards,
  value,
  onChange,
}: {
  id: string;
  wards: Ward[];
  value: string[] | null;
  onChange: (v: string[] | null) => void;
}) {
  return (
    <fieldset className="fieldset" id={id}>
      <legend>Wards</legend>
      <div className="radio">
        <input
          id={`${id}-all`}
          type="checkbox"
          checked={value === null}
          onChange={(e) => onChange(e.target.checked ? null : [])}
        />
        <label htmlFor={`${id}-all`}>Every ward, including new ones</label>
      </div>
      {value !== null &&
        wards.map((w) => (
          <div className="radio" key={w.id}>
            <input
              id={`${id}-${w.id}`}
              type="checkbox"
              checked={value.includes(w.id)}
              onChange={(e) =>
                onChange(e.target.checked ? [...value, w.id] : value.filter((x) => x !== w.id))
              }
            />
            <label htmlFor={`${id}-${w.id}`}>{w.name}</label>
          </div>
        ))}
    </fieldset>
  );
}

function InviteForm({ wards, onInvited }: { wards: Ward[]; onInvited: (res: AccountLinkResponse) => void }) {
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<string>('nurse');
  const [wardIds, setWardIds] = useState<string[] | null>(null);
  const [sendEmail, setSendEmail] = useState(true);
  const form = useForm<'email' | 'displayName' | 'role' | 'wardIds'>({
    conflict: 'Someone with this email address already has an account.',
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => ({
        ...validateInvite({ email, displayName, role }),
        ...(wardIds !== null &&
          wardIds.length === 0 && { wardIds: 'Choose at least one ward, or every ward' }),
      }),
      async () => {
        if (!isStaffRole(role)) return;
        const res = await inviteStaff({
          email: email.trim(),
          displayName: displayName.trim(),
          role,
          wardIds,
          sendEmail,
        });
        setEmail('');
        setDisplayName('');
        setWardIds(null);
        onInvited(res);
      },
    );
  };

  return (
    <AdminForm
      title={{ id: 'invite-title', text: 'Invite a member of staff', level: 2 }}
      testId="invite-form"
      onSubmit={submit}
      form={form}
      summary={form.items('invite')}
      summaryTestId="invite-error"
      submit={{ label: 'Invite', busyLabel: 'Inviting…', testId: 'invite-submit' }}
      fields={
        <>
          <TextInput
            id="invite-displayName"
            label="Name"
            error={form.errors.displayName}
            value={displayName}
            onChange={setDisplayName}
            maxLength={120}
          />
          <TextInput
            id="invite-email"
            label="Email address"
            type="email"
            error={form.errors.email}
            value={email}
            onChange={setEmail}
            maxLength={254}
          />
          <SelectInput
            id="invite-role"
            label="Role"
            error={form.errors.role}
            value={role}
            onChange={setRole}
            options={ROLE_OPTIONS}
          />
        </>
      }
    >
      <WardChoice id="invite-wardIds" wards={wards} value={wardIds} onChange={setWardIds} />
      {form.errors.wardIds && <p className="field__error">{form.errors.wardIds}</p>}
      <div className="radio">
        <input
          id="invite-send"
          type="checkbox"
          checked={sendEmail}
          onChange={(e) => setSendEmail(e.target.checked)}
          data-testid="invite-send"
        />
        <label htmlFor="invite-send">Send them an email with a link to set their password</label>
      </div>
    </AdminForm>
  );
}

type Pending = { kind: 'disable' | 'enable' | 'reset' | 'totp' } | null;

const CONFIRM: Record<NonNullable<Pending>['kind'], { title: string; label: string; text: string }> = {
  disable: {
    title: 'Disable',
    label: 'Yes, disable',
    text: 'They are signed out everywhere at once and cannot sign in until enabled again.',
  },
  enable: {
    title: 'Enable',
    label: 'Yes, enable',
    text: 'They can sign in again with their existing password.',
  },
  reset: {
    title: 'Reset the password of',
    label: 'Yes, reset',
    text: 'Their password stops working and they get a new one-time link to set another.',
  },
  totp: {
    title: 'Remove the second factor of',
    label: 'Yes, remove',
    text: 'They sign in with their password alone until they set up a new authenticator.',
  },
};

function StaffRow({
  account: a,
  wards,
  isSelf,
  onChanged,
}: {
  account: StaffAccount;
  wards: Ward[];
  isSelf: boolean;
  onChanged: (message: string, link?: AccountLinkResponse | null) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [role, setRole] = useState<string>(a.role);
  const [wardIds, setWardIds] = useState<string[] | null>(a.wardIds);
  const [pending, setPending] = useState<Pending>(null);
  const { busy, error, run } = useConfirmedChange();
  const form = useForm<'role'>();
  const wardNames =
    a.wardIds === null ? 'All' : a.wardIds.map((id) => wards.find((w) => w.id === id)?.name ?? id).join(', ');

  const save = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => (isStaffRole(role) ? {} : { role: 'Choose a role' }),
      async () => {
        if (!isStaffRole(role)) return;
        await updateStaff(a.username, { role, wardIds });
        setEditing(false);
        onChanged(`${a.displayName}’s role and wards were saved.`);
      },
    );
  };

  const confirm = async () => {
    if (!pending) return;
    await run(async () => {
      if (pending.kind === 'disable') {
        await disableStaff(a.username);
        onChanged(`${a.displayName} was disabled and signed out.`);
      } else if (pending.kind === 'enable') {
        await enableStaff(a.username);
        onChanged(`${a.displayName} was enabled.`);
      } else if (pending.kind === 'reset') {
        const res = await resetStaffPassword(a.username);
        onChanged(`${a.displayName}’s password was reset.`, res);
      } else {
        await removeStaffTotp(a.username);
        onChanged(`${a.displayName}’s second factor was removed.`);
      }
      setPending(null);
    });
  };

  const state = a.disabledAt ? 'Disabled' : a.pending ? 'Invited' : 'Active';
  return (
    <tr data-testid="staff-row" data-username={a.username}>
      <th scope="row">
        {a.displayName}
        <span className="data-table__sub"> {a.email ?? a.username}</span>
      </th>
      <td>{ROLE_LABELS[a.role]}</td>
      <td>{wardNames}</td>
      <td>
        {state}
        {a.totpEnabled && <span className="data-table__sub"> · second factor</span>}
        {a.federated.length > 0 && <span className="data-table__sub"> · {a.federated.join(', ')}</span>}
      </td>
      <td className="data-table__actions">
        {editing ? (
          <form onSubmit={save} noValidate aria-label={`Role and wards of ${a.displayName}`}>
            <ErrorSummary
              items={form.items(`staff-${a.username}`)}
              code={form.apiError?.code}
              testId="staff-edit-error"
              attempt={form.attempt}
            />
            <SelectInput
              id={`staff-${a.username}-role`}
              label="Role"
              error={form.errors.role}
              value={role}
              onChange={setRole}
              options={ROLE_OPTIONS}
            />
            <WardChoice
              id={`staff-${a.username}-wards`}
              wards={wards}
              value={wardIds}
              onChange={setWardIds}
            />
            <button type="submit" className="button button--small" disabled={form.busy}>
              Save
            </button>{' '}
            <button
              type="button"
              className="button button--secondary button--small"
              onClick={() => setEditing(false)}
            >
              Cancel
            </button>
          </form>
        ) : (
          !isSelf && (
            <>
              <button
                type="button"
                className="button button--secondary button--small"
                onClick={() => setEditing(true)}
              >
                Change role<span className="visually-hidden"> of {a.displayName}</span>
              </button>{' '}
              <button
                type="button"
                className="button button--warning button--small"
                onClick={() => setPending({ kind: a.disabledAt ? 'enable' : 'disable' })}
                data-testid="staff-toggle"
              >
                {a.disabledAt ? 'Enable' : 'Disable'}
                <span className="visually-hidden"> {a.displayName}</span>
              </button>{' '}
              <button
                type="button"
                className="button button--secondary button--small"
                onClick={() => setPending({ kind: 'reset' })}
              >
                Reset password<span className="visually-hidden"> of {a.displayName}</span>
              </button>
              {a.totpEnabled && (
                <>
                  {' '}
                  <button
                    type="button"
                    className="button button--secondary button--small"
                    onClick={() => setPending({ kind: 'totp' })}
                  >
                    Remove second factor<span className="visually-hidden"> of {a.displayName}</span>
                  </button>
                </>
              )}
            </>
          )
        )}
        <ConfirmDialog
          open={pending !== null}
          title={pending ? `${CONFIRM[pending.kind].title} ${a.displayName}?` : ''}
          confirmLabel={busy ? 'Working…' : pending ? CONFIRM[pending.kind].label : ''}
          busy={busy}
          error={error}
          onCancel={() => setPending(null)}
          onConfirm={() => void confirm()}
        >
          <p>{pending && CONFIRM[pending.kind].text}</p>
        </ConfirmDialog>
      </td>
    </tr>
  );
}
