import type { FamilyContact, FamilyContactInput, PatientThresholds, Thresholds } from '@wardline/protocol';
import { useEffect, useId, useState, type FormEvent } from 'react';
import {
  createContact,
  deleteContact,
  describeError,
  getThresholds,
  listContacts,
  updateContact,
  updateThresholds,
} from '../../api/client.js';
import { useResource } from '../../hooks/useResource.js';
import { dateTime } from '../../lib/alerts.js';
import type { Resident } from './useAdminData.js';

type NumField = Exclude<keyof Thresholds, 'spo2Scale'>;

/** The server's bounds (protocol Thresholds); spo2Low may be blank for the scale's default. */
const FIELDS: { name: NumField; label: string; unit: string; min: number; max: number }[] = [
  { name: 'systolicHigh', label: 'Systolic high', unit: 'mmHg', min: 100, max: 260 },
  { name: 'diastolicHigh', label: 'Diastolic high', unit: 'mmHg', min: 60, max: 160 },
  { name: 'systolicLow', label: 'Systolic low', unit: 'mmHg', min: 60, max: 140 },
  { name: 'spo2Low', label: 'SpO₂ low (blank: 92 on scale 1, 88 on scale 2)', unit: '%', min: 70, max: 99 },
  { name: 'bpReadingsPerDay', label: 'Scheduled BP readings a day (0: none)', unit: '', min: 0, max: 24 },
  { name: 'confirmReadings', label: 'Readings to confirm an alert', unit: '', min: 1, max: 5 },
  { name: 'batteryLow', label: 'Battery low below', unit: '%', min: 1, max: 50 },
];

/**
 * /admin "Alert settings": per resident, the alert thresholds and NEWS2 SpO₂ scale (every change
 * needs a reason; the server keeps the audit trail shown here), and family contacts with their
 * consent (what they may be told, and where the consent came from).
 */
export function AlertSettingsSection({ residents }: { residents: Resident[] }) {
  const [patientId, setPatientId] = useState(residents[0]?.patientId ?? '');
  const id = useId();
  return (
    <section className="panel" aria-labelledby="alert-settings-title" id="alert-settings">
      <h2 id="alert-settings-title" className="panel__title">
        Alert settings
      </h2>
      {residents.length === 0 ? (
        <p>No residents are admitted.</p>
      ) : (
        <>
          <div className="field">
            <label htmlFor={`${id}-resident`}>Resident</label>
            <select
              id={`${id}-resident`}
              value={patientId}
              onChange={(e) => setPatientId(e.target.value)}
              data-testid="settings-resident"
            >
              {residents.map((r) => (
                <option key={r.patientId} value={r.patientId}>
                  {r.displayName} ({r.bedLabel}, {r.wardName})
                </option>
              ))}
            </select>
          </div>
          {patientId && <ThresholdsForm key={`t-${patientId}`} patientId={patientId} />}
          {patientId && <Contacts key={`c-${patientId}`} patientId={patientId} />}
        </>
      )}
    </section>
  );
}

function ThresholdsForm({ patientId }: { patientId: string }) {
  const id = useId();
  const [loaded, reload] = useResource((signal) => getThresholds(patientId, signal), [patientId]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [reason, setReason] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const current: PatientThresholds | null = loaded.data;

  useEffect(() => {
    if (!current) return;
    const t = current.thresholds;
    setValues({
      spo2Scale: String(t.spo2Scale),
      ...Object.fromEntries(FIELDS.map((f) => [f.name, t[f.name] === null ? '' : String(t[f.name])])),
    });
  }, [current]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!current) return;
    const errs: Record<string, string> = {};
    const changes: Partial<Thresholds> = {};
    const scale = Number(values.spo2Scale) === 2 ? 2 : 1;
    if (scale !== current.thresholds.spo2Scale) changes.spo2Scale = scale;
    for (const f of FIELDS) {
      const text = (values[f.name] ?? '').trim();
      if (f.name === 'spo2Low' && text === '') {
        if (current.thresholds.spo2Low !== null) changes.spo2Low = null;
        continue;
      }
      const n = Number(text);
      if (text === '' || !Number.isInteger(n) || n < f.min || n > f.max) {
        errs[f.name] = `${f.label.replace(/ \(.*/, '')} must be a whole number from ${f.min} to ${f.max}`;
        continue;
      }
      if (n !== current.thresholds[f.name]) (changes as Record<string, number>)[f.name] = n;
    }
    if (reason.trim().length < 3)
      errs.reason = 'Enter the reason for the change (it is kept in the audit trail)';
    if (Object.keys(errs).length === 0 && Object.keys(changes).length === 0)
      errs.reason = 'Nothing has changed';
    setErrors(errs);
    setResult(null);
    if (Object.keys(errs).length > 0) return;
    setBusy(true);
    try {
      await updateThresholds(patientId, changes, reason.trim());
      setReason('');
      setResult(`Saved: ${Object.keys(changes).join(', ')}.`);
      reload();
    } catch (err) {
      setErrors({ form: describeError(err) });
    } finally {
      setBusy(false);
    }
  };

  if (!current)
    return <p role="status">{loaded.status === 'failed' ? loaded.message : 'Loading thresholds…'}</p>;
  const err = (name: string) =>
    errors[name] && (
      <p className="field-error" id={`${id}-${name}-error`}>
        <span className="visually-hidden">Error:</span> {errors[name]}
      </p>
    );
  return (
    <form
      onSubmit={(e) => void submit(e)}
      noValidate
      className="thresholds-form"
      data-testid="thresholds-form"
    >
      <h3>Thresholds</h3>
      {errors.form && (
        <p className="field-error" role="alert">
          {errors.form}
        </p>
      )}
      <fieldset className="field">
        <legend>NEWS2 SpO₂ scale</legend>
        <p className="data-table__sub">
          Scale 2 only for confirmed hypercapnic respiratory failure, prescribed by a clinician.
        </p>
        {[1, 2].map((s) => (
          <label key={s} className="radio">
            <input
              type="radio"
              name={`${id}-scale`}
              value={s}
              checked={values.spo2Scale === String(s)}
              onChange={() => setValues((v) => ({ ...v, spo2Scale: String(s) }))}
              data-testid={`threshold-scale-${s}`}
            />{' '}
            Scale {s}
          </label>
        ))}
      </fieldset>
      <div className="thresholds-form__grid">
        {FIELDS.map((f) => (
          <div key={f.name} className={errors[f.name] ? 'field field--error' : 'field'}>
            <label htmlFor={`${id}-${f.name}`}>
              {f.label} {f.unit && <span className="data-table__sub">{f.unit}</span>}
            </label>
            {err(f.name)}
            <input
              id={`${id}-${f.name}`}
              inputMode="numeric"
              value={values[f.name] ?? ''}
              onChange={(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
              aria-invalid={errors[f.name] ? true : undefined}
              aria-describedby={errors[f.name] ? `${id}-${f.name}-error` : undefined}
              data-testid={`threshold-${f.name}`}
            />
          </div>
        ))}
      </div>
      <div className={errors.reason ? 'field field--error' : 'field'}>
        <label htmlFor={`${id}-reason`}>Reason for the change</label>
        {err('reason')}
        <input
          id={`${id}-reason`}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          maxLength={500}
          aria-invalid={errors.reason ? true : undefined}
          aria-describedby={errors.reason ? `${id}-reason-error` : undefined}
          data-testid="threshold-reason"
        />
      </div>
      <button type="submit" className="button" disabled={busy} data-testid="threshold-save">
        Save thresholds
      </button>
      <p role="status" data-testid="threshold-result">
        {result}
      </p>
      {current.history.length > 0 && (
        <div className="table-scroll">
          <table className="data-table">
            <caption className="visually-hidden">Threshold changes</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Setting</th>
                <th scope="col">Change</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {[...current.history]
                .reverse()
                .slice(0, 20)
                .map((h, i) => (
                  <tr key={i}>
                    <td>{dateTime(h.at)}</td>
                    <td>{h.by}</td>
                    <td>{h.field}</td>
                    <td>
                      {String(h.oldValue ?? 'default')} → {String(h.newValue ?? 'default')}
                    </td>
                    <td>{h.reason}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </form>
  );
}

const EMPTY_CONTACT: FamilyContactInput = {
  name: '',
  timeZone: 'Europe/London',
  quietHours: null,
  consent: { notify: true, clinicalDetail: false, fallsDuringQuietHours: true },
  consentNote: '',
};

function Contacts({ patientId }: { patientId: string }) {
  const [contacts, reload] = useResource((signal) => listContacts(patientId, signal), [patientId]);
  const [message, setMessage] = useState<string | null>(null);
  const done = (text: string) => {
    setMessage(text);
    reload();
  };
  return (
    <div className="contacts" data-testid="contacts">
      <h3>Family contacts and consent</h3>
      <p role="status">{message}</p>
      {!contacts.data ? (
        <p role="status">{contacts.status === 'failed' ? contacts.message : 'Loading contacts…'}</p>
      ) : contacts.data.length === 0 ? (
        <p>No family contacts.</p>
      ) : (
        <ul className="contacts__list">
          {contacts.data.map((c) => (
            <li key={c.id}>
              <ContactForm patientId={patientId} contact={c} onDone={done} />
            </li>
          ))}
        </ul>
      )}
      <details>
        <summary>Add a family contact</summary>
        <ContactForm patientId={patientId} contact={null} onDone={done} />
      </details>
    </div>
  );
}

function ContactForm({
  patientId,
  contact,
  onDone,
}: {
  patientId: string;
  contact: FamilyContact | null;
  onDone: (message: string) => void;
}) {
  const id = useId();
  const [form, setForm] = useState<FamilyContactInput>(() => {
    if (!contact) return EMPTY_CONTACT;
    const { id: _i, patientId: _p, consentRecordedAt: _a, consentRecordedBy: _b, ...input } = contact;
    return input;
  });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmRemove, setConfirmRemove] = useState(false);
  const consent = (k: keyof FamilyContactInput['consent'], v: boolean) =>
    setForm((f) => ({ ...f, consent: { ...f.consent, [k]: v } }));
  const text = (k: 'name' | 'email' | 'phone' | 'username' | 'timeZone' | 'consentNote', v: string) =>
    setForm((f) => {
      const next = { ...f, [k]: v };
      if (v === '' && (k === 'email' || k === 'phone' || k === 'username')) delete next[k];
      return next;
    });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!form.name.trim()) return setError('Enter the contact’s name');
    if (!form.consentNote.trim()) return setError('Enter where the consent came from');
    if (form.phone && !/^\+[1-9][0-9]{6,14}$/.test(form.phone))
      return setError('Enter the phone number in international format, like +447700900123');
    setBusy(true);
    setError(null);
    try {
      if (contact) await updateContact(patientId, contact.id, form);
      else await createContact(patientId, form);
      onDone(contact ? `Saved ${form.name}.` : `Added ${form.name}.`);
      if (!contact) setForm(EMPTY_CONTACT);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!contact) return;
    setBusy(true);
    try {
      await deleteContact(patientId, contact.id);
      onDone(`Removed ${contact.name}.`);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  const input = (k: 'name' | 'email' | 'phone' | 'username' | 'timeZone' | 'consentNote', label: string) => (
    <div className="field">
      <label htmlFor={`${id}-${k}`}>{label}</label>
      <input id={`${id}-${k}`} value={form[k] ?? ''} onChange={(e) => text(k, e.target.value)} />
    </div>
  );
  return (
    <form className="contact-form" onSubmit={(e) => void submit(e)} noValidate data-testid="contact-form">
      {contact && (
        <p>
          <strong>{contact.name}</strong>{' '}
          <span className="data-table__sub">
            Consent recorded by {contact.consentRecordedBy}, {dateTime(contact.consentRecordedAt)}
          </span>
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="thresholds-form__grid">
        {input('name', 'Name')}
        {input('email', 'Email (optional)')}
        {input('phone', 'Mobile (optional, +44…)')}
        {input('username', 'Family sign-in name (optional)')}
        {input('timeZone', 'Time zone')}
      </div>
      <fieldset className="field">
        <legend>Consent</legend>
        {(
          [
            ['notify', 'May be told about falls and calls for help'],
            ['clinicalDetail', 'May be told clinical detail (readings, scores, clinical alerts)'],
            ['fallsDuringQuietHours', 'Falls may reach them during quiet hours'],
          ] as const
        ).map(([k, label]) => (
          <label key={k} className="radio">
            <input type="checkbox" checked={form.consent[k]} onChange={(e) => consent(k, e.target.checked)} />{' '}
            {label}
          </label>
        ))}
      </fieldset>
      {input('consentNote', 'Where the consent came from (for example “verbal, by phone”)')}
      <div className="alert-actions__buttons">
        <button type="submit" className="button button--small" disabled={busy}>
          {contact ? 'Save contact' : 'Add contact'}
        </button>
        {contact &&
          (confirmRemove ? (
            <button
              type="button"
              className="button button--small button--warning"
              disabled={busy}
              onClick={() => void remove()}
            >
              Confirm: remove {contact.name}
            </button>
          ) : (
            <button
              type="button"
              className="button button--small button--secondary"
              onClick={() => setConfirmRemove(true)}
            >
              Remove…
            </button>
          ))}
      </div>
    </form>
  );
}
