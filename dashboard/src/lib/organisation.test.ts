import { describe, expect, it } from 'vitest';
import {
  EMPTY_PATIENT_FORM,
  dayBoundary,
  displayNhsNumber,
  nhsNumberError,
  normaliseTotpCode,
  parseBedLabels,
  parseKitDevices,
  patientDetails,
  suggestSiteCode,
  tokenFromHash,
  validateBedLabels,
  validateInvite,
  validateNewPassword,
  validatePatient,
  validateSite,
  validateWard,
} from './organisation.js';

describe('NHS numbers', () => {
  it('accepts a valid number with or without spaces, and none at all', () => {
    expect(nhsNumberError('943 476 5919')).toBeUndefined();
    expect(nhsNumberError('9434765919')).toBeUndefined();
    expect(nhsNumberError('   ')).toBeUndefined();
  });

  it('explains what is wrong with a bad one', () => {
    expect(nhsNumberError('943 476 5918')).toMatch(/not a valid NHS number.*check digit/);
    expect(nhsNumberError('943476591')).toBe('NHS number must be 10 digits');
    expect(nhsNumberError('94347659A9')).toBe('NHS number must contain only numbers');
  });

  it('shows stored numbers in groups of 3, 3 and 4', () => {
    expect(displayNhsNumber('9434765919')).toBe('943 476 5919');
    expect(displayNhsNumber(null)).toBe('');
  });
});

describe('patient form', () => {
  const today = new Date('2026-11-29T12:00:00Z');

  it('needs only a name', () => {
    expect(validatePatient({ ...EMPTY_PATIENT_FORM, displayName: 'Ada Lovelace' }, today)).toEqual({});
    expect(validatePatient(EMPTY_PATIENT_FORM, today)).toEqual({
      displayName: 'Enter the patient’s full name',
    });
  });

  it('rejects impossible and future dates of birth and malformed GP codes', () => {
    const errors = validatePatient(
      { ...EMPTY_PATIENT_FORM, displayName: 'A', dateOfBirth: '1950-02-30', gpPracticeOds: 'a1' },
      today,
    );
    expect(errors.dateOfBirth).toBe('Date of birth must be a real date');
    expect(errors.gpPracticeOds).toMatch(/3 to 10 letters/);
    expect(
      validatePatient({ ...EMPTY_PATIENT_FORM, displayName: 'A', dateOfBirth: '2027-01-01' }, today)
        .dateOfBirth,
    ).toBe('Date of birth must be in the past');
  });

  it('asks for the next of kin’s name and relationship once any of it is given', () => {
    const errors = validatePatient(
      { ...EMPTY_PATIENT_FORM, displayName: 'A', kinPhone: '0161 000 0000' },
      today,
    );
    expect(errors.kinName).toBeDefined();
    expect(errors.kinRelationship).toBeDefined();
  });

  it('sends digits, upper-case codes and nulls for blanks', () => {
    expect(
      patientDetails({
        ...EMPTY_PATIENT_FORM,
        displayName: ' Ada ',
        nhsNumber: '943 476 5919',
        gpPracticeOds: 'a12345',
        kinName: 'Byron',
        kinRelationship: 'Father',
      }),
    ).toEqual({
      displayName: 'Ada',
      preferredName: null,
      nhsNumber: '9434765919',
      dateOfBirth: null,
      gpPracticeOds: 'A12345',
      nextOfKin: { name: 'Byron', relationship: 'Father' },
    });
  });
});

describe('places', () => {
  it('suggests a site code the broker accepts', () => {
    expect(suggestSiteCode('St. Mary’s Care Home (North)')).toBe('st-mary-s-care-home-north');
    expect(validateSite({ name: 'X', code: suggestSiteCode('Élan House') })).toEqual({});
    expect(validateSite({ name: '', code: 'Bad Code' })).toEqual({
      name: 'Enter the site’s name',
      code: expect.stringContaining('lower-case'),
    });
  });

  it('checks the ward and its number of beds', () => {
    expect(validateWard({ siteId: 's', name: 'Oak', beds: '12' })).toEqual({});
    expect(validateWard({ siteId: '', name: 'Oak', beds: '501' })).toEqual({
      siteId: 'Choose the site',
      beds: expect.stringContaining('0 to 500'),
    });
  });

  it('reads bed labels one per line or comma-separated and refuses duplicates', () => {
    expect(parseBedLabels('Bed 1, Bed 2\n\n Bed 3 ')).toEqual(['Bed 1', 'Bed 2', 'Bed 3']);
    expect(validateBedLabels('')).toBe('Enter at least one bed label');
    expect(validateBedLabels('A\na')).toMatch(/listed twice/);
  });
});

describe('staff and accounts', () => {
  it('checks an invitation', () => {
    expect(validateInvite({ email: 'n@example.org', displayName: 'Nia', role: 'nurse' })).toEqual({});
    expect(validateInvite({ email: 'not-an-email', displayName: '', role: '' })).toEqual({
      email: expect.stringContaining('correct format'),
      displayName: 'Enter their name',
      role: 'Choose a role',
    });
  });

  it('asks for length rather than symbols, and a matching confirmation', () => {
    expect(
      validateNewPassword({ password: 'correct horse battery', confirm: 'correct horse battery' }),
    ).toEqual({});
    expect(validateNewPassword({ password: 'Sh0rt!', confirm: 'Sh0rt!' }).password).toMatch(/at least 12/);
    expect(validateNewPassword({ password: 'correct horse battery', confirm: 'x' }).confirm).toBe(
      'The passwords do not match',
    );
  });

  it('reads a 6-digit code as authenticator apps show it', () => {
    expect(normaliseTotpCode('123 456')).toBe('123456');
    expect(normaliseTotpCode('12345')).toBeNull();
  });

  it('takes the token from the link’s fragment', () => {
    expect(tokenFromHash('#token=abcdefghijklmnopqrstuvwxyz')).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(tokenFromHash('#token=short')).toBeNull();
    expect(tokenFromHash('')).toBeNull();
  });
});

describe('kits and audit', () => {
  it('reads devices as “id model” lines', () => {
    expect(parseKitDevices('e2:00:01 oximeter\nE2-02, blood pressure cuff\n')).toEqual({
      devices: [
        { id: 'e2:00:01', model: 'oximeter' },
        { id: 'E2-02', model: 'blood pressure cuff' },
      ],
      error: undefined,
    });
    expect(parseKitDevices('e2:00:01').error).toMatch(/Line 1: add the device model/);
    expect(parseKitDevices('a x\na y').error).toMatch(/listed twice/);
  });

  it('turns a day into the bounds of that local day', () => {
    const from = dayBoundary('2026-03-01', false)!;
    const to = dayBoundary('2026-03-01', true)!;
    expect(new Date(to).getTime() - new Date(from).getTime()).toBeGreaterThanOrEqual(23 * 3600_000);
    expect(dayBoundary('nope', false)).toBeUndefined();
  });
});
