import { DATE_PATTERN, ODS_CODE_PATTERN, normaliseNhsNumber } from '@wardline/protocol';

/** A cell's verdict: the value to store, or why not. */
export type Checked<T> = { value: T } | { error: string };

const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** Free text (names, labels): not empty when required, not too long, never a spreadsheet formula. */
export function text(value: string, max: number, required: boolean): Checked<string | null> {
  if (value === '') return required ? { error: 'required' } : { value: null };
  if (value.length > max) return { error: `longer than ${max} characters` };
  if (FORMULA_START.test(value))
    return { error: `starts with "${value[0]}", which a spreadsheet reads as a formula: remove it` };
  return { value };
}

export function nhsNumber(value: string): Checked<string | null> {
  if (value === '') return { value: null };
  const digits = normaliseNhsNumber(value);
  return digits
    ? { value: digits }
    : { error: 'not a valid NHS number: 10 digits, the last a check digit (spaces allowed)' };
}

const datePattern = new RegExp(DATE_PATTERN);
const ukDate = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** YYYY-MM-DD, or DD/MM/YYYY as UK spreadsheets write dates; a real date, not in the future. */
export function dateOfBirth(value: string, today: Date): Checked<string | null> {
  if (value === '') return { value: null };
  let iso: string | null = null;
  const uk = ukDate.exec(value);
  if (uk) iso = `${uk[3]}-${uk[2]!.padStart(2, '0')}-${uk[1]!.padStart(2, '0')}`;
  else if (datePattern.test(value)) iso = value;
  if (!iso) return { error: 'not a date: write it as YYYY-MM-DD (or DD/MM/YYYY)' };
  const date = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso)
    return { error: 'not a real date' };
  if (iso > today.toISOString().slice(0, 10)) return { error: 'in the future' };
  if (iso < '1880-01-01') return { error: 'before 1880' };
  return { value: iso };
}

const odsPattern = new RegExp(ODS_CODE_PATTERN);

export function odsCode(value: string): Checked<string | null> {
  if (value === '') return { value: null };
  const code = value.toUpperCase();
  return odsPattern.test(code)
    ? { value: code }
    : { error: 'not an ODS code: 3 to 10 letters and digits, e.g. A81001' };
}

/** A telephone number: digits, spaces, brackets and dashes, perhaps after a leading +. */
export function phone(value: string): Checked<string | null> {
  if (value === '') return { value: null };
  const number = value.startsWith("'") ? value.slice(1) : value;
  return /^\+?[0-9][0-9 ()-]{4,38}$/.test(number) ? { value: number } : { error: 'not a telephone number' };
}
