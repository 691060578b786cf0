import type { PatientRecord } from '@wardline/protocol';
import type { ComponentProps } from 'react';
import { displayNhsNumber, type PatientField, type PatientForm } from '../../lib/organisation.js';
import { TextInput, type Errors } from './forms.js';

interface Props {
  prefix: string;
  value: PatientForm;
  errors: Errors<PatientField>;
  onChange: (value: PatientForm) => void;
}

type FieldSpec = { field: PatientField } & Pick<
  ComponentProps<typeof TextInput>,
  'label' | 'hint' | 'type' | 'inputMode' | 'maxLength'
>;

const DETAILS: FieldSpec[] = [
  { field: 'displayName', label: 'Full name', maxLength: 120 },
  {
    field: 'preferredName',
    label: 'Preferred name (optional)',
    hint: 'What they like to be called.',
    maxLength: 120,
  },
  {
    field: 'nhsNumber',
    label: 'NHS number (optional)',
    hint: '10 digits, for example 943 476 5919.',
    inputMode: 'numeric',
    maxLength: 14,
  },
  { field: 'dateOfBirth', label: 'Date of birth (optional)', type: 'date' },
  {
    field: 'gpPracticeOds',
    label: 'GP practice code (optional)',
    hint: 'The practice’s ODS code, for example A12345.',
    maxLength: 10,
  },
];

const NEXT_OF_KIN: FieldSpec[] = [
  { field: 'kinName', label: 'Name', maxLength: 120 },
  { field: 'kinRelationship', label: 'Relationship', maxLength: 60 },
  { field: 'kinPhone', label: 'Phone', type: 'tel', maxLength: 40 },
  { field: 'kinEmail', label: 'Email', type: 'email', maxLength: 254 },
];

/** The fields that identify and describe a patient, shared by admission and editing. */
export function PatientFields({ prefix, value, errors, onChange }: Props) {
  const inputs = (specs: FieldSpec[]) =>
    specs.map(({ field, ...spec }) => (
      <TextInput
        key={field}
        id={`${prefix}-${field}`}
        {...spec}
        error={errors[field]}
        value={value[field]}
        onChange={(v) => onChange({ ...value, [field]: v })}
      />
    ));
  return (
    <>
      <div className="admin-form__fields">{inputs(DETAILS)}</div>
      <fieldset className="fieldset">
        <legend>Next of kin (optional)</legend>
        <div className="admin-form__fields">{inputs(NEXT_OF_KIN)}</div>
      </fieldset>
    </>
  );
}

/** A stored record as the form's strings. */
export function formFromRecord(r: PatientRecord): PatientForm {
  return {
    displayName: r.displayName,
    preferredName: r.preferredName ?? '',
    nhsNumber: displayNhsNumber(r.nhsNumber),
    dateOfBirth: r.dateOfBirth ?? '',
    gpPracticeOds: r.gpPracticeOds ?? '',
    kinName: r.nextOfKin?.name ?? '',
    kinRelationship: r.nextOfKin?.relationship ?? '',
    kinPhone: r.nextOfKin?.phone ?? '',
    kinEmail: r.nextOfKin?.email ?? '',
  };
}

/** A date of birth as people read it: 1 March 1950. */
export function formatDate(day: string | null): string {
  if (!day) return '';
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime())
    ? day
    : date.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}
