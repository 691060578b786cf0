import type { FormEvent, ReactNode } from 'react';
import { ErrorSummary, type SummaryItem } from './ErrorSummary.js';
import type { FormState } from './forms.js';

interface Props {
  /** The heading the form is labelled by; a level-2 one is a panel's title. */
  title?: { id: string; text: ReactNode; level: 2 | 3 | 4 };
  /** The form's accessible name where it has no heading of its own. */
  label?: string;
  testId?: string;
  onSubmit: (e: FormEvent) => void;
  form: FormState;
  /** The error summary's lines (`form.items(...)`) and its test id. */
  summary: SummaryItem[];
  summaryTestId: string;
  /** Inputs laid out side by side. */
  fields?: ReactNode;
  /** Anything below them: a textarea, a fieldset, checkboxes. */
  children?: ReactNode;
  submit: { label: string; busyLabel: string; testId: string; secondary?: boolean };
  /** After the submit button: a cancel button. */
  after?: ReactNode;
}

/** An admin form's frame: heading, error summary, fields and a submit button that shows it is busy. */
export function AdminForm({
  title,
  label,
  testId,
  onSubmit,
  form,
  summary,
  summaryTestId,
  fields,
  children,
  submit,
  after,
}: Props) {
  const Heading = title ? (`h${title.level}` as const) : null;
  return (
    <form
      className="admin-form"
      onSubmit={onSubmit}
      noValidate
      aria-labelledby={title?.id}
      aria-label={label}
      data-testid={testId}
    >
      {title && Heading && (
        <Heading id={title.id} className={title.level === 2 ? 'panel__title' : undefined}>
          {title.text}
        </Heading>
      )}
      <ErrorSummary
        items={summary}
        code={form.apiError?.code}
        testId={summaryTestId}
        attempt={form.attempt}
      />
      {fields && <div className="admin-form__fields">{fields}</div>}
      {children}
      <button
        type="submit"
        className={submit.secondary ? 'button button--secondary' : 'button'}
        disabled={form.busy}
        data-testid={submit.testId}
      >
        {form.busy ? submit.busyLabel : submit.label}
      </button>
      {after}
    </form>
  );
}
