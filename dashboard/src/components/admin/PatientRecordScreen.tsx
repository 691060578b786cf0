import type { PatientRecord } from '@wardline/protocol';
import { useState, type FormEvent } from 'react';
import { dischargePatient } from '../../api/client.js';
import { getPatientRecord, readmitPatient, updatePatient } from '../../api/organisation.js';
import { useResource } from '../../hooks/useResource.js';
import { formatAbsolute } from '../../lib/time.js';
import {
  displayNhsNumber,
  patientDetails,
  validatePatient,
  type PatientField,
  type PatientForm,
} from '../../lib/organisation.js';
import { Link } from '../../routing/Link.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { AdminForm } from './AdminForm.js';
import { FreeBedSelect } from './choices.js';
import { DataTable } from './DataTable.js';
import { formatDate, formFromRecord, PatientFields } from './PatientFields.js';
import { loadFreeBeds } from './PatientsScreen.js';
import { LoadError, Page, refusal, useConfirmedChange, useForm } from './forms.js';

interface Props {
  patientId: string;
  canChange: boolean;
}

/** /patients/:id/record — who the patient is, their admissions, and (for leads) changes to both. */
export function PatientRecordScreen({ patientId, canChange }: Props) {
  const [record, reload] = useResource<PatientRecord>(
    (signal) => getPatientRecord(patientId, signal),
    [patientId],
  );
  const [message, setMessage] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const p = record.data;
  const changed = (text: string) => {
    setMessage(text);
    reload();
  };

  return (
    <Page title={p ? p.displayName : 'Patient'} adminRoute={null} message={message} testId="patient-record">
      <p>
        <Link to={{ name: 'patients', q: '', includeDischarged: false }}>Back to patients</Link>
      </p>
      {record.status === 'failed' && <LoadError message={record.message} />}
      {!p && record.status === 'loading' && <p role="status">Loading…</p>}
      {p && (
        <>
          <section className="panel" aria-labelledby="details-title">
            <h2 id="details-title" className="panel__title">
              Details
            </h2>
            {editing ? (
              <EditDetails
                record={p}
                onCancel={() => setEditing(false)}
                onSaved={() => {
                  setEditing(false);
                  changed('The details were saved.');
                }}
              />
            ) : (
              <>
                <dl className="summary-list" data-testid="patient-details">
                  <Row term="NHS number" value={displayNhsNumber(p.nhsNumber)} testId="record-nhs" />
                  <Row term="Preferred name" value={p.preferredName} />
                  <Row term="Date of birth" value={formatDate(p.dateOfBirth)} />
                  <Row term="GP practice" value={p.gpPracticeOds} />
                  <Row
                    term="Next of kin"
                    value={
                      p.nextOfKin &&
                      [
                        p.nextOfKin.name,
                        `(${p.nextOfKin.relationship})`,
                        p.nextOfKin.phone,
                        p.nextOfKin.email,
                      ]
                        .filter(Boolean)
                        .join(' ')
                    }
                  />
                  <Row term="Bed" value={p.bedLabel ?? 'Not admitted'} />
                </dl>
                {p.bedId && (
                  <p>
                    <Link to={{ name: 'patient', patientId: p.id }}>See readings and alerts</Link>
                  </p>
                )}
                {canChange && (
                  <button
                    type="button"
                    className="button button--secondary"
                    onClick={() => setEditing(true)}
                    data-testid="edit-patient"
                  >
                    Change details
                  </button>
                )}
              </>
            )}
          </section>
          {canChange && <AdmissionActions record={p} onChanged={changed} />}
          <section className="panel" aria-labelledby="admissions-title">
            <h2 id="admissions-title" className="panel__title">
              Admissions
            </h2>
            {p.admissions.length === 0 ? (
              <p>No admissions recorded.</p>
            ) : (
              <DataTable
                testId="admissions-table"
                labelledBy="admissions-title"
                columns={['Ward and bed', 'Admitted', 'Discharged']}
              >
                {p.admissions.map((a) => (
                  <tr key={a.id}>
                    <th scope="row">
                      {a.bedLabel}, {a.wardName}
                    </th>
                    <td>
                      {formatAbsolute(Date.parse(a.admittedAt))} by {a.admittedBy}
                    </td>
                    <td>
                      {a.dischargedAt
                        ? `${formatAbsolute(Date.parse(a.dischargedAt))} by ${a.dischargedBy ?? 'unknown'}`
                        : 'Still admitted'}
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
          </section>
        </>
      )}
    </Page>
  );
}

function Row({ term, value, testId }: { term: string; value: string | null | undefined; testId?: string }) {
  return (
    <div className="summary-list__row">
      <dt>{term}</dt>
      <dd data-testid={testId}>{value || <span className="muted">Not recorded</span>}</dd>
    </div>
  );
}

function EditDetails({
  record,
  onCancel,
  onSaved,
}: {
  record: PatientRecord;
  onCancel: () => void;
  onSaved: () => void;
}) {
  const [value, setValue] = useState<PatientForm>(() => formFromRecord(record));
  const form = useForm<PatientField>({ conflict: 'Another patient already has this NHS number.' });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => validatePatient(value),
      async () => {
        await updatePatient(record.id, patientDetails(value));
        onSaved();
      },
    );
  };
  return (
    <AdminForm
      label="Change details"
      testId="edit-patient-form"
      onSubmit={submit}
      form={form}
      summary={form.items('edit')}
      summaryTestId="edit-patient-error"
      submit={{ label: 'Save details', busyLabel: 'Saving…', testId: 'edit-patient-save' }}
      after={
        <>
          {' '}
          <button type="button" className="button button--secondary" onClick={onCancel}>
            Cancel
          </button>
        </>
      }
    >
      <PatientFields prefix="edit" value={value} errors={form.errors} onChange={setValue} />
    </AdminForm>
  );
}

function AdmissionActions({
  record,
  onChanged,
}: {
  record: PatientRecord;
  onChanged: (message: string) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useConfirmedChange();
  const [beds] = useResource(loadFreeBeds, [record.bedId]);
  const [bedId, setBedId] = useState('');
  const form = useForm<'bedId'>({ conflict: 'That bed is taken now. Choose another.' });

  if (record.bedId)
    return (
      <section className="panel" aria-labelledby="discharge-title">
        <h2 id="discharge-title" className="panel__title">
          Discharge
        </h2>
        <button
          type="button"
          className="button button--warning"
          onClick={() => setConfirming(true)}
          data-testid="discharge-patient"
        >
          Discharge {record.displayName}
        </button>
        <ConfirmDialog
          open={confirming}
          title={`Discharge ${record.displayName}?`}
          confirmLabel={busy ? 'Discharging…' : 'Yes, discharge'}
          busy={busy}
          error={error}
          onCancel={() => setConfirming(false)}
          onConfirm={() =>
            void run(
              async () => {
                await dischargePatient(record.id);
                setConfirming(false);
                onChanged(`${record.displayName} was discharged from ${record.bedLabel ?? 'their bed'}.`);
              },
              (err) => refusal(err, { conflict: 'This patient has already been discharged.' }),
            )
          }
        >
          <p>
            {record.displayName} will leave {record.bedLabel}. Their devices stop recording readings for them;
            their history is kept.
          </p>
        </ConfirmDialog>
      </section>
    );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => (bedId ? {} : { bedId: 'Choose a free bed' }),
      async () => {
        const p = await readmitPatient(record.id, bedId);
        setBedId('');
        onChanged(`${p.displayName} was admitted to ${p.bedLabel ?? 'the bed'}.`);
      },
    );
  };
  return (
    <section className="panel" aria-labelledby="readmit-title">
      <AdminForm
        title={{ id: 'readmit-title', text: 'Admit again', level: 2 }}
        onSubmit={submit}
        form={form}
        summary={form.items('readmit')}
        summaryTestId="readmit-error"
        submit={{ label: 'Admit', busyLabel: 'Admitting…', testId: 'readmit-submit' }}
      >
        <FreeBedSelect
          id="readmit-bedId"
          options={beds.data ?? []}
          error={form.errors.bedId}
          value={bedId}
          onChange={setBedId}
        />
      </AdminForm>
    </section>
  );
}
