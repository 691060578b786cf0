import type { ManualObservationRequest } from '@wardline/protocol';

/** The form's place on the patient page: post-fall prompts link straight to it. */
export const MANUAL_OBSERVATIONS_ANCHOR = 'record-observations';

/** Brings the observation form into view and focus once the patient page has drawn it. */
export function focusManualObservations(timeoutMs = 5000): void {
  const until = Date.now() + timeoutMs;
  const poll = () => {
    const form = document.getElementById(MANUAL_OBSERVATIONS_ANCHOR);
    if (form) {
      form.scrollIntoView({ block: 'start' });
      form.querySelector<HTMLElement>('input, select')?.focus({ preventScroll: true });
    } else if (Date.now() < until) setTimeout(poll, 100);
  };
  poll();
}

/** The manual observation form's raw text fields. */
export interface ManualForm {
  respirationRate: string;
  consciousness: '' | 'A' | 'C' | 'V' | 'P' | 'U';
  onOxygen: '' | 'yes' | 'no';
  oxygenFlowRate: string;
  spo2: string;
  pulse: string;
  systolic: string;
  diastolic: string;
  temperature: string;
}

export const EMPTY_MANUAL_FORM: ManualForm = {
  respirationRate: '',
  consciousness: '',
  onOxygen: '',
  oxygenFlowRate: '',
  spo2: '',
  pulse: '',
  systolic: '',
  diastolic: '',
  temperature: '',
};

type NumericField =
  'respirationRate' | 'oxygenFlowRate' | 'spo2' | 'pulse' | 'systolic' | 'diastolic' | 'temperature';

/** The server's accepted ranges (protocol ManualObservationRequest), with the words a nurse reads. */
export const NUMERIC_FIELDS: Record<
  NumericField,
  { label: string; min: number; max: number; integer: boolean }
> = {
  respirationRate: { label: 'Respiration rate', min: 0, max: 80, integer: true },
  oxygenFlowRate: { label: 'Oxygen flow', min: 0, max: 60, integer: false },
  spo2: { label: 'SpO2', min: 40, max: 100, integer: true },
  pulse: { label: 'Pulse', min: 20, max: 300, integer: true },
  systolic: { label: 'Systolic', min: 40, max: 300, integer: true },
  diastolic: { label: 'Diastolic', min: 20, max: 200, integer: true },
  temperature: { label: 'Temperature', min: 25, max: 45, integer: false },
};

export type ManualErrors = Partial<Record<keyof ManualForm, string>>;

/** Validates the form; returns the request body, or the errors per field (GOV.UK-style wording). */
export function validateManual(
  form: ManualForm,
): { ok: true; body: ManualObservationRequest } | { ok: false; errors: ManualErrors } {
  const errors: ManualErrors = {};
  const body: ManualObservationRequest = {};
  for (const [name, rule] of Object.entries(NUMERIC_FIELDS) as [
    NumericField,
    (typeof NUMERIC_FIELDS)[NumericField],
  ][]) {
    const text = form[name].trim();
    if (text === '') continue;
    const n = Number(text);
    if (!Number.isFinite(n)) errors[name] = `${rule.label} must be a number`;
    else if (rule.integer && !Number.isInteger(n)) errors[name] = `${rule.label} must be a whole number`;
    else if (n < rule.min || n > rule.max)
      errors[name] = `${rule.label} must be between ${rule.min} and ${rule.max}`;
    else body[name] = n;
  }
  if (form.respirationRate.trim() === '') errors.respirationRate ??= 'Enter the respiration rate';
  if (form.consciousness === '') errors.consciousness = 'Select the level of consciousness (ACVPU)';
  else body.consciousness = form.consciousness;
  if (form.onOxygen === '') errors.onOxygen = 'Select whether the resident is on oxygen';
  else body.onOxygen = form.onOxygen === 'yes';
  if (form.onOxygen === 'no') delete body.oxygenFlowRate;
  if ((form.systolic.trim() === '') !== (form.diastolic.trim() === ''))
    errors[form.systolic.trim() === '' ? 'systolic' : 'diastolic'] ??=
      'Enter both systolic and diastolic, or neither';
  if (body.systolic !== undefined && body.diastolic !== undefined && body.diastolic >= body.systolic)
    errors.diastolic ??= 'Diastolic must be lower than systolic';
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, body };
}
