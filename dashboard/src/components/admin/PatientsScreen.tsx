import type { PatientListItem, PatientRecord, Ward } from '@wardline/protocol';
import { useState, type FormEvent } from 'react';
import { listWards } from '../../api/client.js';
import { admitNewPatient, listBedList, searchPatients } from '../../api/organisation.js';
import { useResource } from '../../hooks/useResource.js';
import {
  EMPTY_PATIENT_FORM,
  displayNhsNumber,
  patientDetails,
  validatePatient,
  type PatientField,
} from '../../lib/organisation.js';
import { Link } from '../../routing/Link.js';
import { navigate } from '../../routing/navigation.js';
import { AdminForm } from './AdminForm.js';
import { FreeBedSelect } from './choices.js';
import { DataTable } from './DataTable.js';
import { formatDate, PatientFields } from './PatientFields.js';
import { LoadError, Page, useForm } from './forms.js';
import type { FreeBed } from './useAdminData.js';

/** Every open, empty bed the user's wards have, for admitting to. */
export async function loadFreeBeds(signal: AbortSignal): Promise<FreeBed[]> {
  const wards: Ward[] = await listWards(signal);
  const lists = await Promise.all(wards.map((w) => listBedList(w.id, signal)));
  return lists.flatMap((beds, i) =>
    beds
      .filter((b) => !b.closedAt && !b.patientId)
      .map((b) => ({ bedId: b.id, label: b.label, wardName: wards[i]!.name })),
  );
}

interface Props {
  q: string;
  includeDischarged: boolean;
  canChange: boolean;
}

/** /patients — find a patient by name or NHS number; admit a new one (nurse in charge, admin). */
export function PatientsScreen({ q, includeDischarged, canChange }: Props) {
  const [results, reload] = useResource<PatientListItem[]>(
    (signal) => searchPatients({ q: q || undefined, includeDischarged, limit: 100 }, signal),
    [q, includeDischarged],
  );
  const [message, setMessage] = useState<string | null>(null);
  const [query, setQuery] = useState(q);
  const [discharged, setDischarged] = useState(includeDischarged);

  const search = (e: FormEvent) => {
    e.preventDefault();
    navigate({ name: 'patients', q: query.trim(), includeDischarged: discharged });
  };

  return (
    <Page title="Patients" adminRoute={null} message={message} testId="patients-screen">
      <section className="panel" aria-labelledby="patient-search-title">
        <h2 id="patient-search-title" className="panel__title">
          Find a patient
        </h2>
        <form role="search" onSubmit={search} className="admin-form" aria-labelledby="patient-search-title">
          <div className="admin-form__fields">
            <div className="field">
              <label htmlFor="patient-q">Name or NHS number</label>
              <input
                id="patient-q"
                type="search"
                value={query}
                maxLength={120}
                onChange={(e) => setQuery(e.target.value)}
                data-testid="patient-q"
              />
            </div>
          </div>
          <div className="radio">
            <input
              id="patient-discharged"
              type="checkbox"
              checked={discharged}
              onChange={(e) => setDischarged(e.target.checked)}
            />
            <label htmlFor="patient-discharged">Include discharged patients</label>
          </div>
          <button type="submit" className="button" data-testid="patient-search">
            Search
          </button>
        </form>
        {results.status === 'failed' && <LoadError message={results.message} />}
        {results.data && <PatientTable patients={results.data} />}
        {!results.data && results.status === 'loading' && <p role="status">Loading…</p>}
      </section>
      {canChange && (
        <section className="panel" aria-labelledby="admit-patient-title">
          <AdmitPatientForm
            onAdmitted={(p) => {
              setMessage(`${p.displayName} was admitted to ${p.bedLabel ?? 'the bed'}.`);
              reload();
            }}
          />
        </section>
      )}
    </Page>
  );
}

function PatientTable({ patients }: { patients: PatientListItem[] }) {
  if (patients.length === 0) return <p data-testid="patient-none">No patients match.</p>;
  return (
    <DataTable
      testId="patient-table"
      label="Patients found"
      columns={['Name', 'NHS number', 'Date of birth', 'Bed']}
    >
      {patients.map((p) => (
        <tr key={p.id} data-testid="patient-row">
          <th scope="row">
            <Link to={{ name: 'patientRecord', patientId: p.id }}>{p.displayName}</Link>
            {p.preferredName && <span className="data-table__sub"> (known as {p.preferredName})</span>}
          </th>
          <td className="mono">{displayNhsNumber(p.nhsNumber) || <span className="muted">None</span>}</td>
          <td>{formatDate(p.dateOfBirth)}</td>
          <td>{p.bedLabel ?? <span className="muted">Discharged</span>}</td>
        </tr>
      ))}
    </DataTable>
  );
}

function AdmitPatientForm({ onAdmitted }: { onAdmitted: (p: PatientRecord) => void }) {
  const [beds, reloadBeds] = useResource(loadFreeBeds, []);
  const [value, setValue] = useState(EMPTY_PATIENT_FORM);
  const [bedId, setBedId] = useState('');
  const form = useForm<PatientField | 'bedId'>({
    conflict:
      'That bed is taken, or a patient with this NHS number is already recorded. Search for them instead.',
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => ({ ...validatePatient(value), ...(bedId ? {} : { bedId: 'Choose a free bed' }) }),
      async () => {
        const patient = await admitNewPatient({ bedId, ...patientDetails(value) });
        setValue(EMPTY_PATIENT_FORM);
        setBedId('');
        reloadBeds();
        onAdmitted(patient);
      },
    );
  };

  return (
    <AdminForm
      title={{ id: 'admit-patient-title', text: 'Admit a patient', level: 2 }}
      testId="admit-patient-form"
      onSubmit={submit}
      form={form}
      summary={form.items('admit')}
      summaryTestId="admit-patient-error"
      submit={{ label: 'Admit patient', busyLabel: 'Admitting…', testId: 'admit-patient-submit' }}
    >
      <PatientFields prefix="admit" value={value} errors={form.errors} onChange={setValue} />
      <div className="admin-form__fields">
        <FreeBedSelect
          id="admit-bedId"
          options={beds.data ?? []}
          error={form.errors.bedId}
          value={bedId}
          onChange={setBedId}
          hint={
            beds.data?.length === 0
              ? 'There are no free beds. Add beds in Places or discharge a patient.'
              : undefined
          }
        />
      </div>
    </AdminForm>
  );
}
