import { useEffect, useRef, type ReactNode } from 'react';

export interface SummaryItem {
  /** The id of the field the message is about, for the link; null for a form-level error. */
  fieldId: string | null;
  message: string;
}

interface Props {
  items: SummaryItem[];
  /** The API's error code, shown small so it can be quoted. */
  code?: string | null;
  testId: string;
  /** Changes on every submit so the summary takes focus again. */
  attempt: number;
}

/** NHS-style error summary: takes focus on submit, links to each field. */
export function ErrorSummary({ items, code, testId, attempt }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const count = items.length;
  // On each submit, and when the server's answer arrives after it; typing does not move focus
  // (errors only change on submit).
  useEffect(() => {
    if (count > 0) ref.current?.focus();
  }, [attempt, count]);
  if (items.length === 0) return null;
  return (
    <div className="error-summary" role="alert" tabIndex={-1} ref={ref} data-testid={testId}>
      <h3 className="error-summary__title">There is a problem</h3>
      <ul className="error-summary__list">
        {items.map((item) => (
          <li key={`${item.fieldId}-${item.message}`}>
            {item.fieldId ? (
              <a
                href={`#${item.fieldId}`}
                onClick={(e) => {
                  e.preventDefault();
                  document.getElementById(item.fieldId!)?.focus();
                }}
              >
                {item.message}
              </a>
            ) : (
              item.message
            )}
          </li>
        ))}
      </ul>
      {code && <p className="error-summary__code">Error code: {code}</p>}
    </div>
  );
}

interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  error: string | undefined;
  children: (describedBy: string | undefined, invalid: boolean) => ReactNode;
}

/** A labelled form field with an optional hint and inline error, wired with aria-describedby. */
export function Field({ id, label, hint, error, children }: FieldProps) {
  const hintId = hint ? `${id}-hint` : null;
  const errorId = error ? `${id}-error` : null;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error ? 'field field--error' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="field__hint" id={hintId!}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field__error" id={errorId!}>
          <span className="visually-hidden">Error:</span> {error}
        </p>
      )}
      {children(describedBy, Boolean(error))}
    </div>
  );
}
