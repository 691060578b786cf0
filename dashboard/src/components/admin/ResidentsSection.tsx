import { useState, type FormEvent } from 'react';
import { admitPatient, dischargePatient } from '../../api/client.js';
import { Link } from '../../routing/Link.js';
import { AdminForm } from './AdminForm.js';
import { FreeBedSelect } from './choices.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { DataTable } from './DataTable.js';
import { adminErrorMessage } from './errors.js';
import { TextInput, useConfirmedChange, useForm } from './forms.js';
import type { AdminData, Resident } from './useAdminData.js';
import { validateAdmission } from './validation.js';

interface Props {
  data: AdminData;
  onChanged: (message: string) => Promise<void>;
}

export function ResidentsSection({ data, onChanged }: Props) {
  return (
    <section className="panel" aria-labelledby="residents-title" id="residents">
      <h2 id="residents-title" className="panel__title">
        Residents
      </h2>
      <AdmitForm data={data} onChanged={onChanged} />
      <ResidentsTable residents={data.residents} onChanged={onChanged} />
    </section>
  );
}

function AdmitForm({ data, onChanged }: Props) {
  const [displayName, setDisplayName] = useState('');
  const [bedId, setBedId] = useState('');
  const form = useForm<'displayName' | 'bedId'>((err) => adminErrorMessage(err, 'admit'));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => validateAdmission({ displayName, bedId }),
      async () => {
        const patient = await admitPatient({ displayName: displayName.trim(), bedId });
        const bed = data.freeBeds.find((b) => b.bedId === bedId);
        setDisplayName('');
        setBedId('');
        await onChanged(
          `${patient.displayName} was admitted to ${bed ? `${bed.label}, ${bed.wardName}` : 'the bed'}.`,
        );
      },
    );
  };

  return (
    <AdminForm
      title={{ id: 'admit-title', text: 'Admit a resident', level: 3 }}
      testId="admit-form"
      onSubmit={submit}
      form={form}
      summary={form.items((field) => (field === 'displayName' ? 'admit-name' : 'admit-bed'))}
      summaryTestId="admit-error"
      submit={{ label: 'Admit resident', busyLabel: 'Admitting…', testId: 'admit-submit' }}
      fields={
        <>
          <TextInput
            id="admit-name"
            label="Full name"
            error={form.errors.displayName}
            value={displayName}
            onChange={setDisplayName}
            maxLength={120}
          />
          <FreeBedSelect
            id="admit-bed"
            options={data.freeBeds}
            error={form.errors.bedId}
            value={bedId}
            onChange={setBedId}
            hint={
              data.freeBeds.length === 0 ? 'There are no free beds. Discharge a resident first.' : undefined
            }
          />
        </>
      }
    />
  );
}

function ResidentsTable({ residents, onChanged }: { residents: Resident[]; onChanged: Props['onChanged'] }) {
  const [confirming, setConfirming] = useState<Resident | null>(null);
  const { busy, error, setError, run } = useConfirmedChange();

  const discharge = async () => {
    if (!confirming) return;
    await run(
      async () => {
        await dischargePatient(confirming.patientId);
        const who = confirming;
        setConfirming(null);
        await onChanged(
          `${who.displayName} was discharged from ${who.bedLabel}. Their devices were unassigned.`,
        );
      },
      (err) => adminErrorMessage(err, 'discharge'),
    );
  };

  return (
    <>
      <h3 id="current-residents-title">Current residents</h3>
      {residents.length === 0 ? (
        <p>No residents are admitted.</p>
      ) : (
        <DataTable
          testId="residents-table"
          labelledBy="current-residents-title"
          columns={['Resident', 'Bed', 'Ward', null]}
        >
          {residents.map((r) => (
            <tr key={r.patientId} data-testid="resident-row" data-patient-id={r.patientId}>
              <th scope="row">
                <Link to={{ name: 'patient', patientId: r.patientId }}>{r.displayName}</Link>
              </th>
              <td>{r.bedLabel}</td>
              <td>{r.wardName}</td>
              <td className="data-table__actions">
                <button
                  type="button"
                  className="button button--warning button--small"
                  onClick={() => {
                    setError(null);
                    setConfirming(r);
                  }}
                  data-testid="discharge-button"
                >
                  Discharge<span className="visually-hidden"> {r.displayName}</span>
                </button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <ConfirmDialog
        open={confirming !== null}
        title={confirming ? `Discharge ${confirming.displayName}?` : ''}
        confirmLabel={busy ? 'Discharging…' : 'Yes, discharge'}
        busy={busy}
        error={error}
        onConfirm={discharge}
        onCancel={() => setConfirming(null)}
      >
        {confirming && (
          <p>
            {confirming.displayName} will leave {confirming.bedLabel} ({confirming.wardName}). Their devices
            will be unassigned and stop recording readings for them. Their history is kept. This cannot be
            undone from this screen.
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}
