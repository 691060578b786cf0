import { useEffect, useState, type ChangeEvent, type ReactNode } from 'react';
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
export function refusal(err: unknown, messages: RefusalMessages = {}): Refusal {
  if (!(err instanceof ApiError)) return { message: describeError(err), code: null };
  let message = err.message || describeError(err);
  if (err.status === 409 && messages.conflict) message = messages.conflict;
  else if (err.status === 404 && messages.notFound) message = messages.notFound;
  else if (err.status === 403 && err.code === 'WL_FORBIDDEN')
    message = 'Your account cannot make this change.';
  return { message, code: err.code };
}

export type Errors<K extends string> = Partial<Record<K, string>>;

export type Refusal = { message: string; code: string | null };

/** The refusal in one line, its code in brackets, for places without an error summary. */
export const refusalLine = (r: Refusal): string => (r.code ? `${r.message} (${r.code})` : r.message);

/**
 * Validation errors, the API's refusal, a per-attempt counter for focus and a busy guard. The
 * refusal is put in words by `describe`: messages for a conflict or an absence, or a function.
 */
export function useForm<K extends string>(describe: RefusalMessages | ((err: unknown) => Refusal) = {}) {
  const [errors, setErrors] = useState<Errors<K>>({});
  const [apiError, setApiError] = useState<Refusal | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [busy, setBusy] = useState(false);

  /** Shows the validation errors, or runs the change when there are none. */
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
      setApiError(typeof describe === 'function' ? describe(err) : refusal(err, describe));
    } finally {
      setBusy(false);
    }
  };

  /**
   * The error summary's lines: each field's error linked to its input (`${prefix}-${field}`, or
   * the id `fieldId` gives), then the API's.
   */
  const items = (fieldId: string | ((field: K) => string)): SummaryItem[] => [
    ...(Object.entries(errors) as [K, string | undefined][])
      .filter((e): e is [K, string] => typeof e[1] === 'string')
      .map(([field, message]) => ({
        fieldId: typeof fieldId === 'string' ? `${fieldId}-${field}` : fieldId(field),
        message,
      })),
    ...(apiError ? [{ fieldId: null, message: apiError.message }] : []),
  ];

  return { errors, apiError, attempt, busy, run, items, setApiError };
}

export type FormState = Pick<ReturnType<typeof useForm>, 'apiError' | 'attempt' | 'busy'>;

/**
 * A change confirmed in a dialog (close, revoke, discharge): busy while it runs, and the refusal
 * as one line for the dialog to show.
 */
export function useConfirmedChange() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (change: () => Promise<void>, describe: (err: unknown) => Refusal = refusal) => {
    setBusy(true);
    setError(null);
    try {
      await change();
    } catch (err) {
      setError(refusalLine(describe(err)));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

interface ControlProps {
  id: string;
  label: string;
  hint?: string | undefined;
  error: string | undefined;
  value: string;
  onChange: (value: string) => void;
  /** The control's data-testid where the browser tests know it by another name than its id. */
  testId?: string;
}

interface Bound {
  id: string;
  value: string;
  onChange: (e: ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => void;
  'aria-describedby': string | undefined;
  'aria-invalid': true | undefined;
  'data-testid': string;
}

/** A labelled field whose control is bound to its value, hint and error. */
function Control({
  id,
  label,
  hint,
  error,
  value,
  onChange,
  testId = id,
  children,
}: ControlProps & { children: (bound: Bound) => ReactNode }) {
  return (
    <Field id={id} label={label} {...(hint && { hint })} error={error}>
      {(describedBy, invalid) =>
        children({
          id,
          value,
          onChange: (e) => onChange(e.target.value),
          'aria-describedby': describedBy,
          'aria-invalid': invalid || undefined,
          'data-testid': testId,
        })
      }
    </Field>
  );
}

interface InputProps extends ControlProps {
  type?: 'text' | 'email' | 'date' | 'password' | 'number' | 'search' | 'tel';
  autoComplete?: string;
  inputMode?: 'numeric' | 'text';
  maxLength?: number;
  className?: string;
  autoCapitalize?: 'none';
  spellCheck?: boolean;
}

export function TextInput({
  type = 'text',
  autoComplete = 'off',
  inputMode,
  maxLength,
  className,
  autoCapitalize,
  spellCheck = type === 'text' ? undefined : false,
  ...control
}: InputProps) {
  return (
    <Control {...control}>
      {(bound) => (
        <input
          {...bound}
          type={type}
          autoComplete={autoComplete}
          inputMode={inputMode}
          maxLength={maxLength}
          className={className}
          autoCapitalize={autoCapitalize}
          spellCheck={spellCheck}
        />
      )}
    </Control>
  );
}

interface SelectProps extends ControlProps {
  placeholder?: string;
  options: { value: string; label: string }[];
}

export function SelectInput({ placeholder, options, ...control }: SelectProps) {
  return (
    <Control {...control}>
      {(bound) => (
        <select {...bound}>
          {placeholder !== undefined && <option value="">{placeholder}</option>}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Control>
  );
}

interface TextAreaProps extends ControlProps {
  rows: number;
  spellCheck?: boolean;
}

/** Several lines: bed labels, a kit's devices. */
export function TextArea({ rows, spellCheck, ...control }: TextAreaProps) {
  return (
    <Control {...control}>{(bound) => <textarea {...bound} rows={rows} spellCheck={spellCheck} />}</Control>
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
