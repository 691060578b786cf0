import { useEffect, useState, type ReactNode } from 'react';
import { ApiError, describeError } from '../../api/client.js';
import { Link } from '../../routing/Link.js';
import { ADMIN_SECTIONS, routePath, type Route } from '../../routing/routes.js';
import { Field, type SummaryItem } from './ErrorSummary.js';

/**
 * Building blocks shared by the screens that run an organisation: a form's submission state,
 * labelled inputs, the page frame with the admin area's navigation, and a one-time secret.
 */

export interface RefusalMessages {
  conflict?: string;
  notFound?: string;
}

/** A refused change in words, with the API's code so a support call can quote it. */
export function refusal(
  err: unknown,
  messages: RefusalMessages = {},
): { message: string; code: string | null } {
  if (!(err instanceof ApiError)) return { message: describeError(err), code: null };
  let message = err.message || describeError(err);
  if (err.status === 409 && messages.conflict) message = messages.conflict;
  else if (err.status === 404 && messages.notFound) message = messages.notFound;
  else if (err.status === 403 && err.code === 'WL_FORBIDDEN')
    message = 'Your account cannot make this change.';
  return { message, code: err.code };
}

export type Errors<K extends string> = Partial<Record<K, string>>;

/** Validation errors, the API's refusal, a per-attempt counter for focus and a busy guard. */
export function useForm<K extends string>(messages: RefusalMessages = {}) {
  const [errors, setErrors] = useState<Errors<K>>({});
  const [apiError, setApiError] = useState<{ message: string; code: string | null } | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [busy, setBusy] = useState(false);

  const run = async (validate: () => Errors<K>, change: () => Promise<void>): Promise<void> => {
    if (busy) return;
    setAttempt((n) => n + 1);
    const found = validate();
    setErrors(found);
    setApiError(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await change();
    } catch (err) {
      setApiError(refusal(err, messages));
    } finally {
      setBusy(false);
    }
  };

  /** The error summary's lines: each field's error linked to `${prefix}-${field}`, then the API's. */
  const items = (prefix: string): SummaryItem[] => [
    ...Object.entries(errors)
      .filter((e): e is [string, string] => typeof e[1] === 'string')
      .map(([field, message]) => ({ fieldId: `${prefix}-${field}`, message })),
    ...(apiError ? [{ fieldId: null, message: apiError.message }] : []),
  ];

  return { errors, apiError, attempt, busy, run, items, setApiError };
}

interface InputProps {
  id: string;
  label: string;
  hint?: string;
  error: string | undefined;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'email' | 'date' | 'password' | 'number' | 'search' | 'tel';
  autoComplete?: string;
  inputMode?: 'numeric' | 'text';
  maxLength?: number;
  className?: string;
}

export function TextInput({ id, label, hint, error, value, onChange, type = 'text', ...rest }: InputProps) {
  return (
    <Field id={id} label={label} {...(hint && { hint })} error={error}>
      {(describedBy, invalid) => (
        <input
          id={id}
          type={type}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          autoComplete={rest.autoComplete ?? 'off'}
          inputMode={rest.inputMode}
          maxLength={rest.maxLength}
          className={rest.className}
          spellCheck={type === 'text' ? undefined : false}
          data-testid={id}
        />
      )}
    </Field>
  );
}

interface SelectProps {
  id: string;
  label: string;
  hint?: string;
  error: string | undefined;
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  options: { value: string; label: string }[];
}

export function SelectInput({ id, label, hint, error, value, onChange, placeholder, options }: SelectProps) {
  return (
    <Field id={id} label={label} {...(hint && { hint })} error={error}>
      {(describedBy, invalid) => (
        <select
          id={id}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          data-testid={id}
        >
          {placeholder !== undefined && <option value="">{placeholder}</option>}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} — Wardline`;
    return () => {
      document.title = 'Wardline';
    };
  }, [title]);
}

interface PageProps {
  title: string;
  /** The route this page is, to mark it in the admin navigation; null outside the admin area. */
  adminRoute: Route | null;
  lead?: ReactNode;
  /** Announced politely after a change ("Site created."). */
  message?: string | null;
  testId: string;
  children: ReactNode;
}

/** A page's frame: its heading, the admin area's navigation where it belongs, and a status line. */
export function Page({ title, adminRoute, lead, message, testId, children }: PageProps) {
  usePageTitle(title);
  return (
    <main id="main" className="page page--admin" tabIndex={-1} data-testid={testId}>
      <h1 className="ward-toolbar__name">{title}</h1>
      {lead && <p className="page-lead">{lead}</p>}
      {adminRoute && <AdminPagesNav current={adminRoute} />}
      <div role="status" className="admin-message-region">
        {message && (
          <p className="success-message" data-testid="page-message">
            {message}
          </p>
        )}
      </div>
      {children}
    </main>
  );
}

/** The admin area's pages, the current one marked. */
export function AdminPagesNav({ current = { name: 'admin', deadLetterCode: null } }: { current?: Route }) {
  const here = routePath(current);
  return (
    <nav aria-label="Admin pages" className="section-nav">
      <ul>
        {ADMIN_SECTIONS.map((s) => (
          <li key={s.label}>
            <Link
              to={s.route}
              aria-current={routePath(s.route) === here ? 'page' : undefined}
              data-testid={`admin-page-${s.route.name}`}
            >
              {s.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** A read that failed, with its reason. */
export function LoadError({ message }: { message: string }) {
  return (
    <div className="error-summary" role="alert">
      <h2 className="error-summary__title">Some information could not be loaded</h2>
      <p>{message}</p>
    </div>
  );
}

/** Copies text to the clipboard and says so; where the browser refuses, the text stays selectable. */
export function CopyButton({ text, label, testId }: { text: string; label: string; testId: string }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  return (
    <>
      <button
        type="button"
        className="button button--secondary button--small"
        onClick={() => {
          // The clipboard API exists only on secure origins (https or localhost).
          if (!navigator.clipboard) return setCopied('no');
          navigator.clipboard.writeText(text).then(
            () => setCopied('yes'),
            () => setCopied('no'),
          );
        }}
        data-testid={testId}
      >
        {label}
      </button>
      <span role="status" className="muted">
        {copied === 'yes'
          ? ' Copied.'
          : copied === 'no'
            ? ' Could not copy: select the text and copy it.'
            : ''}
      </span>
    </>
  );
}

/** Saves text as a file the browser downloads, without it ever being stored on the server. */
export function downloadText(filename: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A one-time account link handed to an admin because no e-mail carried it. */
export function OneTimeLink({
  link,
  emailed,
  expiresAt,
}: {
  link?: string | undefined;
  emailed: boolean;
  expiresAt: string;
}) {
  if (!link)
    return emailed ? (
      <p className="notice" data-testid="link-emailed">
        An e-mail with a link to set a password has been sent. The link expires{' '}
        {new Date(expiresAt).toLocaleString('en-GB')}.
      </p>
    ) : null;
  return (
    <div className="notice" data-testid="one-time-link">
      <p>
        <strong>
          {emailed
            ? 'Here is the link to set a password.'
            : 'The e-mail could not be sent or was not requested: give this link to the person yourself.'}
        </strong>{' '}
        It works once, expires {new Date(expiresAt).toLocaleString('en-GB')}, and will not be shown again.
      </p>
      <p>
        <code className="mono" data-testid="one-time-link-text">
          {link}
        </code>
      </p>
      <CopyButton text={link} label="Copy link" testId="copy-link" />
    </div>
  );
}
