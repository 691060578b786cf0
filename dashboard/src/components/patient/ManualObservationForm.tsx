import { useId, useRef, useState, type FormEvent } from 'react';
import { describeError, postManualObservations } from '../../api/client.js';
import {
  EMPTY_MANUAL_FORM,
  MANUAL_OBSERVATIONS_ANCHOR,
  validateManual,
  type ManualErrors,
  type ManualForm,
} from '../../lib/manualObs.js';

interface Props {
  patientId: string;
  onSaved: () => void;
}

const ORDER: (keyof ManualForm)[] = [
  'respirationRate',
  'consciousness',
  'onOxygen',
  'oxygenFlowRate',
  'spo2',
  'pulse',
  'systolic',
  'diastolic',
  'temperature',
];

/**
 * Staff entry of the NEWS2 parameters devices do not measure (respiration rate, ACVPU, air or
 * oxygen) and, optionally, hand-taken vitals. Validated here with the server's ranges; errors
 * are listed in a summary that takes focus, each linking to its field.
 */
export function ManualObservationForm({ patientId, onSaved }: Props) {
  const id = useId();
  const [form, setForm] = useState<ManualForm>(EMPTY_MANUAL_FORM);
  const [errors, setErrors] = useState<ManualErrors>({});
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const summaryRef = useRef<HTMLDivElement>(null);
  const fid = (name: keyof ManualForm) => `${id}-${name}`;

  const set = (name: keyof ManualForm, value: string) => setForm((f) => ({ ...f, [name]: value }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    setServerError(null);
    const result = validateManual(form);
    if (!result.ok) {
      setErrors(result.errors);
      setTimeout(() => summaryRef.current?.focus(), 0);
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      const made = await postManualObservations(patientId, result.body);
      setForm(EMPTY_MANUAL_FORM);
      setSaved(`Saved ${made.length} ${made.length === 1 ? 'observation' : 'observations'}.`);
      onSaved();
    } catch (err) {
      setServerError(describeError(err));
      setTimeout(() => summaryRef.current?.focus(), 0);
    } finally {
      setBusy(false);
    }
  };

  const listed = ORDER.filter((k) => errors[k]);
  const number = (name: keyof ManualForm, label: string, unit: string, hint?: string) => (
    <div className={errors[name] ? 'field field--error' : 'field'}>
      <label htmlFor={fid(name)}>
        {label} <span className="data-table__sub">{unit}</span>
      </label>
      {hint && <span className="data-table__sub">{hint}</span>}
      {errors[name] && (
        <p className="field-error" id={`${fid(name)}-error`}>
          <span className="visually-hidden">Error:</span> {errors[name]}
        </p>
      )}
      <input
        id={fid(name)}
        inputMode="decimal"
        autoComplete="off"
        value={form[name]}
        onChange={(e) => set(name, e.target.value)}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={errors[name] ? `${fid(name)}-error` : undefined}
        data-testid={`manual-${name}`}
      />
    </div>
  );

  return (
    <section
      className="panel"
      id={MANUAL_OBSERVATIONS_ANCHOR}
      aria-labelledby={`${id}-title`}
      data-testid="manual-observations"
    >
      <h2 id={`${id}-title`} className="panel__title">
        Record observations
      </h2>
      <form onSubmit={(e) => void submit(e)} noValidate className="manual-form">
        {(listed.length > 0 || serverError) && (
          <div
            className="error-summary"
            ref={summaryRef}
            tabIndex={-1}
            role="alert"
            aria-labelledby={`${id}-errors`}
          >
            <h3 className="error-summary__title" id={`${id}-errors`}>
              There is a problem
            </h3>
            <ul>
              {serverError && <li>{serverError}</li>}
              {listed.map((k) => (
                <li key={k}>
                  <a href={`#${fid(k)}`}>{errors[k]}</a>
                </li>
              ))}
            </ul>
          </div>
        )}
        {number('respirationRate', 'Respiration rate', 'breaths/min')}
        <fieldset className={errors.consciousness ? 'field field--error' : 'field'} id={fid('consciousness')}>
          <legend>Consciousness (ACVPU)</legend>
          {errors.consciousness && <p className="field-error">{errors.consciousness}</p>}
          {(
            [
              ['A', 'Alert'],
              ['C', 'New confusion'],
              ['V', 'Responds to voice'],
              ['P', 'Responds to pain'],
              ['U', 'Unresponsive'],
            ] as const
          ).map(([v, text]) => (
            <label key={v} className="radio">
              <input
                type="radio"
                name={`${id}-acvpu`}
                value={v}
                checked={form.consciousness === v}
                onChange={() => set('consciousness', v)}
                data-testid={`manual-acvpu-${v}`}
              />{' '}
              {v} — {text}
            </label>
          ))}
        </fieldset>
        <fieldset className={errors.onOxygen ? 'field field--error' : 'field'} id={fid('onOxygen')}>
          <legend>On supplemental oxygen?</legend>
          {errors.onOxygen && <p className="field-error">{errors.onOxygen}</p>}
          {(
            [
              ['no', 'No, breathing air'],
              ['yes', 'Yes'],
            ] as const
          ).map(([v, text]) => (
            <label key={v} className="radio">
              <input
                type="radio"
                name={`${id}-oxygen`}
                value={v}
                checked={form.onOxygen === v}
                onChange={() => set('onOxygen', v)}
                data-testid={`manual-oxygen-${v}`}
              />{' '}
              {text}
            </label>
          ))}
        </fieldset>
        {form.onOxygen === 'yes' && number('oxygenFlowRate', 'Oxygen flow', 'L/min', 'Optional')}
        <details>
          <summary>Optional: SpO₂, pulse, blood pressure, temperature</summary>
          {number('spo2', 'SpO₂', '%')}
          {number('pulse', 'Pulse', 'bpm')}
          {number('systolic', 'Systolic', 'mmHg')}
          {number('diastolic', 'Diastolic', 'mmHg')}
          {number('temperature', 'Temperature', '°C')}
        </details>
        <button type="submit" className="button" disabled={busy} data-testid="manual-submit">
          Save observations
        </button>
        <p role="status" data-testid="manual-saved">
          {saved}
        </p>
      </form>
    </section>
  );
}
