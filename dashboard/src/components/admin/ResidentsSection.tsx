import { useState, type FormEvent } from 'react';
import { admitPatient, dischargePatient } from '../../api/client.js';
import { Link } from '../../routing/Link.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { ErrorSummary, Field, type SummaryItem } from './ErrorSummary.js';
import { adminErrorMessage } from './errors.js';
import type { AdminData, Resident } from './useAdminData.js';
import { useAdminForm } from './useAdminForm.js';
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
  const { errors, apiError, attempt, busy, run } = useAdminForm<'displayName' | 'bedId'>('admit');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(
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

  const items: SummaryItem[] = [
    ...(errors.displayName ? [{ fieldId: 'admit-name', message: errors.displayName }] : []),
    ...(errors.bedId ? [{ fieldId: 'admit-bed', message: errors.bedId }] : []),
    ...(apiError ? [{ fieldId: null, message: apiError.message }] : []),
  ];

  return (
    <form
      className="admin-form"
      onSubmit={submit}
      noValidate
      aria-labelledby="admit-title"
      data-testid="admit-form"
    >
      <h3 id="admit-title">Admit a resident</h3>
      <ErrorSummary items={items} code={apiError?.code ?? null} testId="admit-error" attempt={attempt} />
      <div className="admin-form__fields">
        <Field id="admit-name" label="Full name" error={errors.displayName}>
          {(describedBy, invalid) => (
            <input
              id="admit-name"
              type="text"
              autoComplete="off"
              maxLength={120}
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              data-testid="admit-name"
            />
          )}
        </Field>
        <Field
          id="admit-bed"
          label="Bed"
          hint={
            data.freeBeds.length === 0 ? 'There are no free beds. Discharge a resident first.' : undefined
          }
          error={errors.bedId}
        >
          {(describedBy, invalid) => (
            <select
              id="admit-bed"
              value={bedId}
              onChange={(e) => setBedId(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              data-testid="admit-bed"
            >
              <option value="">Choose a free bed</option>
              {data.freeBeds.map((b) => (
                <option key={b.bedId} value={b.bedId}>
                  {b.label}, {b.wardName}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <button type="submit" className="button" disabled={busy} data-testid="admit-submit">
        {busy ? 'Admitting…' : 'Admit resident'}
      </button>
    </form>
  );
}

function ResidentsTable({ residents, onChanged }: { residents: Resident[]; onChanged: Props['onChanged'] }) {
  const [confirming, setConfirming] = useState<Resident | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const discharge = async () => {
    if (!confirming) return;
    setBusy(true);
    setError(null);
    try {
      await dischargePatient(confirming.patientId);
      const who = confirming;
      setConfirming(null);
      await onChanged(
        `${who.displayName} was discharged from ${who.bedLabel}. Their devices were unassigned.`,
      );
    } catch (err) {
      const { message, code } = adminErrorMessage(err, 'discharge');
      setError(code ? `${message} (${code})` : message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h3 id="current-residents-title">Current residents</h3>
      {residents.length === 0 ? (
        <p>No residents are admitted.</p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="current-residents-title">
          <table className="data-table" data-testid="residents-table">
            <thead>
              <tr>
                <th scope="col">Resident</th>
                <th scope="col">Bed</th>
                <th scope="col">Ward</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
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
            </tbody>
          </table>
        </div>
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
