import type { PosturalReading, PosturalStatus, PosturalTest } from '@wardline/protocol';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { describeError } from '../../../api/client.js';
import type { Resource } from '../../../hooks/useResource.js';
import { postPosturalTest } from './api.js';
import { parsePressure } from './format.js';

const MINUTE_MS = 60_000;

type Step =
  | { name: 'idle' }
  | { name: 'lying' }
  | { name: 'standing'; lying: PosturalReading; since: number; standing1?: PosturalReading }
  | { name: 'done'; test: PosturalTest };

/** The falls-risk flag from the latest postural test, for the top of the patient screen. */
export function FallsRiskFlag({ status }: { status: PosturalStatus | null }) {
  if (!status?.atRiskOfFalls || !status.latest) return null;
  return (
    <p className="falls-risk-flag" role="status" data-testid="falls-risk-flag">
      At risk of falls (postural hypotension): {status.latest.findings.join('; ')}. Test of{' '}
      {new Date(status.latest.recordedAt).toLocaleString('en-GB', {
        dateStyle: 'medium',
        timeStyle: 'short',
      })}
      .
    </p>
  );
}

/**
 * A lying-then-standing blood pressure test, step by step: lying after five minutes' rest, then
 * standing, with a timer prompting the readings at one and three minutes. The server decides the
 * result (a drop of 20/10 mmHg or a standing systolic below 90) and keeps the test.
 */
export function PosturalTestPanel({
  patientId,
  status,
  reload,
}: {
  patientId: string;
  status: Resource<PosturalStatus>;
  reload: () => void;
}) {
  const [step, setStep] = useState<Step>({ name: 'idle' });
  return (
    <section className="panel" aria-labelledby="postural-title" data-testid="postural-test">
      <h2 id="postural-title" className="panel__title">
        Lying and standing blood pressure
      </h2>
      {status.data?.latest && !status.data.atRiskOfFalls && (
        <p data-testid="postural-latest">
          Last test {new Date(status.data.latest.recordedAt).toLocaleDateString('en-GB')}: no postural drop.
        </p>
      )}
      <Steps
        patientId={patientId}
        step={step}
        setStep={setStep}
        onSaved={(test) => {
          setStep({ name: 'done', test });
          reload();
        }}
      />
    </section>
  );
}

function Steps({
  patientId,
  step,
  setStep,
  onSaved,
}: {
  patientId: string;
  step: Step;
  setStep: (s: Step) => void;
  onSaved: (t: PosturalTest) => void;
}) {
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (step.name !== 'standing') return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [step.name]);

  const save = async (lying: PosturalReading, standing1: PosturalReading, standing3?: PosturalReading) => {
    setError(null);
    try {
      onSaved(await postPosturalTest(patientId, { lying, standing1, ...(standing3 ? { standing3 } : {}) }));
    } catch (err) {
      setError(describeError(err));
    }
  };

  if (step.name === 'idle' || step.name === 'done')
    return (
      <>
        {step.name === 'done' && (
          <p data-testid="postural-result" role="status">
            {step.test.positive
              ? `Postural hypotension: ${step.test.findings.join('; ')}. The resident is flagged at risk of falls.`
              : 'No postural drop: test saved.'}
          </p>
        )}
        <button
          type="button"
          className="button button--secondary"
          onClick={() => setStep({ name: 'lying' })}
          data-testid="postural-start"
        >
          Start a lying and standing test
        </button>
      </>
    );

  if (step.name === 'lying')
    return (
      <div className="postural-step">
        <p>Let the resident lie down and rest for 5 minutes, then measure their blood pressure.</p>
        <ReadingForm
          label="Lying blood pressure"
          testId="postural-lying"
          onReading={(lying) => setStep({ name: 'standing', lying, since: Date.now() })}
          action="Saved: now help them stand"
        />
        <button
          type="button"
          className="button button--small button--secondary"
          onClick={() => setStep({ name: 'idle' })}
        >
          Cancel
        </button>
      </div>
    );

  const elapsed = Math.max(0, now - step.since);
  const clock = `${Math.floor(elapsed / MINUTE_MS)}:${String(Math.floor((elapsed % MINUTE_MS) / 1000)).padStart(2, '0')}`;
  const oneDue = elapsed >= MINUTE_MS;
  const threeDue = elapsed >= 3 * MINUTE_MS;
  return (
    <div className="postural-step">
      <p>
        Lying: {step.lying.systolic}/{step.lying.diastolic} mmHg. Standing for{' '}
        <span className="postural-timer" data-testid="postural-timer" aria-live="off">
          {clock}
        </span>
      </p>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {!step.standing1 ? (
        oneDue ? (
          <ReadingForm
            label="Standing at 1 minute: measure now"
            testId="postural-standing1"
            onReading={(standing1) => setStep({ ...step, standing1 })}
            action="Save 1-minute reading"
          />
        ) : (
          <p role="status">Measure again when the timer reaches 1:00.</p>
        )
      ) : (
        <>
          <p>
            At 1 minute: {step.standing1.systolic}/{step.standing1.diastolic} mmHg.
          </p>
          {threeDue ? (
            <ReadingForm
              label="Standing at 3 minutes: measure now"
              testId="postural-standing3"
              onReading={(standing3) => void save(step.lying, step.standing1!, standing3)}
              action="Save the test"
            />
          ) : (
            <p role="status">Measure again when the timer reaches 3:00.</p>
          )}
          <button
            type="button"
            className="button button--small button--secondary"
            onClick={() => void save(step.lying, step.standing1!)}
            data-testid="postural-save-without-3"
          >
            Could not stand 3 minutes: save without
          </button>
        </>
      )}
      <button
        type="button"
        className="button button--small button--secondary"
        onClick={() => setStep({ name: 'idle' })}
      >
        Cancel the test
      </button>
    </div>
  );
}

function ReadingForm({
  label,
  testId,
  action,
  onReading,
}: {
  label: string;
  testId: string;
  action: string;
  onReading: (r: PosturalReading) => void;
}) {
  const id = useId();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const p = parsePressure(text);
    if (!p) {
      setError('Enter the blood pressure as systolic/diastolic, for example 128/76');
      return;
    }
    onReading({ ...p, measuredAt: new Date().toISOString() });
  };
  return (
    <form onSubmit={submit} noValidate>
      <div className={error ? 'field field--error' : 'field'}>
        <label htmlFor={id}>
          {label} <span className="data-table__sub">mmHg</span>
        </label>
        {error && (
          <p className="field-error" id={`${id}-error`}>
            <span className="visually-hidden">Error:</span> {error}
          </p>
        )}
        <input
          id={id}
          inputMode="numeric"
          autoComplete="off"
          autoFocus
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          data-testid={testId}
        />
      </div>
      <button type="submit" className="button button--small">
        {action}
      </button>
    </form>
  );
}
