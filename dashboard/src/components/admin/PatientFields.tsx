import type { PatientRecord } from '@wardline/protocol';
import { displayNhsNumber, type PatientField, type PatientForm } from '../../lib/organisation.js';
import { TextInput, type Errors } from './forms.js';

interface Props {
  prefix: string;
  value: PatientForm;
  errors: Errors<PatientField>;
  onChange: (value: PatientForm) => void;
}

/** The fields that identify and describe a patient, shared by admission and editing. */
export function PatientFields({ prefix, value, errors, onChange }: Props) {
  const set = (field: PatientField) => (v: string) => onChange({ ...value, [field]: v });
  const id = (field: PatientField) => `${prefix}-${field}`;
  return (
    <>
      <div className="admin-form__fields">
        <TextInput
          id={id('displayName')}
          label="Full name"
          error={errors.displayName}
          value={value.displayName}
          onChange={set('displayName')}
          maxLength={120}
        />
        <TextInput
          id={id('preferredName')}
          label="Preferred name (optional)"
          hint="What they like to be called."
          error={errors.preferredName}
          value={value.preferredName}
          onChange={set('preferredName')}
          maxLength={120}
        />
        <TextInput
          id={id('nhsNumber')}
          label="NHS number (optional)"
          hint="10 digits, for example 943 476 5919."
          error={errors.nhsNumber}
          value={value.nhsNumber}
          onChange={set('nhsNumber')}
          inputMode="numeric"
          maxLength={14}
        />
        <TextInput
          id={id('dateOfBirth')}
          label="Date of birth (optional)"
          type="date"
          error={errors.dateOfBirth}
          value={value.dateOfBirth}
          onChange={set('dateOfBirth')}
        />
        <TextInput
          id={id('gpPracticeOds')}
          label="GP practice code (optional)"
          hint="The practice’s ODS code, for example A12345."
          error={errors.gpPracticeOds}
          value={value.gpPracticeOds}
          onChange={set('gpPracticeOds')}
          maxLength={10}
        />
      </div>
      <fieldset className="fieldset">
        <legend>Next of kin (optional)</legend>
        <div className="admin-form__fields">
          <TextInput
            id={id('kinName')}
            label="Name"
            error={errors.kinName}
            value={value.kinName}
            onChange={set('kinName')}
            maxLength={120}
          />
          <TextInput
            id={id('kinRelationship')}
            label="Relationship"
            error={errors.kinRelationship}
            value={value.kinRelationship}
            onChange={set('kinRelationship')}
            maxLength={60}
          />
          <TextInput
            id={id('kinPhone')}
            label="Phone"
            type="tel"
            error={errors.kinPhone}
            value={value.kinPhone}
            onChange={set('kinPhone')}
            maxLength={40}
          />
          <TextInput
            id={id('kinEmail')}
            label="Email"
            type="email"
            error={errors.kinEmail}
            value={value.kinEmail}
            onChange={set('kinEmail')}
            maxLength={254}
          />
        </div>
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
