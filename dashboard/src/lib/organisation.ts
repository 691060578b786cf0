import type { Role, StaffRole } from '@wardline/protocol';
import { formatNhsNumber, normaliseNhsNumber } from '@wardline/protocol/nhs-number';

/**
 * Client-side checks for the screens that run an organisation, mirroring the API's schemas
 * (protocol/src/organisation.ts) so that most mistakes are explained before a request is sent.
 * The server remains the authority.
 */
export type FieldErrors<K extends string> = Partial<Record<K, string>>;

export const SITE_CODE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:_-]{0,63}$/;
const ODS_CODE_PATTERN = /^[A-Z0-9]{3,10}$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Staff roles, most to least privileged (as protocol's STAFF_ROLES, without loading the schemas). */
export const STAFF_ROLES: readonly StaffRole[] = ['admin', 'nurse_in_charge', 'nurse'];

export const ROLE_LABELS: Record<Role, string> = {
  nurse: 'Nurse',
  nurse_in_charge: 'Nurse in charge',
  admin: 'Admin',
  family: 'Family member',
  operator: 'Operator',
};

function name(value: string, what: string, max = 120): string | undefined {
  const v = value.trim();
  if (!v) return `Enter ${what}`;
  if (v.length > max) return `${capitalise(what.replace(/^the /, ''))} must be ${max} characters or fewer`;
  return undefined;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function put<K extends string>(errors: FieldErrors<K>, key: K, message: string | undefined): void {
  if (message) errors[key] = message;
}

/** A site code from its name: lower case, hyphens, as the MQTT segment wants it. */
export function suggestSiteCode(siteName: string): string {
  return siteName
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

export function validateSite(v: { name: string; code: string }): FieldErrors<'name' | 'code'> {
  const errors: FieldErrors<'name' | 'code'> = {};
  put(errors, 'name', name(v.name, 'the site’s name'));
  if (!v.code) errors.code = 'Enter a site code';
  else if (!SITE_CODE_PATTERN.test(v.code))
    errors.code =
      'Site code must start with a letter or number and use only lower-case letters, numbers and hyphens';
  return errors;
}

export function validateWard(v: {
  siteId: string;
  name: string;
  beds: string;
}): FieldErrors<'siteId' | 'name' | 'beds'> {
  const errors: FieldErrors<'siteId' | 'name' | 'beds'> = {};
  if (!v.siteId) errors.siteId = 'Choose the site';
  put(errors, 'name', name(v.name, 'the ward’s name'));
  const beds = v.beds.trim();
  if (beds && !(/^\d+$/.test(beds) && Number(beds) <= 500))
    errors.beds = 'Number of beds must be a whole number from 0 to 500';
  return errors;
}

/** Bed labels typed one per line or separated by commas; blank entries dropped. */
export function parseBedLabels(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function validateBedLabels(text: string): string | undefined {
  const labels = parseBedLabels(text);
  if (labels.length === 0) return 'Enter at least one bed label';
  if (labels.length > 500) return 'Add up to 500 beds at a time';
  const long = labels.find((l) => l.length > 40);
  if (long) return `Bed label “${long.slice(0, 40)}…” must be 40 characters or fewer`;
  const seen = new Set<string>();
  for (const l of labels) {
    if (seen.has(l.toLowerCase())) return `Bed label “${l}” is listed twice`;
    seen.add(l.toLowerCase());
  }
  return undefined;
}

/** An NHS number as typed: empty is allowed (not everyone has one); otherwise 10 digits with a valid check digit. */
export function nhsNumberError(input: string): string | undefined {
  const typed = input.trim();
  if (!typed) return undefined;
  const digits = typed.replace(/[\s-]/g, '');
  if (!/^\d+$/.test(digits)) return 'NHS number must contain only numbers';
  if (digits.length !== 10) return 'NHS number must be 10 digits';
  if (!normaliseNhsNumber(digits))
    return 'This is not a valid NHS number: check the digits (the last one is a check digit)';
  return undefined;
}

/** A stored NHS number for reading, or an empty string. */
export function displayNhsNumber(digits: string | null | undefined): string {
  return digits ? formatNhsNumber(digits) : '';
}

export interface PatientForm {
  displayName: string;
  preferredName: string;
  nhsNumber: string;
  dateOfBirth: string;
  gpPracticeOds: string;
  kinName: string;
  kinRelationship: string;
  kinPhone: string;
  kinEmail: string;
}

export type PatientField = keyof PatientForm;

export const EMPTY_PATIENT_FORM: PatientForm = {
  displayName: '',
  preferredName: '',
  nhsNumber: '',
  dateOfBirth: '',
  gpPracticeOds: '',
  kinName: '',
  kinRelationship: '',
  kinPhone: '',
  kinEmail: '',
};

/** A calendar date that exists and is not in the future. */
function dateOfBirthError(value: string, today: Date): string | undefined {
  if (!value) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return 'Date of birth must be a real date';
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value)
    return 'Date of birth must be a real date';
  if (date.getTime() > today.getTime()) return 'Date of birth must be in the past';
  if (date.getUTCFullYear() < 1880) return 'Date of birth must be after 1880';
  return undefined;
}

export function validatePatient(v: PatientForm, today = new Date()): FieldErrors<PatientField> {
  const errors: FieldErrors<PatientField> = {};
  put(errors, 'displayName', name(v.displayName, 'the patient’s full name'));
  if (v.preferredName.trim().length > 120)
    errors.preferredName = 'Preferred name must be 120 characters or fewer';
  put(errors, 'nhsNumber', nhsNumberError(v.nhsNumber));
  put(errors, 'dateOfBirth', dateOfBirthError(v.dateOfBirth, today));
  const ods = v.gpPracticeOds.trim().toUpperCase();
  if (ods && !ODS_CODE_PATTERN.test(ods))
    errors.gpPracticeOds = 'GP practice code must be 3 to 10 letters and numbers, for example A12345';
  const anyKin = [v.kinName, v.kinRelationship, v.kinPhone, v.kinEmail].some((s) => s.trim());
  if (anyKin) {
    put(errors, 'kinName', name(v.kinName, 'the next of kin’s name'));
    put(errors, 'kinRelationship', name(v.kinRelationship, 'their relationship to the patient', 60));
    if (v.kinPhone.trim().length > 40) errors.kinPhone = 'Phone number must be 40 characters or fewer';
    if (v.kinEmail.trim() && !EMAIL_PATTERN.test(v.kinEmail.trim()))
      errors.kinEmail = 'Enter an email address in the correct format, like name@example.com';
  }
  return errors;
}

/** The form as the API's PatientDetails: empty optional fields become null. */
export function patientDetails(v: PatientForm) {
  const blank = (s: string) => (s.trim() ? s.trim() : null);
  const kinName = blank(v.kinName);
  return {
    displayName: v.displayName.trim(),
    preferredName: blank(v.preferredName),
    nhsNumber: v.nhsNumber.trim() ? normaliseNhsNumber(v.nhsNumber) : null,
    dateOfBirth: blank(v.dateOfBirth),
    gpPracticeOds: blank(v.gpPracticeOds.toUpperCase()),
    nextOfKin: kinName
      ? {
          name: kinName,
          relationship: v.kinRelationship.trim(),
          ...(blank(v.kinPhone) && { phone: v.kinPhone.trim() }),
          ...(blank(v.kinEmail) && { email: v.kinEmail.trim() }),
        }
      : null,
  };
}

export function validateInvite(v: {
  email: string;
  displayName: string;
  role: string;
}): FieldErrors<'email' | 'displayName' | 'role'> {
  const errors: FieldErrors<'email' | 'displayName' | 'role'> = {};
  const email = v.email.trim();
  if (!email) errors.email = 'Enter their email address';
  else if (email.length > 254 || !EMAIL_PATTERN.test(email))
    errors.email = 'Enter an email address in the correct format, like name@example.com';
  put(errors, 'displayName', name(v.displayName, 'their name'));
  if (!v.role) errors.role = 'Choose a role';
  return errors;
}

/**
 * NCSC guidance: length over complexity, no composition rules. The server also checks a
 * blocklist of common passwords and answers WL_WEAK_PASSWORD with its reason.
 */
export const MIN_PASSWORD_LENGTH = 12;

export function validateNewPassword(v: {
  password: string;
  confirm: string;
}): FieldErrors<'password' | 'confirm'> {
  const errors: FieldErrors<'password' | 'confirm'> = {};
  if (!v.password) errors.password = 'Enter a password';
  else if ([...v.password].length < MIN_PASSWORD_LENGTH)
    errors.password = `Password must be at least ${MIN_PASSWORD_LENGTH} characters: three random words work well`;
  else if (v.password.length > 256) errors.password = 'Password must be 256 characters or fewer';
  if (v.password && v.confirm !== v.password) errors.confirm = 'The passwords do not match';
  return errors;
}

/** A one-time code from an authenticator app: 6 digits, spaces allowed as apps show them. */
export function normaliseTotpCode(input: string): string | null {
  const digits = input.replace(/\s/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}

/** The token from a `/set-password#token=...` link; the fragment never reaches a server log. */
export function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, '')).get('token');
  return token && token.length >= 16 && token.length <= 128 ? token : null;
}

export interface KitDeviceLine {
  id: string;
  model: string;
}

/** Devices typed one per line as `id model` or `id, model`. */
export function parseKitDevices(text: string): { devices: KitDeviceLine[]; error: string | undefined } {
  const devices: KitDeviceLine[] = [];
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const [id = '', ...rest] = line.split(/[\s,]+/);
    const model = rest.join(' ').trim();
    if (!DEVICE_ID_PATTERN.test(id))
      return {
        devices,
        error: `Line ${i + 1}: device ID must start with a letter or number and use only letters, numbers, colons, hyphens and underscores`,
      };
    if (!model)
      return { devices, error: `Line ${i + 1}: add the device model after its ID, like “${id} oximeter”` };
    if (model.length > 64) return { devices, error: `Line ${i + 1}: model must be 64 characters or fewer` };
    if (devices.some((d) => d.id === id))
      return { devices, error: `Line ${i + 1}: device ${id} is listed twice` };
    devices.push({ id, model });
  }
  if (devices.length > 32) return { devices, error: 'A kit can have up to 32 devices' };
  return { devices, error: undefined };
}

/** A date input's day as the start (or end) of that day in local time, as ISO. */
export function dayBoundary(day: string, end: boolean): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const date = end ? new Date(y, m - 1, d + 1) : new Date(y, m - 1, d);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
