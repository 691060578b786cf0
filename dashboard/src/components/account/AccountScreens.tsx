import type { SessionUser } from '@wardline/protocol';
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, WEAK_PASSWORD, describeError } from '../../api/client.js';
import {
  confirmTotp,
  enrolTotp,
  inspectAccountToken,
  setPassword,
  type AccountTokenInfo,
} from '../../api/organisation.js';
import {
  MIN_PASSWORD_LENGTH,
  ROLE_LABELS,
  normaliseTotpCode,
  tokenFromHash,
  validateNewPassword,
} from '../../lib/organisation.js';
import { ErrorSummary } from '../admin/ErrorSummary.js';
import { CopyButton, TextInput, useForm, usePageTitle } from '../admin/forms.js';

/**
 * Pages about one's own account: setting a password from a one-time link (no session needed),
 * and enrolling an authenticator app as a second factor.
 */

type TokenState =
  | { status: 'checking' }
  | { status: 'invalid'; message: string }
  | { status: 'ready'; token: string; info: Extract<AccountTokenInfo, { valid: true }> }
  | { status: 'signInNext'; username: string };

interface SetPasswordProps {
  onSignedIn: (user: SessionUser, mustEnrol: boolean) => void;
  /** To the sign-in screen: the account has a second factor, so the link alone does not sign in. */
  onSignIn: () => void;
}

/** /set-password#token=… — the link in an invitation or reset e-mail. */
export function SetPasswordScreen({ onSignedIn, onSignIn }: SetPasswordProps) {
  usePageTitle('Set your password');
  const [state, setState] = useState<TokenState>({ status: 'checking' });
  const [password, setPasswordValue] = useState('');
  const [confirm, setConfirm] = useState('');
  const form = useForm<'password' | 'confirm'>();

  useEffect(() => {
    const token = tokenFromHash(window.location.hash);
    if (!token) {
      setState({
        status: 'invalid',
        message:
          'This link is incomplete. Open the whole link from the e-mail, or ask an admin for a new one.',
      });
      return;
    }
    const abort = new AbortController();
    inspectAccountToken(token, abort.signal).then(
      (info) =>
        setState(
          info.valid
            ? { status: 'ready', token, info }
            : {
                status: 'invalid',
                message: 'This link has expired or has already been used. Ask an admin for a new one.',
              },
        ),
      (err: unknown) => {
        if (abort.signal.aborted) return;
        setState({
          status: 'invalid',
          message:
            err instanceof ApiError && err.status < 500
              ? 'This link has expired or has already been used. Ask an admin for a new one.'
              : describeError(err),
        });
      },
    );
    return () => abort.abort();
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (state.status !== 'ready') return;
    void form.run(
      () => validateNewPassword({ password, confirm }),
      async () => {
        try {
          const res = await setPassword({ token: state.token, password });
          // The token must not linger in the address bar or the history.
          window.history.replaceState(null, '', '/');
          if (res.token) onSignedIn(res.user, res.secondFactor === 'enrol-required');
          else setState({ status: 'signInNext', username: res.user.username });
        } catch (err) {
          if (err instanceof ApiError && err.code === WEAK_PASSWORD) {
            setPasswordValue('');
            setConfirm('');
          }
          throw err;
        }
      },
    );
  };

  return (
    <main id="main" className="page page--centred" tabIndex={-1} data-testid="set-password">
      <div className="login">
        <h1 className="login__title">Set your password</h1>
        {state.status === 'checking' && <p role="status">Checking the link…</p>}
        {state.status === 'invalid' && (
          <div className="error-summary" role="alert" data-testid="set-password-invalid">
            <h2 className="error-summary__title">This link cannot be used</h2>
            <p>{state.message}</p>
          </div>
        )}
        {state.status === 'signInNext' && (
          <div role="status" data-testid="set-password-done">
            <p className="success-message">
              Your password is set. Sign in as <strong className="mono">{state.username}</strong> with it and
              the code from your authenticator app.
            </p>
            <button type="button" className="button" onClick={onSignIn}>
              Go to sign in
            </button>
          </div>
        )}
        {state.status === 'ready' && (
          <>
            <p>
              {state.info.purpose === 'reset' ? 'Choose a new password for ' : 'Welcome to Wardline, '}
              <strong>{state.info.displayName}</strong>. Your username is{' '}
              <strong className="mono" data-testid="set-password-username">
                {state.info.username}
              </strong>
              .
            </p>
            <div className="notice">
              <p>
                Use three random words, for example “purple kettle harbour”. It must be at least{' '}
                {MIN_PASSWORD_LENGTH} characters; common passwords are refused. You do not need numbers or
                symbols.
              </p>
            </div>
            <form className="login__form" onSubmit={submit} noValidate>
              <ErrorSummary
                items={form.items('new')}
                code={form.apiError?.code}
                testId="set-password-error"
                attempt={form.attempt}
              />
              <input
                type="text"
                name="username"
                autoComplete="username"
                value={state.info.username}
                readOnly
                hidden
              />
              <TextInput
                id="new-password"
                label="New password"
                type="password"
                autoComplete="new-password"
                error={form.errors.password}
                value={password}
                onChange={setPasswordValue}
                maxLength={256}
              />
              <TextInput
                id="new-confirm"
                label="Type the password again"
                type="password"
                autoComplete="new-password"
                error={form.errors.confirm}
                value={confirm}
                onChange={setConfirm}
                maxLength={256}
              />
              <button type="submit" className="button" disabled={form.busy} data-testid="set-password-submit">
                {form.busy ? 'Saving…' : 'Set password and sign in'}
              </button>
            </form>
          </>
        )}
      </div>
    </main>
  );
}

/** Enrol an authenticator app: the secret and its otpauth link as text, then a code to confirm. */
export function TotpEnrolment({ onDone, headingLevel = 2 }: { onDone: () => void; headingLevel?: 1 | 2 }) {
  const [secret, setSecret] = useState<{ uri: string; secret: string } | null>(null);
  const [code, setCode] = useState('');
  const form = useForm<'code'>();
  const start = useForm<never>();
  const Heading = headingLevel === 1 ? 'h1' : 'h2';

  if (!secret)
    return (
      <div data-testid="totp-start">
        <Heading className={headingLevel === 1 ? 'login__title' : 'panel__title'}>
          Set up two-step verification
        </Heading>
        <p>
          You will need an authenticator app on your phone, such as Microsoft Authenticator or Google
          Authenticator.
        </p>
        <ErrorSummary
          items={start.items('totp-start')}
          code={start.apiError?.code}
          testId="totp-start-error"
          attempt={start.attempt}
        />
        <button
          type="button"
          className="button"
          disabled={start.busy}
          onClick={() =>
            void start.run(
              () => ({}),
              async () => setSecret(await enrolTotp()),
            )
          }
          data-testid="totp-begin"
        >
          {start.busy ? 'Starting…' : 'Start'}
        </button>
      </div>
    );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void form.run(
      () => (normaliseTotpCode(code) ? {} : { code: 'Enter the 6-digit code from your authenticator app' }),
      async () => {
        try {
          await confirmTotp(normaliseTotpCode(code)!);
        } catch (err) {
          if (err instanceof ApiError && err.status === 400)
            throw new ApiError(
              400,
              err.code,
              'That code is not right. Check the time on your phone and try the newest code.',
            );
          throw err;
        }
        onDone();
      },
    );
  };

  return (
    <div data-testid="totp-enrol">
      <Heading className={headingLevel === 1 ? 'login__title' : 'panel__title'}>
        Set up two-step verification
      </Heading>
      <ol>
        <li>
          In your authenticator app, add an account and choose to enter a setup key. Enter this key:
          <p>
            <code className="mono" data-testid="totp-secret">
              {secret.secret.replace(/(.{4})/g, '$1 ').trim()}
            </code>{' '}
            <CopyButton text={secret.secret} label="Copy key" testId="copy-totp-secret" />
          </p>
          <details>
            <summary>Or use the setup link</summary>
            <p>
              <code className="mono" data-testid="totp-uri">
                {secret.uri}
              </code>
            </p>
          </details>
        </li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <form onSubmit={submit} noValidate>
        <ErrorSummary
          items={form.items('totp')}
          code={form.apiError?.code}
          testId="totp-error"
          attempt={form.attempt}
        />
        <TextInput
          id="totp-code"
          label="Code"
          inputMode="numeric"
          autoComplete="one-time-code"
          error={form.errors.code}
          value={code}
          onChange={setCode}
          maxLength={7}
        />
        <button type="submit" className="button" disabled={form.busy} data-testid="totp-confirm">
          {form.busy ? 'Checking…' : 'Turn on two-step verification'}
        </button>
      </form>
    </div>
  );
}

/** Shown instead of every screen while the session must enrol a second factor first. */
export function EnrolmentRequiredScreen({ onDone }: { onDone: () => void }) {
  usePageTitle('Set up two-step verification');
  return (
    <main id="main" className="page page--centred" tabIndex={-1} data-testid="enrolment-required">
      <div className="login">
        <p className="notice">
          Your organisation asks admins to use two-step verification. Set it up to continue.
        </p>
        <TotpEnrolment onDone={onDone} headingLevel={1} />
      </div>
    </main>
  );
}

/** /account — who is signed in, and their second factor. */
export function AccountScreen({ user }: { user: SessionUser }) {
  usePageTitle('Your account');
  const [done, setDone] = useState(false);
  return (
    <main id="main" className="page page--admin" tabIndex={-1} data-testid="account-screen">
      <h1 className="ward-toolbar__name">Your account</h1>
      <dl className="summary-list">
        <div className="summary-list__row">
          <dt>Name</dt>
          <dd>{user.displayName}</dd>
        </div>
        <div className="summary-list__row">
          <dt>Username</dt>
          <dd className="mono">{user.username}</dd>
        </div>
        <div className="summary-list__row">
          <dt>Role</dt>
          <dd>{ROLE_LABELS[user.role]}</dd>
        </div>
      </dl>
      <section className="panel" aria-label="Two-step verification">
        {done ? (
          <p className="success-message" role="status" data-testid="totp-done">
            Two-step verification is on. You will be asked for a code from your app when you sign in.
          </p>
        ) : (
          <TotpEnrolment onDone={() => setDone(true)} />
        )}
      </section>
    </main>
  );
}
